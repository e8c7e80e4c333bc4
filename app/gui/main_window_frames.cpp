// MainWindow: the run part meets the panel and the views (a run started, its steps and end, each frame passed
// to the views, the explanation and the Exact q tab), and saving a trajectory or a frame.
#include "app/gui/main_window.h"

#include "app/gui/central_view.h"
#include "app/gui/exact_panel.h"
#include "app/gui/help.h"
#include "app/gui/side_panels.h"
#include "app/logic/sampling_controller.h"
#include "core/errors.h"
#include "widgets/control_panel.h"
#include "widgets/explanation_panel.h"
#include "widgets/image_panel_grid.h"

#include <QDockWidget>
#include <QFileDialog>
#include <QStatusBar>
#include <QTabWidget>
#include <QTimer>

namespace difflens::gui {

using widgets::RunSettings;

// --- runs --------------------------------------------------------------------------------------------------

void MainWindow::sample(const RunSettings& settings)
{
    const ModelHandle current = model();
    if (!current) return;
    if (settings.mode != RunSettings::Forward && refuseWithoutModel(tr("Sampling"))) return;
    m_run->prepareRun();
    if (settings != m_controls->settings()) showSettings(settings); // the panel shows what runs
    if (settings.mode == RunSettings::Forward) {
        startForward(settings);
        return;
    }
    const Reference& reference = m_references->reference();
    if (settings.mode == RunSettings::FromReference && !reference.isValid()) {
        showError(tr("Choose a reference first"),
                  tr("“Denoise reference from t₀” starts from the reference x₀ noised to t₀."),
                  current->info.isImage
                      ? tr("Pick a dataset item, an image file or a drawing under Reference x₀.")
                      : tr("Click a data point, or pick a dataset item under Reference x₀."));
        return;
    }
    const SamplingParams p = samplingParams(settings, current, reference);
    m_run->startReverse(p, settings);
    m_metrics->reset(current->info.T(), reference.isValid(), p.fromReference);
    m_central->setDensity(FrameBuilder::DensityMap());
    updateHint();
    const FrameBuilder& frames = m_run->frames();
    if (frames.mode() == FrameBuilder::Mode::Reverse) {
        m_controls->setBusy(true);
        m_controls->setProgress(0, frames.totalFrames());
        statusBar()->showMessage(tr("Sampling %1 steps…").arg(frames.totalFrames()));
    }
}

void MainWindow::startForward(const RunSettings& settings)
{
    if (!model()) return;
    if (!m_references->reference().isValid()) {
        m_central->showMessage(
            tr("<h2>Forward process</h2><p>Choose a reference x₀ (%1) to watch noise being "
               "added to it.</p>")
                .arg(model()->info.isImage ? tr("a dataset item, a file or a drawing")
                                           : tr("click a data point")));
        return;
    }
    m_run->startForward(m_references->reference(), settings);
    m_controls->setBusy(false);
    m_metrics->reset(model()->info.T(), false);
    m_central->setDensity(m_run->frames().densityMap());
    updateStatus();
    updateHint();
    statusBar()->showMessage(tr("Forward process: move t with the timeline (t = 0 … %1)").arg(settings.t0),
                             6000);
}

void MainWindow::onStepsRecorded(const QVector<StepSummary>& fresh)
{
    m_metrics->append(fresh);
    if (model() && !model()->info.isImage && model()->info.dim == 1)
        m_central->setDensity(m_run->frames().densityMap());
}

void MainWindow::onRunEnded(bool ok, const QString& status, const QString& error)
{
    m_controls->setBusy(false);
    statusBar()->showMessage(status, 8000);
    updateStatus();
    if (!error.isEmpty())
        showError(tr("Sampling failed"), error,
                  tr("The model misbehaved during sampling. Try another model, or check that the package's "
                     "scheduler_config.json (prediction_type, variance_type) matches how it was trained."));
    Q_EMIT runFinished(ok, error.isEmpty() ? status : error);
}

// --- the views ---------------------------------------------------------------------------------------------

void MainWindow::showFrame(const Frame& frame)
{
    m_central->showFrame(frame);
    updateExplanation();
    m_schedule->setCurrentT(frame.t);
    m_metrics->setCurrentT(frame.t);
    m_exact->showFrame(frame);
    m_exact->setCurrentT(frame.t);
}

void MainWindow::updateExplanation()
{
    // Laying out the rich text costs a few ms: only while the panel can be seen (tab or dock switches refresh
    // it), and at most every 100 ms while the steps fly by (nobody reads numbers at 30 frames a second; the
    // last frame's numbers always arrive).
    const Frame& frame = m_run->shownFrame();
    if (!m_explanation->isVisible() || !frame.isValid() || !model()) return;
    if (m_explanationTimer->isActive()) {
        m_explanationStale = true;
        return;
    }
    m_explanationStale = false;
    m_explanationTimer->start();
    if (m_run->frames().mode() == FrameBuilder::Mode::Forward) {
        const widgets::StepNumbers& n = frame.numbers;
        const double alphaBar = frame.t == 0 ? 1.0 : n.alphaBar;
        m_explanation->setHtml(
            forwardExplanationHtml(frame.t, model()->info.T(), alphaBar, n.c1, n.c2, n.betaTilde));
    } else if (frame.numbers.T > 0) {
        m_explanation->setNumbers(frame.numbers);
    } else {
        m_explanation->clearNumbers();
    }
}

void MainWindow::syncExactFrames()
{
    m_run->setExactEnabled(m_tabs->currentWidget() == m_exact && !m_sideDock->isHidden());
}

// --- files -------------------------------------------------------------------------------------------------

void MainWindow::saveTrajectory()
{
    if (!m_options.interactive) return;
    SamplingController* sampler = m_run->sampler();
    if (m_run->frames().mode() != FrameBuilder::Mode::Reverse || sampler->recordedSteps() == 0) {
        showError(tr("Nothing to save"),
                  tr("Sample first: the trajectory of the reverse run is what is saved."));
        return;
    }
    const QString path = QFileDialog::getSaveFileName(
        this, tr("Save trajectory"), QStringLiteral("trajectory.pt"), tr("PyTorch tensors (*.pt)"));
    if (path.isEmpty()) return;
    try {
        sampler->saveTrajectory(path);
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
