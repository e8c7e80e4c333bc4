#include "app/gui/main_window.h"

#include "app/gui/app_paths.h"
#include "app/gui/central_view.h"
#include "app/gui/exact_panel.h"
#include "app/gui/vlb_controller.h"
#include "app/gui/draw_dialog.h"
#include "app/gui/help.h"
#include "app/gui/model_loader.h"
#include "app/gui/sampling_controller.h"
#include "app/gui/settings.h"
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
#include <QTimer>
#include <QVBoxLayout>

#include <cmath>

namespace difflens::gui {

namespace {

using widgets::RunSettings;

bool sameReference(const RunSettings& a, const RunSettings& b)
{
    return a.referenceSource == b.referenceSource && a.referenceIndex == b.referenceIndex &&
           a.referenceFile == b.referenceFile;
}

QString modelHint(const QString& current)
{
    QString hint =
        QObject::tr("A model is a folder holding model.pt (TorchScript, or a built-in net saved by "
                    "difflens-cli train), scheduler_config.json and difflens.json; or a single TorchScript "
                    ".pt file with those files beside it. Exact models (exact:8gaussians, …) need no file.");
    if (!current.isEmpty())
        hint = QObject::tr("The app keeps using %1.").arg(current) + QStringLiteral("\n\n") + hint;
    return hint;
}

} // namespace

MainWindow::MainWindow(Options options, QWidget* parent)
    : QMainWindow(parent), m_options(std::move(options)),
      m_settings(std::make_unique<Settings>(std::move(m_options.settings)))
{
    initResources();
    setWindowIcon(QIcon(QStringLiteral(":/difflens/icons/difflens.svg")));
    setWindowTitle(tr("Diffusion Lens"));
    m_loader = new ModelLoader(this);
    m_sampler = new SamplingController(this);
    m_rerunTimer = new QTimer(this);
    m_rerunTimer->setSingleShot(true);
    m_rerunTimer->setInterval(250);
    m_explanationTimer = new QTimer(this);
    m_explanationTimer->setSingleShot(true);
    m_explanationTimer->setInterval(100);
    connect(m_explanationTimer, &QTimer::timeout, this, [this] {
        if (m_explanationStale) updateExplanation();
    });
    buildUi();
    buildMenus();

    connect(m_loader, &ModelLoader::loaded, this, &MainWindow::onModelLoaded);
    connect(m_loader, &ModelLoader::failed, this, &MainWindow::onModelFailed);
    connect(m_sampler, &SamplingController::stepsAvailable, this, &MainWindow::onStepsAvailable);
    connect(m_sampler, &SamplingController::progress, m_controls, &widgets::ControlPanel::setProgress);
    connect(m_sampler, &SamplingController::finished, this, [this](double seconds) {
        const int n = m_sampler->recordedSteps();
        onRunEnded(true,
                   tr("%1 steps in %2 s (%3 ms per step)")
                       .arg(n)
                       .arg(seconds, 0, 'f', 2)
                       .arg(n > 0 ? 1000.0 * seconds / n : 0.0, 0, 'f', 1),
                   QString());
    });
    connect(m_sampler, &SamplingController::cancelled, this,
            [this](int n) { onRunEnded(false, tr("cancelled after %1 steps").arg(n), QString()); });
    connect(m_sampler, &SamplingController::failed, this,
            [this](const QString& message) { onRunEnded(false, tr("sampling failed"), message); });
    connect(m_sampler, &SamplingController::fieldReady, this, &MainWindow::onFieldReady);
    connect(m_sampler, &SamplingController::notice, this,
            [this](const QString& message) { statusBar()->showMessage(message, 15000); });
    m_vlb = new VlbController(this);
    connect(m_vlb, &VlbController::progress, this, [this](int done, int total) {
        m_exact->setBoundProgress(done, total);
    });
    connect(m_vlb, &VlbController::finished, this,
            [this](const QVector<widgets::VlbSeries>& series, const QString& summary) {
                m_exact->setBounds(series, summary);
                statusBar()->showMessage(tr("Variational bound computed"), 4000);
            });
    connect(m_vlb, &VlbController::cancelled, this, [this] { m_exact->setBoundMessage(tr("Cancelled.")); });
    connect(m_vlb, &VlbController::failed, this, [this](const QString& message) {
        m_exact->setBoundMessage(tr("The bound failed: %1").arg(message));
        showError(tr("Cannot compute the bound"), message);
    });
    connect(m_rerunTimer, &QTimer::timeout, this, [this] {
        if (m_model && m_hasRun && m_lastRun.mode != RunSettings::Forward) sample(m_controls->settings());
    });

    // Pretrained packages land while the app runs (they are trained for hours): list them as they appear.
    auto* watcher = new QFileSystemWatcher(this);
    for (const QString& dir : pretrainedDirs() + QStringList{userModelsDir()})
        if (QFileInfo(dir).isDir()) watcher->addPath(dir);
    auto* rescan = new QTimer(this);
    rescan->setSingleShot(true);
    rescan->setInterval(1500);
    connect(watcher, &QFileSystemWatcher::directoryChanged, rescan, qOverload<>(&QTimer::start));
    connect(rescan, &QTimer::timeout, this, &MainWindow::refreshCatalog);

    refreshCatalog();
    {
        ++m_applying;
        RunSettings s = m_settings->runSettings();
        s.model.clear();
        m_controls->setSettings(s);
        m_runSettings = m_controls->settings();
        --m_applying;
    }
    m_timeline->setFps(m_settings->value(keys::playbackFps));
    m_fieldAction->setChecked(m_settings->value(keys::viewScoreField));
    m_schedule->setComparison(m_settings->value(keys::scheduleCompare));
    resize(1600, 980);
    if (m_options.restoreState) restoreWindow();
    syncExactFrames();
    updateStatus();
    setAcceptDrops(true); // run files dropped on the window open
    if (!m_options.run.isEmpty())
        QTimer::singleShot(0, this, [this] {
            if (!openRun(m_options.run)) openModel(initialModel());
        });
    else
        openModel(initialModel());
    if (m_options.presentation) QTimer::singleShot(0, this, [this] { setPresentationMode(true); });
}

MainWindow::~MainWindow() = default;

// --- layout ----------------------------------------------------------------------------------------------

void MainWindow::buildUi()
{
    auto* centre = new QWidget(this);
    auto* layout = new QVBoxLayout(centre);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    m_central = new CentralView(centre);
    m_timeline = new widgets::TimelineBar(centre);
    layout->addWidget(m_central, 1);
    layout->addWidget(m_timeline);
    setCentralWidget(centre);

    m_controls = new widgets::ControlPanel;
    auto* scroll = new QScrollArea;
    scroll->setWidget(m_controls);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setMinimumWidth(m_controls->sizeHint().width() + 16);
    m_controlsDock = new QDockWidget(tr("Controls"), this);
    m_controlsDock->setObjectName(QStringLiteral("controlsDock"));
    m_controlsDock->setWidget(scroll);
    m_controlsDock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetClosable);
    addDockWidget(Qt::LeftDockWidgetArea, m_controlsDock);

