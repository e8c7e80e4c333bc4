// MainWindow: runs (sampling on the worker, the forward process), the timeline and the frames it shows,
// the score field, and saving a trajectory or a frame.
#include "app/gui/main_window.h"

#include "app/logic/app_paths.h"
#include "app/gui/central_view.h"
#include "app/gui/exact_panel.h"
#include "app/logic/vlb_controller.h"
#include "app/gui/draw_dialog.h"
#include "app/gui/help.h"
#include "app/logic/model_loader.h"
#include "app/logic/sampling_controller.h"
#include "app/logic/settings.h"
#include "app/gui/side_panels.h"
#include "app/gui/tour.h"
#include "app/gui/training_dialog.h"
#include "core/errors.h"
#include "widgets/control_panel.h"
#include "widgets/explanation_panel.h"
#include "widgets/image_panel_grid.h"
#include "widgets/loss_plot.h"
#include "widgets/plot_widget_base.h"
#include "widgets/schedule_plot.h"
#include "widgets/step_metrics_plot.h"
#include "widgets/point_view.h"
#include "widgets/timeline_bar.h"

#include "app/gui/export_dialog.h"

#include <QAction>
#include <QDir>
#include <QApplication>
#include <QCloseEvent>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QFileSystemWatcher>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QScrollArea>
#include <QSettings>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTabWidget>
#include <QScopeGuard>
#include <QTimer>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace difflens::gui {

namespace {

using widgets::RunSettings;

} // namespace

// --- runs --------------------------------------------------------------------------------------------------

void MainWindow::sample(const RunSettings& settings)
{
    if (!m_model) return;
    if (settings.mode != RunSettings::Forward && refuseWithoutModel(tr("Sampling"))) return;
    m_runPath.clear();
    m_rerunTimer->stop();
    if (settings != m_controls->settings()) {
        // The panel shows what runs (callers may pass settings of their own).
        ++m_applying;
        m_controls->setSettings(settings);
        m_runSettings = m_controls->settings();
        --m_applying;
    }
    if (settings.mode == RunSettings::Forward) {
        startForward(settings);
        return;
    }
    if (settings.mode == RunSettings::FromReference && !m_reference.isValid()) {
        showError(tr("Choose a reference first"),
                  tr("“Denoise reference from t₀” starts from the reference x₀ noised to t₀."),
                  m_model->info.isImage
                      ? tr("Pick a dataset item, an image file or a drawing under Reference x₀.")
                      : tr("Click a data point, or pick a dataset item under Reference x₀."));
        return;
    }
    const SamplingParams p = samplingParams(settings, m_model, m_reference);
    m_runClock.start();
    m_firstFrameMs = -1;
    m_sampler->start(p);
    m_lastRun = settings;
    m_hasRun = true;
    m_summaryCount = 0;
    m_frames.setReverse(m_sampler->trajectory(), p.fromReference);
    m_trueStep = p.fromReference;
    m_timeline->pause();
    m_timeline->setStepCount(m_frames.totalFrames());
    m_timeline->setTimestepLabels(m_frames.timestepLabels());
    m_timeline->setAvailableSteps(0);
    m_followLive = true;
    m_metrics->reset(m_model->info.T(), m_reference.isValid(), p.fromReference);
    m_central->setDensity(FrameBuilder::DensityMap());
    updateHint();
    if (m_frames.mode() == FrameBuilder::Mode::Reverse) {
        m_controls->setBusy(true);
        m_controls->setProgress(0, m_frames.totalFrames());
        statusBar()->showMessage(tr("Sampling %1 steps…").arg(m_frames.totalFrames()));
    }
}

