#pragma once
// Reverse process p_theta(x_{t-1}|x_t): DDPM ancestral (Ho et al. Algorithm 2, strided with recomputed betas)
// and DDIM (Song et al. Eq. 12), numerically mirroring diffusers' DDPMScheduler / DDIMScheduler, and the
// samplers of any Gaussian path (core/MATH.md, "Gaussian paths"): Euler and Heun on the probability-flow ODE
// and Euler-Maruyama on the family of SDEs with the same marginals, with every intermediate quantity exposed
// as a StepRecord.
#include "core/diffusion.h"
#include "core/path.h"
#include "core/sampler_names.h"
#include "core/schedule.h"

#include <torch/types.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace difflens {

class Denoiser;

/**
 * ddpm, ddim: the DDPM chain's samplers (VP models only). euler, heun: the probability-flow ODE (flow models:
 * dx/dt = u_t(x) in t, diffusers' FlowMatchEulerDiscreteScheduler for euler; VP models: d xbar / d sigma = eps in
 * xbar = x / a, sigma = s / a, where euler is DDIM with eta 0). sde: Euler-Maruyama on
 * dX = [-u_t + (g_t^2 / 2) score_t] dtau + g_t dW in tau = 1 - t with g_t = S s_t (S = sdeNoise; S = 0 is the ODE).
 */
enum class SamplerKind { Ddpm, Ddim, Euler, Heun, Sde, DpmSolver, EulerAncestral };
/** "ddpm" | "ddim" | "euler" | "heun" | "sde" | "dpmpp-1m" | "dpmpp-2m" | "dpmpp-3m" | "euler-ancestral". */
SamplerKind parseSamplerKind(const std::string& name);
/** The DPM-Solver++ order a sampler name fixes (dpmpp-2m: 2), 0 for every other name. */
int solverOrderOfName(const std::string& name);
std::string samplerName(SamplerKind k);
/** A label for menus: "DDPM", "Euler (ODE)", ... */
std::string samplerLabel(SamplerKind k);
/** The sampler a model opens with: its scheduler class's (flow: euler; DDIMScheduler: ddim; else ddpm). */
SamplerKind defaultSamplerFor(const SchedulerConfig& config);
/** Euler and Heun on flow models and the SDE on any path: samplers shown in the path's terms (a_t, s_t, u_t). */
bool isPathSampler(SamplerKind k, PathKind path);
/** Whether a sampler can run a model trained on this path (DDPM/DDIM and diffusers' solvers need the VP chain). */
bool samplerServesPath(SamplerKind k, PathKind path);
/**
 * Whether a sampler on this path is one of diffusers' solvers (core/solvers.cpp, scripts/reference_solvers.py):
 * DPM-Solver++ multistep and Euler ancestral, and Euler and Heun on VP models (EulerDiscreteScheduler,
 * HeunDiscreteScheduler, in sigma space with Karras sigmas on request). Flow models keep the path samplers.
 */
bool isDiffusersSolver(SamplerKind k, PathKind path);

/** Everything that defines a run's plan besides the model's scheduler config. */
struct SamplerSettings
{
    SamplerKind kind = SamplerKind::Ddpm;
    int steps = 0;        // 0: all T (ddpm) or 50
    double eta = 0.0;     // DDIM
    long startT = -1;     // >= 0: keep only steps at or below this training timestep index
    double sdeNoise = 1.0; // sde: S in g_t = S s_t
    int solverOrder = 0;   // dpmpp: 1..3; 0 takes the config's solver_order
    /**
     * DDIM: the eps of the update re-derived from the clipped x0^, eps = (x_t - sqrt(abar) x0^) / sqrt(1 - abar)
     * (GLIDE; diffusers' DDIMScheduler.step(use_clipped_model_output=True)). Off, the model's own eps is kept,
     * as diffusers does by default; with classifier-free guidance at w > 1 the kept eps overshoots wherever the
     * clip bit (core/MATH.md, "Guidance").
     */
    bool clippedModelOutput = false;
};

