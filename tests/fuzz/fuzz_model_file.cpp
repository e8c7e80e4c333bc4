// libFuzzer harness: model.pt of a package. The first byte picks the loader: a TorchScript module
// (TorchScriptDenoiser, torch::jit::load) or the weights of a built-in MLP (loadNetWeights, torch::load).
#include "core/denoiser.h"
#include "models/nets.h"
#include "tests/fuzz/fuzz_common.h"

DIFFLENS_FUZZ_TARGET(fuzz_model_file)
{
    using namespace difflens;
    if (size < 1) return 0;
    const bool builtin = data[0] & 1;
    const std::string path = fuzz::writeScratch("model.pt", data + 1, size - 1);
    fuzz::expectTypedErrors([&] {
        if (builtin) {
            // The architecture of the seed written by `difflens-cli train --arch mlp --hidden 8 --blocks 1`.
            auto net =
                makeNet({{"type", "mlp"}, {"dim", 2}, {"hidden", 8}, {"blocks", 1}, {"input_scale", 25.0}});
            loadNetWeights(*net, path);
        } else {
            TorchScriptDenoiser model(path, torch::kCPU);
            (void)model.parameterCount();
        }
    });
    return 0;
}
