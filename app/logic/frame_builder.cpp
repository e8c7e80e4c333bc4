// FrameBuilder: what it shows (a reverse run, the forward process, none), the frames cached, the score field,
// the Exact q switch and the (t, x) density; the frames themselves come from its other files.
#include "app/logic/frame_builder_impl.h"

namespace difflens::gui {

using namespace frame_detail;

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
        m->forwardDensity(d);
    }
    return d;
}

QRectF FrameBuilder::viewRange(const ModelInfo& info)
{
    const double low = std::min(info.low, -1.0), high = std::max(info.high, 1.0);
    return QRectF(low, low, high - low, high - low);
}

} // namespace difflens::gui
