#pragma once
// What this machine can do right now, measured inside a benchmark run so that a benchmark's figures can be
// printed as fractions of it: on a shared, loaded machine absolute times move by 2-5x between runs, a ratio
// measured in the same run does not. Each figure is the best of several short repetitions (the least disturbed
// one), with torch's intra-op threads as the caller set them.
#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>

namespace difflens::bench {

/** Seconds of the fastest of `reps` calls of f (after one warm-up call). */
template <typename F> double bestSeconds(int reps, F&& f)
{
    f();
    double best = 1e30;
    for (int i = 0; i < reps; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        f();
        best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    return best;
}

/** float32 GEMM rate in GFLOP/s: a 1024 x 1024 by 1024 x 1024 product (2 * 1024^3 flops), best of 20. */
inline double matmulGflops()
{
    c10::InferenceMode guard;
    auto gen = at::make_generator<at::CPUGeneratorImpl>(0);
    const auto a = torch::randn({1024, 1024}, gen), b = torch::randn({1024, 1024}, gen);
    auto c = torch::empty({1024, 1024});
    const double s = bestSeconds(20, [&] { torch::mm_out(c, a, b); });
    return 2.0 * 1024.0 * 1024.0 * 1024.0 / s / 1e9;
}

/**
 * Memory read bandwidth in GB/s: the sum of a 256 MiB float32 tensor (far beyond any cache, so every byte comes
 * from DRAM; the sum's arithmetic is negligible), best of 10.
 */
inline double readBandwidthGBs()
{
    c10::InferenceMode guard;
    const int64_t n = int64_t{64} << 20; // 64 Mi floats = 256 MiB
    const auto big = torch::ones({n});
    const double s = bestSeconds(10, [&] { (void)big.sum().item<float>(); });
    return 4.0 * static_cast<double>(n) / s / 1e9;
}

/** float32 exp throughput in Gelem/s: exp of an in-cache 256 KiB buffer into another, 16 times, best of 50. */
inline double expGelems()
{
    c10::InferenceMode guard;
    const int64_t n = 64 << 10;
    const auto in = torch::linspace(-20.0, 0.0, n);
    auto out = torch::empty({n});
    const double s = bestSeconds(50, [&] {
        for (int i = 0; i < 16; ++i) torch::exp_out(out, in);
    });
    return 16.0 * static_cast<double>(n) / s / 1e9;
}

} // namespace difflens::bench
