// The tensor arithmetic of one DDPM/DDIM step (x0^ and eps from the model output, core/MATH.md "The model
// p_theta"; clip; mean = cX0 x0^ + cOther (x_t for DDPM, eps for DDIM)) in one pass over the elements, for
// contiguous float32 CPU tensors. Every element goes through the same float32 operations, with the same operands
// rounded to float32, in the same order as the tensor expressions of the general path (ATen's CPU kernels
// compute a * s, a - b, a / s, clamp as one IEEE operation each, with the double scalar cast to float; this file
// is compiled with -ffp-contract=off so that no multiply-add is fused), so the bits are those of the general
// path and of the Python reference loop. The finiteness check of the output rides along instead of costing
// three more operations and a host round trip.
#include "core/fused_step.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>

namespace difflens::fused {

bool fusable(const torch::Tensor& a, const torch::Tensor& b)
{
    return a.is_cpu() && b.is_cpu() && a.scalar_type() == torch::kFloat32 && b.scalar_type() == torch::kFloat32 &&
           a.is_contiguous() && b.is_contiguous() && a.sizes() == b.sizes();
}

bool vpStep(const VpStep& k, const float* xt, const float* out, float* eps, float* x0, float* mean, int64_t n)
{
    bool finite = true;
    for (int64_t i = 0; i < n; ++i) {
        const float x = xt[i], o = out[i];
        finite &= std::isfinite(o);
        float e, z;
        switch (k.prediction) {
        case Prediction::Sample:
            z = o;
            e = (x - k.sa * o) / k.sb;
            break;
        case Prediction::V:
            e = k.sa * o + k.sb * x;
            z = k.sa * x - k.sb * o;
            break;
        default: // epsilon
            e = o;
            z = (x - k.sb * o) / k.sa;
            break;
        }
        if (k.clip) z = std::min(std::max(z, k.lo), k.hi);
        if (k.rederiveEps) e = (x - k.sa * z) / k.sb;
        if (eps) eps[i] = e;
        if (x0) x0[i] = z;
        mean[i] = k.cX0 * z + k.cOther * (k.ddim ? e : x);
    }
    return finite;
}

torch::Tensor meanPlusNoise(const torch::Tensor& mean, double sigma, const torch::Tensor& noise)
{
    auto x = torch::empty_like(noise);
    const float s = static_cast<float>(sigma);
    const float *m = mean.data_ptr<float>(), *z = noise.data_ptr<float>();
    float* out = x.data_ptr<float>();
    for (int64_t i = 0, n = x.numel(); i < n; ++i) out[i] = m[i] + s * z[i];
    return x;
}

} // namespace difflens::fused
