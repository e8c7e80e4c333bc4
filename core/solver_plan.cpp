// Plans of the diffusers solvers, following scripts/reference_solvers.py's spec line by line. Transcendental
// functions are glibc's (std::log, std::pow, std::sqrt), the same code Python's math module calls, so the
// reference and this file agree to the last bit; numpy's vectorised log/pow would not (they differ by an
// ulp).
#include "core/solver_plan.h"

#include "core/errors.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace difflens::solver_plan {

std::vector<double> npLinspace(double a, double b, int n)
{
    if (n == 1) return {a};
    const double step = (b - a) / (n - 1);
    std::vector<double> v(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i)
        v[static_cast<size_t>(i)] = a + i * step;
    v.back() = b;
    return v;
}

std::vector<double> npArangeDown(double start, double step)
{
    const auto n = static_cast<long>(std::ceil((0.0 - start) / -step));
    const double delta = (start - step) - start;
    std::vector<double> v;
    for (long i = 0; i < n; ++i)
        v.push_back(start + static_cast<double>(i) * delta);
    return v;
}

double npInterp(double x, const std::vector<double>& fp)
{
    const auto last = static_cast<double>(fp.size() - 1);
    if (x >= last) return fp.back();
    const auto j = static_cast<size_t>(std::floor(x));
    return (fp[j + 1] - fp[j]) * (x - static_cast<double>(j)) + fp[j];
}

std::vector<double> karrasSigmas(double sigmaMin, double sigmaMax, int n)
{
    const double minInvRho = std::pow(sigmaMin, 1.0 / 7.0);
    const double maxInvRho = std::pow(sigmaMax, 1.0 / 7.0);
    std::vector<double> sigmas;
    for (double r : npLinspace(0.0, 1.0, n))
        sigmas.push_back(std::pow(maxInvRho + r * (minInvRho - maxInvRho), 7.0));
    return sigmas;
}

double sigmaToT(double sigma, const std::vector<double>& logSigmas)
{
    const double ls = std::log(std::max(sigma, 1e-10));
    size_t lo = 0;
    for (size_t k = 0; k < logSigmas.size(); ++k)
        if (ls - logSigmas[k] >= 0) lo = k;
    lo = std::min(lo, logSigmas.size() - 2);
    const size_t hi = lo + 1;
    const double low = logSigmas[lo], high = logSigmas[hi];
    const double w = std::clamp((low - ls) / (low - high), 0.0, 1.0);
    return (1 - w) * static_cast<double>(lo) + w * static_cast<double>(hi);
}

std::vector<double> trainingSigmas(const std::vector<double>& alphaBars)
{
    std::vector<double> s;
    s.reserve(alphaBars.size());
    for (double a : alphaBars)
        s.push_back(std::sqrt((1.0 - a) / a));
    return s;
}

namespace {

void checkSteps(int steps, int T)
{
    if (steps < 1 || steps > T)
        throw ConfigError("cannot sample with " + std::to_string(steps) +
                          " steps: the model was trained with " + std::to_string(T) + " timesteps");
}

void checkRange(const std::vector<double>& ts, const PlanOptions& o, int T)
{
    for (double t : ts)
        if (t < 0 || t > T - 1)
            throw ConfigError("timestep_spacing '" + o.timestepSpacing + "' with steps_offset " +
                              std::to_string(o.stepsOffset) + " gives timestep " + std::to_string(t) +
                              " outside 0.." + std::to_string(T - 1));
}

std::vector<double> logOf(const std::vector<double>& v)
{
    std::vector<double> out;
    out.reserve(v.size());
    for (double x : v)
        out.push_back(std::log(x));
    return out;
}

} // namespace

