// MainWindow's run files (run_files.h): File > Save run / Open run / Open recent run, drag and drop, and
// `difflens RUN`. An opened run shows at once with a facts-only model; the model it was made with is opened
// behind it and takes over when it loads (sampling, the score field and the bound come back). Without it,
// those say why they are off.
#include "app/gui/central_view.h"
#include "app/gui/compare_window.h"
#include "app/gui/exact_panel.h"
#include "app/gui/main_window.h"
#include "app/logic/run_files.h"
#include "app/logic/sampling_controller.h"
#include "app/logic/settings.h"
#include "app/gui/side_panels.h"
#include "core/errors.h"
#include "widgets/control_panel.h"
#include "widgets/timeline_bar.h"

#include <QAction>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QMenu>
#include <QMenuBar>
#include <QMimeData>
#include <QStatusBar>
#include <QTimer>

namespace difflens::gui {

namespace {

using widgets::RunSettings;

QString runFileIn(const QMimeData* mime)
{
    if (!mime || !mime->hasUrls()) return {};
    for (const QUrl& url : mime->urls())
        if (url.isLocalFile() && url.toLocalFile().endsWith(QLatin1String(kRunFileExtension), Qt::CaseInsensitive))
            return url.toLocalFile();
    return {};
}

bool modelIsThere(const QString& spec)
{
    return spec.startsWith(QLatin1String("exact:")) || (!spec.isEmpty() && QFileInfo::exists(spec));
}

} // namespace

void MainWindow::buildRunMenu(QMenu* file, QAction* before)
{
    QAction* save = new QAction(tr("&Save run…"), file);
    save->setShortcut(QKeySequence::Save);
    connect(save, &QAction::triggered, this, &MainWindow::saveRunDialog);
    QAction* open = new QAction(tr("Open r&un…"), file);
    open->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_O));
    connect(open, &QAction::triggered, this, &MainWindow::openRunDialog);
    file->insertAction(before, save);
    file->insertAction(before, open);
    m_recentRuns = new QMenu(tr("Open recent r&un"), file);
    file->insertMenu(before, m_recentRuns);
    rebuildRecentRuns();
}

void MainWindow::buildCompareMenu()
{
    QMenu* compare = menuBar()->addMenu(tr("&Compare"));
    QAction* with = compare->addAction(tr("&Compare with… (same x_T, one setting changed)"), this,
                                       [this] { openCompare(); });
    with->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_K));
    compare->addAction(tr("Compare with a &saved run…"), this, [this] {
        CompareWindow* w = openCompare();
        if (!w || !m_options.interactive) return;
        const QString path = QFileDialog::getOpenFileName(w, tr("Open a run as B"), QFileInfo(m_runPath).absolutePath(),
                                                          runFileFilter());
        if (!path.isEmpty()) w->openRunB(path);
    });
}

CompareWindow* MainWindow::compareWindow() const
{
    return m_compare;
}

CompareWindow* MainWindow::openCompare()
{
    const auto trajectory = m_frames.mode() == FrameBuilder::Mode::Reverse ? m_frames.trajectory() : nullptr;
    if (!m_model || !trajectory || m_frames.availableFrames() < 1) {
        showError(tr("No run to compare"), tr("Compare starts from a reverse run: sample first (the forward process has "
                                              "no sampler to compare)."));
        return nullptr;
    }
    if (m_sampler->isRunning()) {
        showError(tr("The run is still sampling"), tr("Compare takes the finished run as run A: wait until it ends."));
        return nullptr;
    }
    CompareSide a;
    a.model = m_model;
    a.modelSpec = m_model->info.spec;
    a.trajectory = trajectory;
    a.summaries = m_frames.summaries();
    a.settings = m_lastRun;
    a.reference = m_reference;
    a.trueStep = m_trueStep;
    if (!m_compare) {
        CompareWindow::Options o;
        for (const CatalogEntry& e : m_catalog.entries())
            if (e.spec != a.modelSpec) o.models << e.spec;
        o.device = m_options.device;
        o.interactive = m_options.interactive;
        m_compare = new CompareWindow(std::move(a), std::move(o), nullptr);
        m_compare->setAttribute(Qt::WA_DeleteOnClose);
        connect(this, &QObject::destroyed, m_compare, &QObject::deleteLater);
    } else {
        m_compare->setRunA(std::move(a));
    }
    if (m_presentationMode.isOn()) m_compare->setPresentationMode(true); // a lecture keeps going full screen
    else m_compare->show();
    m_compare->raise();
    m_compare->activateWindow();
    return m_compare;
}

bool MainWindow::modelMissing() const
{
    return m_model && !hasDenoiser(*m_model);
}

bool MainWindow::refuseWithoutModel(const QString& what)
{
    if (!modelMissing()) return false;
    showError(tr("The run's model is not loaded"),
              tr("%1 needs the model this run was made with (%2), which is not loaded%3.")
                  .arg(what, m_model->info.spec,
                       m_attachSpec.isEmpty() ? QString() : tr(" yet: it is being opened")),
              tr("Scrubbing, the panels and export work without it. Open the model (File ▸ Open model…) to "
                 "sample again."));
    return true;
}

void MainWindow::saveRunDialog()
{
    if (!m_options.interactive) return;
    QString path = QFileDialog::getSaveFileName(this, tr("Save the run"), m_runPath, runFileFilter());
    if (path.isEmpty()) return;
    if (!path.endsWith(QLatin1String(kRunFileExtension))) path += QLatin1String(kRunFileExtension);
    saveRun(path);
}