    m_tabs = new QTabWidget;
    m_explanation = new widgets::ExplanationPanel;
    m_schedule = new SchedulePanel;
    m_loss = new LossPanel;
    m_metrics = new MetricsPanel;
    m_exact = new ExactPanel;
    m_tabs->addTab(m_explanation, tr("Explanation"));
    m_tabs->addTab(m_exact, tr("Exact q"));
    m_tabs->setTabToolTip(1, tr("The exact reverse process q(xₜ₋₁ | xₜ) from the training set, beside p_θ; "
                                "the variational bound term by term"));
    m_tabs->addTab(m_schedule, tr("Schedule"));
    m_tabs->addTab(m_loss, tr("Loss"));
    m_tabs->addTab(m_metrics, tr("Step metrics"));
    m_sideDock = new QDockWidget(tr("Panels"), this);
    m_sideDock->setObjectName(QStringLiteral("panelsDock"));
    m_sideDock->setWidget(m_tabs);
    m_sideDock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetClosable |
                            QDockWidget::DockWidgetFloatable);
    addDockWidget(Qt::RightDockWidgetArea, m_sideDock);
    resizeDocks({m_controlsDock, m_sideDock}, {280, 470}, Qt::Horizontal);

    m_statusModel = new QLabel(this);
    m_statusDevice = new QLabel(this);
    m_statusTiming = new QLabel(this);
    statusBar()->addPermanentWidget(m_statusTiming);
    statusBar()->addPermanentWidget(m_statusDevice);
    statusBar()->addPermanentWidget(m_statusModel);

    connect(m_controls, &widgets::ControlPanel::sampleRequested, this, &MainWindow::sample);
    connect(m_controls, &widgets::ControlPanel::cancelRequested, m_sampler, &SamplingController::cancel);
    connect(m_controls, &widgets::ControlPanel::settingsChanged, this, &MainWindow::onSettingsChanged);
    connect(m_controls, &widgets::ControlPanel::openModelRequested, this, &MainWindow::openModelDialog);
    connect(m_controls, &widgets::ControlPanel::referenceFileRequested, this,
            &MainWindow::chooseReferenceFile);
    connect(m_controls, &widgets::ControlPanel::drawReferenceRequested, this, &MainWindow::drawReference);
    connect(m_timeline, &widgets::TimelineBar::currentStepChanged, this, &MainWindow::onCurrentStepChanged);
    connect(m_timeline, &widgets::TimelineBar::fpsChanged, this,
            [this](int fps) { m_settings->setValue(keys::playbackFps, fps); });
    connect(m_central, &CentralView::dataPointClicked, this,
            [this](int index, QPointF) { onDataPointClicked(index); });
    connect(m_central, &CentralView::timestepClicked, this, [this](int t) {
        const QVector<long> labels = m_frames.timestepLabels();
        int best = -1;
        for (int i = 0; i < std::min<int>(labels.size(), m_frames.availableFrames()); ++i)
            if (best < 0 || std::abs(labels[i] - t) < std::abs(labels[best] - t)) best = i;
        if (best >= 0) m_timeline->setCurrentStep(best);
    });
    connect(m_tabs, &QTabWidget::currentChanged, this, [this] { updateExplanation(); });
    connect(m_exact, &ExactPanel::boundRequested, this, [this] {
        if (!m_model || refuseWithoutModel(tr("The variational bound"))) return;
        m_exact->setBoundRunning(true);
        m_vlb->start(m_model, VlbController::defaultItems(m_model->info));
    });
    connect(m_exact, &ExactPanel::boundCancelRequested, this, [this] { m_vlb->cancel(); });
    connect(m_sideDock, &QDockWidget::visibilityChanged, this, [this] {
        updateExplanation();
        syncExactFrames();
    });
    connect(m_tabs, &QTabWidget::currentChanged, this, [this] { syncExactFrames(); });
    connect(m_schedule, &SchedulePanel::comparisonChanged, this,
            [this](const QString& name) { m_settings->setValue(keys::scheduleCompare, name); });
}