Plan planDpmSolver(const PlanOptions& o, const std::vector<double>& alphaBars, int n)
{
    const int T = static_cast<int>(alphaBars.size());
    checkSteps(n, T);
    long last = T;
    if (o.lambdaMinClipped != -std::numeric_limits<double>::infinity()) {
        // lambda_k = log alpha_k - log sigma_k; clipping drops the timesteps whose log-SNR is below the
        // floor.
        for (double a : alphaBars)
            if (std::log(std::sqrt(a)) - std::log(std::sqrt(1.0 - a)) < o.lambdaMinClipped) --last;
    }
    Plan p;
    p.integerTimesteps = true;
    p.initNoiseSigma = 1.0;
    if (o.timestepSpacing == "linspace") {
        const auto v = npLinspace(0.0, static_cast<double>(last - 1), n + 1);
        for (int i = n; i >= 1; --i)
            p.timesteps.push_back(std::nearbyint(v[static_cast<size_t>(i)]));
    } else if (o.timestepSpacing == "leading") {
        const long ratio = last / (n + 1);
        for (long i = n; i >= 1; --i)
            p.timesteps.push_back(static_cast<double>(i * ratio + o.stepsOffset));
    } else if (o.timestepSpacing == "trailing") {
        for (double v : npArangeDown(static_cast<double>(last), static_cast<double>(T) / n))
            p.timesteps.push_back(std::nearbyint(v) - 1.0);
    } else {
        throw ConfigError("unknown timestep_spacing '" + o.timestepSpacing +
                          "' (known: linspace, leading, trailing)");
    }
    const auto sigmas = trainingSigmas(alphaBars);
    if (o.useKarrasSigmas) {
        // The Karras range is the whole training range; timesteps follow the sigmas, rounded to integers.
        const auto logSigmas = logOf(sigmas);
        p.sigmas = karrasSigmas(sigmas.front(), sigmas.back(), n);
        p.timesteps.clear();
        for (double s : p.sigmas)
            p.timesteps.push_back(std::nearbyint(sigmaToT(s, logSigmas)));
    } else {
        checkRange(p.timesteps, o, T);
        for (double t : p.timesteps)
            p.sigmas.push_back(npInterp(t, sigmas));
    }
    p.sigmas.push_back(0.0);
    return p;
}

Plan planKarrasFamily(const PlanOptions& o, const std::vector<double>& alphaBars, int n)
{
    const int T = static_cast<int>(alphaBars.size());
    checkSteps(n, T);
    Plan p;
    p.integerTimesteps = false;
    auto f32 = [](double x) { return static_cast<double>(static_cast<float>(x)); };
    if (o.timestepSpacing == "linspace") {
        const auto v = npLinspace(0.0, T - 1.0, n);
        for (int i = n - 1; i >= 0; --i)
            p.timesteps.push_back(f32(v[static_cast<size_t>(i)]));
    } else if (o.timestepSpacing == "leading") {
        const long ratio = T / n;
        for (long i = n - 1; i >= 0; --i)
            p.timesteps.push_back(f32(static_cast<double>(i * ratio)) + o.stepsOffset);
    } else if (o.timestepSpacing == "trailing") {
        for (double v : npArangeDown(static_cast<double>(T), static_cast<double>(T) / n))
            p.timesteps.push_back(f32(std::nearbyint(v)) - 1.0);
    } else {
        throw ConfigError("unknown timestep_spacing '" + o.timestepSpacing +
                          "' (known: linspace, leading, trailing)");
    }
    checkRange(p.timesteps, o, T);
    const auto sigmas = trainingSigmas(alphaBars);
    for (double t : p.timesteps)
        p.sigmas.push_back(npInterp(t, sigmas));
    if (o.useKarrasSigmas) {
        // The Karras range is the planned one (so the spacing still matters); timesteps stay fractional.
        const auto logSigmas = logOf(sigmas);
        p.sigmas = karrasSigmas(p.sigmas.back(), p.sigmas.front(), n);
        p.timesteps.clear();
        for (double s : p.sigmas)
            p.timesteps.push_back(f32(sigmaToT(s, logSigmas)));
    }
    p.sigmas.push_back(0.0);
    const double sigmaMax = *std::max_element(p.sigmas.begin(), p.sigmas.end());
    // diffusers: init_noise_sigma = max sigma, or sqrt(max^2 + 1) for leading spacing.
    p.initNoiseSigma = o.timestepSpacing == "leading" ? std::sqrt(sigmaMax * sigmaMax + 1.0) : sigmaMax;
    return p;
}

} // namespace difflens::solver_plan
