#pragma once
// Export of a built-in net (MLP or UNet of nets.h) to plain PyTorch: its weights as a state_dict that Python's
// torch.load reads, the Python module that defines the same net (python/difflens_net.py, embedded at build
// time), and the package's scheduler_config.json and difflens.json beside them. TorchScript models need no
// export (torch.jit.load opens them) and exact denoisers have no weights: both are refused with the reason.
#include <cstdint>
#include <string>
#include <vector>

namespace difflens {

struct PytorchExport
{
    std::string folder;             // OUT, absolute
    std::vector<std::string> files; // written, absolute: state_dict.pt, difflens_net.py, difflens.json, scheduler_config.json
    std::string architecture;       // "mlp" | "unet"
    int64_t tensors = 0;            // entries of the state_dict
    int64_t parameters = 0;         // scalars in them
};

/** The state_dict's file name inside OUT (also recorded as model_file in the exported difflens.json). */
inline constexpr const char* kStateDictFile = "state_dict.pt";
inline constexpr const char* kPythonModuleFile = "difflens_net.py";

/**
 * Writes the model `spec` names (a built-in package folder) into the folder outDir, created when missing.
 * Throws ConfigError for a TorchScript or exact model (nothing to export), ModelError for unreadable weights
 * and IoError when outDir cannot be created or written.
 */
PytorchExport exportForPytorch(const std::string& spec, const std::string& outDir);

} // namespace difflens