/** Everything known about one reverse step x_t -> x_prev. Tensors live on the sampling device. */
struct StepRecord
{
    int index = 0; // 0-based position in the run
    int count = 0; // steps in the run
    long t = 0;    // training timestep *index* of x_t (0..T-1, diffusers' convention); the paper's t is paperT()
    long tPrev = -1; // timestep index of x_prev (-1: the clean data)
    /** The paper's t of x_t (1..T: Ho et al. number the noisy states from 1); what the app shows. */
    long paperT() const { return t + 1; }
    /** The paper's t of x_prev (0: the clean data). */
    long paperTPrev() const { return tPrev + 1; }
    double alphaBar = 0, alphaBarPrev = 1;
    double beta = 0;  // effective beta of this (possibly strided) step: 1 - abar_t / abar_prev
    double c1 = 0, c2 = 0; // mean of q(x_prev|x_t,x_0) = c1 x_0 + c2 x_t (DDPM posterior, DDIM q_sigma)
    double posteriorVariance = 0; // beta~ (DDPM) or sigma^2 (DDIM)
    double sigma = 0; // std of the noise added (DDPM fixed variances, DDIM eta, SDE g sqrt(h)); 0 when none is added
    bool addsNoise = false;
    // The path's view of the step (every sampler): x_t = a x_0 + s eps at `point`, x_prev at `pointPrev`.
    PathPoint point, pointPrev;
    double modelTime = 0; // what the model received as t (the training index, or sigma * T for flow models)
    int modelCalls = 1;   // model evaluations this step took (Heun: 2 but at the last step)
    // diffusers' solvers: the noise level sigma = s / a of x_t and x_prev, the order this step used
    // (DPM-Solver++), and how it combines data predictions: x_prev = stateCoef x_t + x0Coef * D with
    // D = sum_k x0Weights[k] x0^(step index - k) (the weights sum to 1; one weight for single-step solvers).
    double solverSigma = 0, solverSigmaNext = 0;
    int solverOrder = 0;
    double stateCoef = 0, x0Coef = 0;
    std::vector<double> x0Weights;
    torch::Tensor xt;
    torch::Tensor rawOutput;   // what the model returned (with variance channels, if any)
    torch::Tensor modelOutput; // the prediction part (variance channels split off)
    torch::Tensor modelLogVariance; // per element, learned_range only
    torch::Tensor eps, x0Pred;      // x0Pred clipped when clip_sample
    torch::Tensor meanModel;        // mu_theta (DDIM: the deterministic part of the update)
    torch::Tensor xPrev;            // the sample handed to the next step
    // With a reference x_0:
    torch::Tensor posteriorMean; // mu~(x_t, x_0)
    torch::Tensor kl;            // [B] nats summed over dims: L_{t-1}; at the last step L_0 = -log p(x_0|x_1)
    torch::Tensor meanGap;       // [B] RMS over dims of mu_theta - mu~
    bool klIsDecoderNll = false;
};

using StepCallback = std::function<void(const StepRecord&)>;

/** Plan and arithmetic of one reverse run; no state, so a recorded trajectory can be re-derived from it. */
class ReverseProcess
{
public:
    /**
     * steps: 0 = all training timesteps (DDPM) or 50 (DDIM). startT >= 0 keeps only timesteps <= startT
     * (denoising a reference noised to startT). Throws ConfigError for steps outside 1..T.
     */
    ReverseProcess(const SchedulerConfig& config, SamplerKind kind, int steps = 0, double eta = 0.0,
                   long startT = -1);
    ReverseProcess(const SchedulerConfig& config, const SamplerSettings& settings);

    const SchedulerConfig& config() const { return m_config; }
    const NoiseSchedule& schedule() const { return m_schedule; }
    SamplerKind kind() const { return m_kind; }
    const SamplerSettings& settings() const { return m_settings; }
    const ProbabilityPath& path() const { return m_path; }
    double eta() const { return m_eta; }
    const std::vector<long>& timesteps() const { return m_timesteps; }
    int stepCount() const { return static_cast<int>(m_timesteps.size()); }
    long prevTimestep(int i) const;
    double alphaBarPrev(int i) const;
    /** The path point of x_t at step i (i = stepCount(): where the run ends), and the model time of step i. */
    const PathPoint& point(int i) const { return m_points.at(static_cast<size_t>(i)); }
    double modelTime(int i) const { return m_modelTimes.at(static_cast<size_t>(i)); }
    /** Whether the model receives float32 times (flow models: sigma * T) rather than int64 indices. */
    bool floatModelTime() const
    {
        return m_path.kind() == PathKind::Flow || (diffusersSolver() && m_kind != SamplerKind::DpmSolver);
    }
    /** Model calls of the whole run (the cost in NFE: Heun calls twice except at its last step). */
    int modelCalls() const;
    /** Heun: step i evaluates the model a second time at its end point (not when that is the data). */
    bool needsSecondCall(int i) const;
    /** Heun's corrector: x_prev from the described step (whose meanModel is the Euler predictor x_mid) and the
     * model's output at x_mid and the next time. */
    torch::Tensor correct(const StepRecord& r, const torch::Tensor& outputAtMid) const;
    /** Whether describe() reproduces the step's update from x_t and the output alone (not Heun's). */
    bool describesUpdate() const { return m_kind != SamplerKind::Heun; }
    /** Whether this run uses one of diffusers' solvers (isDiffusersSolver) and its sigma plan. */
    bool diffusersSolver() const { return isDiffusersSolver(m_kind, m_path.kind()); }
    /** diffusers' solvers: sigma of step i (i = stepCount(): 0), and x_T = z * initNoiseSigma() in solver space. */
    double solverSigma(int i) const { return m_sigmas.at(static_cast<size_t>(i)); }
    double initNoiseSigma() const { return m_initNoiseSigma; }
    /** DPM-Solver++: the order step i uses (1..3); it combines the x0^ of steps i-1, i-2 (1 for other samplers). */
    int solverOrderAt(int i) const;
    /** The name with the order: "dpmpp-2m", "euler-ancestral", ... */
    std::string label() const;