bool MainWindow::saveRun(const QString& path)
{
    const auto trajectory = m_frames.mode() == FrameBuilder::Mode::Reverse ? m_frames.trajectory() : nullptr;
    if (!m_model || !trajectory) {
        showError(tr("No run to save"), tr("Sample first: a run file holds a reverse run."));
        return false;
    }
    try {
        saveRunFile(path, *m_model, trajectory, m_lastRun, m_frames.summaries(), m_trueStep);
    } catch (const std::exception& e) {
        showError(tr("Cannot save the run"), QString::fromStdString(describeException(e)));
        return false;
    }
    addRecentRun(path);
    statusBar()->showMessage(tr("Saved the run to %1").arg(path), 6000);
    return true;
}

void MainWindow::openRunDialog()
{
    if (!m_options.interactive) return;
    const QString path = QFileDialog::getOpenFileName(this, tr("Open a run"), QFileInfo(m_runPath).absolutePath(),
                                                      runFileFilter());
    if (!path.isEmpty()) openRun(path);
}

bool MainWindow::openRun(const QString& path)
{
    OpenedRun run;
    try {
        run = openRunFile(path);
    } catch (const std::exception& e) {
        showError(tr("Cannot open the run"), QString::fromStdString(describeException(e)));
        return false;
    }
    m_sampler->cancel();
    m_rerunTimer->stop();
    // The loaded model keeps serving when it is the run's own: nothing is off then.
    const bool ownModel = m_model && hasDenoiser(*m_model) && m_model->info.spec == run.modelSpec &&
                          m_model->info.shape == run.model->info.shape;
    m_model = ownModel ? m_model : run.model;
    const ModelInfo& info = m_model->info;
    m_runPath = path;
    m_trueStep = run.trueStep;
    m_frames.setModel(m_model);
    m_frames.setFieldEnabled(m_fieldAction->isChecked() && !modelMissing());
    m_frames.setReverse(run.trajectory, run.trueStep);
    m_frames.appendSummaries(run.summaries);
    m_reference = run.reference;
    m_lastRun = run.settings;
    m_hasRun = true;
    m_summaryCount = run.summaries.size();
    m_followLive = false;

    m_central->setModel(info);
    m_schedule->setSchedule(info.scheduler);
    m_exact->setModel(info);
    m_metrics->reset(info.T(), run.reference.isValid(), run.trueStep);
    m_metrics->append(run.summaries);
    m_controls->setBusy(false);
    ++m_applying;
    m_controls->setTimesteps(info.T());
    RunSettings shown = run.settings;
    shown.model = m_controls->settings().model; // the model box lists models, not runs
    m_controls->setSettings(shown);
    m_runSettings = m_controls->settings();
    --m_applying;
    m_timeline->pause();
    m_timeline->setStepCount(m_frames.totalFrames());
    m_timeline->setTimestepLabels(m_frames.timestepLabels());
    m_timeline->setAvailableSteps(m_frames.availableFrames());
    m_timeline->setCurrentStep(0);
    scheduleFrame();
    setWindowTitle(tr("Diffusion Lens — %1").arg(QFileInfo(path).fileName()));
    addRecentRun(path);
    updateStatus();
    updateHint();
    if (modelMissing()) {
        m_attachSpec = modelIsThere(run.modelSpec) ? run.modelSpec : QString();
        statusBar()->showMessage(
            m_attachSpec.isEmpty()
                ? tr("Opened %1 without its model (%2 is not here): scrubbing and export work; sampling, the "
                     "score field and the bound need the model")
                      .arg(QFileInfo(path).fileName(), run.modelSpec)
                : tr("Opened %1; opening its model %2 behind it…").arg(QFileInfo(path).fileName(), run.modelSpec),
            10000);
        if (!m_attachSpec.isEmpty()) openModel(m_attachSpec);
    }
    return true;
}

void MainWindow::attachRunModel(const ModelHandle& model)
{
    m_attachSpec.clear();
    m_loadingSpec.clear();
    const auto trajectory = m_frames.trajectory();
    if (!trajectory || model->info.shape != m_model->info.shape) return;
    const QVector<StepSummary> summaries = m_frames.summaries();
    const int step = m_timeline->currentStep();
    m_model = model;
    m_frames.setModel(model);
    m_frames.setFieldEnabled(m_fieldAction->isChecked());
    m_frames.setReverse(trajectory, m_trueStep);
    m_frames.appendSummaries(summaries);
    m_exact->setModel(model->info);
    m_timeline->setCurrentStep(step);
    scheduleFrame();
    updateStatus();
    statusBar()->showMessage(tr("The run's model %1 is loaded: sampling is back").arg(model->info.name), 6000);
}

void MainWindow::addRecentRun(const QString& path)
{
    QStringList recent = m_settings->value(keys::runRecent);
    const QString absolute = QFileInfo(path).absoluteFilePath();
    recent.removeAll(absolute);
    recent.prepend(absolute);
    while (recent.size() > 10) recent.removeLast();
    m_settings->setValue(keys::runRecent, recent);
    rebuildRecentRuns();
}

void MainWindow::rebuildRecentRuns()
{
    if (!m_recentRuns) return;
    m_recentRuns->clear();
    const QStringList recent = m_settings->value(keys::runRecent);
    for (const QString& path : recent)
        m_recentRuns->addAction(QFileInfo(path).fileName(), this, [this, path] { openRun(path); })->setToolTip(path);
    m_recentRuns->setEnabled(!recent.isEmpty());
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event)
{
    if (!runFileIn(event->mimeData()).isEmpty()) event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event)
{
    const QString path = runFileIn(event->mimeData());
    if (path.isEmpty()) return;
    event->acceptProposedAction();
    openRun(path);
}

} // namespace difflens::gui
