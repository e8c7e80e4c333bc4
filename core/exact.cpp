#include "core/exact.h"

#include "core/diffusion.h"
#include "core/errors.h"
#include "core/exact_kernel.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace difflens {

namespace {
/** Finite sets of points up to this dimension go blockwise (pointSetExpectedX0); wider data (images) do not. */
constexpr int64_t kBlockwiseMaxDim = 64;
} // namespace

GaussianMixtureDenoiser::GaussianMixtureDenoiser(const NoiseSchedule& schedule, torch::Tensor means,
                                                 torch::Tensor stds, torch::Tensor weights, torch::Device device)
    : m_alphaBars(schedule.alphaBars()), m_path(ProbabilityPath::vp(schedule)), m_device(device)
{
    if (!means.defined() || means.dim() < 2 || means.size(0) < 1)
        throw DataError("an exact denoiser needs at least one data point (means of shape [K, ...])");
    const int64_t K = means.size(0);
    m_sampleShape.assign(means.sizes().begin() + 1, means.sizes().end());
    m_means = means.reshape({K, -1}).to(torch::kFloat32).contiguous();
    if (!torch::isfinite(m_means).all().item<bool>()) throw DataError("the exact denoiser's data contains NaN");
    m_vars = stds.defined() ? stds.to(torch::kFloat64).reshape({K}).pow(2) : torch::zeros({K}, torch::kFloat64);
    m_isPointSet = !(m_vars > 0).any().item<bool>();
    auto w = weights.defined() ? weights.to(torch::kFloat64).reshape({K}) : torch::ones({K}, torch::kFloat64);
    if ((w < 0).any().item<bool>() || w.sum().item<double>() <= 0)
        throw DataError("mixture weights must be non-negative with a positive sum");
    m_logWeights = (w / w.sum()).log();
    m_uniformWeights = (w == w[0]).all().item<bool>();
    moveTo(device);
}

void GaussianMixtureDenoiser::moveTo(torch::Device device)
{
    m_device = device;
    m_means = m_means.to(device);
    m_meanNormSq = m_means.pow(2).sum(1).to(torch::kFloat64);
    m_vars = m_vars.to(device);
    m_logWeights = m_logWeights.to(device);
}

namespace {
/**
 * E[x_0|x] of a finite set through kernels::fusedPosteriorMean: flat [B, D] and means [K, D] float32 on the CPU,
 * b_k = log pi_k - c |m_k|^2 (logWeights, normSq [K] float64). The bias is made in a plain loop, not by tensor
 * operations: one of 60,000 elements runs on LibTorch's OpenMP threads, which then spin for a while on the cores
 * the kernel's threads need (bench_exact: 14 ms a step instead of 9).
 */
torch::Tensor fusedExpectedX0(const torch::Tensor& flat, const torch::Tensor& means, const torch::Tensor& logWeights,
                              const torch::Tensor& normSq, double c, double gain, double dropBelow,
                              float* logits = nullptr, int64_t weightedQueries = -1)
{
    const auto x = flat.contiguous();
    const int64_t K = means.size(0);
    const auto lw = logWeights.contiguous(), n2 = normSq.contiguous();
    const double* lwp = lw.data_ptr<double>();
    const double* n2p = n2.data_ptr<double>();
    std::vector<float> bias(static_cast<size_t>(K));
    for (int64_t k = 0; k < K; ++k) bias[static_cast<size_t>(k)] = static_cast<float>(lwp[k] - c * n2p[k]);
    auto out = torch::empty_like(x);
    kernels::PosteriorMeanArgs args;
    args.x = x.data_ptr<float>();
    args.set = means.data_ptr<float>();
    args.bias = bias.data();
    args.B = x.size(0);
    args.K = K;
    args.D = means.size(1);
    args.gain = static_cast<float>(gain);
    args.dropBelow = static_cast<float>(dropBelow);
    args.logits = logits;
    args.weightedQueries = weightedQueries;
    args.threads = torch::get_num_threads();
    kernels::fusedPosteriorMean(args, out.data_ptr<float>());
    return out;
}

PathPoint vpPoint(double ab)
{
    PathPoint p;
    p.a2 = ab;
    p.s2 = 1.0 - ab;
    p.a = std::sqrt(ab);
    p.s = std::sqrt(1.0 - ab);
    return p;
}
} // namespace

