#pragma once
// What this machine can do right now, measured inside a benchmark run so that a benchmark's figures can be
// printed as fractions of it: on a shared, loaded machine absolute times move by 2-5x between runs, a ratio
// measured in the same run does not. Each figure is the best of several short repetitions (the least disturbed
// one), with torch's intra-op threads as the caller set them.
#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <thread>
#include <vector>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#endif

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

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
namespace detail {
/** 12 independent chains of n fused multiply-adds, 16 floats wide: 384 n flops, no memory traffic. */
__attribute__((target("avx512f"))) inline float fmaChains512(int64_t n)
{
    __m512 acc[12];
    for (int i = 0; i < 12; ++i) acc[i] = _mm512_set1_ps(0.001f * static_cast<float>(i));
    const __m512 a = _mm512_set1_ps(0.9999f), b = _mm512_set1_ps(1e-4f);
    for (int64_t k = 0; k < n; ++k)
#pragma GCC unroll 12
        for (int i = 0; i < 12; ++i) acc[i] = _mm512_fmadd_ps(acc[i], a, b);
    __m512 s = acc[0];
    for (int i = 1; i < 12; ++i) s = _mm512_add_ps(s, acc[i]);
    alignas(64) float lanes[16];
    _mm512_store_ps(lanes, s);
    float total = 0;
    for (float v : lanes) total += v;
    return total;
}
} // namespace detail

/**
 * The CPU's float32 fused multiply-add peak in GFLOP/s with AVX-512 registers, on torch's intra-op thread count
 * (one std::thread each), best of 10; 0 where the CPU has no AVX-512. A GEMM library tuned for an older core
 * (Debian's OpenBLAS 0.3.21 runs its Haswell AVX2 kernels on AMD Zen 4/5) reaches half of it at most.
 */
inline double fmaPeakGflops()
{
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx512f")) return 0;
    const int threads = std::max(1, torch::get_num_threads());
    const int64_t n = 2000000;
    std::vector<float> results(static_cast<size_t>(threads));
    const double s = bestSeconds(10, [&] {
        std::vector<std::thread> pool;
        for (int t = 0; t < threads; ++t) pool.emplace_back([&, t] { results[static_cast<size_t>(t)] = detail::fmaChains512(n); });
        for (auto& th : pool) th.join();
    });
    volatile float sink = results[0]; // keeps the chains' results alive
    (void)sink;
    return 384.0 * static_cast<double>(n) * threads / s / 1e9;
}
#else
inline double fmaPeakGflops()
{
    return 0;
}
#endif

} // namespace difflens::bench
