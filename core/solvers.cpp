// diffusers' solvers on the DDPM/VP chain, the C++ side of scripts/reference_solvers.py (whose header is the
// spec this file follows line by line): DPM-Solver++ multistep (Lu et al. 2022, arXiv 2211.01095, Alg. 2;
// diffusers' DPMSolverMultistepScheduler with algorithm_type dpmsolver++), and the k-diffusion samplers in
// sigma space, x_s = x / a = x * sqrt(sigma^2 + 1) (Karras et al. 2022, arXiv 2206.00364, Alg. 1-2;
// EulerDiscreteScheduler, EulerAncestralDiscreteScheduler, HeunDiscreteScheduler). Coefficients are float64
// scalars, tensors float32, every tensor expression in the reference's operand order, so a seeded run equals
// the Python loop bit for bit on the same TorchScript model.
#include "core/solvers.h"

#include "core/denoiser.h"
#include "core/errors.h"
#include "core/solver_plan.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <sstream>

namespace difflens {

namespace {

struct AlphaSigma
{
    double alpha, sigma;
};

// DPM-Solver's VP scales from sigma = s / a: alpha = 1 / sqrt(sigma^2 + 1), s = sigma * alpha.
AlphaSigma alphaSigma(double sigma)
{
    const double a = 1.0 / std::sqrt(sigma * sigma + 1.0);
    return {a, sigma * a};
}

// log-SNR lambda = log alpha - log s; +inf at the data (s = 0).
double lambdaOf(double sigma)
{
    const auto as = alphaSigma(sigma);
    return std::log(as.alpha) - std::log(as.sigma);
}

// Euler ancestral's split of the step sigma -> sigmaNext into a deterministic part down to sigmaDown and
// fresh noise of std sigmaUp (k-diffusion's get_ancestral_step with eta 1).
struct AncestralStep
{
    double up, down;
};
AncestralStep ancestralStep(double s, double sn)
{
    const double up = std::sqrt(sn * sn * (s * s - sn * sn) / (s * s));
    return {up, std::sqrt(sn * sn - up * up)};
}

// The weights of D = sum_k w_k D_{i-k} in x' = a x + alpha' (1 - e^-h) D (display; the update itself is
// computed with diffusers' formulas).
std::vector<double> dpmWeights(int order, double h, double r0, double r1, bool midpoint)
{
    if (order == 1) return {1.0};
    const double em = std::expm1(-h);
    if (order == 2) {
        const double c = midpoint ? 0.5 / r0 : -((em / h + 1.0) / em) / r0;
        return {1.0 + c, -c};
    }
    const double c1 = -((em / h + 1.0) / em), c2 = ((em + h) / (h * h) - 0.5) / em;
    const double g = r0 / (r0 + r1), k = 1.0 / (r0 + r1);
    const double a0 = 1.0 / r0, a1 = -1.0 / r0, b1 = 1.0 / r1, b2 = -1.0 / r1;
    const double dd[3] = {a0, a1 - b1, -b2};
    const double d1[3] = {a0 + g * dd[0], a1 + g * dd[1], g * dd[2]};
    std::vector<double> w;
    for (int j = 0; j < 3; ++j)
        w.push_back((j == 0 ? 1.0 : 0.0) + c1 * d1[j] + c2 * k * dd[j]);
    return w;
}

torch::Tensor predictionPart(const SchedulerConfig& config, const torch::Tensor& x,
                             const torch::Tensor& output, double modelTime)
{
    torch::Tensor part;
    if (output.sizes() == x.sizes()) {
        part = output;
    } else if (config.variance() == VarianceType::LearnedRange && output.dim() == x.dim() && output.dim() >= 2 &&
               output.size(0) == x.size(0) && output.size(1) == 2 * x.size(1)) {
        part = output.slice(1, 0, x.size(1)); // the variance channels play no part in an ODE solver
    } else {
        std::ostringstream ss;
        ss << "the model's output has shape " << output.sizes() << " but its input x_t has shape "
           << x.sizes();
        throw ModelError(ss.str());
    }
    if (!torch::isfinite(part).all().item<bool>())
        throw ModelError("the model returned NaN or infinite values at timestep " +
                         std::to_string(modelTime));
    return part;
}

} // namespace

int ReverseProcess::solverOrderAt(int i) const
{
    if (m_kind != SamplerKind::DpmSolver) return 1;
    const int n = stepCount();
    // diffusers: first order without history and at the last step (final sigma 0); second order with one
    // earlier x0^, and at the second-last step with lower_order_final when there are fewer than 15 steps.
    if (m_solverOrder == 1 || i == 0 || i == n - 1) return 1;
    if (m_solverOrder == 2 || i == 1 || (i == n - 2 && m_config.lowerOrderFinal && n < 15)) return 2;
    return 3;
}

std::string ReverseProcess::label() const
{
    if (m_kind == SamplerKind::DpmSolver) return "dpmpp-" + std::to_string(m_solverOrder) + "m";
    return samplerName(m_kind);
}

void ReverseProcess::planSolver()
{
    const SamplerSettings& st = m_settings;
    m_solverOrder = st.solverOrder > 0 ? st.solverOrder : m_config.solverOrder;
    if (m_kind == SamplerKind::DpmSolver && (m_solverOrder < 1 || m_solverOrder > 3))
        throw ConfigError("DPM-Solver++ order " + std::to_string(m_solverOrder) +
                          " is out of range (1, 2 or 3)");
    const int T = m_config.numTrainTimesteps;
    const int n =
        st.steps > 0 ? st.steps : (m_kind == SamplerKind::DpmSolver ? std::min(25, T) : std::min(50, T));
    solver_plan::PlanOptions o;
    o.timestepSpacing = m_config.timestepSpacing;
    o.stepsOffset = m_config.stepsOffset;
    o.useKarrasSigmas = m_config.useKarrasSigmas;
    const auto& alphaBars = m_schedule.alphaBars();
    auto plan = m_kind == SamplerKind::DpmSolver ? solver_plan::planDpmSolver(o, alphaBars, n)
                                                 : solver_plan::planKarrasFamily(o, alphaBars, n);
    if (m_kind == SamplerKind::DpmSolver)
        for (size_t i = 0; i + 1 < plan.sigmas.size(); ++i)
            if (plan.sigmas[i] == plan.sigmas[i + 1])
                throw ConfigError(
                    "DPM-Solver++ with " + std::to_string(n) + " steps and timestep_spacing '" +
                    o.timestepSpacing + "' repeats timestep " + std::to_string(plan.timesteps[i]) +
                    ": a zero step divides by zero; use fewer steps or timestep_spacing trailing");
    size_t first = 0;
    if (st.startT >= 0) {
        if (st.startT >= T)
            throw ConfigError("start timestep " + std::to_string(st.startT) + " is outside 0.." +
                              std::to_string(T - 1));
        while (first + 1 < plan.timesteps.size() && plan.timesteps[first] > static_cast<double>(st.startT))
            ++first;
    }
    m_timesteps.clear();
    m_modelTimes.clear();
    m_points.clear();
    m_sigmas.assign(plan.sigmas.begin() + static_cast<long>(first), plan.sigmas.end());
    for (size_t i = first; i < plan.timesteps.size(); ++i) {
        const double t = plan.timesteps[i];
        m_timesteps.push_back(std::lround(t));
        m_modelTimes.push_back(t);
        const auto as = alphaSigma(plan.sigmas[i]);
        PathPoint p = m_path.atModelTime(std::clamp(t, 0.0, T - 1.0)); // derivatives (display only)
        p.a = as.alpha;
        p.s = as.sigma;
        p.a2 = as.alpha * as.alpha;
        p.s2 = as.sigma * as.sigma;
        m_points.push_back(p);
    }
    m_points.push_back(ProbabilityPath::dataPoint());
    const double s0 = m_sigmas.front();
    // diffusers' init_noise_sigma: the largest sigma, or sqrt(sigma^2 + 1) with leading spacing; VP: 1.
    m_initNoiseSigma = m_kind == SamplerKind::DpmSolver ? 1.0
                       : first == 0                     ? plan.initNoiseSigma
                       : o.timestepSpacing == "leading" ? std::sqrt(s0 * s0 + 1.0)
                                                        : s0;
}

torch::Tensor ReverseProcess::modelInput(int i, const torch::Tensor& state) const
{
    if (m_kind == SamplerKind::DpmSolver) return state;
    const double s = solverSigma(i);
    return state / std::sqrt(s * s + 1.0); // diffusers' scale_model_input
}

torch::Tensor ReverseProcess::toSolverState(int i, const torch::Tensor& x) const
{
    if (m_kind == SamplerKind::DpmSolver) return x;
    const double s = solverSigma(i);
    return x * std::sqrt(s * s + 1.0);
}

torch::Tensor ReverseProcess::solverX0(const torch::Tensor& state, const torch::Tensor& out, double s) const
{
    torch::Tensor x0;
    if (m_kind == SamplerKind::DpmSolver) {
        const auto as = alphaSigma(s);
        switch (m_prediction) {
        case Prediction::Epsilon:
            return (state - as.sigma * out) / as.alpha;
        case Prediction::Sample:
            return out;
        case Prediction::V:
            return as.alpha * state - as.sigma * out;
        default:
            throw ConfigError("DPM-Solver++ needs an eps, x0 or v prediction");
        }
    }
    switch (m_prediction) {
    case Prediction::Epsilon:
        x0 = state - s * out;
        break;
    case Prediction::Sample:
        x0 = out;
        break;
    case Prediction::V:
        x0 = out * (-s / std::sqrt(s * s + 1.0)) + state / (s * s + 1.0);
        break;
    default:
        throw ConfigError("the " + samplerName(m_kind) + " solver needs an eps, x0 or v prediction");
    }
    // Of the four classes only HeunDiscreteScheduler has clip_sample.
    if (m_kind == SamplerKind::Heun && m_config.clipSample)
        x0 = x0.clamp(-m_config.clipSampleRange, m_config.clipSampleRange);
    return x0;
}

torch::Tensor ReverseProcess::dataPrediction(int i, const torch::Tensor& xt,
                                             const torch::Tensor& output) const
{
    const auto state = toSolverState(i, xt);
    return solverX0(state, predictionPart(m_config, xt, output, modelTime(i)), solverSigma(i));
}

StepRecord ReverseProcess::describeSolver(int i, const torch::Tensor& state, const torch::Tensor& output,
                                          const std::vector<torch::Tensor>& earlierX0,
                                          const torch::Tensor& reference, torch::Tensor* update) const
{
    StepRecord r = stepHeader(i);
    r.point = point(i);
    r.pointPrev = point(i + 1);
    r.alphaBar = r.point.alphaBar();
    r.alphaBarPrev = r.pointPrev.alphaBar();
    r.beta = 1.0 - r.alphaBar / r.alphaBarPrev;
    r.modelTime = modelTime(i);
    r.modelCalls = needsSecondCall(i) ? 2 : 1;
    r.xt = modelInput(i, state);
    r.rawOutput = output;
    r.modelOutput = predictionPart(m_config, r.xt, output, r.modelTime);
    const double s = solverSigma(i), sn = solverSigma(i + 1);
    r.solverSigma = s;
    r.solverSigmaNext = sn;
    r.x0Pred = solverX0(state, r.modelOutput, s);
    r.eps = (r.xt - r.point.a * r.x0Pred) / r.point.s;
    r.solverOrder = solverOrderAt(i);

    torch::Tensor next; // the update in solver space (Euler ancestral: without its noise)
    if (m_kind == SamplerKind::DpmSolver) {
        const int order = r.solverOrder;
        if (static_cast<int>(earlierX0.size()) < order - 1)
            throw Error("DPM-Solver++ step " + std::to_string(i) + " combines " + std::to_string(order - 1) +
                        " earlier x0 predictions, " + std::to_string(earlierX0.size()) + " given");
        const auto cur = alphaSigma(s), nxt = alphaSigma(sn);
        const double h = lambdaOf(sn) - lambdaOf(s);
        const double a = nxt.sigma / cur.sigma;
        const double em = std::exp(-h) - 1.0;
        const double b = nxt.alpha * em;
        const auto& D = r.x0Pred;
        double r0 = 0, r1 = 0;
        if (order == 1) {
            next = a * state - b * D;
        } else if (order == 2) {
            r0 = (lambdaOf(s) - lambdaOf(solverSigma(i - 1))) / h;
            const auto D1 = (1.0 / r0) * (D - earlierX0[0]);
            if (m_config.solverType == "midpoint")
                next = a * state - b * D - (0.5 * b) * D1;
            else
                next = a * state - b * D + (nxt.alpha * (em / h + 1.0)) * D1;
        } else {
            r0 = (lambdaOf(s) - lambdaOf(solverSigma(i - 1))) / h;
            r1 = (lambdaOf(solverSigma(i - 1)) - lambdaOf(solverSigma(i - 2))) / h;
            const auto& m1 = earlierX0[0];
            const auto& m2 = earlierX0[1];
            const auto D1_0 = (1.0 / r0) * (D - m1);
            const auto D1_1 = (1.0 / r1) * (m1 - m2);
            const auto D1 = D1_0 + (r0 / (r0 + r1)) * (D1_0 - D1_1);
            const auto D2 = (1.0 / (r0 + r1)) * (D1_0 - D1_1);
            next = a * state - b * D + (nxt.alpha * (em / h + 1.0)) * D1 -
                   (nxt.alpha * ((em + h) / (h * h) - 0.5)) * D2;
        }
        r.stateCoef = a;
        r.x0Coef = -b;
        r.x0Weights = dpmWeights(order, h, r0, r1, m_config.solverType == "midpoint");
        r.meanModel = next;
    } else {
        const auto d = (state - r.x0Pred) / s;
        const double toPath = 1.0 / std::sqrt(sn * sn + 1.0), fromPath = std::sqrt(s * s + 1.0);
        double target = sn; // where the deterministic part lands
        if (m_kind == SamplerKind::EulerAncestral) {
            const auto as = ancestralStep(s, sn);
            next = state + d * (as.down - s);
            target = as.down;
            r.sigma = as.up * toPath;
            r.addsNoise = true; // diffusers draws at every step, even when sigma_up is 0
        } else {
            next = state + d * (sn - s); // Euler, and Heun's predictor
        }
        r.stateCoef = target / s * fromPath * toPath;
        r.x0Coef = (1.0 - target / s) * toPath;
        r.x0Weights = {1.0};
        r.meanModel = sn == 0.0 ? next : next / std::sqrt(sn * sn + 1.0);
    }
    r.posteriorVariance = r.sigma * r.sigma;
    // The same step with x_0 known (the conditional update): x_prev = c1 x_0 + c2 x_t.
    r.c2 = r.stateCoef;
    r.c1 = r.x0Coef;
    if (reference.defined()) {
        const auto ref = reference.to(r.xt.device(), r.xt.scalar_type());
        r.posteriorMean = r.c1 * ref + r.c2 * r.xt;
        const auto diff = r.meanModel - r.posteriorMean;
        r.meanGap = diffusion::meanFlat(diff * diff).sqrt();
        r.kl = r.posteriorVariance > 0.0
                   ? diffusion::sumFlat(diff * diff) / (2.0 * r.posteriorVariance)
                   : torch::full({r.xt.size(0)}, std::numeric_limits<double>::quiet_NaN(), r.xt.options());
    }
    if (update) *update = next;
    return r;
}

namespace detail {

SampleResult runDiffusersSolver(Denoiser& model, const ReverseProcess& process, const SamplerOptions& o,
                                const std::vector<int64_t>& shape, const torch::Tensor& reference,
                                const torch::Tensor& start, bool startIsUnitNoise, at::Generator& gen,
                                const StepCallback& onStep, const std::atomic_bool* cancel)
{
    using clock = std::chrono::steady_clock;
    const auto t0 = clock::now();
    const auto floatCpu = torch::TensorOptions().dtype(torch::kFloat32);
    const SamplerKind kind = process.kind();
    // x_T: diffusers' pipelines multiply the latents by init_noise_sigma (DPM-Solver: 1).
    torch::Tensor state = startIsUnitNoise
                              ? (kind == SamplerKind::DpmSolver ? start : start * process.initNoiseSigma())
                              : process.toSolverState(0, start);
    const auto timeAt = [&](int k) {
        return process.floatModelTime()
                   ? torch::full({shape[0]}, process.modelTime(k), floatCpu.device(o.device))
                   : torch::full({shape[0]}, process.timesteps()[static_cast<size_t>(k)],
                                 torch::TensorOptions().dtype(torch::kInt64).device(o.device));
    };
    SampleResult result;
    double modelSeconds = 0;
    std::vector<torch::Tensor> history; // x0^ of the earlier steps, most recent first (DPM-Solver++)
    for (int i = 0; i < process.stepCount(); ++i) {
        if (cancel && cancel->load()) {
            result.cancelled = true;
            break;
        }
        const auto m0 = clock::now();
        const auto out = model.forward(process.modelInput(i, state), timeAt(i));
        modelSeconds += std::chrono::duration<double>(clock::now() - m0).count();
        torch::Tensor next;
        StepRecord r = process.describeSolver(i, state, out, history, reference, &next);
        const double s = r.solverSigma, sn = r.solverSigmaNext;
        if (kind == SamplerKind::EulerAncestral) {
            const auto noise = torch::randn(shape, gen, floatCpu).to(o.device);
            next = next + noise * ancestralStep(s, sn).up;
        } else if (process.needsSecondCall(i)) {
            // Heun's corrector: the slope at the predictor's end averaged with the first (Karras Alg. 1).
            const auto m1 = clock::now();
            const auto out2 = model.forward(process.modelInput(i + 1, next), timeAt(i + 1));
            modelSeconds += std::chrono::duration<double>(clock::now() - m1).count();
            const auto x0Mid = process.solverX0(
                next, predictionPart(process.config(), next, out2, process.modelTime(i + 1)), sn);
            const auto d = (state - r.x0Pred) / s;
            const auto d2 = (next - x0Mid) / sn;
            next = state + (d + d2) / 2 * (sn - s);
        }
        if (kind == SamplerKind::DpmSolver) {
            history.insert(history.begin(), r.x0Pred);
            if (history.size() > 2) history.pop_back();
        }
        r.xPrev = process.modelInput(i + 1, next); // x_prev in path space: the next step's model input
        if (!process.describesUpdate()) r.meanModel = r.xPrev; // Heun: the corrected update
        if (onStep) onStep(r);
        state = next;
        result.steps = i + 1;
    }
    result.sample =
        process.modelInput(result.steps, state).to(torch::kCPU); // sigma 0 at the end: state itself
    result.modelSeconds = modelSeconds;
    result.seconds = std::chrono::duration<double>(clock::now() - t0).count();
    return result;
}

} // namespace detail
} // namespace difflens
