#pragma once
// One pass over the elements for the tensor arithmetic of a DDPM/DDIM step (ReverseProcess::describe and next),
// bit for bit the general tensor path: see fused_step.cpp.
#include "core/diffusion.h"

#include <torch/types.h>

namespace difflens::fused {

/** The coefficients of one DDPM/DDIM step. */
struct VpStep
{
    Prediction prediction = Prediction::Epsilon;
    float sa = 1, sb = 0;  // sqrt(abar), sqrt(1 - abar)
    bool clip = false;
    float lo = -1, hi = 1; // clip range
    bool ddim = false;     // mean = cX0 x0^ + cOther eps (DDIM) or + cOther x_t (DDPM)
    float cX0 = 0, cOther = 0;
    bool rederiveEps = false; // DDIM: eps = (x_t - sa x0^) / sb from the clipped x0^ (use_clipped_model_output)
};

/** Contiguous float32 CPU tensors of the same shape: what the fused loops take. */
bool fusable(const torch::Tensor& a, const torch::Tensor& b);

/**
 * x0^ and eps from the model output, the clip and the mean, for n elements; eps or x0 may be null (not wanted).
 * Returns false when the output holds NaN or infinity.
 */
bool vpStep(const VpStep& k, const float* xt, const float* out, float* eps, float* x0, float* mean, int64_t n);

/** mean + sigma z (float32 sigma * z rounded, then the sum rounded: the bits of the tensor expression). */
torch::Tensor meanPlusNoise(const torch::Tensor& mean, double sigma, const torch::Tensor& noise);

} // namespace difflens::fused
