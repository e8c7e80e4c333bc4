// Classifier-free guidance (Ho & Salimans 2022, Algorithm 2 in diffusers' scale convention): validation of
// class and scale, the combination, and the guided Denoiser.
#include "core/guidance.h"

#include "core/errors.h"

#include <torch/torch.h>

#include <cmath>
#include <sstream>

namespace difflens {

void validateGuidance(int64_t numClasses, int64_t classIndex, double scale)
{
    const bool scaleGiven = !std::isnan(scale);
    if (numClasses <= 0 && (classIndex >= 0 || scaleGiven))
        throw ConfigError("this model is not class-conditional: it takes no class and no guidance scale "
                          "(train one with 'difflens-cli train --conditional')");
    if (classIndex < -1 || classIndex >= numClasses) {
        std::ostringstream ss;
        ss << "class " << classIndex << " is outside this model's classes 0.." << numClasses - 1;
        throw ConfigError(ss.str());
    }
    if (scaleGiven && !(std::isfinite(scale) && scale >= 0)) {
        std::ostringstream ss;
        ss << "the guidance scale must be a number >= 0 (0: unconditional, 1: plain conditional), got "
           << scale;
        throw ConfigError(ss.str());
    }
    if (scaleGiven && classIndex < 0 && scale != 0.0)
        throw ConfigError("a guidance scale needs a class to guide toward (give a class)");
}

torch::Tensor combineGuidance(const torch::Tensor& unconditional, const torch::Tensor& conditional,
                              double scale, int64_t sampleChannels)
{
    if (conditional.dim() >= 2 && conditional.size(1) == 2 * sampleChannels) {
        // Learned variance (improved DDPM): guide the prediction, keep the conditional variance channels.
        const auto u = unconditional.split(sampleChannels, 1), c = conditional.split(sampleChannels, 1);
        return torch::cat({u[0] + scale * (c[0] - u[0]), c[1]}, 1);
    }
    return unconditional + scale * (conditional - unconditional);
}

GuidedDenoiser::GuidedDenoiser(std::shared_ptr<Denoiser> inner, int64_t classIndex, double scale)
    : m_inner(std::move(inner)), m_class(classIndex), m_scale(scale)
{
    if (!m_inner) throw ModelError("guidance needs a model");
    validateGuidance(m_inner->numClasses(), classIndex, scale);
}

torch::Tensor GuidedDenoiser::forward(const torch::Tensor& x, const torch::Tensor& t)
{
    const int64_t B = x.size(0);
    const auto opts = torch::TensorOptions().dtype(torch::kInt64).device(x.device());
    const auto none = torch::full({B}, -1, opts);
    m_last = {};
    if (m_class < 0 || m_scale == 0.0) {
        m_last.unconditional = m_inner->forwardConditional(x, t, none);
        return m_last.unconditional;
    }
    const auto cls = torch::full({B}, m_class, opts);
    if (m_scale == 1.0) {
        m_last.conditional = m_inner->forwardConditional(x, t, cls);
        return m_last.conditional;
    }
    // One call of 2B: [x; x] with [c; none], split into the conditional and unconditional halves.
    const auto out =
        m_inner->forwardConditional(torch::cat({x, x}), torch::cat({t, t}), torch::cat({cls, none}));
    const auto halves = out.chunk(2, 0);
    m_last.conditional = halves[0];
    m_last.unconditional = halves[1];
    return combineGuidance(m_last.unconditional, m_last.conditional, m_scale, x.dim() >= 2 ? x.size(1) : 1);
}

} // namespace difflens
