#include "core/schedule.h"

#include "core/errors.h"
#include "core/json_util.h"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace difflens {

namespace {

std::vector<double> linspace(double a, double b, int n)
{
    std::vector<double> v(static_cast<size_t>(n));
    if (n == 1) {
        v[0] = a;
        return v;
    }
    for (int i = 0; i < n; ++i) v[static_cast<size_t>(i)] = a + (b - a) * i / (n - 1);
    v.back() = b; // exact end point, as numpy and torch give
    return v;
}

// squaredcos_cap_v2 (Nichol & Dhariwal 2021, Eq. 17): abar(t) = f(t)/f(0), beta capped at 0.999.
std::vector<double> cosineBetas(int T)
{
    const double pi = 3.14159265358979323846;
    auto f = [](double u, double piv) {
        const double c = std::cos((u + 0.008) / 1.008 * piv / 2.0);
        return c * c;
    };
    std::vector<double> betas(static_cast<size_t>(T));
    for (int i = 0; i < T; ++i) {
        const double t1 = static_cast<double>(i) / T, t2 = static_cast<double>(i + 1) / T;
        betas[static_cast<size_t>(i)] = std::min(1.0 - f(t2, pi) / f(t1, pi), 0.999);
    }
    return betas;
}

// The most training timesteps a schedule may have: every table holds T doubles, and 2e9 steps would be
// ~150 GB before any other check could run (found by tests/fuzz). Models use 1000 to 4000.
constexpr int kMaxTrainTimesteps = 100000;

const std::vector<std::string> kPredictionTypes = {"epsilon", "sample", "v_prediction", "flow_prediction"};
const char* const kFlowClass = "FlowMatchEulerDiscreteScheduler";
const std::vector<std::string> kVarianceTypes = {"fixed_small", "fixed_small_log", "fixed_large",
                                                 "fixed_large_log", "learned_range"};

std::string joined(const std::vector<std::string>& names)
{
    std::string s;
    for (size_t i = 0; i < names.size(); ++i) s += (i ? ", " : "") + names[i];
    return s;
}

bool contains(const std::vector<std::string>& names, const std::string& n)
{
    return std::find(names.begin(), names.end(), n) != names.end();
}

} // namespace

const std::vector<std::string>& betaScheduleNames()
{
    static const std::vector<std::string> names = {"linear", "linear_improved", "scaled_linear",
                                                   "squaredcos_cap_v2", "cosine", "sigmoid", "custom"};
    return names;
}

const std::vector<std::string>& timestepSpacingNames()
{
    static const std::vector<std::string> names = {"linspace", "leading", "trailing"};
    return names;
}

const std::vector<std::string>& solverTypeNames()
{
    static const std::vector<std::string> names = {"midpoint", "heun"};
    return names;
}

const std::vector<std::string>& schedulerClassNames()
{
    // The VP solvers all describe the same DDPM chain; the class only picks the default sampler.
    static const std::vector<std::string> names = {"DDPMScheduler",
                                                   "DDIMScheduler",
                                                   "DPMSolverMultistepScheduler",
                                                   "EulerDiscreteScheduler",
                                                   "EulerAncestralDiscreteScheduler",
                                                   "HeunDiscreteScheduler",
                                                   kFlowClass};
    return names;
}

VarianceType parseVarianceType(const std::string& name)
{
    for (size_t i = 0; i < kVarianceTypes.size(); ++i)
        if (name == kVarianceTypes[i]) return static_cast<VarianceType>(i); // the enum follows the list's order
    throw ConfigError("unknown variance_type '" + name + "' (known: " + joined(kVarianceTypes) + ")");
}

bool SchedulerConfig::isFlow() const
{
    return className == kFlowClass;
}

SchedulerConfig SchedulerConfig::flowMatching(int numTrainTimesteps, double shift)
{
    SchedulerConfig c;
    c.className = kFlowClass;
    c.numTrainTimesteps = numTrainTimesteps;
    c.shift = shift;
    c.predictionType = "flow_prediction";
    c.clipSample = false;
    c.timestepSpacing = "linspace";
    return c;
}

