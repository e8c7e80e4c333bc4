// Probability paths and prediction conversions (core/MATH.md, "Gaussian paths").
#include "core/path.h"

#include "core/errors.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <sstream>

namespace difflens {

PathKind parsePathKind(const std::string& name)
{
    if (name == "vp" || name == "ddpm") return PathKind::Vp;
    if (name == "flow") return PathKind::Flow;
    throw ConfigError("unknown path '" + name + "' (known: vp, flow)");
}

std::string pathName(PathKind kind)
{
    return kind == PathKind::Flow ? "flow" : "vp";
}

ProbabilityPath ProbabilityPath::fromConfig(const SchedulerConfig& config)
{
    if (config.isFlow()) return flow(config.numTrainTimesteps);
    return vp(NoiseSchedule::fromConfig(config));
}

ProbabilityPath ProbabilityPath::vp(const NoiseSchedule& schedule)
{
    ProbabilityPath p;
    p.m_kind = PathKind::Vp;
    p.m_T = schedule.size();
    p.m_alphaBars = schedule.alphaBars();
    return p;
}

ProbabilityPath ProbabilityPath::flow(int numTrainTimesteps)
{
    if (numTrainTimesteps < 1) throw ConfigError("a path needs at least one training timestep");
    ProbabilityPath p;
    p.m_kind = PathKind::Flow;
    p.m_T = numTrainTimesteps;
    return p;
}

PathPoint ProbabilityPath::dataPoint()
{
    PathPoint p;
    p.time = 0;
    p.a = p.a2 = 1;
    p.s = p.s2 = 0;
    return p;
}

PathPoint ProbabilityPath::flowPoint(double t)
{
    if (t <= 0.0) return dataPoint();
    PathPoint p;
    p.time = t;
    p.a = 1.0 - t;
    p.s = t;
    p.a2 = p.a * p.a;
    p.s2 = p.s * p.s;
    p.da = -1.0;
    p.ds = 1.0;
    return p;
}

PathPoint ProbabilityPath::vpAtIndex(double k) const
{
    PathPoint p;
    const double T = m_T;
    p.time = (k + 1.0) / T;
    if (k <= -1.0) return dataPoint();
    const double lo = std::floor(k);
    const auto at = [&](double i) { return m_alphaBars[static_cast<size_t>(i)]; };
    if (k == lo) {
        // A training timestep: the float64 table itself (bitwise what DDPM/DDIM use).
        p.a2 = at(k);
        p.s2 = 1.0 - p.a2;
    } else {
        // Between indices: log sigma linear in the index (diffusers' _sigma_to_t); sigma linear next to the data.
        const double f = k - lo;
        const auto sigmaAt = [&](double i) { return i < 0 ? 0.0 : std::sqrt((1.0 - at(i)) / at(i)); };
        const double s0 = sigmaAt(lo), s1 = sigmaAt(lo + 1);
        const double sg = lo < 0 ? f * s1 : std::exp((1.0 - f) * std::log(s0) + f * std::log(s1));
        p.a2 = 1.0 / (1.0 + sg * sg);
        p.s2 = sg * sg / (1.0 + sg * sg);
    }
    p.a = std::sqrt(p.a2);
    p.s = std::sqrt(p.s2);
    return p;
}

PathPoint ProbabilityPath::atModelTime(double m) const
{
    if (m_kind == PathKind::Flow) {
        if (!(m >= 0.0 && m <= m_T)) {
            std::ostringstream ss;
            ss << "flow time " << m << " is outside 0.." << m_T;
            throw ConfigError(ss.str());
        }
        return flowPoint(m / m_T); // t = sigma = m / T
    }
    if (!(m >= -1.0 && m <= m_T - 1)) {
        std::ostringstream ss;
        ss << "timestep " << m << " is outside 0.." << (m_T - 1);
        throw ConfigError(ss.str());
    }
    PathPoint p = vpAtIndex(m);
    // The discrete chain has no derivative: central differences over one index (one-sided at the ends), per
    // unit of time (one index is 1/T).
    const double lo = std::max(-1.0, m - 0.5), hi = std::min(static_cast<double>(m_T - 1), m + 0.5);
    if (hi > lo) {
        const PathPoint a = vpAtIndex(lo), b = vpAtIndex(hi);
        const double dt = (hi - lo) / m_T;
        p.da = (b.a - a.a) / dt;
        p.ds = (b.s - a.s) / dt;
    }
    return p;
}

double ProbabilityPath::modelTimeOf(double time) const
{
    return m_kind == PathKind::Flow ? time * m_T : time * m_T - 1.0;
}

PathPoint ProbabilityPath::atTime(double time) const
{
    if (time <= 0.0) return dataPoint();
    return atModelTime(modelTimeOf(time));
}

namespace path {

namespace {
bool isFlowPoint(const PathPoint& pt)
{
    return pt.da == -1.0 && pt.ds == 1.0;
}
} // namespace

diffusion::EpsAndX0 toEpsAndX0(Prediction p, const torch::Tensor& x, const torch::Tensor& out, const PathPoint& pt)
{
    switch (p) {
    case Prediction::Epsilon: return {out, (x - pt.s * out) / pt.a};
    case Prediction::Sample: return {(x - pt.a * out) / pt.s, out};
    case Prediction::V: {
        // v = a eps - s x_0 (Salimans & Ho), solved with x = a x_0 + s eps for any a, s.
        const double n = pt.a2 + pt.s2;
        return {(pt.s * x + pt.a * out) / n, (pt.a * x - pt.s * out) / n};
    }
    case Prediction::Flow: {
        if (isFlowPoint(pt)) return {x + (1.0 - pt.time) * out, x - pt.time * out}; // x0 = x - t v, eps = x + (1-t) v
        // u = a' x_0 + s' eps with x = a x_0 + s eps.
        const double det = pt.a * pt.ds - pt.s * pt.da;
        return {(pt.a * out - pt.da * x) / det, (pt.ds * x - pt.s * out) / det};
    }
    }
    throw ConfigError("unknown prediction type");
}

torch::Tensor target(Prediction p, const torch::Tensor& x0, const torch::Tensor& eps, const PathPoint& pt)
{
    switch (p) {
    case Prediction::Epsilon: return eps;
    case Prediction::Sample: return x0;
    case Prediction::V: return pt.a * eps - pt.s * x0;
    case Prediction::Flow: return velocity(x0, eps, pt);
    }
    return eps;
}

torch::Tensor velocity(const torch::Tensor& x0, const torch::Tensor& eps, const PathPoint& pt)
{
    if (isFlowPoint(pt)) return eps - x0;
    return pt.da * x0 + pt.ds * eps;
}

torch::Tensor score(const torch::Tensor& eps, const PathPoint& pt)
{
    return -eps / pt.s;
}

} // namespace path
} // namespace difflens
