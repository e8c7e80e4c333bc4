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
std::atomic<bool> g_enabled{true};

bool cpuHasAvx512()
{
#ifdef DIFFLENS_X86_KERNELS
    static const bool has = [] {
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx512f") != 0;
    }();
    return has;
#else
    return false;
#endif
}
} // namespace

bool fusedPosteriorMeanAvailable()
{
    return g_enabled.load(std::memory_order_relaxed) && cpuHasAvx512();
}

void setFusedPosteriorMean(bool on)
{
    g_enabled.store(on, std::memory_order_relaxed);
}

#ifdef DIFFLENS_X86_KERNELS
namespace {
#define DIFFLENS_AVX512 __attribute__((target("avx512f")))

constexpr int64_t kPanel =
    64; // rows of the set per panel: 64 x 784 floats = 196 KiB, kept in L2 for both products
constexpr int64_t kChunk = 16; // queries per pass (the softmax state of 16 rows)
constexpr int64_t kRanges =
    16; // fixed split of the set, merged in order: the result is independent of threads
constexpr int64_t kLanes = 16;   // floats per AVX-512 register
constexpr int64_t kRowBlock = 8; // rows of the set per register block of logits (kPanel is a multiple)

/** exp(x) for x <= 0 (Cephes' expf: range reduction by ln 2, degree-6 polynomial, about 1 ulp). Below -103,
 * where float32's exp reaches its smallest subnormal, the result is exactly 0, and so it is for -inf and NaN.
 */
DIFFLENS_AVX512 inline __m512 expNonPositive(__m512 x)
{
    const __mmask16 live = _mm512_cmp_ps_mask(x, _mm512_set1_ps(-103.0f), _CMP_GE_OQ);
    x = _mm512_max_ps(x, _mm512_set1_ps(-103.0f));
    const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                          _MM_FROUND_TO_NEAREST_INT);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
    __m512 p = _mm512_set1_ps(1.9875691500e-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
    p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
    return _mm512_maskz_mov_ps(live, _mm512_scalef_ps(p, n));
}

/** One register's worth of floats, aligned as one (std::vector allocates over-aligned types aligned in
 * C++17). */
struct alignas(64) Lanes
{
    float v[kChunk];
};

/** The online-softmax state of one range for one chunk of queries (one lane per query). */
struct State
{
    alignas(64) float max[kChunk];
    alignas(64) float sum[kChunk];
    std::vector<float> num; // [kChunk, Dp]
};

struct Plan
{
    const PosteriorMeanArgs& a;
    int64_t Dp, full;      // D padded to 16 lanes; whole 16-lane columns
    __mmask16 tailMask;    // the lanes of the last, partial column (0: none)
    int64_t chunks;        // query chunks of up to kChunk
    std::vector<Lanes> xt; // [chunks, D]: each chunk's queries transposed (one register per dimension): each
                           // chunk's queries transposed (one register per dimension)
};

/**
 * P[r][q] = gain x_q . m_r + b_r for R rows of the set and the 16 queries of a chunk, as R outer-product
 * accumulations: per dimension d one register of the 16 queries' x_qd times each row's m_rd broadcast. The
 * result lands with a query per lane, as the softmax and the weighted sum want it; no horizontal sums.
 */
template <int R>
DIFFLENS_AVX512 void logits(const Plan& p, const float* xt, const float* const rows[R], const float* bias,
                            float (*P)[kChunk])
{
    const int64_t D = p.a.D;
    __m512 acc[R];
#pragma GCC unroll 32
    for (int r = 0; r < R; ++r)
        acc[r] = _mm512_setzero_ps();
    int64_t d = 0;
    for (; d + kLanes <= D; d += kLanes) {
        // The rows of the next block come from memory meanwhile: one cache line per row per 16 dimensions.
#pragma GCC unroll 32
        for (int r = 0; r < R; ++r)
            _mm_prefetch(reinterpret_cast<const char*>(rows[r] + R * D + d), _MM_HINT_T0);
#pragma GCC unroll 16
        for (int64_t i = 0; i < kLanes; ++i) {
            const __m512 xv = _mm512_load_ps(xt + (d + i) * kChunk);
#pragma GCC unroll 32
            for (int r = 0; r < R; ++r)
                acc[r] = _mm512_fmadd_ps(xv, _mm512_set1_ps(rows[r][d + i]), acc[r]);
        }
    }
    for (; d < D; ++d) {
        const __m512 xv = _mm512_load_ps(xt + d * kChunk);
#pragma GCC unroll 32
        for (int r = 0; r < R; ++r)
            acc[r] = _mm512_fmadd_ps(xv, _mm512_set1_ps(rows[r][d]), acc[r]);
    }
    const __m512 g = _mm512_set1_ps(p.a.gain);
#pragma GCC unroll 32
    for (int r = 0; r < R; ++r)
        _mm512_store_ps(P[r], _mm512_fmadd_ps(acc[r], g, _mm512_set1_ps(bias[r])));
}

/**
 * num[q][cols of this group] += sum over the kept rows of P[j][q] m_j, for COLS 16-lane columns from col0 and
 * the queries in blocks of QB (8 for a full chunk; 4 or 1 for the few queries of the Exact q tab).
 */
template <int QB, int COLS>
DIFFLENS_AVX512 void accumulate(const Plan& p, State& st, const float* const* kept, const float (*P)[kChunk],
                                const int64_t* keptIdx, int64_t nKept, int64_t queries, int64_t col0)
{
    const bool tail = p.tailMask && col0 + COLS - 1 == p.full; // the last column of the group is partial
    for (int64_t q0 = 0; q0 < queries; q0 += QB) {
        __m512 acc[QB][COLS];
#pragma GCC unroll 8
        for (int q = 0; q < QB; ++q)
#pragma GCC unroll 8
            for (int i = 0; i < COLS; ++i)
                acc[q][i] = _mm512_loadu_ps(st.num.data() + (q0 + q) * p.Dp + (col0 + i) * kLanes);
        for (int64_t k = 0; k < nKept; ++k) {
            const float* row = kept[k];
            __m512 y[COLS];
#pragma GCC unroll 8
            for (int i = 0; i < COLS; ++i) {
                const float* src = row + (col0 + i) * kLanes;
                y[i] =
                    (tail && i == COLS - 1) ? _mm512_maskz_loadu_ps(p.tailMask, src) : _mm512_loadu_ps(src);
            }
            const float* w = P[keptIdx[k]] + q0;
#pragma GCC unroll 8
            for (int q = 0; q < QB; ++q) {
                const __m512 wq = _mm512_set1_ps(w[q]);
#pragma GCC unroll 8
                for (int i = 0; i < COLS; ++i)
                    acc[q][i] = _mm512_fmadd_ps(wq, y[i], acc[q][i]);
            }
        }
#pragma GCC unroll 8
        for (int q = 0; q < QB; ++q)
#pragma GCC unroll 8
            for (int i = 0; i < COLS; ++i)
                _mm512_storeu_ps(st.num.data() + (q0 + q) * p.Dp + (col0 + i) * kLanes, acc[q][i]);
    }
}

/** accumulate over every column, in groups of 3 columns (24 accumulators for QB = 8) and the rest. */
template <int QB>
DIFFLENS_AVX512 void accumulateAll(const Plan& p, State& st, const float* const* kept,
                                   const float (*P)[kChunk], const int64_t* keptIdx, int64_t nKept,
                                   int64_t queries)
{
    const int64_t cols = p.full + (p.tailMask ? 1 : 0);
    int64_t c = 0;
    for (; c + 3 <= cols; c += 3)
        accumulate<QB, 3>(p, st, kept, P, keptIdx, nKept, queries, c);
    if (cols - c == 2) accumulate<QB, 2>(p, st, kept, P, keptIdx, nKept, queries, c);
    if (cols - c == 1) accumulate<QB, 1>(p, st, kept, P, keptIdx, nKept, queries, c);
}

/** One panel of rows [j0, j0 + n) of the set for one chunk of queries: logits, online softmax, weighted sum.
 */
DIFFLENS_AVX512 void panel(const Plan& p, State& st, int64_t chunk, int64_t queries, int64_t j0, int64_t n)
{
    const float* xt = p.xt[static_cast<size_t>(chunk * p.a.D)].v;
    const float* set = p.a.set;
    const int64_t D = p.a.D;
    alignas(64) float P[kPanel][kChunk]; // logits, then weights relative to the running max; a query per lane
    for (int64_t j = 0; j < n; j += kRowBlock) {
        // A block running past the panel repeats its last row (computed, never read).
        const float* rows[kRowBlock];
        float bias[kRowBlock];
        for (int64_t r = 0; r < kRowBlock; ++r) {
            const int64_t row = j0 + std::min(j + r, n - 1);
            rows[r] = set + row * D;
            bias[r] = p.a.bias[row];
        }
        logits<kRowBlock>(p, xt, rows, bias, P + j);
    }
    if (p.a.logits) {
        float* chunkLogits = p.a.logits + chunk * kChunk * p.a.K;
        for (int64_t q = 0; q < queries; ++q)
            for (int64_t j = 0; j < n; ++j)
                chunkLogits[q * p.a.K + j0 + j] = P[j][q];
    }
    // The queries whose weighted sum is formed (the first ones of the chunk): only they weigh rows.
    const int64_t weighted = p.a.weightedQueries < 0
                                 ? queries
                                 : std::clamp<int64_t>(p.a.weightedQueries - chunk * kChunk, 0, queries);
    const __mmask16 live = static_cast<__mmask16>(weighted >= kChunk ? 0xFFFF : (1u << weighted) - 1);
    // Online softmax, all queries at once. max_ps(a, b) returns b where a is NaN: a NaN logit (a NaN query)
    // never becomes the running max, and its weight below is 0.
    __m512 panelMax = _mm512_set1_ps(std::numeric_limits<float>::lowest());
    for (int64_t j = 0; j < n; ++j)
        panelMax = _mm512_max_ps(_mm512_load_ps(P[j]), panelMax);
    const __m512 oldMax = _mm512_load_ps(st.max);
    const __m512 newMax = _mm512_max_ps(panelMax, oldMax);
    const __m512 scale = expNonPositive(_mm512_sub_ps(oldMax, newMax));
    __mmask16 grew = _mm512_mask_cmp_ps_mask(live, scale, _mm512_set1_ps(1.0f), _CMP_LT_OQ);
    __m512 sum = _mm512_mul_ps(_mm512_load_ps(st.sum), scale);
    alignas(64) float scales[kChunk];
    _mm512_store_ps(scales, scale);
    for (; grew; grew = static_cast<__mmask16>(grew & (grew - 1))) {
        const int q = __builtin_ctz(grew);
        float* row = st.num.data() + q * p.Dp;
        const __m512 s = _mm512_set1_ps(scales[q]);
        for (int64_t c = 0; c < p.Dp; c += kLanes)
            _mm512_storeu_ps(row + c, _mm512_mul_ps(s, _mm512_loadu_ps(row + c)));
    }
    _mm512_store_ps(st.max, newMax);
    // The rows some query weighs (above dropBelow of its running max; exact zeros always go).
    const float* kept[kPanel];
    int64_t keptIdx[kPanel], nKept = 0;
    for (int64_t j = 0; j < n; ++j) {
        const __m512 w =
            _mm512_maskz_mov_ps(live, expNonPositive(_mm512_sub_ps(_mm512_load_ps(P[j]), newMax)));
        _mm512_store_ps(P[j], w);
        sum = _mm512_add_ps(sum, w);
        if (_mm512_reduce_max_ps(w) > p.a.dropBelow) {
            kept[nKept] = set + (j0 + j) * D;
            keptIdx[nKept++] = j;
        }
    }
    _mm512_store_ps(st.sum, sum);
    if (nKept == 0) return;
    if (weighted > 4)
        accumulateAll<8>(p, st, kept, P, keptIdx, nKept, weighted);
    else if (weighted > 1)
        accumulateAll<4>(p, st, kept, P, keptIdx, nKept, weighted);
    else
        accumulateAll<1>(p, st, kept, P, keptIdx, nKept, weighted);
}
} // namespace

