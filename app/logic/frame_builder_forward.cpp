// FrameBuilder: the forward process x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps of a reference with fixed
// noise (t = 0..t0): its frames (with the exact reverse step from the noised reference for the Exact q tab)
// and, for 1-D data, its (t, x) density.
#include "app/logic/frame_builder_impl.h"

namespace difflens::gui {

using namespace frame_detail;

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

Frame FrameBuilder::Impl::forwardFrame(int i)
{
    Frame f = forwardViews(i);
    if (f.t >= 1) {
        // The exact reverse step from the noised reference: q(x_{t-1}|x_t) beside q(x_{t-1}|x_t,x_0).
        c10::InferenceMode guard;
        const double ab = alphaBar(f.t), abPrev = alphaBar(f.t - 1);
        const auto x0d = x0.to(torch::kFloat64);
        const auto xt = std::sqrt(ab) * x0d + std::sqrt(1.0 - ab) * eps.slice(0, 0, 1).to(torch::kFloat64);
        const auto post = diffusion::posterior(ab, abPrev);
        addExact(f, xt.to(torch::kFloat32), f.t, f.t - 1, ab, abPrev, {}, {}, kNaN,
                 post.c1 * x0d + post.c2 * xt, post.variance);
    }
    return f;
}

Frame FrameBuilder::Impl::forwardViews(int i)
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

void FrameBuilder::Impl::forwardDensity(DensityMap& d) const
{
    const auto flatX0 = x0.reshape({-1}).contiguous();
    const auto flatEps = eps.reshape({-1}).contiguous();
    const double ref = flatX0.data_ptr<float>()[0];
    const float* e = flatEps.data_ptr<float>();
    const int64_t n = flatEps.numel();
    d.values.fill(0.0, d.T * d.bins);
    const double width = (d.xmax - d.xmin) / d.bins;
    const int paths = static_cast<int>(std::min<int64_t>(n, kDensityPaths));
    d.paths.resize(paths);
    const int every = std::max(1, d.T / kDensityPathPoints);
    for (int t = 1; t <= d.T; ++t) {
        const double a = std::sqrt(alphaBar(t)), b = std::sqrt(1.0 - alphaBar(t));
        for (int64_t j = 0; j < n; ++j) {
            const double x = a * ref + b * e[j];
            const int bin = static_cast<int>(std::floor((x - d.xmin) / width));
            if (bin >= 0 && bin < d.bins) d.values[(t - 1) * d.bins + bin] += 1.0;
            if (j < paths && (t % every == 0 || t == 1)) d.paths[j].push_back(QPointF(t, x));
        }
    }
}

} // namespace difflens::gui
