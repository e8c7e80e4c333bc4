// Writes a built-in net as PyTorch expects it (pytorch_export.h). The state_dict's keys are the C++ module
// paths of nets.cpp ("blocks.0.weight", "down1_0.conv1.bias"), which python/difflens_net.py reproduces
// attribute by attribute, so load_state_dict(strict=True) checks that both sides define the same net.
#include "models/pytorch_export.h"

#include "core/errors.h"
#include "core/json_util.h"
#include "core/model_package.h"
#include "core/tensor_io.h"
#include "models/difflens_net_py.h"
#include "models/nets.h"

#include <torch/torch.h>

#include <filesystem>
#include <map>

namespace fs = std::filesystem;

namespace difflens {

namespace {

std::string pathIn(const fs::path& folder, const std::string& name)
{
    return (folder / name).string();
}

/** difflens.json of the export: the package's metadata, pointing at the state_dict instead of model.pt. */
nlohmann::json exportedMetadata(const ModelPackage& package)
{
    auto j = package.metadataJson();
    j["format"] = "pytorch_state_dict";
    j["model_file"] = kStateDictFile;
    j["python_module"] = kPythonModuleFile;
    j.erase("training_log"); // the loss log stays with the package
    return j;
}

} // namespace

PytorchExport exportForPytorch(const std::string& spec, const std::string& outDir)
{
    if (spec.rfind("exact:", 0) == 0)
        throw ConfigError("'" + spec + "' is an exact denoiser: it is computed from its dataset and has no network "
                          "weights, so there is nothing to export");
    const ModelPackage package = ModelPackage::read(spec);
    if (package.format != "builtin")
        throw ConfigError("'" + package.modelFile + "' is a TorchScript model: PyTorch opens it as it is with "
                          "torch.jit.load, so there is nothing to export (export-model writes built-in MLP/UNet nets)");
    auto net = makeNet(package.architecture);
    loadNetWeights(*net, package.modelFile);

    PytorchExport result;
    result.architecture = package.architecture.value("type", "");
    std::map<std::string, torch::Tensor> stateDict;
    for (const auto& item : net->named_parameters(/*recurse=*/true)) stateDict[item.key()] = item.value();
    for (const auto& item : net->named_buffers(/*recurse=*/true)) stateDict[item.key()] = item.value();
    result.tensors = static_cast<int64_t>(stateDict.size());
    for (const auto& entry : stateDict) result.parameters += entry.second.numel();

    std::error_code ec;
    const fs::path folder = fs::absolute(outDir, ec);
    if (fs::exists(folder, ec) && !fs::is_directory(folder, ec))
        throw IoError("cannot export into '" + outDir + "': it is a file, not a folder");
    fs::create_directories(folder, ec);
    if (ec) throw IoError("cannot create the output folder '" + outDir + "': " + ec.message());
    result.folder = folder.string();

    const std::string weights = pathIn(folder, kStateDictFile);
    saveTensorDict(weights, stateDict);
    const std::string module = pathIn(folder, kPythonModuleFile);
    json_util::writeTextFileAtomic(module, kDifflensNetPy);
    const std::string metadata = pathIn(folder, "difflens.json");
    json_util::writeTextFileAtomic(metadata, exportedMetadata(package).dump(2) + "\n");
    const std::string scheduler = pathIn(folder, "scheduler_config.json");
    package.scheduler.saveFile(scheduler);
    result.files = {weights, module, metadata, scheduler};
    return result;
}

} // namespace difflens
