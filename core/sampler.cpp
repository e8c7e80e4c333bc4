#include "core/sampler.h"

#include "core/denoiser.h"
#include "core/errors.h"
#include "core/fused_step.h"
#include "core/solvers.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <sstream>

namespace difflens {

const std::vector<std::string>& samplerNames()
{
    static const std::vector<std::string> names = {"ddpm",     "ddim",     "euler",    "heun",           "sde",
                                                   "dpmpp-1m", "dpmpp-2m", "dpmpp-3m", "euler-ancestral"};
    return names;
}

SamplerKind parseSamplerKind(const std::string& name)
{
    if (name == "ddpm") return SamplerKind::Ddpm;
    if (name == "ddim") return SamplerKind::Ddim;
    if (name == "euler") return SamplerKind::Euler;
    if (name == "heun") return SamplerKind::Heun;
    if (name == "sde") return SamplerKind::Sde;
    if (solverOrderOfName(name) > 0) return SamplerKind::DpmSolver;
    if (name == "euler-ancestral") return SamplerKind::EulerAncestral;
    std::string known;
    for (const auto& n : samplerNames()) known += (known.empty() ? "" : ", ") + n;
    throw ConfigError("unknown sampler '" + name + "' (known: " + known + ")");
}

int solverOrderOfName(const std::string& name)
{
    if (name == "dpmpp-1m") return 1;
    if (name == "dpmpp-2m") return 2;
    if (name == "dpmpp-3m") return 3;
    return 0;
}

std::string samplerName(SamplerKind k)
{
    switch (k) {
    case SamplerKind::Ddpm: return "ddpm";
    case SamplerKind::Ddim: return "ddim";
    case SamplerKind::Euler: return "euler";
    case SamplerKind::Heun: return "heun";
    case SamplerKind::Sde: return "sde";
    case SamplerKind::DpmSolver: return "dpmpp";
    case SamplerKind::EulerAncestral: return "euler-ancestral";
    }
    return "ddpm";
}

SamplerKind defaultSamplerFor(const SchedulerConfig& config)
{
    if (config.isFlow()) return SamplerKind::Euler;
    if (config.className == "DDIMScheduler") return SamplerKind::Ddim;
    if (config.className == "DPMSolverMultistepScheduler") return SamplerKind::DpmSolver;
    if (config.className == "EulerDiscreteScheduler") return SamplerKind::Euler;
    if (config.className == "EulerAncestralDiscreteScheduler") return SamplerKind::EulerAncestral;
    if (config.className == "HeunDiscreteScheduler") return SamplerKind::Heun;
    return SamplerKind::Ddpm;
}

std::string samplerLabel(SamplerKind k)
{
    switch (k) {
    case SamplerKind::Ddpm: return "DDPM";
    case SamplerKind::Ddim: return "DDIM";
    case SamplerKind::Euler: return "Euler (ODE)";
    case SamplerKind::Heun: return "Heun (ODE)";
    case SamplerKind::Sde: return "SDE (Euler-Maruyama)";
    case SamplerKind::DpmSolver: return "DPM-Solver++";
    case SamplerKind::EulerAncestral: return "Euler ancestral";
    }
    return samplerName(k);
}

bool isPathSampler(SamplerKind k, PathKind path)
{
    return k == SamplerKind::Sde || (path == PathKind::Flow && (k == SamplerKind::Euler || k == SamplerKind::Heun));
}

bool samplerServesPath(SamplerKind k, PathKind path)
{
    return path == PathKind::Vp || k == SamplerKind::Euler || k == SamplerKind::Heun || k == SamplerKind::Sde;
}

bool isDiffusersSolver(SamplerKind k, PathKind path)
{
    return k == SamplerKind::DpmSolver || k == SamplerKind::EulerAncestral ||
           (path == PathKind::Vp && (k == SamplerKind::Euler || k == SamplerKind::Heun));
}


std::vector<long> ReverseProcess::planTimesteps(const SchedulerConfig& c, SamplerKind kind, int steps)
{
    const int T = c.numTrainTimesteps;
    int n = steps > 0 ? steps : (kind == SamplerKind::Ddpm ? T : std::min(50, T));
    if (c.isFlow()) {
        // FlowMatchEulerDiscreteScheduler: n sigmas from 1 to 1/T (shifted); the index of sigma is round(sigma T) - 1.
        std::vector<long> ts;
        for (double sg : flowMatchSigmas(c, n))
            ts.push_back(std::clamp(static_cast<long>(std::lround(sg * T)) - 1, 0L, static_cast<long>(T - 1)));
        return ts;
    }
    if (n > T)
        throw ConfigError("cannot sample with " + std::to_string(n) + " steps: the model was trained with " +
                          std::to_string(T) + " timesteps");
    std::vector<long> ts;
    ts.reserve(static_cast<size_t>(n));
    if (c.timestepSpacing == "linspace") {
        // np.linspace(0, T - 1, n).round()[::-1]; nearbyint rounds half to even like numpy.
        // numpy computes start + i * step with step = (stop - start) / (n - 1) and sets the last value exactly.
        const double step = n == 1 ? 0.0 : static_cast<double>(T - 1) / (n - 1);
        for (int i = n - 1; i >= 0; --i) {
            const double v = (i == n - 1 && n > 1) ? static_cast<double>(T - 1) : i * step;
            ts.push_back(static_cast<long>(std::nearbyint(v)));
        }
    } else if (c.timestepSpacing == "leading") {
        const long ratio = T / n;
        for (int i = n - 1; i >= 0; --i) ts.push_back(static_cast<long>(i) * ratio + c.stepsOffset);
    } else { // trailing: np.round(np.arange(T, 0, -T / n)) - 1
        // numpy's arange(T, 0, -ratio) evaluates T + i * delta with delta = (T - ratio) - T.
        const double ratio = static_cast<double>(T) / n;
        const double delta = (T - ratio) - T;
        for (int i = 0; i < n; ++i) ts.push_back(static_cast<long>(std::nearbyint(T + i * delta)) - 1);
    }
    for (long t : ts)
        if (t < 0 || t >= T)
            throw ConfigError("timestep_spacing '" + c.timestepSpacing + "' with steps_offset " +
                              std::to_string(c.stepsOffset) + " gives timestep " + std::to_string(t) +
                              " outside 0.." + std::to_string(T - 1));
    return ts;
}

ReverseProcess::ReverseProcess(const SchedulerConfig& config, SamplerKind kind, int steps, double eta, long startT)
    : ReverseProcess(config, SamplerSettings{kind, steps, eta, startT, 1.0})
{
}

ReverseProcess::ReverseProcess(const SchedulerConfig& config, const SamplerSettings& settings)
    : m_config(config), m_variance(config.variance()), m_settings(settings),
      m_schedule(NoiseSchedule::fromConfig(config)),
      m_path(ProbabilityPath::fromConfig(config)), m_kind(settings.kind), m_eta(settings.eta),
      m_prediction(parsePrediction(config.predictionType))
{
    const int steps = settings.steps;
    const double eta = settings.eta;
    const long startT = settings.startT;
    if (!samplerServesPath(m_kind, m_path.kind()))
        throw ConfigError("the " + samplerName(m_kind) + " sampler follows the DDPM chain and cannot sample a " +
                          "flow-matching model: use euler, heun or sde");
    if (m_kind == SamplerKind::Sde && (!(settings.sdeNoise >= 0.0) || !std::isfinite(settings.sdeNoise)))
        throw ConfigError("the SDE noise level must be a number >= 0");
    if (steps < 0) throw ConfigError("the number of steps must be positive");
    if (!(eta >= 0.0) || !std::isfinite(eta)) throw ConfigError("eta must be a number >= 0");
    if (diffusersSolver()) {
        planSolver(); // core/solvers.cpp
        return;
    }
    m_timesteps = planTimesteps(config, m_kind, steps);
    m_ddimStride = config.numTrainTimesteps / static_cast<long>(m_timesteps.size());
    if (startT >= 0) {
        if (startT >= config.numTrainTimesteps)
            throw ConfigError("start timestep " + std::to_string(startT) + " is outside 0.." +
                              std::to_string(config.numTrainTimesteps - 1));
        std::vector<long> kept;
        for (long t : m_timesteps)
            if (t <= startT) kept.push_back(t);
        if (kept.empty()) kept.push_back(m_timesteps.back());
        m_timesteps = std::move(kept);
    }
    planPath();
}

int ReverseProcess::modelCalls() const
{
    int calls = stepCount();
    for (int i = 0; i < stepCount(); ++i) calls += needsSecondCall(i) ? 1 : 0;
    return calls;
}

bool ReverseProcess::needsSecondCall(int i) const
{
    return m_kind == SamplerKind::Heun && !point(i + 1).isData();
}

long ReverseProcess::prevTimestep(int i) const
{
    if (m_path.kind() == PathKind::Flow)
        return i + 1 < stepCount() ? m_timesteps[static_cast<size_t>(i + 1)] : -1;
    if (m_kind == SamplerKind::Ddim) {
        // diffusers' DDIMScheduler: t - T // num_inference_steps (even for trailing spacing).
        return m_timesteps[static_cast<size_t>(i)] - m_ddimStride;
    }
    // DDPM: the next kept timestep (respacing); using t - 1 would add noise (diffusers PR #2076).
    return i + 1 < stepCount() ? m_timesteps[static_cast<size_t>(i + 1)] : -1;
}

double ReverseProcess::alphaBarPrev(int i) const
{
    if (m_kind != SamplerKind::Ddpm && m_kind != SamplerKind::Ddim) return point(i + 1).alphaBar();
    const long prev = prevTimestep(i);
    if (prev >= 0) return m_schedule.alphaBars()[static_cast<size_t>(prev)];
    if (m_kind == SamplerKind::Ddim && !m_config.setAlphaToOne) return m_schedule.alphaBars()[0];
    return 1.0;
}

StepRecord ReverseProcess::stepHeader(int i) const
{
    if (i < 0 || i >= stepCount()) throw Error("step index " + std::to_string(i) + " is out of range");
    StepRecord r;
    r.index = i;
    r.count = stepCount();
    r.t = m_timesteps[static_cast<size_t>(i)];
    r.tPrev = prevTimestep(i);
    return r;
}

StepRecord ReverseProcess::describe(int i, const torch::Tensor& xt, const torch::Tensor& output,
                                    const torch::Tensor& reference, bool discreteData,
                                    const std::vector<torch::Tensor>& earlierX0) const
{
    StepRecord r = stepHeader(i);
    r.alphaBar = m_schedule.alphaBars()[static_cast<size_t>(r.t)];
    r.alphaBarPrev = alphaBarPrev(i);
    r.xt = xt;
    r.rawOutput = output;
    r.point = point(i);
    r.modelTime = modelTime(i);
    if (diffusersSolver()) return describeSolver(i, toSolverState(i, xt), output, earlierX0, reference);
    if (m_kind != SamplerKind::Ddpm && m_kind != SamplerKind::Ddim) return describePath(i, std::move(r), reference, discreteData);
    r.pointPrev = m_prevPoints[static_cast<size_t>(i)];

    const bool learned = m_variance == VarianceType::LearnedRange;
    if (output.sizes() == xt.sizes()) {
        r.modelOutput = output;
    } else if (output.dim() == xt.dim() && output.dim() >= 2 && output.size(1) == 2 * xt.size(1) &&
               output.size(0) == xt.size(0) && learned) {
        auto parts = output.split(xt.size(1), 1);
        r.modelOutput = parts[0];
        r.modelLogVariance = parts[1]; // the interpolation fraction v in [-1, 1]; turned into a log variance below
    } else {
        std::ostringstream ss;
        ss << "the model's output has shape " << output.sizes() << " but its input x_t has shape " << xt.sizes()
           << (learned ? " (learned_range expects the same shape or dimension 1 doubled)" : "");
        throw ModelError(ss.str());
    }
    const double ab = r.alphaBar, abPrev = r.alphaBarPrev;
    r.beta = 1.0 - ab / abPrev;
    torch::Tensor logVarModel; // per element when learned
    double varModel = 0.0;
    double meanX0 = 0.0, meanOther = 0.0; // mean = meanX0 x0^ + meanOther (x_t for DDPM, eps for DDIM)
    if (m_kind == SamplerKind::Ddpm) {
        const auto pc = diffusion::posterior(ab, abPrev);
        r.c1 = pc.c1;
        r.c2 = pc.c2;
        r.posteriorVariance = pc.variance;
        meanX0 = pc.c1;
        meanOther = pc.c2;
        const double varSmall = std::max(pc.variance, 1e-20); // diffusers clamps before the log
        if (learned && r.modelLogVariance.defined()) {
            // improved DDPM Eq. 15: interpolate log beta~ and log beta with v = (out + 1) / 2.
            const auto frac = (r.modelLogVariance + 1.0) / 2.0;
            logVarModel = frac * std::log(r.beta) + (1.0 - frac) * std::log(varSmall);
            r.modelLogVariance = logVarModel;
            r.sigma = std::numeric_limits<double>::quiet_NaN();
        } else if (m_variance == VarianceType::FixedLarge || m_variance == VarianceType::FixedLargeLog) {
            varModel = r.beta;
            r.sigma = std::sqrt(r.beta);
        } else if (m_variance == VarianceType::FixedSmallLog) {
            varModel = varSmall;
            r.sigma = std::exp(0.5 * std::log(varSmall));
        } else { // fixed_small, or learned_range on a model without variance channels
            varModel = varSmall;
            r.sigma = std::sqrt(varSmall);
        }
        r.addsNoise = r.t > 0; // diffusers: noise whenever t > 0
    } else {
        const double variance = (1.0 - abPrev) / (1.0 - ab) * (1.0 - ab / abPrev);
        r.sigma = m_eta * std::sqrt(variance);
        const double dirCoef = std::sqrt(std::max(0.0, 1.0 - abPrev - r.sigma * r.sigma));
        r.c2 = dirCoef / std::sqrt(1.0 - ab);
        r.c1 = std::sqrt(abPrev) - r.c2 * std::sqrt(ab);
        r.posteriorVariance = r.sigma * r.sigma;
        varModel = r.posteriorVariance;
        meanX0 = std::sqrt(abPrev);
        meanOther = dirCoef;
        r.modelLogVariance = torch::Tensor();
        r.addsNoise = m_eta > 0.0;
    }

    const bool ddim = m_kind == SamplerKind::Ddim;
    if (output.sizes() == xt.sizes() && fused::fusable(xt, output) && m_prediction != Prediction::Flow) {
        fused::VpStep k;
        k.prediction = m_prediction;
        k.sa = static_cast<float>(std::sqrt(ab));
        k.sb = static_cast<float>(std::sqrt(1.0 - ab));
        k.clip = m_config.clipSample;
        k.lo = static_cast<float>(-m_config.clipSampleRange);
        k.hi = static_cast<float>(m_config.clipSampleRange);
        k.ddim = ddim;
        k.cX0 = static_cast<float>(meanX0);
        k.cOther = static_cast<float>(meanOther);
        k.rederiveEps = ddim && m_settings.clippedModelOutput;
        // eps is the output itself for eps-prediction, x0^ for unclipped x0-prediction (as in the general path).
        const bool epsIsOutput = m_prediction == Prediction::Epsilon && !k.rederiveEps;
        const bool x0IsOutput = m_prediction == Prediction::Sample && !k.clip;
        r.eps = epsIsOutput ? output : torch::empty_like(xt);
        r.x0Pred = x0IsOutput ? output : torch::empty_like(xt);
        r.meanModel = torch::empty_like(xt);
        const bool finite = fused::vpStep(k, xt.data_ptr<float>(), output.data_ptr<float>(),
                                        epsIsOutput ? nullptr : r.eps.data_ptr<float>(),
                                        x0IsOutput ? nullptr : r.x0Pred.data_ptr<float>(),
                                        r.meanModel.data_ptr<float>(), xt.numel());
        if (!finite)
            throw ModelError("the model returned NaN or infinite values at timestep " + std::to_string(r.t));
    } else {
        if (!torch::isfinite(output).all().item<bool>())
            throw ModelError("the model returned NaN or infinite values at timestep " + std::to_string(r.t));
        const auto pred = diffusion::fromModelOutput(m_prediction, xt, r.modelOutput, ab);
        r.eps = pred.eps;
        r.x0Pred = pred.x0;
        if (m_config.clipSample) r.x0Pred = r.x0Pred.clamp(-m_config.clipSampleRange, m_config.clipSampleRange);
        if (ddim && m_settings.clippedModelOutput) r.eps = (xt - std::sqrt(ab) * r.x0Pred) / std::sqrt(1.0 - ab);
        r.meanModel = meanX0 * r.x0Pred + meanOther * (ddim ? r.eps : xt);
    }

    if (reference.defined()) {
        const auto ref = reference.to(xt.device(), xt.scalar_type());
        r.posteriorMean = r.c1 * ref + r.c2 * xt;
        const auto diff = r.meanModel - r.posteriorMean;
        r.meanGap = diffusion::meanFlat(diff * diff).sqrt();
        const auto B = xt.size(0);
        if (r.tPrev >= 0 || (m_kind == SamplerKind::Ddim && i + 1 < stepCount())) {
            if (r.posteriorVariance > 0.0) {
                const auto lvQ = torch::full_like(xt, std::log(r.posteriorVariance));
                const auto lvP = logVarModel.defined() ? logVarModel : torch::full_like(xt, std::log(varModel));
                r.kl = diffusion::sumFlat(diffusion::normalKl(r.posteriorMean.expand_as(xt), lvQ, r.meanModel, lvP));
            } else {
                // DDIM with eta = 0 is deterministic: the KL to a point mass is undefined.
                r.kl = torch::full({B}, std::numeric_limits<double>::quiet_NaN(), xt.options());
            }
        } else {
            // L_0 = -log p_theta(x_0|x_1); the variance at index 0 is the clipped one (beta~ of the step above).
            double varDecoder = r.beta;
            if (i > 0) {
                const double abAbove = m_schedule.alphaBars()[static_cast<size_t>(m_timesteps[static_cast<size_t>(i - 1)])];
                varDecoder = diffusion::posterior(abAbove, ab).variance;
            }
            const auto lv = logVarModel.defined() ? logVarModel : torch::full_like(xt, std::log(varDecoder));
            const auto target = ref.expand_as(xt);
            const auto ll = discreteData ? diffusion::discretizedGaussianLogLikelihood(target, r.meanModel, 0.5 * lv)
                                         : diffusion::gaussianLogLikelihood(target, r.meanModel, lv);
            r.kl = -diffusion::sumFlat(ll);
            r.klIsDecoderNll = true;
        }
    }
    return r;
}

torch::Tensor ReverseProcess::next(const StepRecord& r, const torch::Tensor& noise) const
{
    if (!r.addsNoise || !noise.defined()) return r.meanModel;
    if (r.modelLogVariance.defined() && m_kind == SamplerKind::Ddpm)
        return r.meanModel + torch::exp(0.5 * r.modelLogVariance) * noise;
    if (fused::fusable(r.meanModel, noise)) return fused::meanPlusNoise(r.meanModel, r.sigma, noise);
    return r.meanModel + r.sigma * noise;
}

SampleResult runSampler(Denoiser& model, const ReverseProcess& process, const SamplerOptions& o,
                        const StepCallback& onStep, const std::atomic_bool* cancel)
{
    using clock = std::chrono::steady_clock;
    const auto start = clock::now();
    c10::InferenceMode guard;
    auto gen = at::make_generator<at::CPUGeneratorImpl>(o.seed);
    const auto floatCpu = torch::TensorOptions().dtype(torch::kFloat32);

    std::vector<int64_t> shape;
    if (o.init.defined()) {
        shape = o.init.sizes().vec();
    } else {
        if (o.sampleShape.empty()) throw DataError("the sample shape is unknown: give an initial x_T or a data shape");
        if (o.batch < 1) throw ConfigError("the batch size must be at least 1");
        shape.push_back(o.batch);
        shape.insert(shape.end(), o.sampleShape.begin(), o.sampleShape.end());
    }
    torch::Tensor reference;
    if (o.reference.defined()) {
        reference = o.reference.to(o.device, torch::kFloat32);
        if (reference.dim() == static_cast<int64_t>(shape.size()) - 1) reference = reference.unsqueeze(0);
        std::vector<int64_t> refTail(reference.sizes().begin() + 1, reference.sizes().end());
        std::vector<int64_t> tail(shape.begin() + 1, shape.end());
        if (refTail != tail || (reference.size(0) != 1 && reference.size(0) != shape[0])) {
            std::ostringstream ss;
            ss << "the reference x_0 has shape " << o.reference.sizes() << " but samples have shape "
               << c10::IntArrayRef(shape);
            throw DataError(ss.str());
        }
    }

    torch::Tensor x;
    if (o.init.defined()) {
        x = o.init.to(o.device, torch::kFloat32);
    } else if (o.noiseReference) {
        if (!reference.defined()) throw DataError("starting from a noised reference needs a reference x_0");
        const auto noise = torch::randn(shape, gen, floatCpu).to(o.device);
        const SamplerKind k = process.kind();
        if (k == SamplerKind::Ddpm || k == SamplerKind::Ddim) {
            const double ab = process.schedule().alphaBars()[static_cast<size_t>(process.timesteps().front())];
            x = diffusion::qSample(reference.expand(shape), ab, noise);
        } else {
            const PathPoint& p0 = process.point(0);
            x = p0.a * reference.expand(shape) + p0.s * noise;
        }
    } else {
        x = torch::randn(shape, gen, floatCpu).to(o.device);
    }
    if (process.diffusersSolver())
        return detail::runDiffusersSolver(model, process, o, shape, reference, x, !o.noiseReference || o.init.defined(),
                                          gen, onStep, cancel);

    SampleResult result;
    double modelSeconds = 0;
    const auto tOptions = torch::TensorOptions().dtype(torch::kInt64).device(o.device);
    const auto floatTimes = torch::TensorOptions().dtype(torch::kFloat32).device(o.device);
    for (int i = 0; i < process.stepCount(); ++i) {
        if (cancel && cancel->load()) {
            result.cancelled = true;
            break;
        }
        const auto timeAt = [&](int k) {
            return process.floatModelTime()
                       ? torch::full({shape[0]}, process.modelTime(k), floatTimes)
                       : torch::full({shape[0]}, process.timesteps()[static_cast<size_t>(k)], tOptions);
        };
        const auto m0 = clock::now();
        const auto out = model.forward(x, timeAt(i));
        modelSeconds += std::chrono::duration<double>(clock::now() - m0).count();
        StepRecord r = process.describe(i, x, out, reference, o.discreteData);
        torch::Tensor noise;
        if (r.addsNoise) noise = torch::randn(shape, gen, floatCpu).to(o.device);
        r.xPrev = process.next(r, noise);
        if (process.needsSecondCall(i)) {
            // Heun's corrector: the slope at the Euler predictor's end point (core/MATH.md).
            const auto m1 = clock::now();
            const auto outMid = model.forward(r.meanModel, timeAt(i + 1));
            modelSeconds += std::chrono::duration<double>(clock::now() - m1).count();
            r.xPrev = process.correct(r, outMid);
            r.meanModel = r.xPrev;
        }
        if (onStep) onStep(r);
        x = r.xPrev;
        result.steps = i + 1;
    }
    result.sample = x.to(torch::kCPU);
    result.modelSeconds = modelSeconds;
    result.seconds = std::chrono::duration<double>(clock::now() - start).count();
    return result;
}

} // namespace difflens
