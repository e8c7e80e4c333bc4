// difflens-cli export-model: a built-in net as a PyTorch state_dict plus the Python module that defines it
// (models/pytorch_export.h), so a model trained in the app is used from PyTorch with torch.load.
#include "app/cli/args.h"
#include "app/cli/commands.h"
#include "models/pytorch_export.h"

#include <cstdio>

namespace difflens::cli {

namespace {

const char* kExportModelHelp =
    "usage: difflens-cli export-model PACKAGE --to pytorch OUT\n"
    "\n"
    "Writes the built-in MLP or UNet of the model package PACKAGE into the folder OUT (created when missing):\n"
    "  state_dict.pt          the weights, a dict of tensors for torch.load / load_state_dict\n"
    "  difflens_net.py        the same net in PyTorch (MLP, UNet) and load(folder)\n"
    "  difflens.json          architecture and data; scheduler_config.json: the noise schedule (diffusers' keys)\n"
    "In Python: sys.path.insert(0, OUT); import difflens_net; net = difflens_net.load(OUT); net(x_t, t).\n"
    "TorchScript models open in PyTorch as they are (torch.jit.load); exact denoisers have no weights.\n";

} // namespace

int cmdExportModel(const Argv& argv)
{
    const Args args(argv, {"to"}, {"help"});
    if (args.flag("help")) {
        std::fputs(kExportModelHelp, stdout);
        return 0;
    }
    const auto& positional = args.positional();
    if (positional.size() != 2) throw UsageError("give the model package and the output folder: PACKAGE --to pytorch OUT");
    if (!args.has("to")) throw UsageError("--to is required (the only target is pytorch)");
    if (args.str("to") != "pytorch") throw UsageError("--to '" + args.str("to") + "' is not known (the only target is pytorch)");
    const PytorchExport out = exportForPytorch(positional[0], positional[1]);
    std::printf("exported the %s (%lld tensors, %lld parameters) to %s:\n", out.architecture.c_str(),
                static_cast<long long>(out.tensors), static_cast<long long>(out.parameters), out.folder.c_str());
    for (const auto& file : out.files) std::printf("  %s\n", file.c_str());
    std::printf("in Python: import sys; sys.path.insert(0, '%s'); import difflens_net; net = difflens_net.load('%s')\n",
                out.folder.c_str(), out.folder.c_str());
    return 0;
}

} // namespace difflens::cli