void MainWindow::startForward(const RunSettings& settings)
{
    if (!m_model) return;
    if (!m_reference.isValid()) {
        m_central->showMessage(
            tr("<h2>Forward process</h2><p>Choose a reference x₀ (%1) to watch noise being "
               "added to it.</p>")
                .arg(m_model->info.isImage ? tr("a dataset item, a file or a drawing")
                                           : tr("click a data point")));
        return;
    }
    m_sampler->cancel();
    const int previous = m_frames.mode() == FrameBuilder::Mode::Forward ? m_timeline->currentStep() : 0;
    m_frames.setForward(m_reference, settings.batch, static_cast<quint64>(settings.seed), settings.t0);
    m_lastRun = settings;
    m_hasRun = true;
    m_controls->setBusy(false);
    m_timeline->setStepCount(m_frames.totalFrames());
    m_timeline->setTimestepLabels(m_frames.timestepLabels());
    m_metrics->reset(m_model->info.T(), false);
    m_central->setDensity(m_frames.densityMap());
    m_followLive = false;
    m_timeline->setCurrentStep(std::min(previous, m_frames.totalFrames() - 1));
    scheduleFrame();
    updateStatus();
    updateHint();
    statusBar()->showMessage(tr("Forward process: move t with the timeline (t = 0 … %1)").arg(settings.t0),
                             6000);
}

void MainWindow::onStepsAvailable(int recorded)
{
    if (m_frames.mode() != FrameBuilder::Mode::Reverse) return; // a run cancelled by a model switch
    const QVector<StepSummary> fresh = m_sampler->summaries(m_summaryCount);
    m_summaryCount += fresh.size();
    m_frames.appendSummaries(fresh);
    m_metrics->append(fresh);
    if (m_model && !m_model->info.isImage && m_model->info.dim == 1)
        m_central->setDensity(m_frames.densityMap());
    const bool follow = m_followLive;
    m_timeline->setAvailableSteps(recorded);
    if (follow) m_timeline->setCurrentStep(recorded - 1);
    scheduleFrame();
    updateStatus();
}

void MainWindow::onRunEnded(bool ok, const QString& status, const QString& error)
{
    m_controls->setBusy(false);
    statusBar()->showMessage(status, 8000);
    updateStatus();
    if (!error.isEmpty()) {
        m_hasRun = false;
        showError(tr("Sampling failed"), error,
                  tr("The model misbehaved during sampling. Try another model, or check that the package's "
                     "scheduler_config.json (prediction_type, variance_type) matches how it was trained."));
    }
    Q_EMIT runFinished(ok, error.isEmpty() ? status : error);
}

void MainWindow::onCurrentStepChanged(int step)
{
    // Compare with what the timeline was told, not with the recording, which grows on the worker meanwhile.
    m_followLive = m_frames.mode() == FrameBuilder::Mode::Reverse && step >= m_timeline->availableSteps() - 1;
    scheduleFrame();
}

void MainWindow::setCurrentStep(int step)
{
    m_timeline->setCurrentStep(step);
    showCurrentFrame(); // at once: callers (tests, the benchmark) look at the result right away
}

int MainWindow::currentStep() const
{
    return m_timeline->currentStep();
}

void MainWindow::scheduleFrame()
{
    // Many step changes in one event-loop pass (a fast drag, steps streaming in) draw one frame.
    if (m_framePending) return;
    m_framePending = true;
    int delay = 0;
    if (m_sampler->isRunning() && m_followLive && m_lastFrameClock.isValid()) {
        // While a run streams in, the live view takes at most about a tenth of the time: on a 2-core machine
        // every millisecond this thread spends building and painting frames is taken from the sampler's
        // threads (bench_gui --app-vs-cli). Scrubbing, and the last step of a run, are drawn at once.
        const qint64 interval = std::clamp<qint64>(10 * m_lastFrameCostMs, 33, 400);
        delay = static_cast<int>(std::max<qint64>(0, interval - m_lastFrameClock.elapsed()));
    }
    QTimer::singleShot(delay, this, &MainWindow::showCurrentFrame);
}