SchedulerConfig SchedulerConfig::fromJsonText(const std::string& text, const std::string& origin)
{
    using namespace json_util;
    const json j = parse(text, origin);
    SchedulerConfig c;
    c.className = getString(j, "_class_name", c.className, origin);
    if (c.className.empty()) c.className = "DDPMScheduler";
    if (c.isFlow()) c = flowMatching(c.numTrainTimesteps);
    if (c.className != "DDPMScheduler" && c.className != "DDIMScheduler" && !c.isFlow()) {
        // The solver classes' own defaults for the keys a file may leave out.
        c.timestepSpacing = "linspace";
        c.clipSample = false;
        if (c.className == "HeunDiscreteScheduler") {
            c.betaStart = 0.00085;
            c.betaEnd = 0.012;
        }
    }
    c.numTrainTimesteps = getInt(j, "num_train_timesteps", c.numTrainTimesteps, origin);
    c.betaStart = getDouble(j, "beta_start", c.betaStart, origin);
    c.betaEnd = getDouble(j, "beta_end", c.betaEnd, origin);
    c.betaSchedule = getString(j, "beta_schedule", c.betaSchedule, origin);
    c.trainedBetas = getDoubleArray(j, "trained_betas", origin);
    if (!c.trainedBetas.empty()) c.betaSchedule = "custom";
    c.predictionType = getString(j, "prediction_type", c.predictionType, origin);
    c.varianceType = getString(j, "variance_type", c.varianceType, origin);
    c.clipSample = getBool(j, "clip_sample", c.clipSample, origin);
    c.clipSampleRange = getDouble(j, "clip_sample_range", c.clipSampleRange, origin);
    c.timestepSpacing = getString(j, "timestep_spacing", c.timestepSpacing, origin);
    c.stepsOffset = getInt(j, "steps_offset", c.stepsOffset, origin);
    c.setAlphaToOne = getBool(j, "set_alpha_to_one", c.setAlphaToOne, origin);
    c.shift = getDouble(j, "shift", c.shift, origin);
    c.solverOrder = getInt(j, "solver_order", c.solverOrder, origin);
    c.solverType = getString(j, "solver_type", c.solverType, origin);
    c.algorithmType = getString(j, "algorithm_type", c.algorithmType, origin);
    c.lowerOrderFinal = getBool(j, "lower_order_final", c.lowerOrderFinal, origin);
    c.useKarrasSigmas = getBool(j, "use_karras_sigmas", c.useKarrasSigmas, origin);
    c.finalSigmasType = getString(j, "final_sigmas_type", c.finalSigmasType, origin);
    for (const char* unsupported : {"thresholding", "use_lu_lambdas", "use_exponential_sigmas", "use_beta_sigmas",
                                    "rescale_betas_zero_snr"})
        if (getBool(j, unsupported, false, origin))
            throw ConfigError(origin + ": " + unsupported + " = true is not supported by difflens");
    if (getString(j, "interpolation_type", "linear", origin) != "linear" ||
        getString(j, "timestep_type", "discrete", origin) != "discrete")
        throw ConfigError(origin + ": only interpolation_type linear and timestep_type discrete are supported");
    for (const char* unsupported : {"sigma_min", "sigma_max", "lambda_min_clipped"})
        if (j.contains(unsupported) && !j[unsupported].is_null())
            throw ConfigError(origin + ": " + unsupported + " is not supported by difflens");
    try {
        c.validate();
    } catch (const ConfigError& e) {
        throw ConfigError(origin + ": " + e.what());
    }
    return c;
}

SchedulerConfig SchedulerConfig::fromFile(const std::string& path)
{
    return fromJsonText(json_util::readTextFile(path), path);
}

std::string SchedulerConfig::toJsonText() const
{
    nlohmann::ordered_json j;
    j["_class_name"] = className;
    j["num_train_timesteps"] = numTrainTimesteps;
    if (isFlow()) {
        // diffusers' FlowMatchEulerDiscreteScheduler keys; the prediction is the velocity eps - x_0.
        j["shift"] = shift;
        j["prediction_type"] = predictionType;
        return j.dump(2) + "\n";
    }
    j["beta_start"] = betaStart;
    j["beta_end"] = betaEnd;
    j["beta_schedule"] = betaSchedule == "custom" ? std::string("linear") : betaSchedule;
    if (!trainedBetas.empty())
        j["trained_betas"] = trainedBetas;
    else
        j["trained_betas"] = nullptr;
    j["prediction_type"] = predictionType;
    j["variance_type"] = varianceType;
    j["clip_sample"] = clipSample;
    j["clip_sample_range"] = clipSampleRange;
    j["timestep_spacing"] = timestepSpacing;
    j["steps_offset"] = stepsOffset;
    j["set_alpha_to_one"] = setAlphaToOne;
    if (className != "DDPMScheduler" && className != "DDIMScheduler") {
        j["solver_order"] = solverOrder;
        j["solver_type"] = solverType;
        j["algorithm_type"] = algorithmType;
        j["lower_order_final"] = lowerOrderFinal;
        j["final_sigmas_type"] = finalSigmasType;
    }
    j["use_karras_sigmas"] = useKarrasSigmas;
    return j.dump(2) + "\n";
}