void MainWindow::buildMenus()
{
    QMenu* file = menuBar()->addMenu(tr("&File"));
    QAction* open = file->addAction(tr("&Open model…"), this, &MainWindow::openModelDialog);
    open->setShortcut(QKeySequence::Open);
    m_referenceImageAction =
        file->addAction(tr("Open &reference image…"), this, &MainWindow::chooseReferenceFile);
    m_referenceImageAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_I));
    file->addAction(tr("Refresh model list"), this, &MainWindow::refreshCatalog);
    file->addSeparator();
    QAction* train = file->addAction(tr("&Train a point model…"), this, &MainWindow::showTraining);
    train->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_T));
    file->addSeparator();
    m_saveTrajectoryAction = file->addAction(tr("Save &trajectory (tensors for Python)…"), this, &MainWindow::saveTrajectory);
    buildRunMenu(file, m_saveTrajectoryAction);
    file->addAction(tr("Save frame as &PNG…"), this, &MainWindow::saveFrameImage);
    QAction* exportAction = file->addAction(tr("&Export GIF / video / filmstrip…"), this, &MainWindow::showExport);
    exportAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_E));
    file->addAction(tr("Save &plots (PNG, PDF, SVG)…"), this, &MainWindow::savePlots);
    file->addSeparator();
    QAction* quit = file->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);

    QMenu* view = menuBar()->addMenu(tr("&View"));
    m_presentationAction = view->addAction(tr("&Presentation mode"));
    m_presentationAction->setCheckable(true);
    m_presentationAction->setShortcut(QKeySequence(Qt::Key_F11));
    m_presentationAction->setShortcutContext(Qt::ApplicationShortcut);
    addAction(m_presentationAction); // reachable while the menu bar is hidden
    connect(m_presentationAction, &QAction::toggled, this, &MainWindow::setPresentationMode);
    view->addSeparator();
    m_fieldAction = view->addAction(tr("Score &field (2-D)"));
    m_fieldAction->setCheckable(true);
    m_fieldAction->setToolTip(tr("The model's score −ε̂/√(1−ᾱₜ) on a grid at the shown t"));
    connect(m_fieldAction, &QAction::toggled, this, [this](bool on) {
        m_settings->setValue(keys::viewScoreField, on);
        m_frames.setFieldEnabled(on);
        scheduleFrame();
    });
    auto pointOption = [this, view](const QString& text, bool widgets::PointView::Options::*member) {
        QAction* a = view->addAction(text);
        a->setCheckable(true);
        a->setChecked(true);
        connect(a, &QAction::toggled, this, [this, member](bool on) {
            widgets::PointView::Options o = m_central->pointView()->options();
            o.*member = on;
            m_central->pointView()->setOptions(o);
        });
    };
    pointOption(tr("Model steps xₜ → μ_θ (2-D)"), &widgets::PointView::Options::showArrows);
    pointOption(tr("Model guesses x̂₀ (2-D)"), &widgets::PointView::Options::showPredictions);
    pointOption(tr("Trajectories (2-D)"), &widgets::PointView::Options::showTrajectories);
    view->addSeparator();
    view->addAction(m_controlsDock->toggleViewAction());
    view->addAction(m_sideDock->toggleViewAction());

    buildCompareMenu();

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    QAction* what =
        help->addAction(tr("&What am I looking at?"), this, [this] { showWhatAmILookingAt(this); });
    what->setShortcut(QKeySequence::HelpContents);
    help->addAction(tr("&Tour of the panels"), this, &MainWindow::startTour);
    help->addAction(tr("&About Diffusion Lens"), this,
                    [this] { showAbout(this, m_model ? m_model->info.description : QString()); });

    // Presentation mode is keyboard only: these keys drive the timeline while it is on.
    auto key = [this](const QKeySequence& seq, auto slot) {
        auto* a = new QAction(this);
        a->setShortcut(seq);
        a->setShortcutContext(Qt::WindowShortcut);
        a->setEnabled(false);
        connect(a, &QAction::triggered, this, slot);
        addAction(a);
        m_presentationKeys << a;
    };
    key(QKeySequence(Qt::Key_Space), [this] { m_timeline->togglePlay(); });
    key(QKeySequence(Qt::Key_Right), [this] { m_timeline->stepForward(); });
    key(QKeySequence(Qt::Key_Left), [this] { m_timeline->stepBack(); });
    key(QKeySequence(Qt::Key_Home), [this] { m_timeline->jumpToStart(); });
    key(QKeySequence(Qt::Key_End), [this] { m_timeline->jumpToEnd(); });
    key(QKeySequence(Qt::Key_Escape), [this] { m_presentationAction->setChecked(false); });
}

