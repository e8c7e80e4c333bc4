#pragma once
// Reverse process p_theta(x_{t-1}|x_t): DDPM ancestral (Ho et al. Algorithm 2, strided with recomputed betas)
// and DDIM (Song et al. Eq. 12), numerically mirroring diffusers' DDPMScheduler / DDIMScheduler, with every
// intermediate quantity exposed as a StepRecord.
#include "core/diffusion.h"
#include "core/schedule.h"

#include <torch/types.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace difflens {

class Denoiser;

enum class SamplerKind { Ddpm, Ddim };
SamplerKind parseSamplerKind(const std::string& name); // "ddpm" | "ddim"
std::string samplerName(SamplerKind k);

/** Everything known about one reverse step x_t -> x_prev. Tensors live on the sampling device. */
struct StepRecord
{
    int index = 0; // 0-based position in the run
    int count = 0; // steps in the run
    long t = 0;    // training timestep index of x_t (0..T-1)
    long tPrev = -1; // timestep index of x_prev (-1: the clean data)
    double alphaBar = 0, alphaBarPrev = 1;
    double beta = 0;  // effective beta of this (possibly strided) step: 1 - abar_t / abar_prev
    double c1 = 0, c2 = 0; // mean of q(x_prev|x_t,x_0) = c1 x_0 + c2 x_t (DDPM posterior, DDIM q_sigma)
    double posteriorVariance = 0; // beta~ (DDPM) or sigma^2 (DDIM)
    double sigma = 0; // std of the noise added (DDPM fixed variances, DDIM eta); 0 when none is added
    bool addsNoise = false;
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

    const SchedulerConfig& config() const { return m_config; }
    const NoiseSchedule& schedule() const { return m_schedule; }
    SamplerKind kind() const { return m_kind; }
    double eta() const { return m_eta; }
    const std::vector<long>& timesteps() const { return m_timesteps; }
    int stepCount() const { return static_cast<int>(m_timesteps.size()); }
    long prevTimestep(int i) const;
    double alphaBarPrev(int i) const;

    /**
     * All quantities of step i for x_t and the model output (reference optional, [B,...] or [1,...]).
     * discreteData: the last step's L_0 is a discretised Gaussian (images) instead of a continuous one.
     * Validates the output's shape and finiteness (ModelError).
     */
    StepRecord describe(int i, const torch::Tensor& xt, const torch::Tensor& output,
                        const torch::Tensor& reference = {}, bool discreteData = false) const;
    /** x_prev from a described step and the noise (ignored when the step adds none). */
    torch::Tensor next(const StepRecord& r, const torch::Tensor& noise) const;

    /** The timestep list diffusers' set_timesteps makes (descending). */
    static std::vector<long> planTimesteps(const SchedulerConfig& config, SamplerKind kind, int steps);

private:
    SchedulerConfig m_config;
    NoiseSchedule m_schedule;
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
