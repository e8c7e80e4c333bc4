#pragma once
// Exact denoisers (core/MATH.md, "Why p_theta is needed"): for data that is a mixture of isotropic
// Gaussians sum_k pi_k N(m_k, s_k^2 I), q(x_t) and E[x_0|x_t] are closed-form. A finite training set is the
// special case s_k = 0, pi_k = 1/N. These implement the Denoiser interface (they predict eps*), so every
// sampler and view works with them.
#include "core/denoiser.h"
#include "core/path.h"
#include "core/schedule.h"

#include <torch/types.h>

#include <limits>
#include <utility>

namespace difflens {

/**
 * q(x_{t-1} | x_t) for one x_t: the integral of q(x_{t-1}|x_t,x_0) q(x_0|x_t) dx_0 is, for mixture data, a
 * Gaussian mixture with one component per data component k (core/MATH.md, "Why p_theta is needed"):
 * weight q(k|x_t), mean c1 E[x_0|x_t,k] + c2 x_t, per-dimension variance beta~ + c1^2 Var[x_0|x_t,k].
 * All float64 on the CPU. Between kept timesteps of a strided run, t-1 stands for the previous kept step.
 */
struct ReverseMixture
{
    torch::Tensor weights;   ///< [K], sums to 1
    torch::Tensor means;     ///< [K, D] (flattened sample)
    torch::Tensor variances; ///< [K] per dimension (0: a point mass, the last step of a finite set)

    /** log q(x_{t-1} = y | x_t) for y [G, D] (or [G, ...sample shape]); variances floored at 1e-12. */
    torch::Tensor logDensity(const torch::Tensor& y) const;
    /** E[x_{t-1} | x_t] = sum_k w_k mean_k, [D]. */
    torch::Tensor mean() const;
    /** 1 / sum_k w_k^2: how many components share the step (1: the step follows one training point). */
    double effectiveComponents() const;
};

/** What the Exact q tab shows of one sample of a finite set (GaussianMixtureDenoiser::posteriorView). */
struct PosteriorView
{
    torch::Tensor expectedX0; ///< E[x_0|x_t], the sample's shape
    torch::Tensor weights;    ///< w_k(x_t), [K] float64
    int64_t nearest = -1;     ///< the item nearest to y (-1: no y)
    double nearestSquared = std::numeric_limits<double>::quiet_NaN(); ///< its squared distance (flattened)
};

class GaussianMixtureDenoiser final : public Denoiser
{
public:
    /**
     * means [K, ...sample shape]; stds [K] (0 = a point mass); weights [K] (need not be normalised; empty:
     * uniform). The tables come from `schedule` (abar per training timestep).
     */
    GaussianMixtureDenoiser(const NoiseSchedule& schedule, torch::Tensor means, torch::Tensor stds = {},
                            torch::Tensor weights = {}, torch::Device device = torch::kCPU);

    /**
     * eps*(x_t) = (x_t - sqrt(abar) E[x_0|x_t]) / sqrt(1 - abar) (Karras et al. Eq. 57) on the VP chain; on another
     * path (usePath) the ideal prediction of the config's type from E[x_0|x_t] (flow: u = E[eps|x] - E[x_0|x]).
     */
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& t) override;
    /** Serve models of this scheduler config: its path (VP chain or flow matching) and prediction type. */
    void usePath(const SchedulerConfig& config);
    const ProbabilityPath& path() const { return m_path; }
    torch::Device device() const override { return m_device; }
    void moveTo(torch::Device device) override;
    std::string kind() const override { return m_isPointSet ? "exact-set" : "exact-gmm"; }

    int64_t components() const { return m_means.size(0); }
    /** Posterior component weights w_k(x_t) = q(k|x_t), [B, K] (log-sum-exp, finite for far-away x_t). */
    torch::Tensor weights(const torch::Tensor& x, double alphaBar) const;
    /** E[x_0|x_t], same shape as x. */
    torch::Tensor expectedX0(const torch::Tensor& x, double alphaBar) const;
    /** log q_t(x) per sample, [B]. */
    torch::Tensor logDensity(const torch::Tensor& x, double alphaBar) const;
    /** grad log q_t(x) = -eps* / sqrt(1 - abar). */
    torch::Tensor score(const torch::Tensor& x, double alphaBar) const;
    /** The same on any path point x = a x_0 + s eps (core/MATH.md, "Gaussian paths"): w_i uses a and s. */
    torch::Tensor weights(const torch::Tensor& x, const PathPoint& pt) const;
    torch::Tensor expectedX0(const torch::Tensor& x, const PathPoint& pt) const;
    torch::Tensor logDensity(const torch::Tensor& x, const PathPoint& pt) const;
    torch::Tensor score(const torch::Tensor& x, const PathPoint& pt) const;
    /** The exact marginal velocity u_t(x) = a' E[x_0|x] + s' E[eps|x]. */
    torch::Tensor velocity(const torch::Tensor& x, const PathPoint& pt) const;
    /** q(x_{t-1}|x_t) of one sample x ([1, ...] or [...]) between abar_t = alphaBar and abar_{t-1} =
     * alphaBarPrev. */
    ReverseMixture reverseStep(const torch::Tensor& x, double alphaBar, double alphaBarPrev) const;
    /**
     * expectedX0, weights and nearest(y) of one sample at once: for a finite image set on a CPU with the fused
     * kernel one pass over the set (y joins as a second query, a y, whose logits rank the items by distance to
     * y), else the three calls. y may be undefined.
     */
    PosteriorView posteriorView(const torch::Tensor& x, double alphaBar, const torch::Tensor& y) const;
    const torch::Tensor& means() const { return m_means; }
    /** The component mean nearest to one sample x (memorisation), and its squared distance (flattened). */
    std::pair<int64_t, double> nearest(const torch::Tensor& x) const;
    /** Per-component variance s_k^2 of the data, [K] float64 (all 0 for a finite set). */
    const torch::Tensor& variances() const { return m_vars; }
    bool isPointSet() const { return m_isPointSet; }

private:
    torch::Tensor logits(const torch::Tensor& flatX, const PathPoint& pt) const; // [B, K] unnormalised log q(k, x)
    /** E[x_0|x] of a finite set for flattened float32 x [B, D], blockwise with an online softmax. */
    torch::Tensor pointSetExpectedX0(const torch::Tensor& flatX, const PathPoint& pt) const;
    std::vector<double> m_alphaBars;
    ProbabilityPath m_path;
    Prediction m_prediction = Prediction::Epsilon;
    torch::Tensor m_means;      // [K, D] flattened, float32
    torch::Tensor m_meanNormSq; // [K]
    torch::Tensor m_vars;       // [K] s_k^2 (float64)
    torch::Tensor m_logWeights; // [K] (float64)
    std::vector<int64_t> m_sampleShape;
    torch::Device m_device;
    bool m_isPointSet = true;
    bool m_uniformWeights = true; // all pi_k equal: log pi_k drops out of any ranking of the items
};

} // namespace difflens
