#pragma once
// Gaussian probability paths x_t = a_t x_0 + s_t eps (core/MATH.md, "Gaussian paths"): the DDPM/VP chain and
// flow matching (rectified flow) in one frame, with the conversions between everything a model may predict
// (eps, x_0, DDPM v, the flow velocity, the score). Time runs from 0 (data) to 1 (noise) on every path, as in
// diffusers and SD3; MIT 6.S184 runs it the other way (its tau = 1 - t).
#include "core/diffusion.h"
#include "core/schedule.h"

#include <torch/types.h>

#include <string>
#include <vector>

namespace difflens {

enum class PathKind { Vp, Flow };
PathKind parsePathKind(const std::string& name); // "vp" | "ddpm" | "flow"
std::string pathName(PathKind kind);             // "vp" | "flow"

/** One point of a path: x = a x_0 + s eps, and the derivatives of a and s with respect to the time (0..1). */
struct PathPoint
{
    double time = 0;         // 0 = data, 1 = noise
    double a = 1, s = 0;     // signal and noise scales
    double a2 = 1, s2 = 0;   // a^2 and s^2 (for the VP chain taken from the float64 table: abar and 1 - abar)
    double da = 0, ds = 0;   // d a / d time, d s / d time
    /** The VP chain's abar with the same signal-to-noise ratio: a^2 / (a^2 + s^2). */
    double alphaBar() const { return a2 / (a2 + s2); }
    /** Noise-to-signal ratio s / a (Karras et al.'s sigma; the probability-flow ODE's time variable). */
    double sigma() const { return s / a; }
    bool isData() const { return s2 <= 0.0; }
};

/**
 * A path with the time grid its models were trained on. Models receive a "model time": for the VP chain the
 * training timestep index k (0..T-1; fractional values interpolate log sigma between indices, as diffusers'
 * _sigma_to_t does), for flow matching sigma * T (diffusers' FlowMatchEulerDiscreteScheduler). Index k
 * corresponds to time (k + 1) / T on both; time 0 is the data.
 */
class ProbabilityPath
{
public:
    /** The path a scheduler config describes (its class name decides; the VP chain uses its betas). */
    static ProbabilityPath fromConfig(const SchedulerConfig& config);
    static ProbabilityPath vp(const NoiseSchedule& schedule);
    static ProbabilityPath flow(int numTrainTimesteps);

    PathKind kind() const { return m_kind; }
    int trainTimesteps() const { return m_T; }
    /** The point a model at this model time sees (throws ConfigError outside [-1, T-1] / [0, T]). */
    PathPoint atModelTime(double modelTime) const;
    /** The point at a continuous time in [0, 1]. */
    PathPoint atTime(double time) const;
    /** The model time of a continuous time (inverse of atModelTime's time). */
    double modelTimeOf(double time) const;
    /** The data end (time 0: a = 1, s = 0). */
    static PathPoint dataPoint();
    /** Rectified flow at t: a = 1 - t, s = t, a' = -1, s' = 1. */
    static PathPoint flowPoint(double t);

private:
    PathKind m_kind = PathKind::Vp;
    int m_T = 1000;
    std::vector<double> m_alphaBars; // VP only
    PathPoint vpAtIndex(double k) const; // a, s at a fractional index (-1 = data), without derivatives
};

namespace path {

/** x_0 and eps from a model output of any prediction type on any path. */
diffusion::EpsAndX0 toEpsAndX0(Prediction p, const torch::Tensor& x, const torch::Tensor& output, const PathPoint& pt);
/** What a model of type p predicts for (x_0, eps) at pt: the training target. */
torch::Tensor target(Prediction p, const torch::Tensor& x0, const torch::Tensor& eps, const PathPoint& pt);
/** The velocity dx/dt = a' x_0 + s' eps; with x_0 = E[x_0|x] it is the marginal u_t(x), with the reference the
 * conditional u_t(x | x_0) (flow matching: eps - x_0 = (x - x_0) / t). */
torch::Tensor velocity(const torch::Tensor& x0, const torch::Tensor& eps, const PathPoint& pt);
/** grad log q_t = -eps / s (conditional with x_0, marginal with E[x_0|x]). */
torch::Tensor score(const torch::Tensor& eps, const PathPoint& pt);

} // namespace path
} // namespace difflens