void MainWindow::restoreWindow()
{
    const QByteArray geometry = m_settings->value(keys::windowGeometry);
    if (!geometry.isEmpty()) restoreGeometry(geometry);
    const QByteArray state = m_settings->value(keys::windowState);
    if (!state.isEmpty()) restoreState(state);
}

void MainWindow::saveWindow()
{
    if (m_presentation) setPresentationMode(false);
    m_settings->setValue(keys::windowGeometry, saveGeometry());
    m_settings->setValue(keys::windowState, saveState());
    RunSettings s = m_controls->settings();
    m_settings->setRunSettings(s);
    m_settings->sync();
}

void MainWindow::closeEvent(QCloseEvent* event)
{
    m_sampler->cancel();
    if (m_options.restoreState) saveWindow();
    QMainWindow::closeEvent(event);
}

QString MainWindow::initialModel() const
{
    if (!m_options.model.isEmpty()) return m_options.model;
    if (m_options.restoreState) {
        const QString last = m_settings->value(keys::modelLast);
        if (!last.isEmpty() && (last.startsWith(QLatin1String("exact:")) || QFileInfo::exists(last)))
            return last;
    }
    return m_catalog.defaultSpec();
}

// --- models ----------------------------------------------------------------------------------------------

void MainWindow::refreshCatalog()
{
    m_catalog.refresh(m_settings->value(keys::modelRecent));
    ++m_applying;
    m_controls->setModels(m_catalog.names());
    if (m_model) selectModelName(m_catalog.nameFor(m_model->info.spec));
    --m_applying;
}

void MainWindow::selectModelName(const QString& name)
{
    if (name.isEmpty()) return;
    ++m_applying;
    RunSettings s = m_controls->settings();
    s.model = name;
    m_controls->setSettings(s);
    m_runSettings = m_controls->settings();
    --m_applying;
}

void MainWindow::openModel(const QString& spec)
{
    if (spec.isEmpty()) return;
    m_loadingSpec = spec;
    m_loadRequest = m_loader->load(spec, m_options.device);
    statusBar()->showMessage(tr("Opening %1…").arg(spec));
    if (!m_model) m_central->showMessage(tr("<h2>Opening %1…</h2>").arg(spec.toHtmlEscaped()));
}

