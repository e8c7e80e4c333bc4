#pragma once
// Exact guidance for labelled data (core/MATH.md, "Guidance"). For a labelled mixture or finite set,
// q(x_0 | c) is the mixture of class c's components (items) alone, renormalised, so E[x_0 | x_t, c] and the
// exact conditional eps*(x_t, c) come from the same closed form as the unconditional exact denoiser
// (exact.h) restricted to those components. Wrapped in a GuidedDenoiser (guidance.h) it gives the exact
// guided step: eps~ = eps*(x, none) + w (eps*(x, c) - eps*(x, none)), i.e. the score (1 - w) grad log q_t(x)
// + w grad log q_t(x | c).
//
// Guided sampling does not sample the tilted target p(x | c)^w p(x)^(1 - w) / Z (Chidambaram et al. 2024;
// Bradley & Nakkiran 2024): the guided score at t > 0 is the score of q_t(x | c)^w q_t(x)^(1 - w), which is
// not the noised tilted target. tiltedLogDensity gives that target on a grid so the two can be put side by
// side.
#include "core/datasets.h"
#include "core/denoiser.h"
#include "core/exact.h"
#include "core/export.h"

#include <functional>
#include <memory>
#include <vector>

namespace difflens {

class ConditionalMixtureDenoiser final : public Denoiser
{
public:
    /**
     * means [K, ...]; stds [K] (empty: a finite set); weights [K] (empty: uniform); classes int64 [K] in
     * 0..numClasses-1: the class of each component or item. A class without components is allowed (a small
     * finite set may miss one); asking for it throws ModelError.
     */
    ConditionalMixtureDenoiser(const NoiseSchedule& schedule, const torch::Tensor& means,
                               const torch::Tensor& stds, const torch::Tensor& weights,
                               const torch::Tensor& classes, int64_t numClasses,
                               torch::Device device = torch::kCPU);

    /** The unconditional exact eps*(x_t). */
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& t) override;
    /** eps*(x_t, c) from class c's components only (-1: the unconditional one), per sample. */
    torch::Tensor forwardConditional(const torch::Tensor& x, const torch::Tensor& t,
                                     const torch::Tensor& classes) override;
    torch::Device device() const override { return m_all->device(); }
    void moveTo(torch::Device device) override;
    std::string kind() const override { return m_all->kind(); }
    int64_t numClasses() const override { return static_cast<int64_t>(m_byClass.size()); }
    /** Serve models of this scheduler config (its path and prediction type), like GaussianMixtureDenoiser. */
    void usePath(const SchedulerConfig& config);

    /** The exact denoiser of all the data (what the unconditional views show). */
    const std::shared_ptr<GaussianMixtureDenoiser>& all() const { return m_all; }
    /** The exact denoiser of class c's components (ModelError when c has none or is out of range). */
    const GaussianMixtureDenoiser& ofClass(int64_t c) const;
    /** The class of each component, int64 [K]. */
    const torch::Tensor& componentClasses() const { return m_classes; }

private:
    std::shared_ptr<GaussianMixtureDenoiser> m_all;
    std::vector<std::shared_ptr<GaussianMixtureDenoiser>> m_byClass; // null where a class has no components
    torch::Tensor m_classes;
};

/**
 * The exact mixture denoiser inside a model: the model itself, the unconditional one of a
 * ConditionalMixtureDenoiser, or either of these inside a GuidedDenoiser; null for other models.
 */
std::shared_ptr<GaussianMixtureDenoiser> exactMixtureOf(const std::shared_ptr<Denoiser>& model);

/** log sum_k pi_k N(x; m_k, s_k^2 I) of points x [G, d] (float64, [G]); stds must be positive. */
torch::Tensor mixtureLogDensity(const MixtureSpec& mixture, const torch::Tensor& x);

/**
 * The tilted target of guidance at t = 0, w log p(x | c) + (1 - w) log p(x), normalised over the grid cells
 * (x [G, d] on a regular grid with cell volume cellVolume): the log of a density that integrates to 1 over
 * the grid. classes [K] gives each component's class.
 */
torch::Tensor tiltedLogDensity(const MixtureSpec& mixture, const torch::Tensor& classes, int64_t c, double w,
                               const torch::Tensor& x, double cellVolume);

/** A regular grid over [lo, hi]^d with n points per axis (cell centres), [n^d, d] float64; d = 1 or 2. */
torch::Tensor regularGrid(int dim, double lo, double hi, int n);

/** Exact guided samples beside the tilted target, for one guidance scale. */
struct TiltedComparison
{
    double scale = 1;
    torch::Tensor samples;       ///< [n, d] exact guided samples (DDPM ancestral, exact conditional model)
    torch::Tensor targetDensity; ///< [G] the tilted target on the grid (integrates to 1)
    torch::Tensor sampleDensity; ///< [G] histogram of the samples on the same grid cells (integrates to 1
                                 ///< over the cells it covers)
    double totalVariation =
        0; ///< 0.5 sum |sample - target| cell: 0 = same distribution (up to sampling noise)
    std::vector<double> sampleMean, targetMean; ///< per dimension
    double sampleStd = 0, targetStd = 0;        ///< RMS distance to the mean, per dimension
    double sampleRadius = 0, targetRadius = 0;  ///< mean |x| (how far from the origin the mass lies)
};

struct TiltedComparisonOptions
{
    int64_t classIndex = 0;
    std::vector<double> scales = {1, 3, 7};
    int64_t samples = 4000;
    int steps = 1000; ///< DDPM steps of the linear T = 1000 schedule
    uint64_t seed = 0;
    double lo = -4, hi = 4; ///< grid box
    int gridSize = 0;       ///< cells per axis; 0: 400 (1-D) or 80 (2-D)
};

/**
 * For a labelled mixture dataset (8gaussians, gmm1d): per scale w, exact guided samples and the tilted target
 * p(x|c)^w p(x)^(1-w) / Z on a grid, with the total-variation distance between the samples' histogram and the
 * target (core/MATH.md, "Guidance": guided sampling is not sampling the tilted target). At w = 1 both are p(x|c),
 * so that row's distance is the sampling-noise floor. Throws DataError for a dataset without a labelled
 * mixture.
 */
std::vector<TiltedComparison> compareGuidedWithTilted(const Dataset& dataset,
                                                      const TiltedComparisonOptions& options,
                                                      const std::function<void(int, int)>& progress = {});

/**
 * One row per scale: 2-D, the tilted target's density and the guided samples' histogram as two heat maps on
 * one colour scale per row; 1-D, the target's density (a red curve) over the samples' histogram (grey bars).
 * `panel` is the side of one panel in pixels. A white separator between panels and rows.
 */
RgbFrame renderTiltedComparison(const std::vector<TiltedComparison>& rows, int dim, int gridSize,
                                int panel = 240);

} // namespace difflens