torch::Tensor GaussianMixtureDenoiser::logits(const torch::Tensor& flatX, const PathPoint& pt) const
{
    // log pi_k + log N(x; a m_k, v_k I), v_k = a^2 s_k^2 + s^2 (VP: abar s_k^2 + 1 - abar), with the squared
    // distance expanded as |x|^2 - 2 a x.m_k + a^2 |m_k|^2 so that no [B, K, D] tensor is formed.
    const double D = static_cast<double>(flatX.size(1));
    const auto v = pt.a2 * m_vars + pt.s2;                                              // [K]
    const auto xNorm = flatX.to(torch::kFloat64).pow(2).sum(1, true);                   // [B, 1]
    const auto cross = torch::matmul(flatX, m_means.t()).to(torch::kFloat64);          // [B, K]
    const auto dist = (xNorm - 2.0 * pt.a * cross + pt.a2 * m_meanNormSq.unsqueeze(0)).clamp_min(0.0);
    return m_logWeights.unsqueeze(0) - 0.5 * D * (2.0 * M_PI * v).log().unsqueeze(0) - dist / (2.0 * v.unsqueeze(0));
}

torch::Tensor GaussianMixtureDenoiser::weights(const torch::Tensor& x, double ab) const
{
    return weights(x, vpPoint(ab));
}

torch::Tensor GaussianMixtureDenoiser::weights(const torch::Tensor& x, const PathPoint& pt) const
{
    const auto flat = x.reshape({x.size(0), -1}).to(m_device, torch::kFloat32);
    return torch::softmax(logits(flat, pt), 1);
}

torch::Tensor GaussianMixtureDenoiser::expectedX0(const torch::Tensor& x, double ab) const
{
    return expectedX0(x, vpPoint(ab));
}