void MainWindow::onModelLoaded(int request, const QString& spec, const ModelHandle& model)
{
    if (request != m_loadRequest) return;
    if (!m_attachSpec.isEmpty() && spec == m_attachSpec) {
        attachRunModel(model);
        return;
    }
    m_loadingSpec.clear();
    m_sampler->cancel();
    m_rerunTimer->stop();
    m_model = model;
    const ModelInfo& info = model->info;
    m_frames.setModel(model);
    m_frames.setFieldEnabled(m_fieldAction->isChecked());
    m_hasRun = false;

    QString name = m_catalog.nameFor(spec);
    if (name.isEmpty()) {
        name = m_catalog.add(spec);
        ++m_applying;
        m_controls->setModels(m_catalog.names());
        --m_applying;
    }
    for (const CatalogEntry& e : m_catalog.entries())
        if (e.name == name && e.source == CatalogEntry::Source::Opened) m_settings->addRecentModel(e.spec);
    m_settings->setValue(keys::modelLast, spec);

    ++m_applying;
    m_controls->setTimesteps(info.T());
    m_controls->setDatasetSize(info.referenceCount);
    m_controls->setSamplers(samplerChoices(info.scheduler));
    m_controls->setClasses(info.classNames);
    RunSettings s = m_controls->settings();
    s.model = name;
    s.batch = m_settings->value(info.isImage ? keys::samplerBatchImages : keys::samplerBatchPoints);
    if (info.isImage && !m_settings->isSet(keys::samplerSteps) && !info.isExact()) {
        // First start on a network for images: 1000 DDPM steps of a UNet take minutes on a CPU; 100 DDIM
        // steps show the same picture in seconds.
        s.sampler = info.scheduler.isFlow() ? QStringLiteral("euler") : QStringLiteral("ddim");
        s.steps = info.scheduler.isFlow() ? 50 : 100;
    }
    if (!info.isImage &&
        (s.referenceSource == QLatin1String("file") || s.referenceSource == QLatin1String("draw")))
        s.referenceSource = QStringLiteral("none");
    if (m_options.firstScreen && !m_settings->isSet(keys::referenceSource) && info.referenceCount > 0) {
        // The first screen shows the app's point at once: a dataset item as x_0, noised halfway and denoised,
        // so mu~ is the true step and sits beside the model's mu_theta.
        s.referenceSource = QStringLiteral("dataset");
        s.referenceIndex = 0;
        s.mode = RunSettings::FromReference;
        s.t0 = std::max(1, info.T() / 2);
    }
    m_controls->setSettings(s);
    m_runSettings = m_controls->settings();
    --m_applying;

    // A model opened behind an opened run (it attaches to the run) keeps the run's name in the title.
    setWindowTitle(m_runPath.isEmpty()
                       ? tr("Diffusion Lens — %1").arg(info.name)
                       : tr("Diffusion Lens — %1 (%2)").arg(QFileInfo(m_runPath).fileName(), info.name));
    m_central->setModel(info);
    m_central->showMessage(tr("<h2>%1</h2><p>%2</p><p>Press <b>Sample</b> to watch it denoise.</p>")
                               .arg(info.name.toHtmlEscaped(), info.dataText.toHtmlEscaped()));
    m_explanation->clearNumbers();
    m_shownFrame = Frame();
    m_schedule->setSchedule(info.scheduler);
    m_loss->showLog(info.trainingLog, info.lossByTLog,
                    info.isExact()
                        ? tr("An exact model is not trained: it computes E[x₀ | xₜ] from the data itself, "
                             "so there is no loss curve. Open a trained package to see one.")
                        : tr("This model has no training log (loss.csv beside model.pt)."));
    m_metrics->reset(info.T(), false);
    m_vlb->cancel();
    m_exact->setModel(info);
    m_schedule->setWarning(priorWarningText(info));
    m_timeline->pause();
    m_timeline->setStepCount(0);
    m_referenceImageAction->setEnabled(info.isImage);
    m_fieldAction->setEnabled(!info.isImage && info.dim == 2);
    m_fileReferencePath.clear();
    if (m_drawing.width != info.width || m_drawing.height != info.height) m_drawing = widgets::ImageData();
    updateReference();
    updateStatus();
    statusBar()->showMessage(tr("Opened %1").arg(info.name), 4000);
    Q_EMIT modelReady(spec);
    if (m_options.autoSample) sample(m_controls->settings());
    updateHint();
    if (m_options.firstScreen && m_options.interactive && !m_settings->value(keys::tourShown) && !m_tour)
        QTimer::singleShot(1200, this, [this] {
            if (!m_settings->value(keys::tourShown)) startTour();
        });
}

