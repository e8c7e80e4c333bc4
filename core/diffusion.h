#pragma once
// Closed-form quantities of a Gaussian diffusion (core/MATH.md). Coefficients are doubles computed
// from the float64 tables; tensors stay in their working dtype.
#include <torch/types.h>

#include <string>

namespace difflens {

/** What a network predicts: eps, x_0, DDPM's v, or the flow velocity dx/dt (flow matching). */
enum class Prediction { Epsilon, Sample, V, Flow };
Prediction parsePrediction(const std::string& name); // "epsilon" | "sample" | "v_prediction" | "flow_prediction"
std::string predictionName(Prediction p);

namespace diffusion {

/** q(x_t|x_0): sqrt(abar) x0 + sqrt(1 - abar) eps (Ho et al. Eq. 4). */
torch::Tensor qSample(const torch::Tensor& x0, double alphaBar, const torch::Tensor& noise);
/** The same with one abar per sample ([B], float64 or float32). */
torch::Tensor qSample(const torch::Tensor& x0, const torch::Tensor& alphaBar, const torch::Tensor& noise);

/** eps and x0 from a model output of a VP-chain prediction type (diffusers' formulas); Flow: see path.h. */
struct EpsAndX0
{
    torch::Tensor eps, x0;
};
EpsAndX0 fromModelOutput(Prediction p, const torch::Tensor& xt, const torch::Tensor& output, double alphaBar);
EpsAndX0 fromModelOutput(Prediction p, const torch::Tensor& xt, const torch::Tensor& output,
                         const torch::Tensor& alphaBar);
/** The target a network of type p is trained on (eps, x0 or v = sqrt(abar) eps - sqrt(1-abar) x0). */
torch::Tensor trainingTarget(Prediction p, const torch::Tensor& x0, const torch::Tensor& eps,
                             const torch::Tensor& alphaBar);

/** Posterior mean c1 x0 + c2 x_t of q(x_prev|x_t,x_0) for a (possibly strided) step abar_t -> abar_prev. */
struct PosteriorCoefficients
{
    double c1 = 0, c2 = 0, variance = 0, beta = 0;
};
PosteriorCoefficients posterior(double alphaBar, double alphaBarPrev);

/** KL(N(m1, exp(lv1)) || N(m2, exp(lv2))) elementwise, in nats. */
torch::Tensor normalKl(const torch::Tensor& mean1, const torch::Tensor& logVar1, const torch::Tensor& mean2,
                       const torch::Tensor& logVar2);
/** Gaussian log density (continuous data), elementwise. */
torch::Tensor gaussianLogLikelihood(const torch::Tensor& x, const torch::Tensor& mean, const torch::Tensor& logVar);
/** log P(x) of data in [-1, 1] discretised into 256 bins under N(mean, exp(logScale)^2) (Ho et al. Eq. 13). */
torch::Tensor discretizedGaussianLogLikelihood(const torch::Tensor& x, const torch::Tensor& mean,
                                               const torch::Tensor& logScale);
/** L_T = KL(q(x_T|x_0) || N(0, I)) per sample, summed over dimensions, nats. */
torch::Tensor priorKl(const torch::Tensor& x0, double alphaBarT);

/** Sum / mean over every dimension but the first. */
torch::Tensor sumFlat(const torch::Tensor& x);
torch::Tensor meanFlat(const torch::Tensor& x);
/** Reshape a per-sample [B] tensor to broadcast against x ([B, 1, 1, ...]). */
torch::Tensor perSample(const torch::Tensor& v, const torch::Tensor& like);
/** nats summed over dims -> bits per dimension. */
double bitsPerDim(double nats, int64_t dims);

} // namespace diffusion
} // namespace difflens