torch::Tensor GaussianMixtureDenoiser::pointSetExpectedX0(const torch::Tensor& flatX, const PathPoint& pt) const
{
    // For a finite set v_k = s^2 for every k, so |x|^2 / (2 s^2) is the same for all k and drops out of the
    // softmax: w_k(x) = softmax_k(b_k + (a / s^2) x.m_k), b_k = log pi_k - a^2 |m_k|^2 / (2 s^2). This is attention
    // with query x, keys a m_k and values m_k, and is computed the way flash attention does: the set is cut into
    // blocks of rows small enough to stay in cache, each block is read from memory once and used for both
    // products, and the softmax is normalised online (Milakov & Gimelshein 2018, "Online normaliser calculation
    // for softmax": a running max per row, earlier sums rescaled by exp(old max - new max)). Nothing of size
    // [B, K] is formed. float32 throughout: the logits carry the rounding of the float32 product x.m_k (about
    // 1e-7 |x||m| a / s^2) either way, and the max subtraction keeps exp in range.
    const int64_t B = flatX.size(0), K = m_means.size(0), D = m_means.size(1);
    const double gain = pt.a / pt.s2;
    const auto bias = (m_logWeights - (0.5 * pt.a2 / pt.s2) * m_meanNormSq).to(torch::kFloat32); // [K]
    // A block of rows ([rows, D] of the set and the [B, rows] logits) of about 1 MiB: the per-core L2 of current
    // x86 parts, so the second product reads the block from cache.
    // On a GPU one block (its kernels are parallel already).
    const bool cpu = m_device.is_cpu();
    const int64_t rowBytes = 4 * std::max(D, B);
    const int64_t rows = cpu ? std::clamp<int64_t>((int64_t{1} << 20) / rowBytes, 64, 8192) : K;
    const int64_t blocks = (K + rows - 1) / rows;
    // A fixed number of ranges of consecutive blocks, independent of the thread count, merged in order: the
    // result does not depend on how many threads run them.
    const int64_t ranges = std::min<int64_t>(blocks, 16);
    const auto opts = flatX.options();
    auto rangeMax = torch::empty({ranges, B, 1}, opts), rangeSum = torch::empty({ranges, B, 1}, opts);
    auto rangeNum = torch::empty({ranges, B, D}, opts);
    const auto run = [&](int64_t first, int64_t last) {
        for (int64_t r = first; r < last; ++r) {
            const int64_t b0 = r * blocks / ranges, b1 = (r + 1) * blocks / ranges;
            torch::Tensor runMax, runSum, runNum;
            for (int64_t b = b0; b < b1; ++b) {
                const int64_t k0 = b * rows, n = std::min(rows, K - k0);
                const auto block = m_means.narrow(0, k0, n);                                       // [n, D]
                auto logit = torch::addmm(bias.narrow(0, k0, n).unsqueeze(0), flatX, block.t(), 1.0, gain); // [B, n]
                // Floored at the lowest float: a block of zero-weight items (log pi = -inf) adds exp(-inf) = 0
                // instead of -inf - (-inf) = NaN.
                const auto blockMax = logit.amax(1, true).clamp_min_(std::numeric_limits<float>::lowest()); // [B, 1]
                if (!runMax.defined()) {
                    runMax = blockMax;
                    logit.sub_(runMax).exp_();
                    runSum = logit.sum(1, true);
                    runNum = torch::mm(logit, block);
                } else {
                    const auto newMax = torch::max(runMax, blockMax);
                    const auto rescale = (runMax - newMax).exp_();
                    logit.sub_(newMax).exp_();
                    runSum.mul_(rescale).add_(logit.sum(1, true));
                    runNum.mul_(rescale).addmm_(logit, block);
                    runMax = newMax;
                }
            }
            rangeMax[r].copy_(runMax);
            rangeSum[r].copy_(runSum);
            rangeNum[r].copy_(runNum);
        }
    };
    // The ranges run one after the other on the calling thread; the products inside use the BLAS threads.
    // (Running the ranges through at::parallel_for was 2x faster for points but corrupted the heap when the
    // app's threads called it at once: see the README's benchmark notes.)
    run(0, ranges);
    const auto overall = rangeMax.amax(0, true);   // [1, B, 1]
    const auto rescale = (rangeMax - overall).exp(); // [ranges, B, 1]
    return (rangeNum * rescale).sum(0) / (rangeSum * rescale).sum(0);
}

torch::Tensor GaussianMixtureDenoiser::expectedX0(const torch::Tensor& x, const PathPoint& pt) const
{
    const auto flat = x.reshape({x.size(0), -1}).to(m_device, torch::kFloat32).contiguous();
    torch::Tensor e;
    if (m_isPointSet && m_means.size(1) <= kBlockwiseMaxDim) {
        e = pointSetExpectedX0(flat, pt);
    } else if (m_isPointSet) {
        // Images. On a CPU with AVX-512 or AVX2, one fused pass over the set (core/exact_kernel.h: both products
        // and the online softmax per block of 64 rows, in registers; bench_exact prints it beside this path). Else
        // one [B, K] product keeps BLAS busy; blocks of a few rows would starve it (bench_exact: 60,000
        // Fashion-MNIST images, 16 samples, 603 ms blockwise through torch). The logits as in pointSetExpectedX0 (the |x|^2
        // term dropped, the bias folded into the product), in float32 and in place: one addmm, one pass for
        // max / exp, a second product, the normalisation on the [B, D] result; no float64 [B, K] temporaries.
        // An item left out weighs < 1e-7 / K of its row's largest weight (1 after the max subtraction), so
        // all of them together move E[x_0|x_t] by < 1e-7 of the data's range; the sum is taken in full.
        const double dropBelow = 1e-7 / static_cast<double>(m_means.size(0));
        if (m_device.is_cpu() && kernels::fusedPosteriorMeanAvailable())
            return fusedExpectedX0(flat, m_means, m_logWeights, m_meanNormSq, 0.5 * pt.a2 / pt.s2, pt.a / pt.s2, dropBelow)
                .reshape(x.sizes())
                .to(x.scalar_type());
        const auto bias = (m_logWeights - (0.5 * pt.a2 / pt.s2) * m_meanNormSq).to(torch::kFloat32); // [K]
        auto w = torch::addmm(bias.unsqueeze(0), flat, m_means.t(), 1.0, pt.a / pt.s2);           // [B, K]
        w.sub_(w.amax(1, true).clamp_min_(std::numeric_limits<float>::lowest())).exp_();
        // Late in a run the posterior is sparse (a DDIM 50 run of Fashion-MNIST against all 60,000 images: fewer
        // than 15,000 items above 1e-7 / K in its last 12 steps, 16 in its last 8): the second product then runs
        // over the items some sample weights.
        const int64_t K = w.size(1);
        const auto kept = (w.amax(0) > dropBelow).nonzero().squeeze(1);
        if (kept.size(0) * 4 < K)
            e = torch::mm(w.index_select(1, kept), m_means.index_select(0, kept)).div_(w.sum(1, true));
        else
            e = torch::mm(w, m_means).div_(w.sum(1, true));
    } else {
        const auto r = torch::softmax(logits(flat, pt), 1); // [B, K] float64
        // E[x_0|x_t, k] = m_k (1 - a^2 s_k^2 / v_k) + (a s_k^2 / v_k) x_t.
        const auto v = pt.a2 * m_vars + pt.s2;
        const auto keep = 1.0 - pt.a2 * m_vars / v, gain = pt.a * m_vars / v;
        e = torch::matmul((r * keep.unsqueeze(0)).to(torch::kFloat32), m_means) +
            (r * gain.unsqueeze(0)).sum(1, true).to(torch::kFloat32) * flat;
    }
    return e.reshape(x.sizes()).to(x.scalar_type());
}

