#include "core/denoiser.h"

#include "core/errors.h"
#include "core/load_probe.h"

#include <torch/script.h>

#include <fstream>

namespace difflens {

struct TorchScriptDenoiser::Impl
{
    torch::jit::script::Module module;
};

TorchScriptDenoiser::TorchScriptDenoiser(const std::string& path, torch::Device device)
    : m_impl(std::make_unique<Impl>()), m_device(device)
{
    if (!std::ifstream(path).good())
        throw ModelError("model file '" + path + "' does not exist or cannot be read");
    probeInChildProcess(path, "a TorchScript model", [&] { torch::jit::load(path, torch::kCPU); });
    try {
        m_impl->module = torch::jit::load(path, device);
    } catch (const std::exception& e) {
        throw ModelError("'" + path +
                         "' is not a TorchScript model (save one with torch.jit.script(model).save(path)): " +
                         describeException(e));
    }
    if (!m_impl->module.find_method("forward"))
        throw ModelError("'" + path + "' has no forward(x, t) method");
    m_impl->module.eval();
}

TorchScriptDenoiser::~TorchScriptDenoiser() = default;

torch::Tensor TorchScriptDenoiser::forward(const torch::Tensor& x, const torch::Tensor& t)
{
    torch::jit::IValue out;
    try {
        out = m_impl->module.forward({x, t});
    } catch (const std::exception& e) {
        throw ModelError("the TorchScript model failed on input of shape " + std::string(c10::str(x.sizes())) +
                         ": " + describeException(e));
    }
    if (out.isTensor()) return out.toTensor();
    if (out.isTuple() && !out.toTupleRef().elements().empty() && out.toTupleRef().elements()[0].isTensor())
        return out.toTupleRef().elements()[0].toTensor();
    throw ModelError("the TorchScript model's forward must return a Tensor");
}

void TorchScriptDenoiser::moveTo(torch::Device device)
{
    m_impl->module.to(device);
    m_device = device;
}

int64_t TorchScriptDenoiser::parameterCount() const
{
    int64_t n = 0;
    for (const auto& p : m_impl->module.parameters()) n += p.numel();
    return n;
}

} // namespace difflens
