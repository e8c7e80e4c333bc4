// The samplers of any Gaussian path (core/MATH.md, "ODE and SDE samplers"): the plan of points and model times,
// one step of Euler / Heun's predictor / Euler-Maruyama, and Heun's corrector. Members of ReverseProcess; the
// DDPM chain's own samplers are in sampler.cpp.
#include "core/errors.h"
#include "core/sampler.h"

#include <torch/torch.h>

#include <cmath>
#include <limits>
#include <sstream>

namespace difflens {

void ReverseProcess::planPath()
{
    const int n = stepCount();
    m_points.clear();
    m_modelTimes.clear();
    if (m_path.kind() == PathKind::Flow) {
        // diffusers' FlowMatchEulerDiscreteScheduler.set_timesteps: timesteps = linspace(sigma_max T, sigma_min T, n)
        // (float64), sigmas = shift-mapped timesteps / T in float32, model time = sigma * T in float32, then 0.
        const int T = m_config.numTrainTimesteps;
        const auto full = planTimesteps(m_config, m_kind, m_settings.steps);
        const int nFull = static_cast<int>(full.size());
        const auto sigmas = flowMatchSigmas(m_config, nFull);
        for (int i = 0; i < nFull; ++i) {
            const float sg = sigmas[static_cast<size_t>(i)];
            const long index = full[static_cast<size_t>(i)];
            if (m_settings.startT >= 0 && index > m_settings.startT && i + 1 < nFull) continue; // the t0 cut
            m_modelTimes.push_back(sg * static_cast<float>(T)); // float32, as diffusers' sigmas * T
            m_points.push_back(ProbabilityPath::flowPoint(sg));
        }
        m_points.push_back(ProbabilityPath::dataPoint());
        m_prevPoints.assign(m_points.begin() + 1, m_points.end());
        return;
    }
    for (int i = 0; i < n; ++i) {
        const long t = m_timesteps[static_cast<size_t>(i)];
        m_modelTimes.push_back(static_cast<double>(t));
        m_points.push_back(m_path.atModelTime(static_cast<double>(t)));
    }
    // Where each step lands, computed once here rather than per described step: DDIM's t - T/n may differ from
    // the next kept timestep, and DDIM may end above the data (set_alpha_to_one false); the others end at the data.
    m_prevPoints.clear();
    for (int i = 0; i < n; ++i) {
        const long prev = prevTimestep(i);
        m_prevPoints.push_back(prev >= 0 ? m_path.atModelTime(static_cast<double>(prev))
                                         : (m_kind == SamplerKind::Ddim && !m_config.setAlphaToOne
                                                ? m_path.atModelTime(0) // DDIM ends at abar_0 then
                                                : ProbabilityPath::dataPoint()));
    }
    m_points.push_back(m_prevPoints.back());
}

StepRecord ReverseProcess::describePath(int i, StepRecord r, const torch::Tensor& reference, bool discreteData) const
{
    (void)discreteData; // ODE/SDE samplers have no decoder term: the last step's L_0 is not defined
    const auto& xt = r.xt;
    const auto& output = r.rawOutput;
    const PathPoint& pt = r.point;
    r.pointPrev = m_prevPoints[static_cast<size_t>(i)];
    const PathPoint& pn = r.pointPrev;
    r.alphaBar = pt.alphaBar();
    r.alphaBarPrev = pn.alphaBar();
    r.beta = 1.0 - r.alphaBar / r.alphaBarPrev;
    r.modelCalls = needsSecondCall(i) ? 2 : 1;
    if (output.sizes() != xt.sizes()) {
        std::ostringstream ss;
        ss << "the model's output has shape " << output.sizes() << " but its input x_t has shape " << xt.sizes()
           << " (the " << samplerName(m_kind) << " sampler needs a model without variance channels)";
        throw ModelError(ss.str());
    }
    if (!torch::isfinite(output).all().item<bool>())
        throw ModelError("the model returned NaN or infinite values at t = " + std::to_string(pt.time));
    r.modelOutput = output;
    const auto pred = path::toEpsAndX0(m_prediction, xt, output, pt);
    r.eps = pred.eps;
    r.x0Pred = pred.x0;
    if (m_config.clipSample) {
        // As DDPM/DDIM do for these models: clip x0^ to the data range and take eps from the clipped x0^.
        r.x0Pred = r.x0Pred.clamp(-m_config.clipSampleRange, m_config.clipSampleRange);
        r.eps = (xt - pt.a * r.x0Pred) / pt.s;
    }

    const bool flow = m_path.kind() == PathKind::Flow;
    const bool last = pn.isData();
    if (m_kind == SamplerKind::Sde && !last) {
        // Euler-Maruyama in tau = 1 - t: X += h [-u + (g^2/2) score] + g sqrt(h) z, g = S s_t (MIT 6.S184's SDE
        // extension: the same marginals for every g). score = -eps / s.
        const double h = pt.time - pn.time;
        const double g = m_settings.sdeNoise * pt.s;
        const double k = 0.5 * g * g / pt.s; // (g^2/2) score = -k eps
        r.meanModel = xt - h * (path::velocity(r.x0Pred, r.eps, pt) + k * r.eps);
        r.sigma = g * std::sqrt(h);
        r.addsNoise = r.sigma > 0.0;
        r.posteriorVariance = r.sigma * r.sigma;
        // The same step with the conditional velocity and score (x_0 known) is linear in x_0 and x_t.
        const double kk = 0.5 * g * g / pt.s2;
        r.c2 = 1.0 - h * (pt.ds / pt.s + kk);
        r.c1 = -h * (pt.da - pt.a * pt.ds / pt.s - pt.a * kk);
    } else {
        // The ODE step (and the SDE's last step, which lands on x0^): exact for the conditional path, whose
        // x_t moves on a straight line in x / a against s / a. Flow models: diffusers' x + (sigma' - sigma) v.
        if (flow && !m_config.clipSample && m_prediction == Prediction::Flow && m_kind != SamplerKind::Sde) {
            const float dt = static_cast<float>(pn.time) - static_cast<float>(pt.time);
            r.meanModel = xt + dt * output;
        } else {
            r.meanModel = last ? r.x0Pred : pn.a * r.x0Pred + pn.s * r.eps;
        }
        r.c2 = pn.s / pt.s;
        r.c1 = pn.a - r.c2 * pt.a;
        r.sigma = 0.0;
        r.addsNoise = false;
        r.posteriorVariance = 0.0;
    }

    if (reference.defined()) {
        const auto ref = reference.to(xt.device(), xt.scalar_type());
        r.posteriorMean = r.c1 * ref + r.c2 * xt;
        const auto diff = r.meanModel - r.posteriorMean;
        r.meanGap = diffusion::meanFlat(diff * diff).sqrt();
        if (r.posteriorVariance > 0.0) {
            r.kl = diffusion::sumFlat(diff * diff) / (2.0 * r.posteriorVariance); // equal variances
        } else {
            // A deterministic step: the KL to a point mass is undefined.
            r.kl = torch::full({xt.size(0)}, std::numeric_limits<double>::quiet_NaN(), xt.options());
        }
    }
    return r;
}

torch::Tensor ReverseProcess::correct(const StepRecord& r, const torch::Tensor& outputAtMid) const
{
    if (!torch::isfinite(outputAtMid).all().item<bool>())
        throw ModelError("the model returned NaN or infinite values at t = " + std::to_string(r.pointPrev.time));
    const PathPoint &pt = r.point, &pn = r.pointPrev;
    auto mid = path::toEpsAndX0(m_prediction, r.meanModel, outputAtMid, pn);
    if (m_config.clipSample) {
        mid.x0 = mid.x0.clamp(-m_config.clipSampleRange, m_config.clipSampleRange);
        mid.eps = (r.meanModel - pn.a * mid.x0) / pn.s;
    }
    if (m_path.kind() == PathKind::Flow) {
        // Heun in t: x' = x + h (u(x, t) + u(x_mid, t')) / 2.
        const double h = pn.time - pt.time;
        return r.xt + (0.5 * h) * (path::velocity(r.x0Pred, r.eps, pt) + path::velocity(mid.x0, mid.eps, pn));
    }
    // Heun in xbar = x / a against sigma = s / a, where the slope is eps (Karras et al. Alg. 1; diffusers' Heun).
    const double dSigma = pn.sigma() - pt.sigma();
    return pn.a * (r.xt / pt.a + (0.5 * dSigma) * (r.eps + mid.eps));
}

} // namespace difflens