void MainWindow::showCurrentFrame()
{
    m_framePending = false;
    if (!m_model || m_frames.availableFrames() == 0) return;
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
        statusBar()->showMessage(
            tr("Cannot show step %1: %2").arg(step).arg(QString::fromStdString(describeException(e))));
        return;
    }
    if (!frame.isValid()) return;
    m_central->showFrame(frame);
    m_shownFrame = frame;
    updateExplanation();
    m_schedule->setCurrentT(frame.t);
    m_metrics->setCurrentT(frame.t);
    m_exact->showFrame(frame);
    m_exact->setCurrentT(frame.t);
    if (m_frames.needsField(frame.t) && !modelMissing()) {
        // A guided run shows the guided field (and the exact guided one for labelled exact data).
        const auto& run = m_sampler->params();
        if (run.model == m_model && run.classIndex >= 0)
            m_sampler->requestGuidedField(m_model, frame.t, FrameBuilder::viewRange(m_model->info), run.classIndex,
                                          run.guidance);
        else
            m_sampler->requestField(m_model, frame.t, FrameBuilder::viewRange(m_model->info));
    }
    if (m_firstFrameMs < 0 && m_runClock.isValid() && m_frames.mode() == FrameBuilder::Mode::Reverse) {
        m_firstFrameMs = m_runClock.nsecsElapsed() / 1e6;
        updateStatus();
    }
    Q_EMIT frameDisplayed(frame.step);
}

void MainWindow::updateExplanation()
{
    // Laying out the rich text costs a few ms: only while the panel can be seen (tab or dock switches refresh
    // it), and at most every 100 ms while the steps fly by (nobody reads numbers at 30 frames a second; the
    // last frame's numbers always arrive).
    if (!m_explanation->isVisible() || !m_shownFrame.isValid() || !m_model) return;
    if (m_explanationTimer->isActive()) {
        m_explanationStale = true;
        return;
    }
    m_explanationStale = false;
    m_explanationTimer->start();
    const Frame& frame = m_shownFrame;
    if (m_frames.mode() == FrameBuilder::Mode::Forward) {
        const widgets::StepNumbers& n = frame.numbers;
        const double alphaBar = frame.t == 0 ? 1.0 : n.alphaBar;
        m_explanation->setHtml(
            forwardExplanationHtml(frame.t, m_model->info.T(), alphaBar, n.c1, n.c2, n.betaTilde));
    } else if (frame.numbers.T > 0) {
        m_explanation->setNumbers(frame.numbers);
    } else {
        m_explanation->clearNumbers();
    }
}

void MainWindow::syncExactFrames()
{
    // The Exact q parts of a frame cost a few ms each: only while the tab can be seen.
    const bool on = m_tabs->currentWidget() == m_exact && !m_sideDock->isHidden();
    if (on == m_frames.exactEnabled()) return;
    m_frames.setExactEnabled(on);
    if (on) scheduleFrame();
}

void MainWindow::onFieldReady(long t, const QVector<QPointF>& origins, const QVector<QPointF>& vectors,
                              const QVector<QPointF>& exactVectors)
{
    if (!m_model) return;
    m_frames.setField(t, origins, vectors, exactVectors);
    scheduleFrame();
}

// --- files -------------------------------------------------------------------------------------------------

void MainWindow::saveTrajectory()
{
    if (!m_options.interactive) return;
    if (m_frames.mode() != FrameBuilder::Mode::Reverse || m_sampler->recordedSteps() == 0) {
        showError(tr("Nothing to save"),
                  tr("Sample first: the trajectory of the reverse run is what is saved."));
        return;
    }
    const QString path = QFileDialog::getSaveFileName(
        this, tr("Save trajectory"), QStringLiteral("trajectory.pt"), tr("PyTorch tensors (*.pt)"));
    if (path.isEmpty()) return;
    try {
        m_sampler->saveTrajectory(path);
        statusBar()->showMessage(tr("Saved %1 (torch.load gives a dict of tensors)").arg(path), 6000);
    } catch (const std::exception& e) {
        showError(tr("Cannot save the trajectory"), QString::fromStdString(describeException(e)),
                  tr("Choose a folder you can write to."));
    }
}

void MainWindow::saveFrameImage()
{
    if (!m_options.interactive) return;
    const QString path = QFileDialog::getSaveFileName(this, tr("Save frame"), QStringLiteral("frame.png"),
                                                      tr("PNG images (*.png)"));
    if (path.isEmpty()) return;
    QWidget* view = m_central->currentView();
    // The grid renders pixel-exact at twice the size; the point page is grabbed with its density view.
    const QImage image = view == m_central->imageGrid()
                             ? m_central->imageGrid()->renderToImage(view->size(), 2.0)
                             : m_central->grab().toImage();
    if (!image.save(path)) showError(tr("Cannot save the frame"), tr("Writing %1 failed.").arg(path));
}

} // namespace difflens::gui
