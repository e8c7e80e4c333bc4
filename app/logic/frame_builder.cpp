#include "app/logic/frame_builder_impl.h"

namespace difflens::gui {

using namespace frame_detail;

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
