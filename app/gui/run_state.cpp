#include "app/gui/run_state.h"

#include "app/logic/run_files.h"
#include "app/logic/sampling_controller.h"
#include "core/errors.h"
#include "widgets/timeline_bar.h"

#include <QScopeGuard>
#include <QTimer>

#include <algorithm>
#include <cstdlib>

namespace difflens::gui {

using widgets::RunSettings;

RunState::RunState(widgets::TimelineBar* timeline, QObject* parent)
    : QObject(parent), m_timeline(timeline), m_sampler(new SamplingController(this)),
      m_rerunTimer(new QTimer(this))
{
    m_rerunTimer->setSingleShot(true);
    m_rerunTimer->setInterval(250);
    connect(m_rerunTimer, &QTimer::timeout, this, [this] {
        if (rerunsWithReference()) Q_EMIT rerunDue();
    });
    connect(m_sampler, &SamplingController::stepsAvailable, this, &RunState::onStepsAvailable);
    connect(m_sampler, &SamplingController::finished, this, [this](double seconds) {
        // The last step is drawn at once: a live frame may still be waiting out its pacing delay (up to
        // 1 s, scheduleFrame), and whoever hears runEnded expects the view to show the run's end.
        if (m_framePending) showCurrentFrame();
        const int n = m_sampler->recordedSteps();
        Q_EMIT runEnded(true,
                        tr("%1 steps in %2 s (%3 ms per step)")
                            .arg(n)
                            .arg(seconds, 0, 'f', 2)
                            .arg(n > 0 ? 1000.0 * seconds / n : 0.0, 0, 'f', 1),
                        QString());
    });
    connect(m_sampler, &SamplingController::cancelled, this,
            [this](int n) { Q_EMIT runEnded(false, tr("cancelled after %1 steps").arg(n), QString()); });
    connect(m_sampler, &SamplingController::failed, this, [this](const QString& message) {
        if (!message.isEmpty()) m_hasRun = false; // a failed run is not repeated when the reference changes
        Q_EMIT runEnded(false, tr("sampling failed"), message);
    });
    connect(m_sampler, &SamplingController::fieldReady, this,
            [this](long t, const QVector<QPointF>& origins, const QVector<QPointF>& vectors,
                   const QVector<QPointF>& exactVectors) {
                if (!m_frames.model()) return;
                m_frames.setField(t, origins, vectors, exactVectors);
                scheduleFrame();
            });
    connect(m_timeline, &widgets::TimelineBar::currentStepChanged, this, [this](int step) {
        // Compare with what the timeline was told, not with the recording (it grows on the worker meanwhile).
        m_followLive =
            m_frames.mode() == FrameBuilder::Mode::Reverse && step >= m_timeline->availableSteps() - 1;
        scheduleFrame();
    });
}

RunState::~RunState() = default;

void RunState::setModel(const ModelHandle& model)
{
    stop();
    m_frames.setModel(model);
    m_hasRun = false;
    m_shownFrame = Frame();
    m_timeline->pause();
    m_timeline->setStepCount(0);
}

void RunState::stop()
{
    m_sampler->cancel();
    m_rerunTimer->stop();
}

void RunState::prepareRun()
{
    m_path.clear();
    m_rerunTimer->stop();
}

void RunState::startReverse(const SamplingParams& params, const RunSettings& settings)
{
    m_runClock.start();
    m_firstFrameMs = -1;
    m_lastFrameClock.invalidate(); // the run's first step is drawn at once (scheduleFrame paces the ones after)
    m_sampler->start(params);
    m_lastRun = settings;
    m_hasRun = true;
    m_summaryCount = 0;
    m_frames.setReverse(m_sampler->trajectory(), params.fromReference);
    m_trueStep = params.fromReference;
    m_timeline->pause();
    m_timeline->setStepCount(m_frames.totalFrames());
    m_timeline->setTimestepLabels(m_frames.timestepLabels());
    m_timeline->setAvailableSteps(0);
    m_followLive = true;
}

void RunState::startForward(const Reference& reference, const RunSettings& settings)
{
    m_sampler->cancel();
    const int previous = m_frames.mode() == FrameBuilder::Mode::Forward ? m_timeline->currentStep() : 0;
    m_frames.setForward(reference, settings.batch, static_cast<quint64>(settings.seed), settings.t0);
    m_lastRun = settings;
    m_hasRun = true;
    m_timeline->setStepCount(m_frames.totalFrames());
    m_timeline->setTimestepLabels(m_frames.timestepLabels());
    m_followLive = false;
    m_timeline->setCurrentStep(std::min(previous, m_frames.totalFrames() - 1));
    scheduleFrame();
}

void RunState::showOpenedRun(const OpenedRun& run, const ModelHandle& model, bool fieldOn)
{
    stop();
    m_path = run.path;
    m_trueStep = run.trueStep;
    m_frames.setModel(model);
    m_frames.setFieldEnabled(fieldOn && hasDenoiser(*model));
    m_frames.setReverse(run.trajectory, run.trueStep);
    m_frames.appendSummaries(run.summaries);
    m_lastRun = run.settings;
    m_hasRun = true;
    m_summaryCount = run.summaries.size();
    m_followLive = false;
    m_timeline->pause();
    m_timeline->setStepCount(m_frames.totalFrames());
    m_timeline->setTimestepLabels(m_frames.timestepLabels());
    m_timeline->setAvailableSteps(m_frames.availableFrames());
    m_timeline->setCurrentStep(0);
    scheduleFrame();
}

bool RunState::canAttach(const ModelHandle& model) const
{
    return model && m_frames.model() && m_frames.trajectory() &&
           model->info.shape == m_frames.model()->info.shape;
}

void RunState::attachModel(const ModelHandle& model, bool fieldOn)
{
    const auto trajectory = m_frames.trajectory();
    const QVector<StepSummary> summaries = m_frames.summaries();
    const int step = m_timeline->currentStep();
    m_frames.setModel(model);
    m_frames.setFieldEnabled(fieldOn);
    m_frames.setReverse(trajectory, m_trueStep);
    m_frames.appendSummaries(summaries);
    m_timeline->setCurrentStep(step);
    scheduleFrame();
}

void RunState::save(const QString& path) const
{
    saveRunFile(path, *m_frames.model(), m_frames.trajectory(), m_lastRun, m_frames.summaries(), m_trueStep);
}

std::shared_ptr<const Trajectory> RunState::reverseRun() const
{
    return m_frames.mode() == FrameBuilder::Mode::Reverse ? m_frames.trajectory() : nullptr;
}

void RunState::scheduleRerun()
{
    if (rerunsWithReference()) m_rerunTimer->start();
}

void RunState::setFieldEnabled(bool on)
{
    m_frames.setFieldEnabled(on);
    scheduleFrame();
}

void RunState::setExactEnabled(bool on)
{
    if (on == m_frames.exactEnabled()) return;
    m_frames.setExactEnabled(on);
    if (on) scheduleFrame();
}

void RunState::setCurrentStep(int step)
{
    m_timeline->setCurrentStep(step);
    showCurrentFrame(); // at once: callers (tests, the benchmark) look at the result right away
}

int RunState::currentStep() const
{
    return m_timeline->currentStep();
}

void RunState::showTimestep(int t)
{
    const QVector<long> labels = m_frames.timestepLabels();
    int best = -1;
    for (int i = 0; i < std::min<int>(labels.size(), m_frames.availableFrames()); ++i)
        if (best < 0 || std::abs(labels[i] - t) < std::abs(labels[best] - t)) best = i;
    if (best >= 0) m_timeline->setCurrentStep(best);
}

void RunState::onStepsAvailable(int recorded)
{
    if (m_frames.mode() != FrameBuilder::Mode::Reverse) return; // a run cancelled by a model switch
    const QVector<StepSummary> fresh = m_sampler->summaries(m_summaryCount);
    m_summaryCount += fresh.size();
    m_frames.appendSummaries(fresh);
    Q_EMIT stepsRecorded(fresh);
    const bool follow = m_followLive;
    m_timeline->setAvailableSteps(recorded);
    if (follow) m_timeline->setCurrentStep(recorded - 1);
    scheduleFrame();
    Q_EMIT statusChanged();
}

void RunState::scheduleFrame()
{
    // Many step changes in one event-loop pass (a fast drag, steps streaming in) draw one frame.
    if (m_framePending) return;
    m_framePending = true;
    int delay = 0;
    if (m_sampler->isRunning() && m_followLive && m_lastFrameClock.isValid()) {
        // While a run streams in, the live view takes at most about a fortieth of the time, at up to 10 frames a
        // second: on a 2-core machine every millisecond this thread spends building and painting frames is taken
        // from the sampler's threads (bench_gui --app-vs-cli, DDIM 100 of the Fashion-MNIST UNet: 0.99-1.02x the
        // CLI; 1.01-1.19x with a tenth at up to 30 frames a second, 0.98-1.06x with no live frames at all).
        // Scrubbing, and the last step of a run, are drawn at once.
        const qint64 interval = std::clamp<qint64>(40 * m_lastFrameCostMs, 100, 1000);
        delay = static_cast<int>(std::max<qint64>(0, interval - m_lastFrameClock.elapsed()));
    }
    QTimer::singleShot(delay, this, &RunState::showCurrentFrame);
}

void RunState::showCurrentFrame()
{
    m_framePending = false;
    const ModelHandle& model = m_frames.model();
    if (!model || m_frames.availableFrames() == 0) return;
    QElapsedTimer cost;
    cost.start();
    const auto measured = qScopeGuard([this, &cost] {
        m_lastFrameCostMs = 2 * cost.elapsed(); // the paint that follows costs about as much again
        m_lastFrameClock.restart();
    });
    const int step = m_timeline->currentStep();
    Frame frame;
    try {
        frame = m_frames.frame(step);
    } catch (const std::exception& e) {
        Q_EMIT statusMessage(
            tr("Cannot show step %1: %2").arg(step).arg(QString::fromStdString(describeException(e))), 0);
        return;
    }
    if (!frame.isValid()) return;
    m_shownFrame = frame;
    Q_EMIT frameReady(frame);
    if (m_frames.needsField(frame.t) && hasDenoiser(*model)) {
        // A guided run shows the guided field (and the exact guided one for labelled exact data).
        const auto& run = m_sampler->params();
        if (run.model == model && run.classIndex >= 0)
            m_sampler->requestGuidedField(model, frame.t, FrameBuilder::viewRange(model->info),
                                          run.classIndex, run.guidance);
        else
            m_sampler->requestField(model, frame.t, FrameBuilder::viewRange(model->info));
    }
    if (m_firstFrameMs < 0 && m_runClock.isValid() && m_frames.mode() == FrameBuilder::Mode::Reverse) {
        m_firstFrameMs = m_runClock.nsecsElapsed() / 1e6;
        Q_EMIT statusChanged();
    }
    Q_EMIT frameShown(frame.step);
}

} // namespace difflens::gui
