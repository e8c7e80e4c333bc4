#include "core/diffusion.h"

#include "core/errors.h"

#include <torch/torch.h>

#include <cmath>

namespace difflens {

Prediction parsePrediction(const std::string& name)
{
    if (name == "epsilon") return Prediction::Epsilon;
    if (name == "sample") return Prediction::Sample;
    if (name == "v_prediction") return Prediction::V;
    if (name == "flow_prediction") return Prediction::Flow;
    throw ConfigError("unknown prediction_type '" + name + "' (known: epsilon, sample, v_prediction, flow_prediction)");
}

std::string predictionName(Prediction p)
{
    switch (p) {
    case Prediction::Epsilon: return "epsilon";
    case Prediction::Sample: return "sample";
    case Prediction::V: return "v_prediction";
    case Prediction::Flow: return "flow_prediction";
    }
    return "epsilon";
}

namespace diffusion {

torch::Tensor perSample(const torch::Tensor& v, const torch::Tensor& like)
{
    std::vector<int64_t> shape(static_cast<size_t>(like.dim()), 1);
    shape[0] = v.size(0);
    return v.to(like.scalar_type()).reshape(shape);
}

torch::Tensor qSample(const torch::Tensor& x0, double alphaBar, const torch::Tensor& noise)
{
    return std::sqrt(alphaBar) * x0 + std::sqrt(1.0 - alphaBar) * noise;
}

torch::Tensor qSample(const torch::Tensor& x0, const torch::Tensor& alphaBar, const torch::Tensor& noise)
{
    const auto ab = alphaBar.to(torch::kFloat64);
    return perSample(ab.sqrt(), x0) * x0 + perSample((1.0 - ab).sqrt(), x0) * noise;
}

EpsAndX0 fromModelOutput(Prediction p, const torch::Tensor& xt, const torch::Tensor& out, double ab)
{
    const double sa = std::sqrt(ab), sb = std::sqrt(1.0 - ab);
    switch (p) {
    case Prediction::Epsilon: return {out, (xt - sb * out) / sa};
    case Prediction::Sample: return {(xt - sa * out) / sb, out};
    case Prediction::V: return {sa * out + sb * xt, sa * xt - sb * out};
    case Prediction::Flow: break;
    }
    throw ConfigError("a flow-matching output needs the flow path, not the DDPM chain");
}

EpsAndX0 fromModelOutput(Prediction p, const torch::Tensor& xt, const torch::Tensor& out, const torch::Tensor& ab)
{
    const auto ab64 = ab.to(torch::kFloat64);
    const auto sa = perSample(ab64.sqrt(), xt), sb = perSample((1.0 - ab64).sqrt(), xt);
    switch (p) {
    case Prediction::Epsilon: return {out, (xt - sb * out) / sa};
    case Prediction::Sample: return {(xt - sa * out) / sb, out};
    case Prediction::V: return {sa * out + sb * xt, sa * xt - sb * out};
    case Prediction::Flow: break;
    }
    throw ConfigError("a flow-matching output needs the flow path, not the DDPM chain");
}

torch::Tensor trainingTarget(Prediction p, const torch::Tensor& x0, const torch::Tensor& eps,
                             const torch::Tensor& alphaBar)
{
    switch (p) {
    case Prediction::Epsilon: return eps;
    case Prediction::Sample: return x0;
    case Prediction::V: {
        const auto ab = alphaBar.to(torch::kFloat64);
        return perSample(ab.sqrt(), x0) * eps - perSample((1.0 - ab).sqrt(), x0) * x0;
    }
    case Prediction::Flow: return eps - x0; // rectified flow's velocity (core/MATH.md, "Gaussian paths")
    }
    return eps;
}

PosteriorCoefficients posterior(double ab, double abPrev)
{
    PosteriorCoefficients c;
    c.beta = 1.0 - ab / abPrev;
    const double alpha = ab / abPrev;
    c.c1 = std::sqrt(abPrev) * c.beta / (1.0 - ab);
    c.c2 = std::sqrt(alpha) * (1.0 - abPrev) / (1.0 - ab);
    c.variance = c.beta * (1.0 - abPrev) / (1.0 - ab);
    return c;
}

torch::Tensor normalKl(const torch::Tensor& m1, const torch::Tensor& lv1, const torch::Tensor& m2,
                       const torch::Tensor& lv2)
{
    return 0.5 * (-1.0 + lv2 - lv1 + torch::exp(lv1 - lv2) + (m1 - m2).pow(2) * torch::exp(-lv2));
}

torch::Tensor gaussianLogLikelihood(const torch::Tensor& x, const torch::Tensor& mean, const torch::Tensor& logVar)
{
    const double log2pi = std::log(2.0 * M_PI);
    return -0.5 * (log2pi + logVar + (x - mean).pow(2) * torch::exp(-logVar));
}

namespace {
torch::Tensor approxStandardNormalCdf(const torch::Tensor& x)
{
    // improved-diffusion's tanh approximation of the standard normal CDF.
    return 0.5 * (1.0 + torch::tanh(std::sqrt(2.0 / M_PI) * (x + 0.044715 * x.pow(3))));
}
} // namespace

torch::Tensor discretizedGaussianLogLikelihood(const torch::Tensor& x, const torch::Tensor& mean,
                                               const torch::Tensor& logScale)
{
    const auto centered = x - mean;
    const auto invStdv = torch::exp(-logScale);
    const auto cdfPlus = approxStandardNormalCdf(invStdv * (centered + 1.0 / 255.0));
    const auto cdfMin = approxStandardNormalCdf(invStdv * (centered - 1.0 / 255.0));
    const auto logCdfPlus = torch::log(cdfPlus.clamp_min(1e-12));
    const auto logOneMinusCdfMin = torch::log((1.0 - cdfMin).clamp_min(1e-12));
    const auto cdfDelta = cdfPlus - cdfMin;
    return torch::where(x < -0.999, logCdfPlus,
                        torch::where(x > 0.999, logOneMinusCdfMin, torch::log(cdfDelta.clamp_min(1e-12))));
}

torch::Tensor priorKl(const torch::Tensor& x0, double abT)
{
    const auto mean = std::sqrt(abT) * x0;
    const auto lv = torch::full_like(x0, std::log(1.0 - abT));
    return sumFlat(normalKl(mean, lv, torch::zeros_like(x0), torch::zeros_like(x0)));
}

torch::Tensor sumFlat(const torch::Tensor& x)
{
    return x.reshape({x.size(0), -1}).sum(1);
}

torch::Tensor meanFlat(const torch::Tensor& x)
{
    return x.reshape({x.size(0), -1}).mean(1);
}

double bitsPerDim(double nats, int64_t dims)
{
    return nats / (std::log(2.0) * static_cast<double>(dims));
}

} // namespace diffusion
} // namespace difflens
