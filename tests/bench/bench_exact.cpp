// Exact-denoiser step time against the training-set size, as a fraction of what the machine allows, measured in
// the same run (tests/bench/machine_bounds.h), so the figures hold on a loaded machine.
//
// usage: bench_exact [--quick]   (--quick: only the two full-size cases, fewer repetitions)
//
// One step is forward(x_t, t) at t = 500 (E[x_0|x_t] plus a few [B, D] operations). Its bound:
// - images (Fashion-MNIST, D = 784, batch 16): two products of [B, D] by [D, K] (4 B K D flops) at the matmul
//   rate of this run, or one read of the K x D float32 set at this run's memory bandwidth, whichever is longer;
//   also the two products at this run's AVX-512 FMA peak (the CPU's own bound where OpenBLAS's kernels are
//   older than the CPU), and the step on the lesser paths (the AVX2 kernel, the BLAS products);
// - 2-D points (moons, batch 256): the set (480 kB) stays in cache, nothing of size [B, K] reaches memory, so
//   the bound is B K exponentials at this run's exp rate (the memory bandwidth bound of writing and reading
//   the [B, K] float32 logits once, what an unfused step needs at least, is printed beside it).
// "unfused" is the previous implementation kept as the reference: float64 softmax over all K via weights(),
// then one [B, K] x [K, D] product; max |diff| is the largest difference of E[x_0|x_t] between the two.
// Resident memory is read before and after the timed steps to show that no step keeps a copy of the set.
// Last, a whole DDIM 50 run of 16 images against all 60,000 (what the app and the CLI do): steps per second,
// where the steps below t ~ T/2 are cheaper (the posterior is sparse there; core/exact.cpp).
#include "core/datasets.h"
#include "core/exact.h"
#include "core/exact_kernel.h"
#include "core/runtime.h"
#include "core/sampler.h"
#include "machine_bounds.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

using namespace difflens;

namespace {
long rssKb()
{
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    return 0;
}

struct Machine
{
    double gflops = 0, gbs = 0, gexp = 0, gfma = 0;
};

void runCase(const char* label, const torch::Tensor& set, int64_t batch, int reps, const Machine& m, bool images,
           bool unfused)
{
    SchedulerConfig c;
    const auto sched = NoiseSchedule::fromConfig(c);
    GaussianMixtureDenoiser exact(sched, set);
    auto gen = at::make_generator<at::CPUGeneratorImpl>(0);
    auto shape = set.sizes().vec();
    shape[0] = batch;
    const int tIndex = 500;
    const double ab = sched.alphaBars()[tIndex];
    // x_t from the data, so that the weights are as peaked as in a real run.
    const auto x = std::sqrt(ab) * set.narrow(0, 0, batch) + std::sqrt(1.0 - ab) * torch::randn(shape, gen);
    const auto t = torch::full({batch}, tIndex, torch::kInt64);
    const long before = rssKb();
    const double s = bench::bestSeconds(reps, [&] { exact.forward(x, t); });
    const long after = rssKb();
    const double K = static_cast<double>(set.size(0)), B = static_cast<double>(batch);
    const double D = static_cast<double>(set.numel()) / K;
    double bound = 0;
    char why[160];
    if (images) {
        const double flopBound = 4.0 * B * K * D / (m.gflops * 1e9), memBound = 4.0 * K * D / (m.gbs * 1e9);
        bound = std::max(flopBound, memBound);
        std::snprintf(why, sizeof why, "bound %.2f ms = max(matmul %.2f, one read of the set %.2f)", 1e3 * bound,
                      1e3 * flopBound, 1e3 * memBound);
    } else {
        const double expBound = B * K / (m.gexp * 1e9), memBound = 2.0 * 4.0 * B * K / (m.gbs * 1e9);
        bound = expBound;
        std::snprintf(why, sizeof why, "bound %.2f ms = B K exp (unfused: [B,K] logits through memory %.2f ms)",
                      1e3 * expBound, 1e3 * memBound);
    }
    std::printf("%-20s N=%6lld B=%3lld %9.3f ms/step %7.1f steps/s  %5.1f%% of the bound (%s)  RSS %+ld kB\n", label,
                static_cast<long long>(set.size(0)), static_cast<long long>(batch), 1e3 * s, 1.0 / s,
                100.0 * bound / s, why, after - before);
    if (images && m.gfma > 0)
        std::printf("%-20s   the two products at the FMA peak: %.2f ms, this step %.1f%% of it\n", "",
                    1e3 * 4.0 * B * K * D / (m.gfma * 1e9), 100.0 * 4.0 * B * K * D / (m.gfma * 1e9) / s);
    if (images) {
        // The Exact q tab's view of sample #1: E[x0|xt], the weights and the item nearest x0^ (posteriorView).
        const auto x1 = x.narrow(0, 0, 1), y = set[1];
        const double sView = bench::bestSeconds(reps, [&] { exact.posteriorView(x1, ab, y); });
        const double sThree = bench::bestSeconds(std::max(1, reps / 2), [&] {
            exact.weights(x1, ab);
            exact.expectedX0(x1, ab);
            exact.nearest(y);
        });
        std::printf("%-20s   the Exact q tab's view of one sample: %.3f ms in one pass (%.3f ms as three calls)\n", "",
                    1e3 * sView, 1e3 * sThree);
    }
    if (images && kernels::fusedPosteriorMeanAvailable()) {
        // The same step on the lesser paths of the same run: the AVX2 kernel (where this CPU has AVX-512) and the
        // two BLAS products (CPUs with neither).
        const auto best = kernels::fusedKernelIsa();
        const auto onPath = [&](kernels::KernelIsa isa, const char* name) {
            kernels::setFusedKernelLimit(isa);
            const double sPath = bench::bestSeconds(reps, [&] { exact.forward(x, t); });
            const auto pathX0 = exact.expectedX0(x, ab);
            kernels::setFusedKernelLimit(kernels::KernelIsa::Avx512);
            const double diff = (exact.expectedX0(x, ab) - pathX0).abs().max().item<double>();
            std::printf("%-20s   %-22s %9.3f ms/step, %5.1f%% of the bound: this run's kernel is %.2fx faster, "
                        "max |diff| of E[x0|xt] %.2e\n",
                        "", name, 1e3 * sPath, 100.0 * bound / sPath, sPath / s, diff);
        };
        if (best == kernels::KernelIsa::Avx512) onPath(kernels::KernelIsa::Avx2, "the AVX2 kernel");
        onPath(kernels::KernelIsa::Off, "the BLAS products");
    }
    if (unfused) {
        const auto reference = [&] {
            return torch::matmul(exact.weights(x, ab).to(torch::kFloat32), exact.means());
        };
        const double sRef = bench::bestSeconds(std::max(1, reps / 4), reference);
        const double diff = (exact.expectedX0(x, ab).reshape({batch, -1}) - reference()).abs().max().item<double>();
        std::printf("%-20s   unfused float64 reference %9.3f ms/step: fused is %.1fx faster, max |diff| of E[x0|xt] "
                    "%.2e\n",
                    "", 1e3 * sRef, sRef / s, diff);
    }
    std::fflush(stdout);
}
} // namespace