void SchedulerConfig::saveFile(const std::string& path) const
{
    json_util::writeTextFileAtomic(path, toJsonText());
}

void SchedulerConfig::validate() const
{
    if (!contains(schedulerClassNames(), className))
        throw ConfigError("unknown scheduler _class_name '" + className + "' (supported: " +
                          joined(schedulerClassNames()) + ")");
    if (numTrainTimesteps < 1)
        throw ConfigError("num_train_timesteps must be at least 1, got " + std::to_string(numTrainTimesteps));
    if (numTrainTimesteps > kMaxTrainTimesteps)
        throw ConfigError("num_train_timesteps of " + std::to_string(numTrainTimesteps) + " is more than " +
                          std::to_string(kMaxTrainTimesteps) + " (models use 1000 to 4000)");
    if (isFlow()) {
        if (predictionType != "flow_prediction")
            throw ConfigError(std::string(kFlowClass) + " models predict the velocity: prediction_type must be "
                              "flow_prediction, got '" + predictionType + "'");
        if (!(shift > 0) || !std::isfinite(shift)) throw ConfigError("shift must be a positive number");
    } else if (predictionType == "flow_prediction") {
        throw ConfigError("prediction_type flow_prediction needs _class_name " + std::string(kFlowClass));
    }
    if (!contains(betaScheduleNames(), betaSchedule))
        throw ConfigError("unknown beta_schedule '" + betaSchedule + "' (known: " + joined(betaScheduleNames()) +
                          ")");
    if (betaSchedule == "custom" && static_cast<int>(trainedBetas.size()) != numTrainTimesteps)
        throw ConfigError("trained_betas has " + std::to_string(trainedBetas.size()) +
                          " entries but num_train_timesteps is " + std::to_string(numTrainTimesteps));
    if (!contains(kPredictionTypes, predictionType))
        throw ConfigError("unknown prediction_type '" + predictionType + "' (known: " + joined(kPredictionTypes) +
                          ")");
    parseVarianceType(varianceType);
    if (!contains(timestepSpacingNames(), timestepSpacing))
        throw ConfigError("unknown timestep_spacing '" + timestepSpacing +
                          "' (known: " + joined(timestepSpacingNames()) + ")");
    if (!(clipSampleRange > 0)) throw ConfigError("clip_sample_range must be positive");
    if (stepsOffset < 0) throw ConfigError("steps_offset must not be negative");
    if (solverOrder < 1 || solverOrder > 3)
        throw ConfigError("solver_order " + std::to_string(solverOrder) + " is out of range (1, 2 or 3)");
    if (!contains(solverTypeNames(), solverType))
        throw ConfigError("unknown solver_type '" + solverType + "' (known: " + joined(solverTypeNames()) +
                          ")");
    if (algorithmType != "dpmsolver++")
        throw ConfigError("algorithm_type '" + algorithmType + "' is not supported (only dpmsolver++)");
    if (finalSigmasType != "zero")
        throw ConfigError("final_sigmas_type '" + finalSigmasType + "' is not supported (only zero)");
}

