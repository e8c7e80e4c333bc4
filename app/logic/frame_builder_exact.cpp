// FrameBuilder: the Exact q tab's parts of a frame (the exact reverse step of sample #1 and, for images,
// the training items with the largest posterior weights).
#include "app/logic/frame_builder_impl.h"

namespace difflens::gui {

using namespace frame_detail;

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
    // Images of the exact model's own set: E[x_0|x_t], the weights and the nearest item in one pass over the set
    // (60,000 Fashion-MNIST images: three passes took 31 ms a frame, bench_gui).
    const bool onePass = in.isImage && set == rt.exactData;
    PosteriorView view;
    if (onePass) view = rt.exactData->posteriorView(x, ab, x0Pred.defined() ? x0Pred : torch::Tensor());
    // Nearest training item to x0^ (memorisation: a smooth p_theta lands between items, the exact one on
    // one); the distance is the rms over dimensions.
    int nearest = -1;
    double nearestDist = kNaN;
    if (x0Pred.defined() && set) {
        const auto [index, squared] = onePass ? std::make_pair(view.nearest, view.nearestSquared) : set->nearest(x0Pred);
        nearest = static_cast<int>(index);
        nearestDist = std::sqrt(squared / static_cast<double>(D));
    }

    if (in.isImage) {
        widgets::GalleryFrame& g = f.gallery;
        const auto& exact = *rt.exactData;
        const auto w = onePass ? view.weights : exact.weights(x, ab).squeeze(0).to(torch::kCPU, torch::kFloat64);
        const auto ex0 = (onePass ? view.expectedX0 : exact.expectedX0(x, ab)).to(torch::kCPU, torch::kFloat32).contiguous();
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

} // namespace difflens::gui