int main(int argc, char** argv)
{
    const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
    initRuntime();
    c10::InferenceMode guard;
    Machine m;
    m.gflops = bench::matmulGflops();
    m.gbs = bench::readBandwidthGBs();
    m.gexp = bench::expGelems();
    m.gfma = bench::fmaPeakGflops();
    std::printf("threads: %d; this run: matmul %.1f GFLOP/s (1024^3 float32), memory read %.1f GB/s (sum of 256 MiB), "
                "exp %.2f Gelem/s (float32, in cache), AVX-512 FMA peak %.1f GFLOP/s (0: no AVX-512)\n",
                torch::get_num_threads(), m.gflops, m.gbs, m.gexp, m.gfma);
    auto moons = openDataset("moons");
    for (int64_t n : quick ? std::vector<int64_t>{60000} : std::vector<int64_t>{1000, 10000, 60000})
        runCase("points (moons)", moons->first(n), 256, quick ? 5 : 10, m, false, true);
    try {
        auto fm = openDataset("fashion-mnist");
        for (int64_t n : quick ? std::vector<int64_t>{60000} : std::vector<int64_t>{1000, 10000, 60000})
            runCase("images (f-mnist)", fm->first(n), 16, quick ? 10 : 20, m, true, true);
        // A whole DDIM 50 run, 16 samples, all 60,000 images.
        SchedulerConfig c;
        GaussianMixtureDenoiser exact(NoiseSchedule::fromConfig(c), fm->first(60000));
        SamplerSettings ss;
        ss.kind = SamplerKind::Ddim;
        ss.steps = 50;
        const ReverseProcess process(c, ss);
        SamplerOptions o;
        o.batch = 16;
        o.sampleShape = {1, 28, 28};
        o.discreteData = true;
        const double s = bench::bestSeconds(quick ? 1 : 3, [&] { runSampler(exact, process, o, {}, nullptr); });
        std::printf("images, DDIM 50 run  N= 60000 B= 16 %9.3f ms/step %7.1f steps/s (whole run, best of %d; "
                    "target >= 50 steps/s)\n",
                    1e3 * s / 50, 50 / s, quick ? 1 : 3);
    } catch (const std::exception& e) {
        std::printf("images skipped: %s\n", e.what());
    }
    return 0;
}
