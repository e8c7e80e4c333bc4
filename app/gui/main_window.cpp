#include "app/gui/main_window.h"

#include "app/gui/central_view.h"
#include "app/gui/exact_panel.h"
#include "app/gui/help.h"
#include "app/gui/side_panels.h"
#include "app/logic/sampling_controller.h"
#include "app/logic/settings.h"
#include "widgets/control_panel.h"
#include "widgets/explanation_panel.h"
#include "widgets/point_view.h"
#include "widgets/timeline_bar.h"

#include <QAction>
#include <QCloseEvent>
#include <QDockWidget>
#include <QLabel>
#include <QMenuBar>
#include <QScrollArea>
#include <QSettings>
#include <QStatusBar>
#include <QTabWidget>
#include <QTimer>
#include <QVBoxLayout>

namespace difflens::gui {

using widgets::RunSettings;

MainWindow::MainWindow(Options options, QWidget* parent)
    : QMainWindow(parent), m_options(std::move(options)),
      m_settings(std::make_unique<Settings>(std::move(m_options.settings)))
{
    initResources();
    setWindowIcon(QIcon(QStringLiteral(":/difflens/icons/difflens.svg")));
    setWindowTitle(tr("Diffusion Lens"));
    m_models = new ModelState(*m_settings, m_options.device, this);
    m_references = new ReferenceSelection(this);
    m_explanationTimer = new QTimer(this);
    m_explanationTimer->setSingleShot(true);
    m_explanationTimer->setInterval(100);
    connect(m_explanationTimer, &QTimer::timeout, this, [this] {
        if (m_explanationStale) updateExplanation();
    });
    buildUi();
    m_run = new RunState(m_timeline, this);
    buildMenus();
    connectParts();

    m_models->watchModelFolders();
    m_models->refreshCatalog();
    RunSettings s = m_settings->runSettings();
    s.model.clear();
    showSettings(s);
    m_timeline->setFps(m_settings->value(keys::playbackFps));
    m_fieldAction->setChecked(m_settings->value(keys::viewScoreField));
    m_schedule->setComparison(m_settings->value(keys::scheduleCompare));
    resize(1600, 980);
    if (m_options.restoreState) restoreWindow();
    syncExactFrames();
    updateStatus();
    setAcceptDrops(true); // run files dropped on the window open
    const auto openFirstModel = [this] {
        openModel(m_models->initialSpec(m_options.model, m_options.restoreState));
    };
    if (!m_options.run.isEmpty())
        QTimer::singleShot(0, this, [this, openFirstModel] {
            if (!openRun(m_options.run)) openFirstModel();
        });
    else
        openFirstModel();
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
}

void MainWindow::connectParts()
{
    // The model part: loading, failures, the catalogue in the panel's model box.
    connect(m_models, &ModelState::catalogChanged, this, &MainWindow::onCatalogChanged);
    connect(m_models, &ModelState::loadStarted, this, [this](const QString& spec) {
        statusBar()->showMessage(tr("Opening %1…").arg(spec));
        if (!model()) m_central->showMessage(tr("<h2>Opening %1…</h2>").arg(spec.toHtmlEscaped()));
    });
    connect(m_models, &ModelState::modelChanged, this, &MainWindow::onModelChanged);
    connect(m_models, &ModelState::loadFailed, this, &MainWindow::onLoadFailed);
    connect(m_models, &ModelState::runModelLoaded, this, &MainWindow::onRunModelLoaded);
    connect(m_models, &ModelState::runModelFailed, this, [this](const QString& spec, const QString& message) {
        statusBar()->showMessage(
            tr("The run's model %1 could not be opened (%2): the run scrubs without it").arg(spec, message),
            10000);
    });

    // The reference part.
    connect(m_references, &ReferenceSelection::changed, this, [this] {
        updateStatus();
        updateHint();
    });
    connect(m_references, &ReferenceSelection::failed, this, [this](const QString& message) {
        showError(tr("Cannot use this reference"), message,
                  tr("Choose a dataset item, another image file, or draw the reference."));
    });
    connect(m_references, &ReferenceSelection::imageSourceOnPoints, this, [this] {
        statusBar()->showMessage(
            tr("Image files and drawings are references for image models: click a data point "
               "to choose x₀"),
            6000);
    });

    // The run part: the sampling job, the frames it hands over, the timeline.
    SamplingController* sampler = m_run->sampler();
    connect(sampler, &SamplingController::progress, m_controls, &widgets::ControlPanel::setProgress);
    connect(sampler, &SamplingController::notice, this,
            [this](const QString& message) { statusBar()->showMessage(message, 15000); });
    connect(m_run, &RunState::stepsRecorded, this, &MainWindow::onStepsRecorded);
    connect(m_run, &RunState::runEnded, this, &MainWindow::onRunEnded);
    connect(m_run, &RunState::frameReady, this, &MainWindow::showFrame);
    connect(m_run, &RunState::frameShown, this, &MainWindow::frameDisplayed);
    connect(m_run, &RunState::statusChanged, this, &MainWindow::updateStatus);
    connect(m_run, &RunState::statusMessage, statusBar(), &QStatusBar::showMessage);
    connect(m_run, &RunState::rerunDue, this, [this] {
        if (model()) sample(m_controls->settings());
    });
    connect(m_timeline, &widgets::TimelineBar::fpsChanged, this,
            [this](int fps) { m_settings->setValue(keys::playbackFps, fps); });

    // The panel and the views.
    connect(m_controls, &widgets::ControlPanel::sampleRequested, this, &MainWindow::sample);
    connect(m_controls, &widgets::ControlPanel::cancelRequested, sampler, &SamplingController::cancel);
    connect(m_controls, &widgets::ControlPanel::settingsChanged, this, &MainWindow::onSettingsChanged);
    connect(m_controls, &widgets::ControlPanel::openModelRequested, this, &MainWindow::openModelDialog);
    connect(m_controls, &widgets::ControlPanel::referenceFileRequested, this,
            &MainWindow::chooseReferenceFile);
    connect(m_controls, &widgets::ControlPanel::drawReferenceRequested, this, &MainWindow::drawReference);
    connect(m_central, &CentralView::dataPointClicked, this,
            [this](int index, QPointF) { onDataPointClicked(index); });
    connect(m_central, &CentralView::timestepClicked, m_run, &RunState::showTimestep);

    // The side tabs: the explanation and the Exact q parts are made only while they can be seen.
    connect(m_tabs, &QTabWidget::currentChanged, this, [this] { updateExplanation(); });
    connect(m_sideDock, &QDockWidget::visibilityChanged, this, [this] {
        updateExplanation();
        syncExactFrames();
    });
    connect(m_tabs, &QTabWidget::currentChanged, this, [this] { syncExactFrames(); });
    connect(m_exact, &ExactPanel::boundRequested, this, [this] {
        if (!model() || refuseWithoutModel(tr("The variational bound"))) return;
        m_exact->startBound(model());
    });
    connect(m_exact, &ExactPanel::boundComputed, this,
            [this] { statusBar()->showMessage(tr("Variational bound computed"), 4000); });
    connect(m_exact, &ExactPanel::boundFailed, this,
            [this](const QString& message) { showError(tr("Cannot compute the bound"), message); });
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
    file->addAction(tr("Refresh model list"), m_models, &ModelState::refreshCatalog);
    file->addSeparator();
    QAction* train = file->addAction(tr("&Train a point model…"), this, &MainWindow::showTraining);
    train->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_T));
    file->addSeparator();
    m_saveTrajectoryAction =
        file->addAction(tr("Save &trajectory (tensors for Python)…"), this, &MainWindow::saveTrajectory);
    buildRunMenu(file, m_saveTrajectoryAction);
    file->addAction(tr("Save frame as &PNG…"), this, &MainWindow::saveFrameImage);
    QAction* exportAction =
        file->addAction(tr("&Export GIF / video / filmstrip…"), this, &MainWindow::showExport);
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
        m_run->setFieldEnabled(on);
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
    view->addAction(tr("Steps versus &quality (NFE sweep)…"), this, [this] { openSweep(); });
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
                    [this] { showAbout(this, model() ? model()->info.description : QString()); });

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

void MainWindow::showSettings(const RunSettings& s)
{
    const QSignalBlocker quiet(m_controls); // the window sets the panel itself: no edit to act on
    m_controls->setSettings(s);
    m_panelSettings = m_controls->settings();
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
    if (m_presentationMode.isOn()) setPresentationMode(false);
    m_settings->setValue(keys::windowGeometry, saveGeometry());
    m_settings->setValue(keys::windowState, saveState());
    m_settings->setRunSettings(m_controls->settings());
    m_settings->sync();
}

void MainWindow::closeEvent(QCloseEvent* event)
{
    m_run->sampler()->cancel();
    if (m_options.restoreState) saveWindow();
    QMainWindow::closeEvent(event);
}

VlbController* MainWindow::boundController() const
{
    return m_exact->boundController();
}

} // namespace difflens::gui
