#pragma once
// FrameBuilder's private parts, shared by its files: frame_builder.cpp (the public API),
// frame_builder_reverse.cpp (frames of a recorded reverse run), frame_builder_forward.cpp (the forward
// process) and frame_builder_exact.cpp (the Exact q tab's parts of a frame). Included only by those four
// [torch] files.
#include "app/logic/frame_builder.h"

#include "app/logic/model_runtime.h"
#include "core/diffusion.h"
#include "core/sampler.h"
#include "core/trajectory.h"
#include "widgets/format.h"
#include "widgets/image_utils.h"
#include "widgets/paint_helpers.h"
#include "widgets/palette.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <cmath>
#include <deque>
#include <limits>
#include <map>

namespace difflens::gui {

namespace frame_detail {

using widgets::ImageData;
using widgets::PointFrame;
using widgets::StepNumbers;
namespace palette = widgets::palette;

constexpr int kCachedFrames = 8;
// Paths are stroked segment by segment (fading with age): their points cost most of a point frame's paint
// time.
constexpr int kPathPoints = 48;
constexpr int kDensityPaths = 3;
constexpr int kDensityPathPoints = 40;
constexpr int kDrawnDataPoints = 1000; // behind the batch; a prefix, so a clicked index is a dataset index
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/** Row j of [N, C, H, W] (CPU float32, contiguous) as an image shown from low (black) to high (white). */
inline ImageData imageAt(const torch::Tensor& x, int64_t j, double low, double high)
{
    ImageData img;
    img.channels = static_cast<int>(x.size(1));
    img.height = static_cast<int>(x.size(2));
    img.width = static_cast<int>(x.size(3));
    img.low = low;
    img.high = high;
    const int64_t n = static_cast<int64_t>(img.channels) * img.height * img.width;
    const float* p = x.data_ptr<float>() + j * n;
    img.values.assign(p, p + n);
    return img;
}

inline QVector<QPointF> pointsOf(const torch::Tensor& x, int dim)
{
    const auto c = x.to(torch::kCPU, torch::kFloat32).contiguous();
    const auto acc = c.accessor<float, 2>();
    QVector<QPointF> out;
    out.reserve(static_cast<int>(acc.size(0)));
    for (int64_t i = 0; i < acc.size(0); ++i)
        out.push_back(QPointF(acc[i][0], dim == 2 ? acc[i][1] : 0.0));
    return out;
}

inline torch::Tensor cpu(const torch::Tensor& x)
{
    return x.to(torch::kCPU, torch::kFloat32).contiguous();
}

inline QString rangeText(double low, double high)
{
    return QStringLiteral("[%1, %2]").arg(widgets::formatSig(low, 2), widgets::formatSig(high, 2));
}

/**
 * Display range of a quantity distributed like x_t at abar: the data's half-range shrunk by sqrt(abar) plus
 * two standard deviations of the noise. It depends on t only, so frames compare, and it is rounded for the
 * label.
 */
inline std::pair<double, double> noisyRange(const ModelInfo& info, double alphaBar)
{
    const double centre = 0.5 * (info.low + info.high), half = 0.5 * (info.high - info.low);
    double r = std::sqrt(alphaBar) * half + 2.0 * std::sqrt(std::max(0.0, 1.0 - alphaBar));
    r = std::max(half, std::ceil(r * 10.0) / 10.0);
    return {centre - r, centre + r};
}

inline double gaussian(double x, double mean, double variance)
{
    return widgets::paint::normalPdf(x, mean, std::sqrt(variance));
}

/** A Gaussian N(mean, variance) sampled over [xmin, xmax] (denser near the mean so narrow peaks stay sharp).
 */
inline widgets::Curve gaussianCurve(const QString& name, double mean, double variance, const QColor& color,
                             bool dashed, double xmin, double xmax)
{
    widgets::Curve c;
    c.name = name;
    c.color = color;
    c.dashed = dashed;
    c.filled = !dashed;
    c.points = widgets::paint::normalCurve(mean, std::sqrt(variance), xmin, xmax, 200, 121);
    return c;
}

/** q(x_t) of a 1-D Gaussian mixture: sum_k w_k N(sqrt(abar) m_k, abar s_k^2 + 1 - abar) (core/MATH.md).
 */
inline void mixtureDensity(const Mixture1d& m, double alphaBar, double xmin, double xmax, QVector<double>& xs,
                    QVector<double>& ys)
{
    xs.clear();
    ys.clear();
    const int n = 300;
    for (int i = 0; i <= n; ++i) {
        const double x = xmin + (xmax - xmin) * i / n;
        double y = 0.0;
        for (size_t k = 0; k < m.means.size(); ++k)
            y += m.weights[k] * gaussian(x, std::sqrt(alphaBar) * m.means[k],
                                         alphaBar * m.stds[k] * m.stds[k] + 1.0 - alphaBar);
        xs.push_back(x);
        ys.push_back(y);
    }
}

inline QString captionFor(long t, int T, int step, int steps)
{
    return QStringLiteral("t = %1 / %2 · step %3 of %4").arg(t).arg(T).arg(step + 1).arg(steps);
}

/** The box holding every (centre, radius) disc (data coordinates; 1-D uses x only). */
inline QRectF boundsOf(const QVector<std::pair<QPointF, double>>& discs)
{
    double x0 = 1e300, x1 = -1e300, y0 = 1e300, y1 = -1e300;
    for (const auto& [c, r] : discs) {
        x0 = std::min(x0, c.x() - r);
        x1 = std::max(x1, c.x() + r);
        y0 = std::min(y0, c.y() - r);
        y1 = std::max(y1, c.y() + r);
    }
    return QRectF(QPointF(x0, y0), QPointF(x1, y1));
}

} // namespace frame_detail

using frame_detail::PointFrame;
using frame_detail::StepNumbers;

struct FrameBuilder::Impl
{
    ModelHandle model;
    Mode mode = Mode::None;
    int maxRows = 16;
    bool fieldEnabled = false;
    bool exactEnabled = true;
    struct Field
    {
        QVector<QPointF> origins, vectors, exactVectors;
    };
    std::map<long, Field> fields; // t -> the model's (and the exact) score on a grid