void fusedPosteriorMean(const PosteriorMeanArgs& a, float* out)
{
    Plan p{a, 0, 0, 0, 0, {}};
    p.full = a.D / kLanes;
    const int64_t tail = a.D % kLanes;
    p.tailMask = static_cast<__mmask16>(tail ? (1u << tail) - 1 : 0);
    p.Dp = (p.full + (tail ? 1 : 0)) * kLanes;
    p.chunks = (a.B + kChunk - 1) / kChunk;
    p.xt.assign(static_cast<size_t>(p.chunks * a.D), Lanes{});
    std::vector<bool> finite(static_cast<size_t>(a.B), true);
    for (int64_t b = 0; b < a.B; ++b)
        for (int64_t d = 0; d < a.D; ++d) {
            const float v = a.x[b * a.D + d];
            finite[b] = finite[b] && std::isfinite(v);
            p.xt[static_cast<size_t>((b / kChunk) * a.D + d)].v[b % kChunk] = v;
        }
    const int64_t ranges = std::min(kRanges, a.K);
    std::vector<State> states(static_cast<size_t>(ranges * p.chunks));
    for (auto& st : states) {
        std::fill(std::begin(st.max), std::end(st.max), std::numeric_limits<float>::lowest());
        std::fill(std::begin(st.sum), std::end(st.sum), 0.0f);
        st.num.assign(static_cast<size_t>(kChunk * p.Dp), 0.0f);
    }
    const auto runRange = [&](int64_t r) {
        const int64_t k0 = r * a.K / ranges, k1 = (r + 1) * a.K / ranges;
        for (int64_t j0 = k0; j0 < k1; j0 += kPanel)
            for (int64_t c = 0; c < p.chunks; ++c)
                panel(p, states[r * p.chunks + c], c, std::min(kChunk, a.B - c * kChunk), j0,
                      std::min(kPanel, k1 - j0));
    };
    // Small problems stay on the calling thread (starting a thread costs tens of microseconds).
    const int threads =
        a.B * a.K * a.D < (int64_t{1} << 22) ? 1 : std::max(1, std::min<int>(a.threads, ranges));
    // Our own threads: through at::parallel_for (LibTorch's OpenMP pool) the same work took twice as long
    // (bench_exact, 60,000 images: 16.1 against 8.3 ms).
    std::vector<std::thread> workers;
    for (int t = 1; t < threads; ++t)
        workers.emplace_back([&, t] {
            for (int64_t r = t; r < ranges; r += threads)
                runRange(r);
        });
    for (int64_t r = 0; r < ranges; r += threads)
        runRange(r);
    for (auto& w : workers)
        w.join();
    // Merge the ranges in order.
    const int64_t weighted = a.weightedQueries < 0 ? a.B : std::min(a.weightedQueries, a.B);
    for (int64_t b = 0; b < weighted; ++b) {
        float* o = out + b * a.D;
        if (!finite[b]) {
            std::fill(o, o + a.D, std::numeric_limits<float>::quiet_NaN());
            continue;
        }
        const int64_t c = b / kChunk, q = b % kChunk;
        float m = std::numeric_limits<float>::lowest();
        for (int64_t r = 0; r < ranges; ++r)
            m = std::max(m, states[r * p.chunks + c].max[q]);
        float total = 0;
        std::fill(o, o + a.D, 0.0f);
        for (int64_t r = 0; r < ranges; ++r) {
            const State& st = states[r * p.chunks + c];
            const float s = std::exp(st.max[q] - m);
            total += s * st.sum[q];
            const float* num = st.num.data() + q * p.Dp;
            for (int64_t d = 0; d < a.D; ++d)
                o[d] += s * num[d];
        }
        const float inv = 1.0f / total;
        for (int64_t d = 0; d < a.D; ++d)
            o[d] *= inv;
    }
}
#else
void fusedPosteriorMean(const PosteriorMeanArgs&, float*)
{
    // Unreachable: fusedPosteriorMeanAvailable() is false off x86-64.
}
#endif

} // namespace difflens::kernels
