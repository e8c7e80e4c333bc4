#include "app/gui/frame_builder.h"

#include "app/gui/model_runtime.h"
#include "core/diffusion.h"
#include "core/sampler.h"
#include "core/trajectory.h"
#include "widgets/format.h"
#include "widgets/image_utils.h"
#include "widgets/palette.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <cmath>
#include <deque>
#include <limits>
#include <map>

namespace difflens::gui {

namespace {

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
ImageData imageAt(const torch::Tensor& x, int64_t j, double low, double high)
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

QVector<QPointF> pointsOf(const torch::Tensor& x, int dim)
{
    const auto c = x.to(torch::kCPU, torch::kFloat32).contiguous();
    const auto acc = c.accessor<float, 2>();
    QVector<QPointF> out;
    out.reserve(static_cast<int>(acc.size(0)));
    for (int64_t i = 0; i < acc.size(0); ++i)
        out.push_back(QPointF(acc[i][0], dim == 2 ? acc[i][1] : 0.0));
    return out;
}

torch::Tensor cpu(const torch::Tensor& x)
{
    return x.to(torch::kCPU, torch::kFloat32).contiguous();
}

QString rangeText(double low, double high)
{
    return QStringLiteral("[%1, %2]").arg(widgets::formatSig(low, 2), widgets::formatSig(high, 2));
}

/**
 * Display range of a quantity distributed like x_t at abar: the data's half-range shrunk by sqrt(abar) plus
 * two standard deviations of the noise. It depends on t only, so frames compare, and it is rounded for the
 * label.
 */
std::pair<double, double> noisyRange(const ModelInfo& info, double alphaBar)
{
    const double centre = 0.5 * (info.low + info.high), half = 0.5 * (info.high - info.low);
    double r = std::sqrt(alphaBar) * half + 2.0 * std::sqrt(std::max(0.0, 1.0 - alphaBar));
    r = std::max(half, std::ceil(r * 10.0) / 10.0);
    return {centre - r, centre + r};
}

double gaussian(double x, double mean, double variance)
{
    return std::exp(-0.5 * (x - mean) * (x - mean) / variance) / std::sqrt(2.0 * M_PI * variance);
}

/** A Gaussian N(mean, variance) sampled over [xmin, xmax] (denser near the mean so narrow peaks stay sharp).
 */
widgets::Curve gaussianCurve(const QString& name, double mean, double variance, const QColor& color,
                             bool dashed, double xmin, double xmax)
{
    widgets::Curve c;
    c.name = name;
    c.color = color;
    c.dashed = dashed;
    c.filled = !dashed;
    const double sd = std::sqrt(variance);
    std::vector<double> xs;
    for (int i = 0; i <= 200; ++i)
        xs.push_back(xmin + (xmax - xmin) * i / 200.0);
    for (int i = -60; i <= 60; ++i)
        xs.push_back(mean + sd * i / 10.0);
    std::sort(xs.begin(), xs.end());
    for (double x : xs)
        if (x >= xmin && x <= xmax) c.points.push_back(QPointF(x, gaussian(x, mean, variance)));
    return c;
}

/** q(x_t) of a 1-D Gaussian mixture: sum_k w_k N(sqrt(abar) m_k, abar s_k^2 + 1 - abar) (core/MATH.md).
 */
void mixtureDensity(const Mixture1d& m, double alphaBar, double xmin, double xmax, QVector<double>& xs,
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

QString captionFor(long t, int T, int step, int steps)
{
    return QStringLiteral("t = %1 / %2 · step %3 of %4").arg(t).arg(T).arg(step + 1).arg(steps);
}

/** The box holding every (centre, radius) disc (data coordinates; 1-D uses x only). */
QRectF boundsOf(const QVector<std::pair<QPointF, double>>& discs)
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

} // namespace

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
    Frame forwardFrame(int i);
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

void FrameBuilder::Impl::addExact(Frame& f, const torch::Tensor& x, long t, long tPrev, double ab,
                                  double abPrev, const torch::Tensor& x0Pred, const torch::Tensor& modelMean,
                                  double modelSd, const torch::Tensor& posteriorMean,
                                  double posteriorVariance) const
{
    const ModelInfo& in = info();
    const auto& rt = *model->runtime;
    if (!rt.exactData || !(ab > 0 && ab < 1)) return;
    c10::InferenceMode guard;
    const auto exactName = in.exactText;
    const QString stepText =
        tPrev <= 0 ? QStringLiteral("t = %1 → x₀").arg(t) : QStringLiteral("t = %1 → %2").arg(t).arg(tPrev);
    const int64_t D = in.numel();
    const auto flat = [D](const torch::Tensor& v) { return v.reshape({D}).to(torch::kCPU, torch::kFloat64); };
    const auto xt = flat(x);
    // The finite set the weights w_i run over: the exact model's own set when it is one (its items may be
    // more than the references), else the reference items.
    const auto& set = rt.exactData->isPointSet() ? rt.exactData : rt.trainingSet;
    // Main view: w_i(x_t) of sample #1 over the drawn data points, relative to the largest of all w_i.
    if (set && !in.isImage && in.dim == 2 && !f.points.data.isEmpty()) {
        const auto w = set->weights(x, ab).squeeze(0).to(torch::kCPU, torch::kFloat64);
        const int64_t n = std::min<int64_t>(w.size(0), f.points.data.size());
        const auto rel = (w.slice(0, 0, n) / w.max().clamp_min(1e-300)).contiguous();
        f.points.weights = QVector<double>(rel.data_ptr<double>(), rel.data_ptr<double>() + n);
        if (f.points.weights.size() != f.points.data.size())
            f.points.weights.clear();
        else if (f.points.selected < 0)
            f.points.selected = 0;
    }
    if (!exactEnabled) return;
    // Nearest training item to x0^ (memorisation: a smooth p_theta lands between items, the exact one on
    // one); the distance is the rms over dimensions.
    int nearest = -1;
    double nearestDist = kNaN;
    if (x0Pred.defined() && set) {
        const auto [index, squared] = set->nearest(x0Pred);
        nearest = static_cast<int>(index);
        nearestDist = std::sqrt(squared / static_cast<double>(D));
    }

    if (in.isImage) {
        widgets::GalleryFrame& g = f.gallery;
        const auto& exact = *rt.exactData;
        const auto w = exact.weights(x, ab).squeeze(0).to(torch::kCPU, torch::kFloat64);
        const auto ex0 = exact.expectedX0(x, ab).to(torch::kCPU, torch::kFloat32).contiguous();
        const auto [xtLow, xtHigh] = noisyRange(in, ab);
        const auto add = [&g](const QImage& img, const QString& title, const QString& sub, const QColor& c,
                              double bar = -1) {
            g.items.push_back({img, title, sub, c, bar});
        };
        add(widgets::toImage(imageAt(cpu(x), 0, xtLow, xtHigh)), QStringLiteral("xₜ (#1)"),
            rangeText(xtLow, xtHigh), palette::xt());
        if (x0Pred.defined())
            add(widgets::toImage(imageAt(cpu(x0Pred), 0, in.low, in.high)), QStringLiteral("x̂₀ model"),
                nearest >= 0 ? QStringLiteral("nearest: item %1").arg(nearest) : QString(), palette::model());
        add(widgets::toImage(imageAt(ex0, 0, in.low, in.high)), QStringLiteral("E[x₀|xₜ] exact"),
            QStringLiteral("Σ wᵢ x⁽ⁱ⁾"), palette::exact());
        const torch::Tensor ref =
            mode == Mode::Forward ? x0 : (trajectory ? trajectory->reference() : torch::Tensor());
        if (posteriorMean.defined() && ref.defined())
            add(widgets::toImage(imageAt(cpu(ref), 0, in.low, in.high)), QStringLiteral("x₀ ref."), QString(),
                palette::reference());
        g.pinned = g.items.size();
        const int64_t k = std::min<int64_t>(8, w.size(0));
        const auto top = w.topk(k);
        const auto values = std::get<0>(top).contiguous(), indices = std::get<1>(top).contiguous();
        const auto means = exact.means().to(torch::kCPU, torch::kFloat32);
        std::vector<int64_t> shape{1};
        shape.insert(shape.end(), in.shape.begin(), in.shape.end());
        for (int64_t j = 0; j < k; ++j) {
            const int64_t idx = indices.data_ptr<int64_t>()[j];
            const double wj = values.data_ptr<double>()[j];
            const auto item = means[idx].reshape(shape).contiguous();
            add(widgets::toImage(imageAt(item, 0, in.low, in.high)), QStringLiteral("item %1").arg(idx),
                QStringLiteral("w = %1").arg(widgets::formatSig(wj, 2)), palette::exact(), wj);
        }
        const double effective = 1.0 / w.pow(2).sum().item<double>();
        g.caption = QStringLiteral("%1 · wᵢ(xₜ) over %2 training images · effective %3")
                        .arg(stepText)
                        .arg(w.size(0))
                        .arg(widgets::formatSig(effective, 3));
        if (x0Pred.defined()) {
            // x0^ against the exact E[x_0|x_t], and how close it lies to a training image (memorisation).
            const double gap = std::sqrt((flat(x0Pred) - flat(ex0)).pow(2).mean().item<double>());
            g.items[2].subtitle = QStringLiteral("rms to x̂₀ %1").arg(widgets::formatSig(gap, 2));
            if (nearest >= 0)
                g.items[1].subtitle =
                    QStringLiteral("item %1 at %2").arg(nearest).arg(widgets::formatSig(nearestDist, 2));
        }
        return;
    }

    // Points: q(x_{t-1}|x_t) as a mixture, zoomed in around sample #1 with the other two distributions.
    widgets::StepDensityFrame& s = f.exactStep;
    const auto mix = rt.exactData->reverseStep(x, ab, abPrev);
    const int dim = in.dim;
    const auto point = [dim](const torch::Tensor& v) {
        const auto c = v.to(torch::kCPU, torch::kFloat64).contiguous();
        const double* p = c.data_ptr<double>();
        return QPointF(p[0], dim == 2 ? p[1] : 0.0);
    };
    s.dim = dim;
    s.caption = QStringLiteral("%1 · sample #1").arg(stepText);
    s.xt = point(xt);
    s.exactName = QStringLiteral("q(xₜ₋₁ | xₜ) exact");
    const auto mean = mix.mean();
    const double spread = std::sqrt(
        (mix.weights * (mix.variances + (mix.means - mean.unsqueeze(0)).pow(2).sum(1) / double(dim)))
            .sum()
            .item<double>());
    // The window holds every distribution to ~3 standard deviations, and x_t.
    QVector<std::pair<QPointF, double>> extents{{point(mean), 3.0 * spread}, {s.xt, 0.0}};
    if (modelMean.defined()) {
        const QPointF mu = point(flat(modelMean));
        s.gaussians.push_back({QStringLiteral("p_θ(xₜ₋₁ | xₜ) model"), mu,
                               std::isfinite(modelSd) ? modelSd : 0.0, palette::model(), true});
        extents.push_back({mu, 3.0 * (std::isfinite(modelSd) ? modelSd : 0.0)});
    }
    if (posteriorMean.defined()) {
        const QPointF mt = point(flat(posteriorMean));
        const double sd = std::sqrt(std::max(0.0, posteriorVariance));
        s.gaussians.push_back(
            {QStringLiteral("q(xₜ₋₁ | xₜ, x₀) given x₀"), mt, sd, palette::posterior(), false});
        // The view stays zoomed on sample #1: mu~ joins the window only when it lies near the step. At small t
        // mu~ is almost x_0 itself, which for a run from pure noise can be anywhere in the data set; the
        // window would then span the set and the point masses of q(x_0 | x_1) become scattered dots.
        const QRectF core = boundsOf(extents);
        const double reach = 3.0 * std::max({core.width(), dim == 2 ? core.height() : 0.0, 1e-3 * (in.high - in.low)});
        // Near: within a few widths of the step, or within an eighth of the data range of x_t (a run from the
        // noised reference, where mu~ is close to x_t in data units however narrow the step is).
        const double fromXt = std::hypot(mt.x() - s.xt.x(), dim == 2 ? mt.y() - s.xt.y() : 0.0);
        if (std::hypot(mt.x() - core.center().x(), dim == 2 ? mt.y() - core.center().y() : 0.0) <= reach ||
            fromXt <= (in.high - in.low) / 8.0)
            extents.push_back({mt, 3.0 * sd});
        else
            s.notes << QStringLiteral("q(xₜ₋₁ | xₜ, x₀) lies outside the zoom, at %1")
                           .arg(dim == 2 ? QStringLiteral("(%1, %2)").arg(widgets::formatSig(mt.x(), 3),
                                                                       widgets::formatSig(mt.y(), 3))
                                         : widgets::formatSig(mt.x(), 3));
    }
    s.gaussians.push_back(
        {QStringLiteral("E[xₜ₋₁ | xₜ] exact mean"), point(mean), 0.0, palette::exact(), false});
    const QRectF box = boundsOf(extents);
    const double minHalf = 1e-3 * std::max(1.0, in.high - in.low);
    double half = std::max({0.5 * box.width(), dim == 2 ? 0.5 * box.height() : 0.0, minHalf}) * 1.1;
    const QPointF centre(box.center().x(), dim == 2 ? box.center().y() : 0.0);
    s.window = QRectF(centre.x() - half, centre.y() - half, 2 * half, 2 * half);
    const int64_t K = mix.weights.size(0);
    // What is drawn: the heaviest components holding 99.9% of the weight (at most 300, so a 2-D grid costs a
    // few MB and a few ms), each at least one grid cell wide (the last step of a finite set is a sum of point masses).
    const auto displayed = [&mix](double cell) {
        const auto order = std::get<1>(mix.weights.sort(0, /*descending=*/true));
        const auto cumulative = mix.weights.index_select(0, order).cumsum(0);
        const int64_t keep =
            std::min<int64_t>({(cumulative < 0.999).sum().item<int64_t>() + 1, order.size(0), 300});
        const auto idx = order.slice(0, 0, keep);
        ReverseMixture d;
        d.weights = mix.weights.index_select(0, idx);
        d.means = mix.means.index_select(0, idx);
        d.variances = mix.variances.index_select(0, idx).clamp_min(cell * cell);
        return d;
    };
    if (dim == 2) {
        const int n = 48; // drawn smoothly scaled
        s.densityColumns = s.densityRows = n;
        std::vector<double> grid;
        grid.reserve(static_cast<size_t>(n) * n * 2);
        for (int iy = 0; iy < n; ++iy)
            for (int ix = 0; ix < n; ++ix) {
                grid.push_back(s.window.left() + (ix + 0.5) * s.window.width() / n);
                grid.push_back(s.window.bottom() - (iy + 0.5) * s.window.height() / n); // row 0 at the top
            }
        const auto ld = displayed(s.window.width() / n)
                            .logDensity(torch::from_blob(grid.data(), {int64_t(n) * n, 2}, torch::kFloat64));
        const auto dens = (ld - ld.max()).exp().contiguous();
        s.exactDensity = QVector<double>(dens.data_ptr<double>(), dens.data_ptr<double>() + dens.numel());
    } else {
        const int n = 400;
        std::vector<double> xs;
        for (int i = 0; i <= n; ++i)
            xs.push_back(s.window.left() + s.window.width() * i / n);
        const auto ld = displayed(2.0 * s.window.width() / n)
                            .logDensity(torch::from_blob(xs.data(), {n + 1, 1}, torch::kFloat64))
                            .exp()
                            .contiguous();
        for (int i = 0; i <= n; ++i)
            s.exactCurve.push_back(QPointF(xs[static_cast<size_t>(i)], ld.data_ptr<double>()[i]));
    }
    const int64_t k = std::min<int64_t>(K, 60);
    const auto top = mix.weights.topk(k);
    const auto tw = std::get<0>(top).contiguous(), ti = std::get<1>(top).contiguous();
    for (int64_t j = 0; j < k; ++j) {
        const int64_t idx = ti.data_ptr<int64_t>()[j];
        s.componentMeans.push_back(point(mix.means[idx]));
        s.componentWeights.push_back(tw.data_ptr<double>()[j]);
    }
    const bool pointSet = rt.exactData->isPointSet();
    s.notes << QStringLiteral("ᾱₜ = %1 → ᾱₜ₋₁ = %2")
                   .arg(widgets::formatSig(ab, 3), widgets::formatSig(abPrev, 3));
    s.notes << QStringLiteral("%1 %2 · effective %3 · max w %4 (#%5)")
                   .arg(K)
                   .arg(pointSet ? QStringLiteral("points") : QStringLiteral("components"))
                   .arg(widgets::formatSig(mix.effectiveComponents(), 3))
                   .arg(widgets::formatSig(tw.data_ptr<double>()[0], 2))
                   .arg(ti.data_ptr<int64_t>()[0]);
    if (modelMean.defined()) {
        const double gap = std::sqrt((flat(modelMean) - mean).pow(2).sum().item<double>());
        s.notes << QStringLiteral("|μ_θ − E[xₜ₋₁|xₜ]| = %1 · spread of q %2")
                       .arg(widgets::formatSig(gap, 2), widgets::formatSig(spread, 2));
    }
    if (nearest >= 0)
        s.notes << QStringLiteral("x̂₀ to nearest training point #%1: %2")
                       .arg(nearest)
                       .arg(widgets::formatSig(nearestDist * std::sqrt(double(dim)), 2));
}

torch::Tensor FrameBuilder::Impl::velocityOf(const StepRecord& r) const
{
    return path::velocity(r.x0Pred, r.eps, r.point);
}

torch::Tensor FrameBuilder::Impl::conditionalVelocityOf(const StepRecord& r) const
{
    // u(x_t | x_0) = a' x_0 + s' (x_t - a x_0) / s toward the reference (core/MATH.md, "Gaussian paths").
    const auto ref = trajectory->reference().to(r.xt.device(), r.xt.scalar_type());
    return path::velocity(ref.expand_as(r.xt), (r.xt - r.point.a * ref) / r.point.s, r.point);
}

StepNumbers FrameBuilder::Impl::numbersOf(const StepRecord& r) const
{
    const ReverseProcess& p = trajectory->process();
    const ModelInfo& in = info();
    StepNumbers n;
    n.referenceIsSource = trueStep;
    n.stepIndex = r.index;
    n.stepCount = r.count;
    n.t = r.t + 1;
    n.tPrev = std::max<long>(0, r.tPrev + 1); // DDIM's last step goes below t = 1: it lands on x_0
    n.T = in.T();
    n.beta = r.beta;
    n.alpha = 1.0 - r.beta;
    n.alphaBar = r.alphaBar;
    n.alphaBarPrev = r.alphaBarPrev;
    // The panel explains the posterior q(x_{t-1}|x_t,x_0) of Ho et al. Eq. 7: its coefficients for this step.
    const auto post = diffusion::posterior(r.alphaBar, r.alphaBarPrev);
    n.c1 = post.c1;
    n.c2 = post.c2;
    n.betaTilde = post.variance;
    n.sigma = r.sigma;
    if (!std::isfinite(n.sigma) && r.modelLogVariance.defined())
        n.sigma = torch::exp(0.5 * r.modelLogVariance).mean().item<double>();
    const bool ddim = p.kind() == SamplerKind::Ddim;
    n.sampler =
        ddim ? QStringLiteral("DDIM") : (in.isExact() ? QStringLiteral("exact") : QStringLiteral("DDPM"));
    if (isPathSampler(p.kind(), p.path().kind())) {
        // The Gaussian-path panel: a_t, s_t, the conditional and the learned velocity.
        n.sampler = QString::fromStdString(samplerLabel(p.kind()));
        n.path = QString::fromStdString(pathName(p.path().kind()));
        n.time = r.point.time;
        n.timePrev = r.pointPrev.time;
        n.a = r.point.a;
        n.s = r.point.s;
        n.aPrev = r.pointPrev.a;
        n.sPrev = r.pointPrev.s;
        n.da = r.point.da;
        n.ds = r.point.ds;
        n.sdeNoise = p.settings().sdeNoise;
        n.modelCalls = r.modelCalls;
        if (r.posteriorMean.defined() && trajectory->reference().defined() && r.point.s > 0) {
            const auto d = velocityOf(r) - conditionalVelocityOf(r);
            n.velocityGap = diffusion::meanFlat(d * d).sqrt().mean().item<double>();
        }
    }
    n.predictionType = QString::fromStdString(in.scheduler.predictionType);
    n.varianceType = QString::fromStdString(in.scheduler.varianceType);
    n.eta = p.eta();
    n.hasReference = r.posteriorMean.defined();
    if (r.kl.defined() && !r.klIsDecoderNll) n.kl = r.kl.mean().item<double>();
    if (r.meanGap.defined()) n.meanGap = r.meanGap.mean().item<double>();
    if (p.diffusersSolver()) {
        n.sampler = QString::fromStdString(p.label());
        n.x0Weights = QVector<double>(r.x0Weights.begin(), r.x0Weights.end());
        n.stateCoef = r.stateCoef;
        n.x0Coef = r.x0Coef;
        n.solverSigma = r.solverSigma;
        n.solverSigmaNext = r.solverSigmaNext;
    }
    return n;
}

ImageGridFrame FrameBuilder::Impl::reverseGrid(const StepRecord& r, int i) const
{
    const ModelInfo& in = info();
    const int64_t batch = r.xt.size(0);
    const int64_t rows = std::min<int64_t>(batch, maxRows);
    const auto xt = cpu(r.xt.slice(0, 0, rows));
    const auto x0 = cpu(r.x0Pred.slice(0, 0, rows));
    const auto mean = cpu(r.meanModel.slice(0, 0, rows));
    const bool withReference = r.posteriorMean.defined() && trajectory->reference().defined();
    torch::Tensor post, ref, diff;
    double diffMax = 0.0;
    if (withReference) {
        post = cpu(r.posteriorMean.expand_as(r.xt).slice(0, 0, rows));
        ref = cpu(trajectory->reference().slice(0, 0, 1));
        diff = (mean - post).contiguous();
        diffMax = diff.abs().max().item<double>();
    }
    const auto [xtLow, xtHigh] = noisyRange(in, r.alphaBar);
    const auto [prevLow, prevHigh] = noisyRange(in, r.alphaBarPrev);

    ImageGridFrame g;
    g.titles = QStringList{QStringLiteral("xₜ"), QStringLiteral("x̂₀ (model)"), QStringLiteral("μ_θ (model)")};
    g.colors = {palette::xt(), palette::model(), palette::model()};
    g.subtitles =
        QStringList{rangeText(xtLow, xtHigh), rangeText(in.low, in.high), rangeText(prevLow, prevHigh)};
    if (withReference) {
        g.titles << (trueStep ? QStringLiteral("μ̃ (true step)") : QStringLiteral("μ̃ (toward x₀)"))
                 << QStringLiteral("x₀ (ref.)") << QStringLiteral("|μ_θ − μ̃|");
        g.colors << palette::posterior() << palette::reference() << palette::difference();
        g.subtitles << rangeText(prevLow, prevHigh) << rangeText(in.low, in.high)
                    << QStringLiteral("max %1").arg(widgets::formatSig(diffMax, 2));
    }
    QImage refImage;
    if (withReference) refImage = widgets::toImage(imageAt(ref, 0, in.low, in.high));
    for (int64_t j = 0; j < rows; ++j) {
        QVector<QImage> row;
        row << widgets::toImage(imageAt(xt, j, xtLow, xtHigh))
            << widgets::toImage(imageAt(x0, j, in.low, in.high))
            << widgets::toImage(imageAt(mean, j, prevLow, prevHigh));
        if (withReference) {
            row << widgets::toImage(imageAt(post, j, prevLow, prevHigh)) << refImage
                << widgets::heatMap(imageAt(diff, j, 0.0, 1.0), diffMax > 0 ? diffMax : 1.0);
        }
        g.cells.push_back(row);
        g.rowLabels << QStringLiteral("#%1").arg(j + 1);
    }
    g.caption = captionFor(r.t + 1, in.T(), i, r.count);
    if (rows < batch) g.caption += QStringLiteral(" · first %1 of %2 samples").arg(rows).arg(batch);
    return g;
}

ImageGridFrame FrameBuilder::Impl::pathGrid(const StepRecord& r, int i) const
{
    // An ODE/SDE step on a Gaussian path: x_t, the model's x0^ and velocity, x after the step; with a reference
    // the conditional step and velocity toward it (closed form) and the gap to the model's.
    const ModelInfo& in = info();
    const int64_t batch = r.xt.size(0);
    const int64_t rows = std::min<int64_t>(batch, maxRows);
    const auto xt = cpu(r.xt.slice(0, 0, rows));
    const auto x0 = cpu(r.x0Pred.slice(0, 0, rows));
    const auto next = cpu((r.xPrev.defined() ? r.xPrev : r.meanModel).slice(0, 0, rows));
    const auto u = cpu(velocityOf(r).slice(0, 0, rows));
    const bool withReference = r.posteriorMean.defined() && trajectory->reference().defined() && r.point.s > 0;
    torch::Tensor post, ref, uc, diff;
    double diffMax = 0.0;
    if (withReference) {
        post = cpu(r.posteriorMean.expand_as(r.xt).slice(0, 0, rows));
        ref = cpu(trajectory->reference().slice(0, 0, 1));
        uc = cpu(conditionalVelocityOf(r).slice(0, 0, rows));
        diff = (u - uc).contiguous();
        diffMax = diff.abs().max().item<double>();
    }
    // x = a x0 + s eps stays within about a * range + 3 s; the velocity within the data range plus 3.
    const auto range = [&](const PathPoint& p) {
        const double half = p.a * std::max(std::abs(in.low), std::abs(in.high)) + 3.0 * p.s;
        return std::pair<double, double>{-half, half};
    };
    const auto [xtLow, xtHigh] = range(r.point);
    const auto [nextLow, nextHigh] = range(r.pointPrev);
    const double uHalf = std::max(std::abs(in.low), std::abs(in.high)) + 3.0;
    ImageGridFrame g;
    g.titles = QStringList{QStringLiteral("xₜ"), QStringLiteral("x̂₀ (model)"), QStringLiteral("u_θ(xₜ)"),
                           QStringLiteral("x′ (step)")};
    g.colors = {palette::xt(), palette::model(), palette::model(), palette::xt()};
    g.subtitles = QStringList{rangeText(xtLow, xtHigh), rangeText(in.low, in.high), rangeText(-uHalf, uHalf),
                              rangeText(nextLow, nextHigh)};
    if (withReference) {
        g.titles << QStringLiteral("x′ toward x₀") << QStringLiteral("x₀ (ref.)") << QStringLiteral("u(xₜ|x₀)")
                 << QStringLiteral("|u_θ − u|");
        g.colors << palette::posterior() << palette::reference() << palette::posterior() << palette::difference();
        g.subtitles << rangeText(nextLow, nextHigh) << rangeText(in.low, in.high) << rangeText(-uHalf, uHalf)
                    << QStringLiteral("max %1").arg(widgets::formatSig(diffMax, 2));
    }
    QImage refImage;
    if (withReference) refImage = widgets::toImage(imageAt(ref, 0, in.low, in.high));
    for (int64_t j = 0; j < rows; ++j) {
        QVector<QImage> row;
        row << widgets::toImage(imageAt(xt, j, xtLow, xtHigh)) << widgets::toImage(imageAt(x0, j, in.low, in.high))
            << widgets::toImage(imageAt(u, j, -uHalf, uHalf)) << widgets::toImage(imageAt(next, j, nextLow, nextHigh));
        if (withReference) {
            row << widgets::toImage(imageAt(post, j, nextLow, nextHigh)) << refImage
                << widgets::toImage(imageAt(uc, j, -uHalf, uHalf))
                << widgets::heatMap(imageAt(diff, j, 0.0, 1.0), diffMax > 0 ? diffMax : 1.0);
        }
        g.cells.push_back(row);
        g.rowLabels << QStringLiteral("#%1").arg(j + 1);
    }
    g.caption = QStringLiteral("t = %1 → %2 · step %3 / %4 · %5")
                    .arg(widgets::formatSig(r.point.time, 3), widgets::formatSig(r.pointPrev.time, 3))
                    .arg(i + 1)
                    .arg(r.count)
                    .arg(QString::fromStdString(samplerLabel(trajectory->process().kind())));
    if (rows < batch) g.caption += QStringLiteral(" · first %1 of %2 samples").arg(rows).arg(batch);
    return g;
}

void FrameBuilder::Impl::addField(PointFrame& f, long t) const
{
    if (!fieldEnabled || info().dim != 2) return;
    const auto it = fields.find(t);
    if (it == fields.end()) return;
    f.fieldOrigins = it->second.origins;
    f.fieldVectors = it->second.vectors;
    const bool flow = info().scheduler.isFlow();
    f.fieldName = flow ? QStringLiteral("model velocity u_θ(x)") : QStringLiteral("model score −ε̂/√(1−ᾱₜ)");
    if (it->second.exactVectors.size() == f.fieldOrigins.size()) {
        f.exactFieldVectors = it->second.exactVectors;
        f.exactFieldName = flow ? QStringLiteral("exact marginal velocity uₜ(x)") : QStringLiteral("exact score ∇log qₜ");
    }
}

PointFrame FrameBuilder::Impl::reversePoints(const StepRecord& r, int i) const
{
    const ModelInfo& in = info();
    const QRectF view = viewRange(in);
    PointFrame f;
    f.dim = in.dim;
    f.caption = captionFor(r.t + 1, in.T(), i, r.count);
    f.data = model->dataPoints.mid(0, kDrawnDataPoints);
    f.xt = pointsOf(r.xt, in.dim);
    f.meanModel = pointsOf(r.meanModel, in.dim);
    f.x0Pred = pointsOf(r.x0Pred, in.dim);
    if (in.dim == 2) {
        const int upTo = std::min<int>(i + 1, summaries.size());
        const int paths = upTo > 0 ? summaries[0].tracked.size() : 0;
        // At most ~kPathPoints points a path: a 1000-step DDPM path is mostly small noise, and the lines stay
        // readable behind the batch.
        const int stride = std::max(1, upTo / kPathPoints);
        for (int j = 0; j < paths; ++j) {
            QVector<QPointF> path;
            path.reserve(upTo / stride + 2);
            for (int s = 0; s < upTo; s += stride)
                if (j < summaries[s].tracked.size()) path.push_back(summaries[s].tracked[j]);
            if ((upTo - 1) % stride != 0 && j < summaries[upTo - 1].tracked.size())
                path.push_back(summaries[upTo - 1].tracked[j]);
            f.trajectories.push_back(path);
        }
    }
    const bool withReference = r.posteriorMean.defined() && trajectory->reference().defined();
    f.hasReference = withReference;
    f.referenceIsSource = trueStep;
    if (withReference) {
        f.reference = pointsOf(trajectory->reference().reshape({1, in.dim}), in.dim).value(0);
        f.posteriorMean = pointsOf(r.posteriorMean.expand_as(r.xt).slice(0, 0, 1), in.dim).value(0);
    }
    f.selected = (withReference || in.dim == 1) && !f.xt.isEmpty() ? 0 : -1;
    addField(f, r.t + 1);
    if (in.dim == 1) {
        if (!in.mixture.isEmpty()) {
            mixtureDensity(in.mixture, r.alphaBar, view.left(), view.right(), f.densityX, f.densityY);
            f.densityName = QStringLiteral("q(xₜ) (exact)");
        }
        if (!f.xt.isEmpty()) {
            const double muTheta = f.meanModel[0].x();
            if (withReference && r.posteriorVariance > 0)
                f.curves.push_back(gaussianCurve(trueStep ? QStringLiteral("q(xₜ₋₁ | xₜ, x₀) (true step, sample #1)")
                                                          : QStringLiteral("q(xₜ₋₁ | xₜ, x₀) (toward x₀, sample #1)"),
                                                 f.posteriorMean.x(), r.posteriorVariance,
                                                 palette::posterior(), false, view.left(), view.right()));
            const double sigma = std::isfinite(r.sigma) ? r.sigma : 0.0;
            if (sigma > 0)
                f.curves.push_back(gaussianCurve(QStringLiteral("p_θ(xₜ₋₁ | xₜ) (model step, sample #1)"),
                                                 muTheta, sigma * sigma, palette::model(), true, view.left(),
                                                 view.right()));
        }
    }
    return f;
}

Frame FrameBuilder::Impl::reverseFrame(int i)
{
    const StepRecord r = trajectory->step(i);
    Frame f;
    f.step = i;
    f.t = r.t + 1;
    f.isImage = info().isImage;
    f.numbers = numbersOf(r);
    if (f.isImage)
        f.grid = isPathSampler(trajectory->process().kind(), trajectory->process().path().kind()) ? pathGrid(r, i) : reverseGrid(r, i);
    else
        f.points = reversePoints(r, i);
    const auto one = [](const torch::Tensor& v) { return v.defined() ? v.slice(0, 0, 1) : v; };
    // The DDPM posterior for the reference (Ho et al. Eq. 7) also under DDIM, whose own q_sigma differs.
    torch::Tensor post;
    const auto stepPosterior = diffusion::posterior(r.alphaBar, r.alphaBarPrev);
    if (r.posteriorMean.defined() && trajectory->reference().defined())
        post = stepPosterior.c1 * trajectory->reference().slice(0, 0, 1).to(torch::kCPU, torch::kFloat64) +
               stepPosterior.c2 * one(r.xt).to(torch::kCPU, torch::kFloat64);
    double sd = std::isfinite(r.sigma) ? r.sigma : 0.0;
    if (r.modelLogVariance.defined()) sd = torch::exp(0.5 * one(r.modelLogVariance)).mean().item<double>();
    if (!r.addsNoise) sd = 0.0; // DDPM's last step, DDIM with eta = 0
    // The Exact q tab follows the DDPM chain's q(x_{t-1}|x_t); a flow path's x_t is scaled differently.
    if (!info().scheduler.isFlow())
        addExact(f, one(r.xt), r.t + 1, r.tPrev + 1, r.alphaBar, r.alphaBarPrev, one(r.x0Pred), one(r.meanModel),
             sd, post, stepPosterior.variance);
    return f;
}

Frame FrameBuilder::Impl::forwardFrame(int i)
{
    const ModelInfo& in = info();
    const long t = i; // frame i is x_t with t = i; frame 0 is x_0 itself
    const double ab = alphaBar(t), abPrev = alphaBar(t - 1);
    const double signal = std::sqrt(ab), noise = std::sqrt(1.0 - ab);
    c10::InferenceMode guard;
    const auto xt = (signal * x0 + noise * eps).contiguous(); // Ho et al. Eq. 4
    Frame f;
    f.step = i;
    f.t = t;
    f.isImage = in.isImage;
    if (t >= 1) {
        StepNumbers& n = f.numbers;
        n.stepIndex = i - 1;
        n.stepCount = t0;
        n.t = t;
        n.tPrev = t - 1;
        n.T = in.T();
        n.alphaBar = ab;
        n.alphaBarPrev = abPrev;
        n.beta = 1.0 - ab / abPrev;
        n.alpha = 1.0 - n.beta;
        const auto post = diffusion::posterior(ab, abPrev);
        n.c1 = post.c1;
        n.c2 = post.c2;
        n.betaTilde = post.variance;
        n.sigma = std::sqrt(post.variance);
        n.predictionType = QString::fromStdString(in.scheduler.predictionType);
        n.varianceType = QString::fromStdString(in.scheduler.varianceType);
        n.hasReference = true;
    }
    const QString caption = t == 0 ? QStringLiteral("t = 0 / %1 · the clean x₀").arg(in.T())
                                   : QStringLiteral("t = %1 / %2 · forward process: %3 of the signal kept")
                                         .arg(t)
                                         .arg(in.T())
                                         .arg(QStringLiteral("√ᾱₜ = %1").arg(widgets::formatSig(signal, 3)));
    if (in.isImage) {
        const int64_t rows = std::min<int64_t>(eps.size(0), maxRows);
        const auto [xtLow, xtHigh] = noisyRange(in, ab);
        const auto scaled = (signal * x0).contiguous();
        const auto scaledNoise = (noise * eps).contiguous();
        ImageGridFrame& g = f.grid;
        g.titles =
            QStringList{QStringLiteral("x₀ (reference)"), QStringLiteral("ε (fixed noise)"),
                        QStringLiteral("√ᾱₜ · x₀"), QStringLiteral("√(1−ᾱₜ) · ε"), QStringLiteral("xₜ")};
        g.colors = {palette::reference(), palette::mutedText(), palette::reference(), palette::mutedText(),
                    palette::xt()};
        g.subtitles =
            QStringList{rangeText(in.low, in.high), QStringLiteral("[−2, 2]"), rangeText(in.low, in.high),
                        QStringLiteral("[−2, 2]"), rangeText(xtLow, xtHigh)};
        const QImage ref = widgets::toImage(imageAt(x0, 0, in.low, in.high));
        const QImage signalImage = widgets::toImage(imageAt(scaled, 0, in.low, in.high));
        for (int64_t j = 0; j < rows; ++j) {
            g.cells.push_back({ref, widgets::toImage(imageAt(eps, j, -2.0, 2.0)), signalImage,
                               widgets::toImage(imageAt(scaledNoise, j, -2.0, 2.0)),
                               widgets::toImage(imageAt(xt, j, xtLow, xtHigh))});
            g.rowLabels << QStringLiteral("#%1").arg(j + 1);
        }
        g.caption = caption;
        return f;
    }
    PointFrame& p = f.points;
    const QRectF view = viewRange(in);
    p.dim = in.dim;
    p.caption = caption;
    p.data = model->dataPoints.mid(0, kDrawnDataPoints);
    p.xt = pointsOf(xt.reshape({xt.size(0), in.dim}), in.dim);
    const QPointF ref = pointsOf(x0.reshape({1, in.dim}), in.dim).value(0);
    p.hasReference = true;
    p.reference = ref;
    p.selected = 0;
    // The true reverse step from sample #1 at this t: mu~ = c1 x_0 + c2 x_t (Ho et al. Eq. 7).
    const auto post = diffusion::posterior(ab, abPrev);
    p.posteriorMean = t >= 1 ? post.c1 * ref + post.c2 * p.xt.value(0) : ref;
    if (in.dim == 2) {
        const int paths = std::min<int>(kTrackedSamples, eps.size(0));
        const auto e = eps.reshape({eps.size(0), 2}).contiguous();
        const auto acc = e.accessor<float, 2>();
        for (int j = 0; j < paths; ++j) {
            QVector<QPointF> path;
            for (long s = 0; s <= t; s += std::max<long>(1, t / 200)) {
                const double a = std::sqrt(alphaBar(s)), b = std::sqrt(1.0 - alphaBar(s));
                path.push_back(QPointF(a * ref.x() + b * acc[j][0], a * ref.y() + b * acc[j][1]));
            }
            path.push_back(p.xt.value(j));
            p.trajectories.push_back(path);
        }
        addField(p, t);
    } else {
        if (!in.mixture.isEmpty()) {
            mixtureDensity(in.mixture, ab, view.left(), view.right(), p.densityX, p.densityY);
            p.densityName = QStringLiteral("q(xₜ) of the data (exact)");
        }
        if (t >= 1)
            p.curves.push_back(gaussianCurve(QStringLiteral("q(xₜ | x₀) = N(√ᾱₜ x₀, 1 − ᾱₜ)"),
                                             signal * ref.x(), 1.0 - ab, palette::reference(), false,
                                             view.left(), view.right()));
    }
    return f;
}

FrameBuilder::FrameBuilder() : m(std::make_unique<Impl>()) {}

FrameBuilder::~FrameBuilder() = default;

void FrameBuilder::setModel(ModelHandle model)
{
    m->model = std::move(model);
    m->alphaBars.clear();
    if (m->model) m->alphaBars = NoiseSchedule::fromConfig(m->model->info.scheduler).alphaBars();
    m->fields.clear();
    clear();
}

const ModelHandle& FrameBuilder::model() const
{
    return m->model;
}

void FrameBuilder::clear()
{
    m->mode = Mode::None;
    m->trajectory.reset();
    m->summaries.clear();
    m->x0 = torch::Tensor();
    m->eps = torch::Tensor();
    m->t0 = 0;
    m->invalidate();
}

void FrameBuilder::setReverse(std::shared_ptr<const Trajectory> trajectory, bool trueStep)
{
    clear();
    if (!m->model || !trajectory) return;
    m->trajectory = std::move(trajectory);
    m->trueStep = trueStep;
    m->mode = Mode::Reverse;
}

std::shared_ptr<const Trajectory> FrameBuilder::trajectory() const
{
    return m->mode == Mode::Reverse ? m->trajectory : nullptr;
}

void FrameBuilder::appendSummaries(const QVector<StepSummary>& summaries)
{
    m->summaries += summaries;
}

const QVector<StepSummary>& FrameBuilder::summaries() const
{
    return m->summaries;
}

void FrameBuilder::setForward(const Reference& x0, int batch, quint64 seed, int t0)
{
    clear();
    if (!m->model || !x0.isValid()) return;
    const ModelInfo& in = m->model->info;
    m->x0 = referenceTensor(in, x0);
    std::vector<int64_t> shape{std::max(1, batch)};
    shape.insert(shape.end(), in.shape.begin(), in.shape.end());
    auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
    m->eps = torch::randn(shape, gen, torch::kFloat32).contiguous();
    m->t0 = std::clamp(t0, 1, in.T());
    m->mode = Mode::Forward;
}

FrameBuilder::Mode FrameBuilder::mode() const
{
    return m->mode;
}

int FrameBuilder::availableFrames() const
{
    switch (m->mode) {
    case Mode::Reverse:
        return m->trajectory->recordedSteps();
    case Mode::Forward:
        return m->t0 + 1;
    case Mode::None:
        break;
    }
    return 0;
}

int FrameBuilder::totalFrames() const
{
    switch (m->mode) {
    case Mode::Reverse:
        return m->trajectory->stepCount();
    case Mode::Forward:
        return m->t0 + 1;
    case Mode::None:
        break;
    }
    return 0;
}

QVector<long> FrameBuilder::timestepLabels() const
{
    QVector<long> t;
    if (m->mode == Mode::Reverse) {
        for (long k : m->trajectory->process().timesteps())
            t.push_back(k + 1);
    } else if (m->mode == Mode::Forward) {
        for (int i = 0; i <= m->t0; ++i)
            t.push_back(i);
    }
    return t;
}

Frame FrameBuilder::frame(int step)
{
    const int available = availableFrames();
    if (available == 0 || !m->model) return {};
    step = std::clamp(step, 0, available - 1);
    for (const Frame& f : m->cache)
        if (f.step == step) return f;
    Frame f = m->mode == Mode::Reverse ? m->reverseFrame(step) : m->forwardFrame(step);
    if (m->mode == Mode::Forward && f.t >= 1) {
        // The exact reverse step from the noised reference: q(x_{t-1}|x_t) beside q(x_{t-1}|x_t,x_0).
        c10::InferenceMode guard;
        const double ab = m->alphaBar(f.t), abPrev = m->alphaBar(f.t - 1);
        const auto x0 = m->x0.to(torch::kFloat64);
        const auto xt = std::sqrt(ab) * x0 + std::sqrt(1.0 - ab) * m->eps.slice(0, 0, 1).to(torch::kFloat64);
        const auto post = diffusion::posterior(ab, abPrev);
        m->addExact(f, xt.to(torch::kFloat32), f.t, f.t - 1, ab, abPrev, {}, {}, kNaN,
                    post.c1 * x0 + post.c2 * xt, post.variance);
    }
    m->cache.push_front(f);
    while (static_cast<int>(m->cache.size()) > kCachedFrames)
        m->cache.pop_back();
    return f;
}

void FrameBuilder::setMaxRows(int rows)
{
    m->maxRows = std::max(1, rows);
    m->invalidate();
}

void FrameBuilder::setFieldEnabled(bool on)
{
    if (m->fieldEnabled == on) return;
    m->fieldEnabled = on;
    m->invalidate();
}

void FrameBuilder::setExactEnabled(bool on)
{
    if (m->exactEnabled == on) return;
    m->exactEnabled = on;
    m->invalidate();
}

bool FrameBuilder::exactEnabled() const
{
    return m->exactEnabled;
}

bool FrameBuilder::fieldEnabled() const
{
    return m->fieldEnabled;
}

bool FrameBuilder::needsField(long t) const
{
    return m->fieldEnabled && m->model && !m->model->info.isImage && m->model->info.dim == 2 && t >= 1 &&
           m->fields.find(t) == m->fields.end();
}

void FrameBuilder::setField(long t, const QVector<QPointF>& origins, const QVector<QPointF>& vectors,
                            const QVector<QPointF>& exactVectors)
{
    if (m->fields.size() > 64) m->fields.clear();
    m->fields[t] = {origins, vectors, exactVectors};
    m->cache.erase(std::remove_if(m->cache.begin(), m->cache.end(), [t](const Frame& f) { return f.t == t; }),
                   m->cache.end());
}

FrameBuilder::DensityMap FrameBuilder::densityMap() const
{
    DensityMap d;
    if (!m->model || m->model->info.isImage || m->model->info.dim != 1) return d;
    const ModelInfo& in = m->model->info;
    const QRectF view = viewRange(in);
    d.T = in.T();
    d.bins = kHistogramBins;
    d.xmin = view.left();
    d.xmax = view.right();
    if (m->mode == Mode::Reverse) {
        const auto& s = m->summaries;
        if (s.isEmpty()) return d;
        d.values.fill(0.0, d.T * d.bins);
        // Column t shows the step whose x_t covers it: t in (t_{i+1}, t_i] (strided runs fill the gaps).
        for (int i = 0; i < s.size(); ++i) {
            if (s[i].histogram.size() != d.bins) continue;
            // The first step's x_t (pure noise when sampling from x_T) also stands for the t above it.
            const long hi = i == 0 ? d.T : s[i].t;
            const long lo = i + 1 < s.size() ? s[i + 1].t : (i + 1 < m->trajectory->stepCount() ? hi - 1 : 0);
            // Never past the last column (a summary's t beyond this model's T would write outside d.values).
            for (long t = std::max<long>(lo + 1, 1); t <= std::min<long>(hi, d.T); ++t)
                std::copy(s[i].histogram.begin(), s[i].histogram.end(), d.values.begin() + (t - 1) * d.bins);
        }
        const int paths = std::min<int>(kDensityPaths, s[0].tracked.size());
        const int stride = std::max(1, static_cast<int>(s.size()) / kDensityPathPoints);
        for (int j = 0; j < paths; ++j) {
            QVector<QPointF> path;
            for (int i = 0; i < s.size(); i += stride)
                if (j < s[i].tracked.size()) path.push_back(QPointF(s[i].t, s[i].tracked[j].x()));
            if ((s.size() - 1) % stride != 0 && j < s.last().tracked.size())
                path.push_back(QPointF(s.last().t, s.last().tracked[j].x()));
            d.paths.push_back(path);
        }
    } else if (m->mode == Mode::Forward) {
        const auto x0 = m->x0.reshape({-1}).contiguous();
        const auto eps = m->eps.reshape({-1}).contiguous();
        const double ref = x0.data_ptr<float>()[0];
        const float* e = eps.data_ptr<float>();
        const int64_t n = eps.numel();
        d.values.fill(0.0, d.T * d.bins);
        const double width = (d.xmax - d.xmin) / d.bins;
        const int paths = static_cast<int>(std::min<int64_t>(n, kDensityPaths));
        d.paths.resize(paths);
        const int every = std::max(1, d.T / kDensityPathPoints);
        for (int t = 1; t <= d.T; ++t) {
            const double a = std::sqrt(m->alphaBar(t)), b = std::sqrt(1.0 - m->alphaBar(t));
            for (int64_t j = 0; j < n; ++j) {
                const double x = a * ref + b * e[j];
                const int bin = static_cast<int>(std::floor((x - d.xmin) / width));
                if (bin >= 0 && bin < d.bins) d.values[(t - 1) * d.bins + bin] += 1.0;
                if (j < paths && (t % every == 0 || t == 1)) d.paths[j].push_back(QPointF(t, x));
            }
        }
    }
    return d;
}

QRectF FrameBuilder::viewRange(const ModelInfo& info)
{
    const double low = std::min(info.low, -1.0), high = std::max(info.high, 1.0);
    return QRectF(low, low, high - low, high - low);
}

} // namespace difflens::gui
