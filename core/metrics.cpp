#include "core/metrics.h"

#include "core/denoiser.h"
#include "core/diffusion.h"
#include "core/errors.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>

namespace difflens::metrics {

namespace {
torch::Tensor flat(const torch::Tensor& x)
{
    return x.reshape({x.size(0), -1}).to(torch::kCPU, torch::kFloat64);
}
} // namespace

double slicedWasserstein(const torch::Tensor& a, const torch::Tensor& b, int projections, uint64_t seed)
{
    auto fa = flat(a), fb = flat(b);
    if (fa.size(1) != fb.size(1)) throw DataError("sliced Wasserstein: point sets of different dimension");
    auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
    auto dirs = torch::randn({fa.size(1), projections}, gen, torch::kFloat64);
    dirs = dirs / dirs.norm(2, 0, true);
    auto pa = std::get<0>(torch::matmul(fa, dirs).sort(0));
    auto pb = std::get<0>(torch::matmul(fb, dirs).sort(0));
    // Compare the two empirical quantile functions on a common grid.
    const int64_t n = std::max(pa.size(0), pb.size(0));
    auto q = (torch::arange(n, torch::kFloat64) + 0.5) / n;
    auto quantiles = [&](const torch::Tensor& sorted) {
        const auto idx = (q * sorted.size(0)).floor().clamp_max(sorted.size(0) - 1).to(torch::kInt64);
        return sorted.index_select(0, idx);
    };
    return (quantiles(pa) - quantiles(pb)).pow(2).mean().sqrt().item<double>();
}

DataFloor dataFloor(const Dataset& dataset, int64_t n, at::Generator& gen,
                    const std::function<double(const torch::Tensor&)>& distance, int draws)
{
    if (draws < 1) throw ConfigError("a data floor needs at least one draw");
    DataFloor f;
    f.draws = draws;
    for (int i = 0; i < draws; ++i) {
        const double d = distance(dataset.sample(n, gen));
        f.mean += d / draws;
        f.min = i == 0 ? d : std::min(f.min, d);
        f.max = i == 0 ? d : std::max(f.max, d);
    }
    return f;
}

double mmd(const torch::Tensor& a, const torch::Tensor& b)
{
    // The [2n, 2n] squared distances and their kernels in float32, in place (one buffer): in float64 with a
    // fresh tensor per step, an eval spent about 100 s in its three MMDs (8,000^2 exp in float64 is not
    // vectorised in LibTorch 1.13). The three block means are still summed in float64.
    auto fa = flat(a).slice(0, 0, 4000), fb = flat(b).slice(0, 0, 4000);
    const auto all = torch::cat({fa, fb}).to(torch::kFloat32);
    const auto d2 = torch::cdist(all, all).pow_(2);
    const double median = d2.median().item<double>();
    const int64_t n = fa.size(0);
    auto k = torch::empty_like(d2);
    auto blockMean = [&](int64_t r0, int64_t r1, int64_t c0, int64_t c1) {
        return k.slice(0, r0, r1).slice(1, c0, c1).sum(torch::kFloat64).item<double>() /
               static_cast<double>((r1 - r0) * (c1 - c0));
    };
    double total = 0;
    for (double scale : {0.25, 1.0, 4.0}) {
        torch::mul_out(k, d2, -1.0 / (scale * std::max(median, 1e-12))).exp_();
        total += blockMean(0, n, 0, n) + blockMean(n, 2 * n, n, 2 * n) - 2.0 * blockMean(0, n, n, 2 * n);
    }
    return total;
}

namespace {
torch::Tensor componentLogDensities(const torch::Tensor& points, const MixtureSpec& mix)
{
    const auto x = flat(points);
    const auto means = mix.means.to(torch::kFloat64), vars = mix.stds.to(torch::kFloat64).pow(2);
    const double d = static_cast<double>(x.size(1));
    const auto dist = torch::cdist(x, means).pow(2); // [N, K]
    return mix.weights.to(torch::kFloat64).log().unsqueeze(0) - 0.5 * d * (2.0 * M_PI * vars).log().unsqueeze(0) -
           dist / (2.0 * vars.unsqueeze(0));
}
} // namespace

double mixtureLogLikelihood(const torch::Tensor& points, const MixtureSpec& mix)
{
    return torch::logsumexp(componentLogDensities(points, mix), 1).mean().item<double>();
}

std::vector<double> modeCoverage(const torch::Tensor& points, const MixtureSpec& mix)
{
    const auto k = componentLogDensities(points, mix).argmax(1);
    const auto counts = torch::bincount(k, {}, mix.means.size(0)).to(torch::kFloat64) / static_cast<double>(points.size(0));
    return std::vector<double>(counts.data_ptr<double>(), counts.data_ptr<double>() + counts.numel());
}

Neighbours nearestNeighbours(const torch::Tensor& samples, const torch::Tensor& training)
{
    const auto s = samples.reshape({samples.size(0), -1}).to(torch::kCPU, torch::kFloat32);
    const auto tr = training.reshape({training.size(0), -1}).to(torch::kCPU, torch::kFloat32);
    if (s.size(1) != tr.size(1)) throw DataError("nearest neighbours: samples and training items differ in size");
    const auto trNorm = tr.pow(2).sum(1);
    Neighbours out;
    out.distance = torch::empty({s.size(0)}, torch::kFloat32);
    out.index = torch::empty({s.size(0)}, torch::kInt64);
    const int64_t chunk = 256;
    for (int64_t i = 0; i < s.size(0); i += chunk) {
        const auto block = s.slice(0, i, std::min(i + chunk, s.size(0)));
        const auto d2 = (block.pow(2).sum(1, true) - 2.0 * torch::matmul(block, tr.t()) + trNorm.unsqueeze(0)).clamp_min(0);
        const auto idx = std::get<1>(d2.min(1));
        // The expanded form loses precision near 0: recompute the winner's distance directly.
        out.distance.slice(0, i, i + block.size(0)).copy_((block - tr.index_select(0, idx)).norm(2, 1));
        out.index.slice(0, i, i + block.size(0)).copy_(idx);
    }
    return out;
}

double frechetDistance(const torch::Tensor& a, const torch::Tensor& b)
{
    const auto fa = flat(a), fb = flat(b);
    const auto muA = fa.mean(0), muB = fb.mean(0);
    const auto ca = fa - muA, cb = fb - muB;
    const auto sa = torch::matmul(ca.t(), ca) / (fa.size(0) - 1.0), sb = torch::matmul(cb.t(), cb) / (fb.size(0) - 1.0);
    // tr sqrt(Sa Sb) = sum of sqrt of the eigenvalues of sqrt(Sa) Sb sqrt(Sa) (symmetric PSD).
    const auto [ea, va] = torch::linalg_eigh(sa);
    const auto rootA = torch::matmul(va * ea.clamp_min(0).sqrt().unsqueeze(0), va.t());
    const auto inner = torch::matmul(torch::matmul(rootA, sb), rootA);
    const auto eInner = std::get<0>(torch::linalg_eigh((inner + inner.t()) / 2.0));
    const double trSqrt = eInner.clamp_min(0).sqrt().sum().item<double>();
    return (muA - muB).pow(2).sum().item<double>() + sa.trace().item<double>() + sb.trace().item<double>() - 2.0 * trSqrt;
}

VlbResult variationalBound(Denoiser& model, const SchedulerConfig& config, const torch::Tensor& x0In,
                           bool discreteData, uint64_t seed, const std::function<void(int, int)>& progress,
                           const std::atomic_bool* cancel)
{
    c10::InferenceMode guard;
    const ReverseProcess process(config, SamplerKind::Ddpm, 0, 0.0);
    const auto& sched = process.schedule();
    const int T = sched.size();
    const auto x0 = x0In.to(model.device(), torch::kFloat32);
    const int64_t dims = x0[0].numel();
    auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
    VlbResult r;
    r.t.resize(static_cast<size_t>(T));
    r.termBits.resize(static_cast<size_t>(T));
    double total = 0, mse = 0;
    // ReverseProcess with all steps visits t = T-1 .. 0; step i has t = T-1-i.
    for (int i = 0; i < T; ++i) {
        if (cancel && cancel->load()) throw Cancelled();
        const long t = process.timesteps()[static_cast<size_t>(i)];
        const auto noise = torch::randn(x0.sizes(), gen, torch::kFloat32).to(x0.device());
        const auto xt = diffusion::qSample(x0, sched.alphaBars()[static_cast<size_t>(t)], noise);
        const auto tt = torch::full({x0.size(0)}, t, torch::TensorOptions().dtype(torch::kInt64).device(x0.device()));
        const auto out = model.forward(xt, tt);
        const auto rec = process.describe(i, xt, out, x0, discreteData);
        const double nats = rec.kl.mean().item<double>();
        const double bits = diffusion::bitsPerDim(nats, dims);
        r.t[static_cast<size_t>(t)] = t;
        r.termBits[static_cast<size_t>(t)] = bits;
        total += bits;
        mse += diffusion::meanFlat((rec.eps - noise).pow(2)).mean().item<double>();
        if (progress) progress(i + 1, T);
    }
    r.priorBits = diffusion::bitsPerDim(diffusion::priorKl(x0, sched.alphaBars().back()).mean().item<double>(), dims);
    r.totalBits = total + r.priorBits;
    r.mseEps = mse / T;
    return r;
}

} // namespace difflens::metrics