torch::Tensor GaussianMixtureDenoiser::logDensity(const torch::Tensor& x, double ab) const
{
    return logDensity(x, vpPoint(ab));
}

torch::Tensor GaussianMixtureDenoiser::logDensity(const torch::Tensor& x, const PathPoint& pt) const
{
    const auto flat = x.reshape({x.size(0), -1}).to(m_device, torch::kFloat32);
    return torch::logsumexp(logits(flat, pt), 1);
}

torch::Tensor GaussianMixtureDenoiser::score(const torch::Tensor& x, double ab) const
{
    return -(x - std::sqrt(ab) * expectedX0(x, ab)) / (1.0 - ab);
}

torch::Tensor GaussianMixtureDenoiser::score(const torch::Tensor& x, const PathPoint& pt) const
{
    return -(x - pt.a * expectedX0(x, pt)) / pt.s2;
}

torch::Tensor GaussianMixtureDenoiser::velocity(const torch::Tensor& x, const PathPoint& pt) const
{
    const auto x0 = expectedX0(x, pt);
    return path::velocity(x0, (x - pt.a * x0) / pt.s, pt);
}

void GaussianMixtureDenoiser::usePath(const SchedulerConfig& config)
{
    m_path = ProbabilityPath::fromConfig(config);
    m_prediction = parsePrediction(config.predictionType);
    if (m_path.kind() == PathKind::Vp) m_alphaBars = NoiseSchedule::fromConfig(config).alphaBars();
}

ReverseMixture GaussianMixtureDenoiser::reverseStep(const torch::Tensor& x, double ab, double abPrev) const
{
    const int64_t D = m_means.size(1);
    if (x.numel() != D)
        throw ModelError("reverseStep takes one sample of " + std::to_string(D) + " values, got " +
                         std::to_string(x.numel()));
    if (!(ab > 0 && ab < 1) || !(abPrev >= ab && abPrev <= 1))
        throw ConfigError("reverseStep needs 0 < abar_t < 1 and abar_t <= abar_{t-1} <= 1");
    const auto flat = x.reshape({1, D}).to(m_device, torch::kFloat32);
    ReverseMixture r;
    r.weights = torch::softmax(logits(flat, vpPoint(ab)), 1).squeeze(0).to(torch::kCPU, torch::kFloat64);
    const auto post = diffusion::posterior(ab, abPrev); // Ho et al. Eq. 7 between t and t-1
    const auto xt = flat.to(torch::kCPU, torch::kFloat64);   // [1, D]
    const auto m = m_means.to(torch::kCPU, torch::kFloat64); // [K, D]
    const auto s2 = m_vars.to(torch::kCPU);                  // [K]
    // x_0 | x_t, k ~ N(m', v'): prior N(m_k, s_k^2), likelihood x_t ~ N(sqrt(abar) x_0, 1 - abar), so
    // v' = s^2 (1 - abar) / (1 - abar + abar s^2) and m' = m_k (1 - g sqrt(abar)) + g x_t, g = sqrt(abar) s^2 /
    // (1 - abar + abar s^2). For s = 0 (a training point): m' = m_k, v' = 0.
    const auto denom = (1.0 - ab) + ab * s2;
    const auto gain = std::sqrt(ab) * s2 / denom;                                    // [K]
    const auto x0Mean = m * (1.0 - std::sqrt(ab) * gain).unsqueeze(1) + gain.unsqueeze(1) * xt; // [K, D]
    const auto x0Var = s2 * (1.0 - ab) / denom;                                       // [K]
    r.means = post.c1 * x0Mean + post.c2 * xt;
    r.variances = post.variance + post.c1 * post.c1 * x0Var;
    return r;
}

