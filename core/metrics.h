#pragma once
// Sample-quality and likelihood figures: distances between sample sets, mixture likelihood and mode coverage,
// nearest training neighbours (memorisation), the Frechet distance of features, and the variational bound.
#include "core/datasets.h"
#include "core/sampler.h"

#include <torch/types.h>

#include <atomic>
#include <functional>
#include <vector>

namespace difflens {

class Denoiser;

namespace metrics {

/** Sliced Wasserstein-2 distance between point sets [N, d] and [M, d], over `projections` random directions. */
double slicedWasserstein(const torch::Tensor& a, const torch::Tensor& b, int projections = 256, uint64_t seed = 0);
/** MMD^2 (V-statistic: exactly 0 for identical sets) with a sum of RBF kernels (bandwidths relative to the median distance); uses <= 4000 points. */
double mmd(const torch::Tensor& a, const torch::Tensor& b);

/** How many fresh data samples a floor averages over (DataFloor). */
constexpr int kFloorDraws = 8;
/**
 * The floor of a distance: what it measures between two independent samples of the data of the same size.
 * One such pair is itself a noisy estimate of that expectation (for 10,000 points of the 1-D gmm1d, sliced W
 * of one pair ranges 0.013-0.130 over 30 seeds), so the floor is the mean over `draws` fresh samples against
 * the same reference, with the smallest and largest draw for the spread.
 */
struct DataFloor
{
    double mean = 0, min = 0, max = 0;
    int draws = 0;
};
/** distance(fresh sample) for `draws` fresh samples of n points of `dataset` drawn from `gen`. */
DataFloor dataFloor(const Dataset& dataset, int64_t n, at::Generator& gen,
                    const std::function<double(const torch::Tensor&)>& distance, int draws = kFloorDraws);
/** Mean log-likelihood of points under a mixture (nats per sample). */
double mixtureLogLikelihood(const torch::Tensor& points, const MixtureSpec& mixture);
/** Share of points whose most likely component is k, for each k (sums to 1). */
std::vector<double> modeCoverage(const torch::Tensor& points, const MixtureSpec& mixture);

struct Neighbours
{
    torch::Tensor distance; // [N] Euclidean distance to the nearest training item
    torch::Tensor index;    // [N] its index in the training set
};
/** Nearest training neighbour of each sample, batched (never forms an N x M x D tensor). */
Neighbours nearestNeighbours(const torch::Tensor& samples, const torch::Tensor& training);

/** Frechet distance between Gaussians fitted to two feature sets [N, F] (the FID formula). */
double frechetDistance(const torch::Tensor& featuresA, const torch::Tensor& featuresB);

/** The variational bound of a model on data (Ho et al. Eq. 5; improved-diffusion's calc_bpd_loop). */
struct VlbResult
{
    std::vector<long> t;           // 0..T-1
    std::vector<double> termBits;  // mean over the batch of L_{t-1} (t > 0) and L_0 (t = 0), bits per dim
    double priorBits = 0;          // L_T, bits per dim
    double totalBits = 0;          // sum of all terms + prior, bits per dim
    double mseEps = 0;             // mean ||eps - eps_hat||^2 over t (L_simple's view)
};
/**
 * Evaluates every term with fresh noise drawn from `seed`. x0: [B, ...] data; discreteData: L_0 as a
 * discretised Gaussian (images in [-1, 1]). Runs T model calls.
 */
VlbResult variationalBound(Denoiser& model, const SchedulerConfig& config, const torch::Tensor& x0,
                           bool discreteData, uint64_t seed = 0,
                           const std::function<void(int, int)>& progress = {}, const std::atomic_bool* cancel = nullptr);

} // namespace metrics
} // namespace difflens
