#include "core/exact_kernel.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <thread>
#include <vector>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define DIFFLENS_X86_KERNELS 1
#include <immintrin.h>
#if defined(__GNUC__) && !defined(__clang__)
// GCC 12 reports the deliberately undefined source of its own masked-load intrinsics (_mm512_undefined_ps).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
#endif

namespace difflens::kernels {

namespace {
std::atomic<int> g_limit{static_cast<int>(KernelIsa::Avx512)};

KernelIsa cpuIsa()
{
#ifdef DIFFLENS_X86_KERNELS
    static const KernelIsa isa = [] {
        __builtin_cpu_init();
        if (__builtin_cpu_supports("avx512f")) return KernelIsa::Avx512;
        if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return KernelIsa::Avx2;
        return KernelIsa::Off;
    }();
    return isa;
#else
    return KernelIsa::Off;
#endif
}
} // namespace

KernelIsa fusedKernelIsa()
{
    return static_cast<KernelIsa>(
        std::min(static_cast<int>(cpuIsa()), g_limit.load(std::memory_order_relaxed)));
}

void setFusedKernelLimit(KernelIsa most)
{
    g_limit.store(static_cast<int>(most), std::memory_order_relaxed);
}

bool fusedPosteriorMeanAvailable()
{
    return fusedKernelIsa() != KernelIsa::Off;
}

#ifdef DIFFLENS_X86_KERNELS
namespace {

/** The operations whose intrinsics differ only in their prefix (_mm512_add_ps, _mm256_add_ps, ...). max(a, b)
 * returns b where a is NaN. */
// clang-format off
#define DL_SIMD_OPS(ATTR, PFX)                                                  \
    ATTR R zero() { return PFX##_setzero_ps(); }                                \
    ATTR R set1(float v) { return PFX##_set1_ps(v); }                           \
    ATTR R load(const float* p) { return PFX##_load_ps(p); }                    \
    ATTR R loadu(const float* p) { return PFX##_loadu_ps(p); }                  \
    ATTR void store(float* p, R v) { PFX##_store_ps(p, v); }                    \
    ATTR void storeu(float* p, R v) { PFX##_storeu_ps(p, v); }                  \
    ATTR R fmadd(R a, R b, R c) { return PFX##_fmadd_ps(a, b, c); }             \
    ATTR R fnmadd(R a, R b, R c) { return PFX##_fnmadd_ps(a, b, c); }           \
    ATTR R add(R a, R b) { return PFX##_add_ps(a, b); }                         \
    ATTR R sub(R a, R b) { return PFX##_sub_ps(a, b); }                         \
    ATTR R mul(R a, R b) { return PFX##_mul_ps(a, b); }                         \
    ATTR R max(R a, R b) { return PFX##_max_ps(a, b); }
// clang-format on

/** AVX-512: 16 floats a register, 32 registers (8 query rows x 3 columns of accumulators in the weighted
 * sum). */
#define DL_AVX512 __attribute__((target("avx512f"))) static inline
struct Avx512
{
    static constexpr int64_t L = 16;
    static constexpr int kMaxQB = 8;
    using R = __m512;
    using Mask = __mmask16;
    DL_SIMD_OPS(DL_AVX512, _mm512)
    DL_AVX512 Mask firstLanes(int n) { return static_cast<Mask>(n >= 16 ? 0xFFFF : (1u << n) - 1); }
    DL_AVX512 R loadFirst(Mask m, const float* p) { return _mm512_maskz_loadu_ps(m, p); }
    DL_AVX512 R select(Mask m, R v) { return _mm512_maskz_mov_ps(m, v); }
    /** Bits of the lanes in m where v < c. */
    DL_AVX512 unsigned lessBits(Mask m, R v, float c)
    {
        return _mm512_mask_cmp_ps_mask(m, v, set1(c), _CMP_LT_OQ);
    }
    DL_AVX512 float reduceMax(R v) { return _mm512_reduce_max_ps(v); }
    DL_AVX512 R roundNearest(R v) { return _mm512_roundscale_ps(v, _MM_FROUND_TO_NEAREST_INT); }
    /** p 2^n for whole n. */
    DL_AVX512 R times2ToThe(R p, R n) { return _mm512_scalef_ps(p, n); }
    /** v where x >= lo, 0 elsewhere (and where x is NaN). */
    DL_AVX512 R keepAtLeast(R x, float lo, R v)
    {
        return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(x, set1(lo), _CMP_GE_OQ), v);
    }
};

/** AVX2 + FMA: 8 floats a register, 16 registers (4 query rows x 3 columns in the weighted sum). */
#define DL_AVX2 __attribute__((target("avx2,fma"))) static inline
struct Avx2
{
    static constexpr int64_t L = 8;
    static constexpr int kMaxQB = 4;
    using R = __m256;
    using Mask = __m256i; // all ones in the lanes that count
    DL_SIMD_OPS(DL_AVX2, _mm256)
    DL_AVX2 Mask firstLanes(int n)
    {
        return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    }
    DL_AVX2 R loadFirst(Mask m, const float* p) { return _mm256_maskload_ps(p, m); }
    DL_AVX2 R select(Mask m, R v) { return _mm256_and_ps(_mm256_castsi256_ps(m), v); }
    DL_AVX2 unsigned lessBits(Mask m, R v, float c)
    {
        return static_cast<unsigned>(
            _mm256_movemask_ps(_mm256_and_ps(_mm256_cmp_ps(v, set1(c), _CMP_LT_OQ), _mm256_castsi256_ps(m))));
    }
    DL_AVX2 float reduceMax(R v)
    {
        __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
        m = _mm_max_ps(m, _mm_movehl_ps(m, m));
        m = _mm_max_ss(m, _mm_shuffle_ps(m, m, 1));
        return _mm_cvtss_f32(m);
    }
    DL_AVX2 R roundNearest(R v) { return _mm256_round_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
    /** p 2^n for whole n >= -150: 2^n from the exponent bits, in two factors so that n below -126 (the
     * smallest normal exponent) stays exact. */
    DL_AVX2 R times2ToThe(R p, R n)
    {
        const R n1 = _mm256_max_ps(n, set1(-126.0f)), n2 = sub(n, n1);
        return mul(mul(p, pow2(n1)), pow2(n2));
    }
    /** 2^k for whole k in [-126, 127]. */
    DL_AVX2 R pow2(R k)
    {
        return _mm256_castsi256_ps(
            _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(k), _mm256_set1_epi32(127)), 23));
    }
    DL_AVX2 R keepAtLeast(R x, float lo, R v)
    {
        return _mm256_and_ps(_mm256_cmp_ps(x, set1(lo), _CMP_GE_OQ), v);
    }
};

namespace avx512 {
using V = Avx512;
#define DL_TARGET __attribute__((target("avx512f")))
#include "core/exact_kernel_body.inc"
#undef DL_TARGET
} // namespace avx512

namespace avx2 {
using V = Avx2;
#define DL_TARGET __attribute__((target("avx2,fma")))
#include "core/exact_kernel_body.inc"
#undef DL_TARGET
} // namespace avx2

} // namespace

void fusedPosteriorMean(const PosteriorMeanArgs& a, float* out)
{
    switch (fusedKernelIsa()) {
    case KernelIsa::Avx512:
        avx512::run(a, out);
        break;
    case KernelIsa::Avx2:
        avx2::run(a, out);
        break;
    case KernelIsa::Off:
        break; // unreachable: callers check fusedPosteriorMeanAvailable()
    }
}
#else
void fusedPosteriorMean(const PosteriorMeanArgs&, float*)
{
    // Unreachable: fusedPosteriorMeanAvailable() is false off x86-64.
}
#endif

} // namespace difflens::kernels