    // Reverse.
    std::shared_ptr<const Trajectory> trajectory;
    QVector<StepSummary> summaries;
    bool trueStep = true; // x_t made from the reference: mu~ is the true step, else the step toward x_0

    // Forward.
    torch::Tensor x0;  // [1, ...] CPU
    torch::Tensor eps; // [B, ...] CPU
    int t0 = 0;
    std::vector<double> alphaBars; // abar_t for t = 1..T at index t - 1

    std::deque<Frame> cache;

    void invalidate() { cache.clear(); }
    const ModelInfo& info() const { return model->info; }
    double alphaBar(long t) const { return t <= 0 ? 1.0 : alphaBars[static_cast<size_t>(t - 1)]; }

    StepNumbers numbersOf(const StepRecord& r) const;
    /** The model's velocity u_theta(x_t) and the conditional u(x_t | x_0) toward the reference. */
    torch::Tensor velocityOf(const StepRecord& r) const;
    torch::Tensor conditionalVelocityOf(const StepRecord& r) const;
    ImageGridFrame pathGrid(const StepRecord& r, int i) const;
    Frame reverseFrame(int i);
    /** Forward frame i (x_t with t = i) with its Exact q parts; forwardViews: without them. */
    Frame forwardFrame(int i);
    Frame forwardViews(int i);
    /** The forward process's (t, x) density of 1-D data (d's range and size are set). */
    void forwardDensity(DensityMap& d) const;
    ImageGridFrame reverseGrid(const StepRecord& r, int i) const;
    PointFrame reversePoints(const StepRecord& r, int i) const;
    void addField(PointFrame& f, long t) const;
    /**
     * The Exact q tab's frame for sample #1 between abar_t and abar_prev. x: [1, ...] x_t; x0Pred and
     * modelMean: the model's x0^ and mu_theta ([1, ...], undefined in forward mode); posteriorMean: mu~ for
     * the reference (undefined without one).
     */
    void addExact(Frame& f, const torch::Tensor& x, long t, long tPrev, double ab, double abPrev,
                  const torch::Tensor& x0Pred, const torch::Tensor& modelMean, double modelSd,
                  const torch::Tensor& posteriorMean, double posteriorVariance) const;
};

} // namespace difflens::gui