std::vector<double> makeBetas(const SchedulerConfig& config)
{
    config.validate();
    const int T = config.numTrainTimesteps;
    const std::string& name = config.betaSchedule;
    std::vector<double> betas;
    if (name == "linear") {
        betas = linspace(config.betaStart, config.betaEnd, T);
    } else if (name == "linear_improved") {
        // improved DDPM: the T=1000 endpoints scaled by 1000/T so that any T gives a similar abar_T.
        const double scale = 1000.0 / T;
        betas = linspace(scale * config.betaStart, scale * config.betaEnd, T);
    } else if (name == "scaled_linear") {
        betas = linspace(std::sqrt(config.betaStart), std::sqrt(config.betaEnd), T);
        for (double& b : betas) b = b * b;
    } else if (name == "squaredcos_cap_v2" || name == "cosine") {
        betas = cosineBetas(T);
    } else if (name == "sigmoid") {
        // diffusers (GeoDiff): sigmoid(linspace(-6, 6, T)) * (b1 - b0) + b0.
        betas = linspace(-6.0, 6.0, T);
        for (double& b : betas) b = 1.0 / (1.0 + std::exp(-b)) * (config.betaEnd - config.betaStart) + config.betaStart;
    } else { // custom
        betas = config.trainedBetas;
    }
    if (config.isFlow()) {
        // Flow matching's path x = (1 - s) x_0 + s eps at s = (k+1)/T has the signal-to-noise ratio of the VP
        // chain with abar = (1 - s)^2 / ((1 - s)^2 + s^2): the tables (plots, the schedule strip) show that chain.
        // abar_T = 0 exactly at s = 1 is floored so that every beta stays in (0, 1).
        betas.assign(static_cast<size_t>(T), 0.0);
        double prev = 1.0;
        for (int k = 0; k < T; ++k) {
            const double sg = static_cast<double>(k + 1) / T, a = 1.0 - sg;
            const double ab = std::max(a * a / (a * a + sg * sg), 1e-12);
            betas[static_cast<size_t>(k)] = std::min(1.0 - ab / prev, 1.0 - 1e-12);
            prev = ab;
        }
    }
    for (size_t i = 0; i < betas.size(); ++i) {
        if (!(betas[i] > 0.0 && betas[i] < 1.0)) {
            std::ostringstream ss;
            ss << "beta at t index " << i << " is " << betas[i] << ": every beta must lie in (0, 1)"
               << " (check beta_start/beta_end)";
            throw ConfigError(ss.str());
        }
    }
    return betas;
}

NoiseSchedule::NoiseSchedule(std::vector<double> betas) : m_betas(std::move(betas))
{
    const size_t T = m_betas.size();
    if (T < 1) throw ConfigError("a schedule needs at least one timestep");
    for (size_t i = 0; i < T; ++i)
        if (!(m_betas[i] > 0.0 && m_betas[i] < 1.0))
            throw ConfigError("beta at t index " + std::to_string(i) + " must lie in (0, 1)");
    m_alphas.resize(T);
    m_alphaBars.resize(T);
    m_alphaBarsPrev.resize(T);
    m_posteriorVariance.resize(T);
    m_posteriorLogVarianceClipped.resize(T);
    m_posteriorMeanCoef1.resize(T);
    m_posteriorMeanCoef2.resize(T);
    m_snr.resize(T);
    double cumulative = 1.0;
    for (size_t k = 0; k < T; ++k) {
        m_alphas[k] = 1.0 - m_betas[k];
        m_alphaBarsPrev[k] = cumulative;
        cumulative *= m_alphas[k];
        m_alphaBars[k] = cumulative;
    }
    for (size_t k = 0; k < T; ++k) {
        const double ab = m_alphaBars[k], abPrev = m_alphaBarsPrev[k], beta = m_betas[k];
        // Ho et al. Eq. 6-7.
        m_posteriorVariance[k] = beta * (1.0 - abPrev) / (1.0 - ab);
        m_posteriorMeanCoef1[k] = beta * std::sqrt(abPrev) / (1.0 - ab);
        m_posteriorMeanCoef2[k] = (1.0 - abPrev) * std::sqrt(m_alphas[k]) / (1.0 - ab);
        m_snr[k] = ab / (1.0 - ab);
    }
    for (size_t k = 0; k < T; ++k) {
        // beta~ at index 0 is 0: take index 1's value (Ho; improved-diffusion). With T = 1 keep beta itself.
        const double v = k == 0 ? (T > 1 ? m_posteriorVariance[1] : m_betas[0]) : m_posteriorVariance[k];
        m_posteriorLogVarianceClipped[k] = std::log(v);
    }
}

const std::vector<std::string>& scheduleTableColumns()
{
    static const std::vector<std::string> cols = {
        "t",          "beta",       "alpha", "alpha_bar", "alpha_bar_prev", "beta_tilde", "posterior_log_variance_clipped",
        "posterior_mean_coef1", "posterior_mean_coef2", "snr"};
    return cols;
}

std::vector<double> scheduleTableRow(const NoiseSchedule& s, int k)
{
    const auto i = static_cast<size_t>(k);
    return {static_cast<double>(k),          s.betas()[i],
            s.alphas()[i],                   s.alphaBars()[i],
            s.alphaBarsPrev()[i],            s.posteriorVariance()[i],
            s.posteriorLogVarianceClipped()[i], s.posteriorMeanCoef1()[i],
            s.posteriorMeanCoef2()[i],       s.snr()[i]};
}

} // namespace difflens
