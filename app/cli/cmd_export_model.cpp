// difflens-cli export-model: a built-in net as a PyTorch state_dict plus the Python module that defines it
// (models/pytorch_export.h), so a model trained in the app is used from PyTorch with torch.load.
#include "app/cli/commands.h"
#include "models/pytorch_export.h"

#include <cstdio>

namespace difflens::cli {

int cmdExportModel(const ExportModelArgs& args)
{
    const auto& positional = args.paths;
    if (positional.size() != 2) throw UsageError("give the model package and the output folder: PACKAGE --to pytorch OUT");
    if (!args.to)
        throw UsageError("--to is required (the only target is pytorch)"); // pytorch: the parser's choice
    const PytorchExport out = exportForPytorch(positional[0], positional[1]);
    std::printf("exported the %s (%lld tensors, %lld parameters) to %s:\n", out.architecture.c_str(),
                static_cast<long long>(out.tensors), static_cast<long long>(out.parameters), out.folder.c_str());
    for (const auto& file : out.files) std::printf("  %s\n", file.c_str());
    std::printf("in Python: import sys; sys.path.insert(0, '%s'); import difflens_net; net = difflens_net.load('%s')\n",
                out.folder.c_str(), out.folder.c_str());
    return 0;
}

} // namespace difflens::cli
