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
        const QString path = QFileDialog::getOpenFileName(
            w, tr("Open a run as B"), QFileInfo(m_run->path()).absolutePath(), runFileFilter());
        if (!path.isEmpty()) w->openRunB(path);
    });
}

CompareWindow* MainWindow::compareWindow() const
{
    return m_compare;
}

CompareWindow* MainWindow::openCompare()
{
    const auto trajectory = m_run->reverseRun();
    if (!model() || !trajectory || m_run->frames().availableFrames() < 1) {
        showError(tr("No run to compare"), tr("Compare starts from a reverse run: sample first (the forward process has "
                                              "no sampler to compare)."));
        return nullptr;
    }
    if (m_run->sampler()->isRunning()) {
        showError(tr("The run is still sampling"), tr("Compare takes the finished run as run A: wait until it ends."));
        return nullptr;
    }
    CompareSide a;
    a.model = model();
    a.modelSpec = model()->info.spec;
    a.trajectory = trajectory;
    a.summaries = m_run->frames().summaries();
    a.settings = m_run->lastRun();
    a.reference = reference();
    a.trueStep = m_run->trueStep();
    if (!m_compare) {
        CompareWindow::Options o;
        for (const CatalogEntry& e : m_models->catalog().entries())
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

bool MainWindow::refuseWithoutModel(const QString& what)
{
    if (!modelMissing()) return false;
    showError(tr("The run's model is not loaded"),
              tr("%1 needs the model this run was made with (%2), which is not loaded%3.")
                  .arg(what, model()->info.spec,
                       m_models->runModelSpec().isEmpty() ? QString() : tr(" yet: it is being opened")),
              tr("Scrubbing, the panels and export work without it. Open the model (File ▸ Open model…) to "
                 "sample again."));
    return true;
}

void MainWindow::saveRunDialog()
{
    if (!m_options.interactive) return;
    QString path = QFileDialog::getSaveFileName(this, tr("Save the run"), m_run->path(), runFileFilter());
    if (path.isEmpty()) return;
    if (!path.endsWith(QLatin1String(kRunFileExtension))) path += QLatin1String(kRunFileExtension);
    saveRun(path);
}

bool MainWindow::saveRun(const QString& path)
{
    if (!model() || !m_run->reverseRun()) {
        showError(tr("No run to save"), tr("Sample first: a run file holds a reverse run."));
        return false;
    }
    try {
        m_run->save(path);
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
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Open a run"), QFileInfo(m_run->path()).absolutePath(), runFileFilter());
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
    // The loaded model keeps serving when it is the run's own: nothing is off then.
    if (!m_models->serves(run.modelSpec, run.model->info.shape)) m_models->setModel(run.model);
    const ModelInfo& info = model()->info;
    m_run->showOpenedRun(run, model(), m_fieldAction->isChecked());
    m_references->setReference(run.reference);

    m_central->setModel(info);
    m_schedule->setSchedule(info.scheduler);
    m_exact->setModel(info);
    m_metrics->reset(info.T(), run.reference.isValid(), run.trueStep);
    m_metrics->append(run.summaries);
    m_controls->setBusy(false);
    {
        const QSignalBlocker quiet(m_controls);
        m_controls->setTimesteps(info.T());
    }
    RunSettings shown = run.settings;
    shown.model = m_controls->settings().model; // the model box lists models, not runs
    showSettings(shown);
    setWindowTitle(tr("Diffusion Lens — %1").arg(QFileInfo(path).fileName()));
    addRecentRun(path);
    updateStatus();
    updateHint();
    if (modelMissing()) {
        const bool behind = ModelState::isAvailable(run.modelSpec);
        statusBar()->showMessage(
            behind
                ? tr("Opened %1; opening its model %2 behind it…")
                      .arg(QFileInfo(path).fileName(), run.modelSpec)
                : tr("Opened %1 without its model (%2 is not here): scrubbing and export work; sampling, the "
                     "score field and the bound need the model")
                      .arg(QFileInfo(path).fileName(), run.modelSpec),
            10000);
        m_models->openForRun(run.modelSpec);
    }
    return true;
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
