// difflens-cli: the headless front end of Diffusion Lens (schedules, sampling, training, evaluation, export).
#include "app/cli/commands.h"
#include "app/cli/options.h"
#include "core/errors.h"
#include "core/resources.h"
#include "core/runtime.h"

#include <cstdio>
#include <functional>
#include <map>
#include <string>

namespace {

/** --max-memory SIZE (any command) sets the limit; a size that does not parse is a usage error. */
void applyMemoryLimit(const std::optional<std::string>& size)
{
    if (!size) return;
    try {
        difflens::setMemoryLimitBytes(difflens::parseMemorySize(*size));
    } catch (const difflens::ConfigError& e) {
        throw difflens::cli::UsageError(std::string("--max-memory: ") + e.what());
    }
}

} // namespace

int main(int argc, char** argv)
{
    using namespace difflens;
    using namespace difflens::cli;
    CommandLine line;
    if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
        std::fputs(line.help().c_str(), argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const std::string command = argv[1];
    if (!line.hasCommand(command)) {
        std::fprintf(stderr, "difflens-cli: unknown command '%s'\n%s", command.c_str(), line.help().c_str());
        return 2;
    }
    const CliArgs& a = line.options();
    const std::map<std::string, std::function<int()>> commands = {
        {"schedule", [&] { return cmdSchedule(a.schedule); }},
        {"sample", [&] { return cmdSample(a.sample); }},
        {"info", [&] { return cmdInfo(a.info); }},
        {"train", [&] { return cmdTrain(a.train); }},
        {"dataset", [&] { return cmdDataset(a.dataset); }},
        {"eval", [&] { return cmdEval(a.eval); }},
        {"train-classifier", [&] { return cmdTrainClassifier(a.trainClassifier); }},
        {"guidance-target", [&] { return cmdGuidanceTarget(a.guidanceTarget); }},
        {"guidance-sweep", [&] { return cmdGuidanceSweep(a.guidanceSweep); }},
        {"export-model", [&] { return cmdExportModel(a.exportModel); }},
#ifdef DIFFLENS_CLI_EXPORT
        {"export", [&] { return cmdExport(a.exportRun); }},
#else
        {"export",
         []() -> int {
             throw difflens::Error("export paints frames with Qt: this difflens-cli was built without Qt "
                                   "(DIFFLENS_WITH_QT=OFF); use a build with the GUI");
         }},
#endif
    };
    try {
        if (!line.parse(std::vector<std::string>(argv + 1, argv + argc))) {
            std::fputs(line.help().c_str(), stdout);
            return 0;
        }
        applyMemoryLimit(a.maxMemory);
        initRuntime();
        return commands.at(command)();
    } catch (const UsageError& e) {
        std::fprintf(stderr, "difflens-cli %s: %s (see 'difflens-cli %s --help')\n", command.c_str(),
                     e.what(), command.c_str());
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "difflens-cli %s: error: %s\n", command.c_str(), describeException(e).c_str());
        return 1;
    } catch (...) {
        std::fprintf(stderr, "difflens-cli %s: error: unknown failure\n", command.c_str());
        return 1;
    }
}