PosteriorView GaussianMixtureDenoiser::posteriorView(const torch::Tensor& x, double ab, const torch::Tensor& y) const
{
    PosteriorView v;
    const int64_t K = m_means.size(0), D = m_means.size(1);
    // The nearest item from the logits needs equal item weights (log pi_k drops out of the ranking).
    if (!(m_isPointSet && D > kBlockwiseMaxDim && m_device.is_cpu() && kernels::fusedPosteriorMeanAvailable() &&
          (m_uniformWeights || !y.defined()))) {
        v.weights = weights(x, ab).squeeze(0).to(torch::kCPU, torch::kFloat64);
        v.expectedX0 = expectedX0(x, ab);
        if (y.defined()) std::tie(v.nearest, v.nearestSquared) = nearest(y);
        return v;
    }
    if (x.numel() != D || (y.defined() && y.numel() != D))
        throw ModelError("posteriorView takes one sample of " + std::to_string(D) + " values");
    const PathPoint pt = vpPoint(ab);
    // Query 2 is a y: its logit g (a y).m_k + b_k = (a^2 / s^2) (y.m_k - |m_k|^2 / 2) + log pi, the largest for
    // the item nearest to y.
    auto queries = x.reshape({1, D}).to(torch::kCPU, torch::kFloat32);
    if (y.defined()) queries = torch::cat({queries, pt.a * y.reshape({1, D}).to(torch::kCPU, torch::kFloat32)});
    queries = queries.contiguous();
    auto logits = torch::empty({queries.size(0), K}, torch::kFloat32);
    // Only x_t's weighted sum is formed (y's would be a posterior mean at another temperature, unused).
    const auto e = fusedExpectedX0(queries, m_means, m_logWeights, m_meanNormSq, 0.5 * pt.a2 / pt.s2, pt.a / pt.s2,
                                   1e-7 / static_cast<double>(K), logits.data_ptr<float>(), 1);
    v.expectedX0 = e[0].reshape(x.sizes()).to(x.scalar_type());
    // The softmax and the argmax in plain loops too (tensor operations of 60,000 elements wake the OpenMP
    // threads, which then spin beside the next frame's kernel).
    v.weights = torch::empty({K}, torch::kFloat64);
    const float* l0 = logits.data_ptr<float>();
    double* w = v.weights.data_ptr<double>();
    const float top = *std::max_element(l0, l0 + K);
    double total = 0;
    for (int64_t k = 0; k < K; ++k) total += (w[k] = std::exp(static_cast<double>(l0[k]) - top));
    for (int64_t k = 0; k < K; ++k) w[k] /= total;
    if (y.defined()) {
        const float* l1 = l0 + K;
        v.nearest = std::max_element(l1, l1 + K) - l1;
        v.nearestSquared =
            (y.reshape({D}).to(torch::kCPU, torch::kFloat64) - m_means[v.nearest].to(torch::kFloat64)).pow(2).sum().item<double>();
    }
    return v;
}