void MainWindow::onModelFailed(int request, const QString& spec, const QString& message)
{
    if (request != m_loadRequest) return;
    m_loadingSpec.clear();
    if (!m_attachSpec.isEmpty() && spec == m_attachSpec) { // the opened run stays, without its model
        m_attachSpec.clear();
        statusBar()->showMessage(tr("The run's model %1 could not be opened (%2): the run scrubs without it")
                                     .arg(spec, message),
                                 10000);
        return;
    }
    if (!m_model) {
        // Nothing to keep: fall back to the default model (the last one may have been deleted or moved), and
        // to the exact model that needs no file when the default itself fails.
        const QString exact = QStringLiteral("exact:8gaussians");
        const QString next = spec != m_catalog.defaultSpec() ? m_catalog.defaultSpec()
                             : spec != exact                 ? exact
                                                             : QString();
        if (!next.isEmpty()) {
            statusBar()->showMessage(tr("Could not open %1 (%2); opening %3").arg(spec, message, next), 8000);
            openModel(next);
            if (spec == m_options.model) // asked for on the command line: say so
                showError(tr("Cannot open the model"), tr("Could not open %1:\n%2").arg(spec, message),
                          tr("Opening %1 instead.").arg(next) + QStringLiteral("\n\n") +
                              modelHint(QString()));
            return;
        }
        m_central->showMessage(
            tr("<h2>No model</h2><p>%1</p><p>Use File ▸ Open model…</p>").arg(message.toHtmlEscaped()));
    }
    showError(tr("Cannot open the model"), tr("Could not open %1:\n%2").arg(spec, message),
              modelHint(m_model ? m_model->info.name : QString()));
    if (m_model) selectModelName(m_catalog.nameFor(m_model->info.spec));
    statusBar()->showMessage(tr("Could not open %1").arg(spec), 6000);
}

void MainWindow::openModelDialog()
{
    if (!m_options.interactive) return;
    const QString start = QFileInfo(m_model ? m_model->info.spec : QString()).absolutePath();
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Open a model package or TorchScript file"), start,
        tr("Models (model.pt *.pt *.pth difflens.json scheduler_config.json);;All files (*)"));
    if (path.isEmpty()) return;
    const QFileInfo info(path);
    // A file inside a package folder opens the package.
    const bool packageFile = info.fileName() == QLatin1String("model.pt") ||
                             info.fileName() == QLatin1String("difflens.json") ||
                             info.fileName() == QLatin1String("scheduler_config.json");
    openModel(packageFile && isPackageDir(info.absolutePath()) ? info.absolutePath()
                                                               : info.absoluteFilePath());
}

void MainWindow::showTraining()
{
    if (!m_training) {
        m_training = new TrainingDialog(*m_settings, m_options.device, this);
        connect(m_training, &TrainingDialog::packageReady, this, [this](const QString& dir, bool useIt) {
            refreshCatalog();
            if (useIt) openModel(dir);
        });
    }
    m_training->show();
    m_training->raise();
}

// --- reference and settings ------------------------------------------------------------------------------

void MainWindow::onSettingsChanged(const RunSettings& s)
{
    if (m_applying > 0) return;
    const RunSettings previous = m_runSettings;
    m_runSettings = s;
    m_settings->setRunSettings(s);
    if (m_model)
        m_settings->setValue(m_model->info.isImage ? keys::samplerBatchImages : keys::samplerBatchPoints,
                             s.batch);
    if (!s.model.isEmpty() && (!m_model || s.model != m_catalog.nameFor(m_model->info.spec))) {
        const QString spec = m_catalog.specFor(s.model);
        if (!spec.isEmpty() && spec != m_loadingSpec) openModel(spec);
        return;
    }
    if (!sameReference(previous, s)) {
        updateReference();
        if (m_hasRun && m_lastRun.mode != RunSettings::Forward) m_rerunTimer->start();
    }
    // The forward process is cheap: it follows the form as it is edited.
    if (s.mode == RunSettings::Forward && m_model &&
        (!sameReference(previous, s) || previous.mode != s.mode || previous.seed != s.seed ||
         previous.batch != s.batch || previous.t0 != s.t0))
        startForward(s);
}

void MainWindow::updateReference()
{
    m_reference = Reference();
    if (!m_model) return;
    const RunSettings s = m_controls->settings();
    const ModelInfo& info = m_model->info;
    try {
        if (s.referenceSource == QLatin1String("dataset")) {
            if (info.referenceCount > 0) m_reference = datasetReference(*m_model, s.referenceIndex);
        } else if (s.referenceSource == QLatin1String("file") && !s.referenceFile.isEmpty()) {
            if (s.referenceFile != m_fileReferencePath) {
                m_fileReference = imageFileReference(*m_model, s.referenceFile);
                m_fileReferencePath = s.referenceFile;
            }
            m_reference = m_fileReference;
        } else if (s.referenceSource == QLatin1String("draw")) {
            m_reference = drawingReference(*m_model, m_drawing);
        }
    } catch (const std::exception& e) {
        showError(tr("Cannot use this reference"), QString::fromStdString(describeException(e)),
                  tr("Choose a dataset item, another image file, or draw the reference."));
    }
    if (!info.isImage &&
        (s.referenceSource == QLatin1String("file") || s.referenceSource == QLatin1String("draw")))
        statusBar()->showMessage(
            tr("Image files and drawings are references for image models: click a data point "
               "to choose x₀"),
            6000);
    updateStatus();
    updateHint();
}

