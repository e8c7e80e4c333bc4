#pragma once
// Noise schedules and every table derived from them (Ho et al. 2020; Nichol & Dhariwal 2021; diffusers).
// Tables are float64; index k = t - 1 in 0..T-1 (diffusers' convention).
#include <string>
#include <vector>

namespace difflens {

/** diffusers' `variance_type` of the DDPM step (Ho et al. 2020 beta~ or beta; improved DDPM's learned range). */
enum class VarianceType
{
    FixedSmall,    ///< beta~_t, the posterior variance
    FixedSmallLog, ///< the same, computed through its log
    FixedLarge,    ///< beta_t
    FixedLargeLog,
    LearnedRange, ///< improved DDPM Eq. 15: the model interpolates log beta~ and log beta
};
/** Parses diffusers' name; ConfigError naming the known ones otherwise. */
VarianceType parseVarianceType(const std::string& name);

/**
 * diffusers' scheduler_config.json keys, with diffusers' defaults for missing keys.
 * beta_schedule names: "linear" (beta_start..beta_end taken literally, as diffusers does),
 * "linear_improved" (improved DDPM: 1e-4..0.02 scaled by 1000/T), "scaled_linear",
 * "squaredcos_cap_v2" (alias "cosine"), "sigmoid" (diffusers'/GeoDiff), and "custom" (trained_betas).
 */
struct SchedulerConfig
{
    /**
     * diffusers' `_class_name`: which scheduler (and so which probability path) the model was trained for.
     * "DDPMScheduler" / "DDIMScheduler" (and the other VP solvers): the DDPM chain. "FlowMatchEulerDiscreteScheduler":
     * flow matching x_t = (1 - t) x_0 + t eps (core/MATH.md, "Gaussian paths"). Empty means DDPMScheduler.
     */
    std::string className = "DDPMScheduler";
    int numTrainTimesteps = 1000;
    double betaStart = 0.0001;
    double betaEnd = 0.02;
    std::string betaSchedule = "linear";
    std::vector<double> trainedBetas;
    std::string predictionType = "epsilon";   // epsilon | sample | v_prediction
    std::string varianceType = "fixed_small"; // fixed_small | fixed_small_log | fixed_large | fixed_large_log | learned_range
    bool clipSample = true;
    double clipSampleRange = 1.0;
    std::string timestepSpacing = "leading"; // linspace | leading | trailing
    int stepsOffset = 0;
    bool setAlphaToOne = true;
    double shift = 1.0; // FlowMatchEulerDiscreteScheduler: sigma -> shift sigma / (1 + (shift - 1) sigma) when sampling
    // diffusers' solver keys (DPMSolverMultistepScheduler; use_karras_sigmas also Euler/Heun's). Missing keys take
    // the defaults of the file's _class_name: the four solver classes default to timestep_spacing linspace and
    // no clipping, HeunDiscreteScheduler to beta_start 0.00085, beta_end 0.012 (scripts/reference_solvers.py).
    int solverOrder = 2;                       // 1..3
    std::string solverType = "midpoint";       // midpoint | heun (the second-order formula)
    std::string algorithmType = "dpmsolver++"; // only dpmsolver++ (data prediction) is implemented
    bool lowerOrderFinal = true;               // first/second order in the last steps when steps < 15
    bool useKarrasSigmas = false;              // Karras et al. 2022 Eq. 5 sigmas (rho 7)
    std::string finalSigmasType = "zero";      // only zero

    /** True for flow-matching models (FlowMatchEulerDiscreteScheduler): the path is rectified flow. */
    bool isFlow() const;
    /** variance_type parsed (ConfigError when unknown): parse once and keep it, as ReverseProcess does. */
    VarianceType variance() const { return parseVarianceType(varianceType); }
    /** A flow-matching config (FlowMatchEulerDiscreteScheduler, prediction "flow_prediction"). */
    static SchedulerConfig flowMatching(int numTrainTimesteps = 1000, double shift = 1.0);

    /** Parses JSON text with diffusers' keys; unknown keys are ignored, wrong types throw ConfigError. */
    static SchedulerConfig fromJsonText(const std::string& text, const std::string& origin = "scheduler config");
    static SchedulerConfig fromFile(const std::string& path);
    std::string toJsonText() const;
    void saveFile(const std::string& path) const;
    /** Throws ConfigError naming the first invalid field. */
    void validate() const;
};

/** The `_class_name` values difflens understands, for messages. */
const std::vector<std::string>& schedulerClassNames();
/** The names accepted for beta_schedule, for messages and menus. */
const std::vector<std::string>& betaScheduleNames();
/** The names accepted for timestep_spacing and solver_type, for messages and the command line's choices. */
const std::vector<std::string>& timestepSpacingNames();
const std::vector<std::string>& solverTypeNames();

/** Betas of a schedule; throws ConfigError for unknown names, T < 1 or betas outside (0, 1). */
std::vector<double> makeBetas(const SchedulerConfig& config);

/** A noise schedule with all derived tables (float64). */
class NoiseSchedule
{
public:
    explicit NoiseSchedule(std::vector<double> betas);
    static NoiseSchedule fromConfig(const SchedulerConfig& config) { return NoiseSchedule(makeBetas(config)); }

    int size() const { return static_cast<int>(m_betas.size()); }
    const std::vector<double>& betas() const { return m_betas; }
    const std::vector<double>& alphas() const { return m_alphas; }
    const std::vector<double>& alphaBars() const { return m_alphaBars; }
    const std::vector<double>& alphaBarsPrev() const { return m_alphaBarsPrev; }
    /** beta~_t = beta_t (1 - abar_{t-1}) / (1 - abar_t); beta~ at index 0 is 0. */
    const std::vector<double>& posteriorVariance() const { return m_posteriorVariance; }
    /** log beta~ with index 0 taking index 1's value (Ho; improved-diffusion). */
    const std::vector<double>& posteriorLogVarianceClipped() const { return m_posteriorLogVarianceClipped; }
    /** Coefficient on x_0 in mu~ (c1) and on x_t (c2), Ho et al. Eq. 7. */
    const std::vector<double>& posteriorMeanCoef1() const { return m_posteriorMeanCoef1; }
    const std::vector<double>& posteriorMeanCoef2() const { return m_posteriorMeanCoef2; }
    /** SNR = abar / (1 - abar). */
    const std::vector<double>& snr() const { return m_snr; }

    /** abar at index k, with abar(-1) = 1 (the clean data). */
    double alphaBarAt(long k) const { return k < 0 ? 1.0 : m_alphaBars.at(static_cast<size_t>(k)); }

private:
    std::vector<double> m_betas, m_alphas, m_alphaBars, m_alphaBarsPrev, m_posteriorVariance,
        m_posteriorLogVarianceClipped, m_posteriorMeanCoef1, m_posteriorMeanCoef2, m_snr;
};

/** Table columns in the order of `difflens-cli schedule`'s CSV. */
const std::vector<std::string>& scheduleTableColumns();
/** Row k of the table in scheduleTableColumns() order (the first entry is k itself). */
std::vector<double> scheduleTableRow(const NoiseSchedule& schedule, int k);

} // namespace difflens