std::pair<int64_t, double> GaussianMixtureDenoiser::nearest(const torch::Tensor& x) const
{
    const int64_t D = m_means.size(1);
    if (x.numel() != D)
        throw ModelError("nearest takes one sample of " + std::to_string(D) + " values, got " + std::to_string(x.numel()));
    // |x - m_k|^2 = |x|^2 - 2 x.m_k + |m_k|^2 with the cached norms: no [K, D] temporary.
    const auto flat = x.reshape({1, D}).to(m_device, torch::kFloat32);
    const auto d = (flat.to(torch::kFloat64).pow(2).sum() - 2.0 * torch::matmul(flat, m_means.t()).squeeze(0).to(torch::kFloat64) +
                    m_meanNormSq)
                       .clamp_min(0.0);
    const int64_t best = d.argmin().item<int64_t>();
    return {best, d[best].item<double>()};
}

torch::Tensor ReverseMixture::logDensity(const torch::Tensor& y) const
{
    const int64_t D = means.size(1);
    const auto flat = y.reshape({-1, D}).to(torch::kCPU, torch::kFloat64);
    const auto v = variances.clamp_min(1e-12);                                                  // [K]
    const auto dist = (flat.pow(2).sum(1, true) - 2.0 * torch::matmul(flat, means.t()) +
                       means.pow(2).sum(1).unsqueeze(0))
                          .clamp_min(0.0);                                                      // [G, K]
    const auto logN = -0.5 * static_cast<double>(D) * (2.0 * M_PI * v).log().unsqueeze(0) - dist / (2.0 * v.unsqueeze(0));
    return torch::logsumexp(weights.clamp_min(1e-300).log().unsqueeze(0) + logN, 1);
}

torch::Tensor ReverseMixture::mean() const
{
    return torch::matmul(weights.unsqueeze(0), means).squeeze(0);
}

double ReverseMixture::effectiveComponents() const
{
    return 1.0 / weights.pow(2).sum().item<double>();
}

torch::Tensor GaussianMixtureDenoiser::forward(const torch::Tensor& x, const torch::Tensor& t)
{
    std::vector<int64_t> tail(x.sizes().begin() + 1, x.sizes().end());
    if (tail != m_sampleShape)
        throw ModelError("the exact denoiser's data has sample shape " + std::string(c10::str(c10::IntArrayRef(m_sampleShape))) +
                         " but x_t has shape " + std::string(c10::str(x.sizes())));
    // One timestep per call is the common case; group by t otherwise.
    const auto tCpu = t.to(torch::kCPU);
    auto out = torch::empty_like(x);
    const auto unique = std::get<0>(at::_unique(tCpu));
    const bool integral = !tCpu.is_floating_point();
    for (int64_t k = 0; k < unique.size(0); ++k) {
        const auto mask = (tCpu == unique[k]).nonzero().squeeze(1).to(x.device());
        const auto xs = unique.size(0) == 1 ? x : x.index_select(0, mask);
        torch::Tensor result;
        if (integral && m_path.kind() == PathKind::Vp && m_prediction == Prediction::Epsilon) {
            const long ti = unique[k].item<long>();
            if (ti < 0 || ti >= static_cast<long>(m_alphaBars.size()))
                throw ModelError("timestep " + std::to_string(ti) + " is outside the exact denoiser's schedule");
            const double ab = m_alphaBars[static_cast<size_t>(ti)];
            result = (xs - std::sqrt(ab) * expectedX0(xs, ab)) / std::sqrt(1.0 - ab);
        } else {
            // Any path, any time: E[x_0|x_t] with the path's a_t, s_t, returned as the package's prediction.
            const double m = unique[k].item<double>();
            PathPoint pt;
            try {
                pt = m_path.atModelTime(m);
            } catch (const ConfigError& e) {
                throw ModelError(std::string("the exact denoiser: ") + e.what());
            }
            if (pt.isData()) throw ModelError("the exact denoiser is not defined at the data (t = 0)");
            const auto x0 = expectedX0(xs, pt);
            const auto eps = (xs - pt.a * x0) / pt.s;
            result = path::target(m_prediction, x0, eps, pt);
        }
        if (unique.size(0) == 1) return result;
        out.index_copy_(0, mask, result);
    }
    return out;
}

} // namespace difflens