    /**
     * All quantities of step i for x_t and the model output (reference optional, [B,...] or [1,...]).
     * discreteData: the last step's L_0 is a discretised Gaussian (images) instead of a continuous one.
     * Validates the output's shape and finiteness (ModelError).
     */
    StepRecord describe(int i, const torch::Tensor& xt, const torch::Tensor& output,
                        const torch::Tensor& reference = {}, bool discreteData = false,
                        const std::vector<torch::Tensor>& earlierX0 = {}) const;
    /**
     * diffusers' solvers (core/solvers.cpp): step i from the solver's own state (Euler family: x * sqrt(sigma^2 + 1),
     * DPM-Solver++: x), the model output and, for DPM-Solver++, the x0^ of the earlier steps (most recent first).
     * The record's xt is the model input and meanModel the update in path space; `update` (optional) receives the
     * update in solver space. Exactly scripts/reference_solvers.py's arithmetic.
     */
    StepRecord describeSolver(int i, const torch::Tensor& state, const torch::Tensor& output,
                              const std::vector<torch::Tensor>& earlierX0, const torch::Tensor& reference = {},
                              torch::Tensor* update = nullptr) const;
    /** The model input of step i for a solver state (Euler family: state / sqrt(sigma_i^2 + 1)). */
    torch::Tensor modelInput(int i, const torch::Tensor& state) const;
    /** The solver state for the path-space x at step i (the inverse of modelInput, up to rounding). */
    torch::Tensor toSolverState(int i, const torch::Tensor& x) const;
    /** diffusers' solvers: x0^ from a solver state at sigma and the prediction part of the output (Heun: clipped). */
    torch::Tensor solverX0(const torch::Tensor& state, const torch::Tensor& prediction, double sigma) const;
    /** diffusers' solvers: x0^ of step i from the path-space x_t and the model output. */
    torch::Tensor dataPrediction(int i, const torch::Tensor& xt, const torch::Tensor& output) const;
    /** x_prev from a described step and the noise (ignored when the step adds none). */
    torch::Tensor next(const StepRecord& r, const torch::Tensor& noise) const;

    /** The timestep list diffusers' set_timesteps makes (descending). */
    static std::vector<long> planTimesteps(const SchedulerConfig& config, SamplerKind kind, int steps);

private:
    void planPath(); // points and model times of euler/heun/sde
    void planSolver(); // points, model times and sigmas of diffusers' solvers (core/solvers.cpp)
    StepRecord stepHeader(int i) const; // index, count, t, tPrev (throws for i out of range)
    StepRecord describePath(int i, StepRecord r, const torch::Tensor& reference, bool discreteData) const;

    SchedulerConfig m_config;
    VarianceType m_variance; // m_config.varianceType, parsed once
    SamplerSettings m_settings;
    NoiseSchedule m_schedule;
    ProbabilityPath m_path;
    std::vector<PathPoint> m_points; // [n + 1]
    std::vector<PathPoint> m_prevPoints; // [n]: where step i lands
    std::vector<double> m_modelTimes; // [n]
    std::vector<double> m_sigmas;     // [n + 1] diffusers' solvers: sigma = s / a at each step, 0 at the end
    double m_initNoiseSigma = 1.0;
    int m_solverOrder = 0;
    SamplerKind m_kind;
    double m_eta;
    Prediction m_prediction;
    std::vector<long> m_timesteps;
    long m_ddimStride = 1; // T // num_inference_steps, before any startT cut
};

struct SamplerOptions
{
    uint64_t seed = 0;
    int64_t batch = 1;
    std::vector<int64_t> sampleShape; // per-sample shape, e.g. {2} or {1, 28, 28}
    torch::Tensor init;               // x at the first timestep (else drawn from the seed)
    torch::Tensor reference;          // x_0 for mu~ and the KL, [B,...] or [1,...]
    bool noiseReference = false;      // start from q(x_{t_first}|reference) instead of N(0, I)
    bool discreteData = false;
    torch::Device device = torch::kCPU;
};

struct SampleResult
{
    torch::Tensor sample; // CPU
    int steps = 0;
    double seconds = 0, modelSeconds = 0;
    bool cancelled = false;
};

/**
 * Runs the reverse process. Noise is drawn like diffusers: x_T first (when no init), then one randn of the
 * sample's shape per step that adds noise, after the model call; all from a CPU generator seeded `seed`.
 * `cancel` is checked between steps. Throws ModelError for a misbehaving model.
 */
SampleResult runSampler(Denoiser& model, const ReverseProcess& process, const SamplerOptions& options,
                        const StepCallback& onStep = {}, const std::atomic_bool* cancel = nullptr);

} // namespace difflens