void MainWindow::onDataPointClicked(int index)
{
    if (!m_model || m_model->info.isImage) return;
    RunSettings s = m_controls->settings();
    s.referenceSource = QStringLiteral("dataset");
    s.referenceIndex = index;
    m_controls->setSettings(s); // emits settingsChanged: the reference follows, the run is repeated
}

void MainWindow::chooseReferenceFile()
{
    if (!m_model || !m_options.interactive) return;
    if (!m_model->info.isImage) {
        statusBar()->showMessage(
            tr("Image files are references for image models: click a data point instead"), 6000);
        return;
    }
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Open a reference image"),
        QStandardPaths::writableLocation(QStandardPaths::PicturesLocation),
        tr("Images (*.png *.jpg *.jpeg *.bmp *.pgm *.ppm *.tif *.tiff *.webp);;All files (*)"));
    if (path.isEmpty()) return;
    m_controls->setReferenceFile(path);
}

void MainWindow::drawReference()
{
    if (!m_model || !m_options.interactive) return;
    const ModelInfo& info = m_model->info;
    if (!info.isImage) {
        statusBar()->showMessage(tr("Drawings are references for image models: click a data point instead"),
                                 6000);
        return;
    }
    widgets::ImageData start = m_drawing;
    if (!start.isValid() && m_reference.isValid()) start = referenceImage(*m_model, m_reference);
    DrawDialog dialog(info.width, info.height, info.low, info.high, start, this);
    if (dialog.exec() != QDialog::Accepted) return;
    m_drawing = dialog.image();
    updateReference();
    if (m_hasRun && m_lastRun.mode != RunSettings::Forward)
        m_rerunTimer->start();
    else if (m_controls->settings().mode == RunSettings::Forward)
        startForward(m_controls->settings());
}

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
    QTimer::singleShot(0, this, &MainWindow::showCurrentFrame);
}

