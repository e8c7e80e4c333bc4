// difflens-cli: the headless front end of Diffusion Lens (schedules, sampling, training, evaluation, export).
#include "app/cli/args.h"
#include "app/cli/commands.h"
#include "core/errors.h"
#include "core/runtime.h"

#include <cstdio>
#include <functional>
#include <map>
#include <string>

namespace {

const char* kUsage =
    "usage: difflens-cli COMMAND [options]\n"
    "\n"
    "commands:\n"
    "  schedule   print a noise schedule and its derived tables (CSV or JSON)\n"
    "  sample     run DDPM or DDIM with a model; per-step records, trajectory, summary\n"
    "  info       describe a model: kind, schedule, data shape, parameter count\n"
    "  train      train a built-in MLP or UNet into a model package (resumable)\n"
    "  dataset    write samples of a dataset as a .pt tensor\n"
    "  eval       sample quality and likelihood figures with their floors and ceilings\n"
    "  train-classifier  train the Fashion-MNIST classifier behind the image Frechet distance\n"
    "  guidance-sweep    the same x_T at several guidance scales: filmstrip PNG and GIF\n"
    "  guidance-target   exact guided samples beside the tilted target p(x|c)^w p(x)^(1-w) (8gaussians, gmm1d)\n"
    "  export     step-by-step GIF, MP4, PNG frames, filmstrip or CSV of a sampled run\n"
    "  export-model  a built-in net as a PyTorch state_dict plus the Python module that defines it\n"
    "\n"
    "Run 'difflens-cli COMMAND --help' for a command's options.\n";

} // namespace

int main(int argc, char** argv)
{
    using namespace difflens;
    using namespace difflens::cli;
    if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
        std::fputs(kUsage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const std::string command = argv[1];
    const Argv rest(argv + 2, argv + argc);
    const std::map<std::string, std::function<int(const Argv&)>> commands = {
        {"schedule", cmdSchedule}, {"sample", cmdSample}, {"info", cmdInfo},
        {"train", cmdTrain},       {"dataset", cmdDataset},
        {"eval", cmdEval},         {"train-classifier", cmdTrainClassifier},
        {"guidance-target", cmdGuidanceTarget}, {"guidance-sweep", cmdGuidanceSweep},
        {"export-model", cmdExportModel},
#ifdef DIFFLENS_CLI_EXPORT
        {"export", cmdExport},
#else
        {"export", [](const Argv&) -> int {
             throw difflens::Error("export paints frames with Qt: this difflens-cli was built without Qt "
                                   "(DIFFLENS_WITH_QT=OFF); use a build with the GUI");
         }},
#endif
    };
    const auto it = commands.find(command);
    if (it == commands.end()) {
        std::fprintf(stderr, "difflens-cli: unknown command '%s'\n%s", command.c_str(), kUsage);
        return 2;
    }
    try {
        initRuntime();
        return it->second(rest);
    } catch (const UsageError& e) {
        std::fprintf(stderr, "difflens-cli %s: %s (see 'difflens-cli %s --help')\n", command.c_str(), e.what(),
                     command.c_str());
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "difflens-cli %s: error: %s\n", command.c_str(), describeException(e).c_str());
        return 1;
    } catch (...) {
        std::fprintf(stderr, "difflens-cli %s: error: unknown failure\n", command.c_str());
        return 1;
    }
}
