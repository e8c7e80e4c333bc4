#pragma once
// Classifier-free guidance (Ho & Salimans 2022; core/MATH.md, "Guidance") as a Denoiser wrapped around a
// class-conditional one, so that every sampler and view works with it unchanged. diffusers' convention:
//   out~ = out(x, none) + w (out(x, c) - out(x, none)),
// w = guidance scale, w = 1 plain conditional sampling, w = 0 unconditional (the paper's w is diffusers' w -
// 1). The combination is taken in the model's own output space (eps, x0, v or a flow velocity): each of these
// is an affine function of the score at fixed (x_t, t), e.g. eps = -s_t grad log p_t, so guiding any of them
// is the same as guiding the score, (1 - w) grad log p_t(x) + w grad log p_t(x | c). A learned variance
// (output channels doubled) is not guided: the conditional one is kept, as in GLIDE.
#include "core/denoiser.h"

#include <memory>

namespace difflens {

/**
 * Checks a class and a guidance scale against a model with numClasses classes (0: unconditional) and throws
 * ConfigError with one line naming the problem: a class or scale for an unconditional model, a class outside
 * 0..numClasses-1, a negative or non-finite scale, a scale without a class. classIndex -1 means none; scale
 * NaN means "not given".
 */
void validateGuidance(int64_t numClasses, int64_t classIndex, double scale);

/** out(x, none) + w (out(x, c) - out(x, none)); a doubled channel dimension (learned variance) keeps cond's.
 */
torch::Tensor combineGuidance(const torch::Tensor& unconditional, const torch::Tensor& conditional,
                              double scale, int64_t sampleChannels);

class GuidedDenoiser final : public Denoiser
{
public:
    /**
     * inner: a class-conditional model. classIndex: the class to guide toward (-1: none, plain unconditional
     * sampling). scale: w >= 0. Validated with validateGuidance.
     */
    GuidedDenoiser(std::shared_ptr<Denoiser> inner, int64_t classIndex, double scale);

    /** The guided output; one batched call of 2B samples when 0 < w != 1, else one call of B. */
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& t) override;
    torch::Device device() const override { return m_inner->device(); }
    void moveTo(torch::Device device) override { m_inner->moveTo(device); }
    std::string kind() const override { return m_inner->kind(); }
    int64_t parameterCount() const override { return m_inner->parameterCount(); }
    int64_t numClasses() const override { return m_inner->numClasses(); }
    /** The inner model's own output for other classes (not guided). */
    torch::Tensor forwardConditional(const torch::Tensor& x, const torch::Tensor& t,
                                     const torch::Tensor& classes) override
    {
        return m_inner->forwardConditional(x, t, classes);
    }

    int64_t classIndex() const { return m_class; }
    double scale() const { return m_scale; }
    const std::shared_ptr<Denoiser>& inner() const { return m_inner; }

    /** The last forward's out(x, none) and out(x, c) (either undefined when that call did not need it). */
    struct Parts
    {
        torch::Tensor unconditional, conditional;
    };
    const Parts& lastParts() const { return m_last; }

private:
    std::shared_ptr<Denoiser> m_inner;
    int64_t m_class;
    double m_scale;
    Parts m_last;
};

} // namespace difflens
