// libFuzzer harness: difflens-cli's argument parser (app/cli/args). Input lines are argv; every option is
// then read as text, integer, 64-bit integer, number and comma list, as the commands read them.
#include "app/cli/args.h"
#include "tests/fuzz/fuzz_common.h"

#include <sstream>

DIFFLENS_FUZZ_TARGET(fuzz_cli_args)
{
    using namespace difflens::cli;
    std::vector<std::string> argv;
    std::stringstream in(std::string(reinterpret_cast<const char*>(data), size));
    for (std::string line; std::getline(in, line);)
        argv.push_back(line);
    static const std::vector<std::string> options = {"model", "steps", "seed", "eta", "image-size", "out"};
    static const std::vector<std::string> flags = {"json", "help"};
    try {
        const Args args(argv, options, flags);
        for (const auto& name : options) {
            (void)args.str(name);
            (void)splitList(args.str(name));
            try {
                (void)args.integer(name, 0);
            } catch (const UsageError&) {
            }
            try {
                (void)args.int64(name, 0);
            } catch (const UsageError&) {
            }
            try {
                (void)args.real(name, 0.0);
            } catch (const UsageError&) {
            }
        }
    } catch (const UsageError&) {
    }
    return 0;
}
