#pragma once
// The exact denoiser's hot loop for a finite set of images, E[x_0|x] = sum_k softmax_k(b_k + g x.m_k) m_k, as
// one pass over the set (core/MATH.md, "Why p_theta is needed"; core/exact.cpp says where it is used). Plain
// C++ on raw float arrays: no LibTorch, so this translation unit stays cheap to build.
//
// Why not two BLAS products: with 16 queries each element of the set is used 16 times per product, too few
// for a general GEMM to amortise its packing; OpenBLAS reached about 40% of its own 1024^3 rate here. This
// kernel reads each block of the set once from memory, for both products, with the softmax normalised online
// (flash attention's schedule), in AVX-512 registers blocked for 16 queries, or AVX2 ones for 8.
#include <cstdint>

namespace difflens::kernels {

/** The instruction sets the kernel is written for, in order. */
enum class KernelIsa
{
    Off = 0,
    Avx2 = 1,
    Avx512 = 2
};
/** What the kernel runs on here: the best this CPU has, up to the limit (setFusedKernelLimit). */
KernelIsa fusedKernelIsa();
/** At most this instruction set (Off: the BLAS path everywhere). For tests and benchmarks; default Avx512. */
void setFusedKernelLimit(KernelIsa most);
/** Whether the kernel runs here (fusedKernelIsa() != Off). */
bool fusedPosteriorMeanAvailable();

struct PosteriorMeanArgs
{
    const float* x = nullptr;    ///< [B, D] queries, row-major
    const float* set = nullptr;  ///< [K, D] the set m_k, row-major
    const float* bias = nullptr; ///< [K] b_k (-inf: an item of zero weight)
    int64_t B = 0, K = 0, D = 0;
    float gain = 0; ///< g
    /** An item whose weight is below this fraction of its row's running maximum for every query is left out
     * of the weighted sum (0: none is). */
    float dropBelow = 0;
    /** When set, [B, K]: the logits b_k + g x_b.m_k themselves (the Exact q tab's weights and nearest item).
     */
    float* logits = nullptr;
    /** The weighted sum is formed for the first this many queries (-1: all); the others only give logits, and
     * their rows of out are left as they were. */
    int64_t weightedQueries = -1;
    int threads = 1; ///< worker threads (the result does not depend on it)
};

/**
 * out [B, D] = sum_k w_bk m_k with w_b = softmax(bias + gain x_b.m). Requires fusedPosteriorMeanAvailable().
 * The set is cut into a fixed number of ranges, each reduced on its own and merged in order, so the result is
 * the same for any thread count.
 */
void fusedPosteriorMean(const PosteriorMeanArgs& args, float* out);

} // namespace difflens::kernels
