#pragma once
// The timestep and sigma plans of diffusers' DPMSolverMultistepScheduler, EulerDiscreteScheduler,
// EulerAncestralDiscreteScheduler and HeunDiscreteScheduler (their set_timesteps and init_noise_sigma), in
// float64 with numpy's formulas spelled out, so that a plan here equals the one scripts/reference_solvers.py
// prints bit for bit (the spec at the top of that script). Karras et al. 2022 (arXiv 2206.00364) Eq. 5 for
// the Karras sigmas. No torch: plain numbers, cheap to test.
#include <limits>
#include <string>
#include <vector>

namespace difflens::solver_plan {

/** numpy.linspace(a, b, n) in float64: a + i * ((b - a) / (n - 1)), the last entry exactly b. */
std::vector<double> npLinspace(double a, double b, int n);
/** numpy.arange(start, 0, -step) for a float step: start + i * ((start - step) - start). */
std::vector<double> npArangeDown(double start, double step);
/** numpy.interp(x, [0, 1, ..., n-1], fp) for x in [0, n-1]. */
double npInterp(double x, const std::vector<double>& fp);
/** Karras et al. Eq. 5 with rho = 7: n sigmas from sigmaMax down to sigmaMin. */
std::vector<double> karrasSigmas(double sigmaMin, double sigmaMax, int n);
/** The fractional training timestep whose log sigma interpolates log(sigma) (diffusers' _sigma_to_t). */
double sigmaToT(double sigma, const std::vector<double>& logSigmas);
/** sigma_k = sqrt((1 - abar_k) / abar_k), the noise level of the variance-exploding view of x_t / sqrt(abar).
 */
std::vector<double> trainingSigmas(const std::vector<double>& alphaBars);

/** What a solver needs from the scheduler config to plan its steps. */
struct PlanOptions
{
    std::string timestepSpacing = "linspace"; // linspace | leading | trailing
    int stepsOffset = 0;
    bool useKarrasSigmas = false;
    double lambdaMinClipped = -std::numeric_limits<double>::infinity(); // DPM-Solver only; -inf keeps all
};

/**
 * A plan: timesteps[i] handed to the model at step i (descending) and sigmas[i] the noise level there, with
 * sigmas.size() == timesteps.size() + 1 (the last sigma is 0). integerTimesteps: the model gets int64
 * timesteps (DPM-Solver); otherwise float32 ones (Euler, Heun: fractional with Karras sigmas or linspace
 * spacing). initNoiseSigma: x_T = z * initNoiseSigma in the solver's state space.
 */
struct Plan
{
    std::vector<double> timesteps;
    std::vector<double> sigmas;
    double initNoiseSigma = 1.0;
    bool integerTimesteps = true;
};

/** DPMSolverMultistepScheduler.set_timesteps (final_sigmas_type "zero"). Throws ConfigError for n
 * outside 1..T. */
Plan planDpmSolver(const PlanOptions& options, const std::vector<double>& alphaBars, int steps);
/** Euler, Euler ancestral and Heun (before Heun's interleaving): set_timesteps and init_noise_sigma. */
Plan planKarrasFamily(const PlanOptions& options, const std::vector<double>& alphaBars, int steps);

} // namespace difflens::solver_plan
