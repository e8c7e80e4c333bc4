// Denoiser defaults for classes, and TorchScript models (unconditional forward(x, t) or conditional
// forward(x, t, class)) loaded with torch::jit.
#include "core/denoiser.h"

#include "core/errors.h"
#include "core/load_probe.h"
#include "core/pickle_scan.h"

#include <torch/script.h>

#include <fstream>

namespace difflens {

torch::Tensor Denoiser::forwardConditional(const torch::Tensor& x, const torch::Tensor& t, const torch::Tensor& classes)
{
    requireUnconditional(classes);
    return forward(x, t);
}

void requireUnconditional(const torch::Tensor& classes)
{
    if (classes.defined() && classes.numel() > 0 && (classes >= 0).any().item<bool>())
        throw ModelError("this model is not class-conditional: it takes no class (train one with --conditional)");
}

torch::Tensor classEmbeddingRows(const torch::Tensor& classes, int64_t numClasses, int64_t batch, torch::Device device)
{
    const auto opts = torch::TensorOptions().dtype(torch::kInt64).device(device);
    if (!classes.defined()) return torch::full({batch}, numClasses, opts);
    if (classes.dim() != 1 || (classes.size(0) != batch && classes.size(0) != 1))
        throw ModelError("classes must be int64 [" + std::to_string(batch) + "] (or [1]), got shape " +
                         std::string(c10::str(classes.sizes())));
    const auto c = classes.to(opts);
    if (c.numel() > 0 && ((c < -1).any().item<bool>() || (c >= numClasses).any().item<bool>()))
        throw ModelError("class " + std::to_string(c.max().item<int64_t>() >= numClasses ? c.max().item<int64_t>()
                                                                                         : c.min().item<int64_t>()) +
                         " is outside this model's classes 0.." + std::to_string(numClasses - 1) + " (-1: none)");
    return torch::where(c < 0, torch::full_like(c, numClasses), c).expand({batch}).contiguous();
}

struct TorchScriptDenoiser::Impl
{
    torch::jit::script::Module module; // as loaded (moved by moveTo, counted by parameterCount)
    torch::jit::script::Module frozen; // what forward runs: the module frozen, or the module itself
    /**
     * Freezing (torch::jit::freeze) turns the parameters into constants of the graph, so a call no longer
     * looks each weight up as an attribute: what costs the most for small models at small batches (a 2-D MLP
     * at 16 points). Numerics are kept (optimize_numerics = false: no folding of one layer into the next).
     * A module freezing refuses (it mutates an attribute, say) runs as it is.
     */
    void freeze(bool enabled)
    {
        frozen = module;
        if (!enabled) return;
        try {
            frozen = torch::jit::freeze(module, c10::nullopt, false);
        } catch (const std::exception&) {
            frozen = module;
        }
    }
};

TorchScriptDenoiser::TorchScriptDenoiser(const std::string& path, torch::Device device, bool freeze)
    : m_impl(std::make_unique<Impl>()), m_device(device), m_freeze(freeze)
{
    if (!std::ifstream(path).good())
        throw ModelError("model file '" + path + "' does not exist or cannot be read");
    try {
        checkPickleLengthsOfFile(path);
    } catch (const DataError& e) {
        throw ModelError(e.what());
    }
    probeInChildProcess(path, "a TorchScript model", [&] { torch::jit::load(path, torch::kCPU); });
    try {
        m_impl->module = torch::jit::load(path, device);
    } catch (const std::exception& e) {
        throw ModelError("'" + path +
                         "' is not a TorchScript model (save one with torch.jit.script(model).save(path)): " +
                         describeException(e));
    }
    const auto forward = m_impl->module.find_method("forward");
    if (!forward) throw ModelError("'" + path + "' has no forward(x, t) method");
    // The schema counts self: forward(self, x, t) or forward(self, x, t, class_labels).
    const size_t args = forward->function().getSchema().arguments().size();
    if (args != 3 && args != 4)
        throw ModelError("'" + path + "': forward must take (x, t) or (x, t, class), it takes " +
                         std::to_string(args - 1) + " arguments");
    m_takesClass = args == 4;
    m_impl->module.eval();
    m_impl->freeze(m_freeze);
}

TorchScriptDenoiser::~TorchScriptDenoiser() = default;

torch::Tensor TorchScriptDenoiser::forward(const torch::Tensor& x, const torch::Tensor& t)
{
    return forwardConditional(x, t, {});
}

torch::Tensor TorchScriptDenoiser::forwardConditional(const torch::Tensor& x, const torch::Tensor& t,
                                                      const torch::Tensor& classes)
{
    std::vector<torch::jit::IValue> inputs{x, t};
    if (m_takesClass) {
        // The module sees -1 for none (its own null class), like a dropped label in training. With a known class
        // count the range is checked here; otherwise the module sees what it was given.
        const int64_t B = x.size(0);
        torch::Tensor c;
        if (m_numClasses > 0) {
            const auto rows = classEmbeddingRows(classes, m_numClasses, B, x.device());
            c = torch::where(rows == m_numClasses, torch::full_like(rows, -1), rows);
        } else {
            c = classes.defined() ? classes.to(x.device(), torch::kInt64).expand({B}).contiguous()
                                  : torch::full({B}, -1, torch::TensorOptions().dtype(torch::kInt64).device(x.device()));
        }
        inputs.emplace_back(c);
    } else {
        requireUnconditional(classes);
    }
    torch::jit::IValue out;
    try {
        out = m_impl->frozen.forward(inputs);
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
    m_impl->freeze(m_freeze); // the frozen graph holds its weights as constants: freeze the moved module again
    m_device = device;
}

int64_t TorchScriptDenoiser::parameterCount() const
{
    int64_t n = 0;
    for (const auto& p : m_impl->module.parameters()) n += p.numel();
    return n;
}

} // namespace difflens