void MainWindow::showCurrentFrame()
{
    m_framePending = false;
    if (!m_model || m_frames.availableFrames() == 0) return;
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

// --- chrome ------------------------------------------------------------------------------------------------

void MainWindow::setPresentationMode(bool on)
{
    if (on == m_presentation) return;
    m_presentation = on;
    {
        const QSignalBlocker block(m_presentationAction);
        m_presentationAction->setChecked(on);
    }
    for (QAction* a : m_presentationKeys)
        a->setEnabled(on);
    if (on) {
        m_savedState = saveState();
        m_wasMaximized = isMaximized();
        menuBar()->hide();
        statusBar()->hide();
        m_controlsDock->hide();
        m_sideDock->hide();
        QFont f = QApplication::font();
        f.setPointSizeF(f.pointSizeF() * m_settings->value(keys::presentationFontScale));
        m_timeline->setFont(f);
        showFullScreen();
        m_timeline->setFocus();
    } else {
        m_timeline->setFont(QApplication::font());
        menuBar()->show();
        statusBar()->show();
        restoreState(m_savedState);
        m_wasMaximized ? showMaximized() : showNormal();
    }
}

void MainWindow::updateHint()
{
    if (!m_model) return;
    const RunSettings run = m_hasRun ? m_lastRun : m_controls->settings();
    m_central->setHint(nextStepHint(m_model->info.isImage, run, m_reference.isValid()));
}

Tour* MainWindow::tour() const
{
    return m_tour;
}

void MainWindow::startTour()
{
    if (m_tour) return;
    if (m_presentation) setPresentationMode(false);
    m_controlsDock->show();
    m_sideDock->show();
    const auto tab = [this](QWidget* page) { return [this, page] { m_tabs->setCurrentWidget(page); }; };
    QVector<TourStep> steps{
        {m_controlsDock, tr("1 · Choose what runs"),
         tr("A model, a sampler and its steps, the seed, and the reference x₀. “Denoise reference from t₀” "
            "starts from x₀ noised to t₀; Sample starts from pure noise."),
         {}},
        {m_central, tr("2 · One reverse step"),
         tr("xₜ, the model's guess x̂₀ and its step μ_θ; with a reference, the step μ̃ computed from x₀ (Ho et "
            "al. Eq. 7) and the difference |μ_θ − μ̃|."),
         {}},
        {m_timeline, tr("3 · The timeline"),
         tr("Play, pause and scrub: every step is recorded, so moving back and forth never samples again. "
            "Space plays, ← and → step, F11 is presentation mode."),
         {}},
        {m_sideDock, tr("4 · The step explained"),
         tr("The numbers behind the step shown: how xₜ was made, what the model predicts, and the Gaussian "
            "q(xₜ₋₁ | xₜ, x₀) it stands in for."),
         tab(m_explanation)},
        {m_sideDock, tr("5 · Model against truth"),
         tr("Step metrics: the KL and the distance between μ_θ and μ̃ at every step. Exact q shows the true "
            "q(xₜ₋₁ | xₜ) for data small enough to compute it. Help ▸ Tour shows this again."),
         tab(m_metrics)},
    };
    m_tour = new Tour(this, steps);
    connect(m_tour, &Tour::finished, this, [this](bool) { m_settings->setValue(keys::tourShown, true); });
}

void MainWindow::showError(const QString& title, const QString& message, const QString& hint)
{
    m_lastError = message;
    Q_EMIT errorShown(title, message);
    if (!m_options.interactive) return;
    QMessageBox box(QMessageBox::Warning, title, QStringLiteral("<b>%1</b>").arg(title.toHtmlEscaped()),
                    QMessageBox::Ok, this);
    box.setInformativeText(hint.isEmpty() ? message : message + QStringLiteral("\n\n") + hint);
    box.exec();
}

void MainWindow::updateStatus()
{
    if (!m_model) {
        m_statusModel->setText(tr("no model"));
        m_statusDevice->clear();
        m_statusTiming->clear();
        return;
    }
    const ModelInfo& info = m_model->info;
    const QString kind =
        info.isImage ? tr("%1×%2 images").arg(info.height).arg(info.width) : tr("%1-D points").arg(info.dim);
    QString name = info.name;
    if (name.size() > 40) name = QStringLiteral("…") + name.right(39);
    m_statusModel->setText(QStringLiteral("%1 · %2").arg(name, kind));
    m_statusModel->setToolTip(info.description + QStringLiteral("\n") + info.dataText);
    m_statusDevice->setText(info.device);
    QString timing;
    const int n = m_sampler->recordedSteps();
    if (m_frames.mode() == FrameBuilder::Mode::Reverse && n > 0) {
        timing = tr("%1 ms/step").arg(1000.0 * m_sampler->elapsedSeconds() / n, 0, 'f', 1);
        m_statusTiming->setToolTip(tr("first step on screen after %1 ms · %2 MB recorded")
                                       .arg(m_firstFrameMs, 0, 'f', 0)
                                       .arg(m_sampler->trajectoryBytes() / 1.0e6, 0, 'f', 1));
    }
    if (m_reference.isValid())
        timing +=
            (timing.isEmpty() ? QString() : QStringLiteral(" · ")) + tr("x₀: %1").arg(m_reference.label);
    m_statusTiming->setText(timing);
}

void MainWindow::showExport()
{
    if (!m_sampler || !m_sampler->trajectory() || m_sampler->recordedSteps() < 1) {
        QMessageBox::information(this, tr("Nothing to export yet"),
                                 tr("Export uses the recorded run: press Sample first, then export."));
        return;
    }
    // The dialog reads the recording as it is now; a run still under way exports the steps recorded so far.
    ExportDialog dialog(m_frames.model(), m_sampler->trajectory(), m_sampler->summaries(), currentStep(), this);
    connect(&dialog, &ExportDialog::exported, this, [this](const QString& path, int frames, qint64 bytes) {
        statusBar()->showMessage(tr("Exported %1 frames (%2 kB) to %3").arg(frames).arg(bytes / 1024).arg(path), 8000);
    });
    dialog.exec();
}

void MainWindow::savePlots()
{
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Folder for the plots"), QDir::homePath());
    if (dir.isEmpty()) return;
    // Figures for slides and papers: each plot as PNG (2x for sharpness), PDF and SVG, at a fixed size.
    const QVector<QPair<QString, widgets::PlotWidgetBase*>> plots = {
        {QStringLiteral("schedule"), m_schedule->plot()},
        {QStringLiteral("loss"), m_loss->plot()},
        {QStringLiteral("step_metrics"), m_metrics->plot()}};
    QStringList failed;
    for (const auto& [name, plot] : plots) {
        const QString base = QDir(dir).filePath(name);
        if (!plot->savePng(base + QStringLiteral(".png"), 900, 600, 2.0)) failed << name + QStringLiteral(".png");
        if (!plot->savePdf(base + QStringLiteral(".pdf"), 900, 600)) failed << name + QStringLiteral(".pdf");
        if (!plot->saveSvg(base + QStringLiteral(".svg"), 900, 600)) failed << name + QStringLiteral(".svg");
    }
    if (!failed.isEmpty())
        showError(tr("Some plots were not saved"), tr("Could not write %1 in %2: is the folder writable?")
                                                       .arg(failed.join(QStringLiteral(", ")), dir));
    else
        statusBar()->showMessage(tr("Saved the schedule, loss and step-metric plots to %1").arg(dir), 8000);
}

} // namespace difflens::gui
