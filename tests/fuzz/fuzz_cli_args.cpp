// libFuzzer harness: difflens-cli's command line (app/cli/options.cpp, CLI11). Input lines are argv after the
// program name (the first line is the command); the real application with every command is built and parses
// them, and no command runs. CommandLine::parse turns every CLI11 parse error into a UsageError, so anything
// else that escapes (a CLI11 exception included) is a finding: difflens-cli would report it as a failure
// (exit 1) instead of a usage error (exit 2).
#include "app/cli/options.h"
#include "tests/fuzz/fuzz_common.h"

#include <sstream>

DIFFLENS_FUZZ_TARGET(fuzz_cli_args)
{
    using namespace difflens::cli;
    std::vector<std::string> argv;
    std::stringstream in(std::string(reinterpret_cast<const char*>(data), size));
    for (std::string line; std::getline(in, line);)
        argv.push_back(line);
    CommandLine commandLine;
    // main() refuses an unknown command before parsing; so does the harness.
    if (argv.empty() || !commandLine.hasCommand(argv[0])) return 0;
    try {
        if (!commandLine.parse(argv)) (void)commandLine.help();
        (void)commandLine.command();
    } catch (const UsageError&) {
    }
    return 0;
}
