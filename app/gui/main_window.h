#pragma once
// The main window: the control panel (left), the views of the current step (centre) over the timeline, and
// the explanation, schedule, loss and step-metric tabs (right). It assembles parts that each own their state:
// the model (ModelState), the reference x_0 (ReferenceSelection), the run and its timeline (RunState), the
// Exact q tab with its bound job (ExactPanel) and presentation mode (PresentationMode); the window connects
// them to the panels and keeps what is the window's own: menus, docks, the status bar, dialogs and errors.
#include "app/gui/presentation_mode.h"
#include "app/gui/run_state.h"
#include "app/logic/model_state.h"
#include "app/logic/reference_selection.h"
#include "widgets/types.h"

#include <QMainWindow>
#include <QPointer>

#include <memory>

class QAction;
class QDragEnterEvent;
class QDropEvent;
class QMenu;
class QDockWidget;
class QLabel;
class QSettings;
class QTabWidget;
class QTimer;

namespace difflens::widgets {
class ControlPanel;
class ExplanationPanel;
class TimelineBar;
} // namespace difflens::widgets

namespace difflens::gui {

class CentralView;
class CompareWindow;
class SweepDialog;
class ExactPanel;
class LossPanel;
class MetricsPanel;
class SamplingController;
class SchedulePanel;
class Settings;
class Tour;
class TrainingDialog;
class VlbController;

class MainWindow final : public QMainWindow
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MainWindow)

public:
    struct Options
    {
        QString model; ///< open this model (else the last one, else the default)
        QString run;   ///< open this run file instead (its model is opened behind it when it is there)
        QString device = QStringLiteral("auto");
        bool presentation = false; ///< start in presentation mode
        bool restoreState = true;  ///< last model, window geometry and dock layout
        bool autoSample = true;    ///< sample as soon as a model is loaded
        bool interactive = true;   ///< false: errors are signalled and kept, no modal dialogs (tests)
        /** On a first start (no reference ever chosen) open with a dataset item as x_0, denoised from t0,
         *  so x_t, x0^, mu_theta, mu~ and their difference show at once; the tour then runs once. */
        bool firstScreen = true;
        std::unique_ptr<QSettings> settings; ///< null: the application's QSettings
    };

    explicit MainWindow(Options options, QWidget* parent = nullptr);
    ~MainWindow() override;

    /** Opens a model on the loader thread; the window keeps the current one until it has loaded. */
    void openModel(const QString& spec) { m_models->open(spec); }
    /** Runs `settings` (reverse process on the worker, or the forward process at once). */
    void sample(const widgets::RunSettings& settings);
    void setCurrentStep(int step) { m_run->setCurrentStep(step); }
    int currentStep() const { return m_run->currentStep(); }
    void setPresentationMode(bool on);
    /**
     * Opens a run file (main_window_runs.cpp): its first frame shows at once, without the model; the model
     * is opened behind it when it is there. false (and one message) for a bad file.
     */
    bool openRun(const QString& path);
    /** Saves the run shown (File > Save run); false (and one message) when there is none or it fails. */
    bool saveRun(const QString& path);
    /** The run shown came from a file and its model is not loaded (sampling, field and bound are off). */
    bool modelMissing() const { return m_models->isMissing(); }
    /**
     * Compare > Compare with…: opens (or brings up) the comparison window with the run shown as run A
     * (main_window_runs.cpp). Null (and one message) when there is no finished reverse run.
     */
    CompareWindow* openCompare();
    CompareWindow* compareWindow() const;
    /** View > Steps versus quality…: the NFE sweep of the current model (main_window_chrome.cpp); null without one. */
    SweepDialog* openSweep();
    /** Help > Tour: five short steps over the panels (skippable). */
    void startTour();
    Tour* tour() const;
    bool presentationMode() const { return m_presentationMode.isOn(); }

    const ModelHandle& model() const { return m_models->model(); }
    const Reference& reference() const { return m_references->reference(); }
    SamplingController* sampler() const { return m_run->sampler(); }
    FrameBuilder& frames() { return m_run->frames(); }
    ModelState* models() const { return m_models; }
    ReferenceSelection* references() const { return m_references; }
    RunState* run() const { return m_run; }
    CentralView* centralView() const { return m_central; }
    ExactPanel* exactPanel() const { return m_exact; }
    /** The Exact q tab's bound job (the panel owns it). */
    VlbController* boundController() const;
    widgets::ControlPanel* controlPanel() const { return m_controls; }
    widgets::TimelineBar* timeline() const { return m_timeline; }
    QString lastError() const { return m_lastError; }

Q_SIGNALS:
    void modelReady(const QString& spec);
    void runFinished(bool ok, const QString& message);
    /** A frame reached the views (after the frame was built and the views were told to repaint). */
    void frameDisplayed(int step);
    void errorShown(const QString& title, const QString& message);

protected:
    void closeEvent(QCloseEvent* event) override;
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

private:
    // main_window.cpp: assembly.
    void buildUi();
    void buildMenus();
    void connectParts();
    void restoreWindow();
    void saveWindow();
    /** Shows `s` in the control panel without taking it for an edit (the window sets the panel itself). */
    void showSettings(const widgets::RunSettings& s);

    // main_window_models.cpp: the model part and the reference part meet the panel.
    void onCatalogChanged();
    void onModelChanged(const QString& spec, const QString& name);
    void onLoadFailed(const QString& spec, const QString& message);
    void onRunModelLoaded(const ModelHandle& model);
    void onSettingsChanged(const widgets::RunSettings& settings);
    void onDataPointClicked(int index);
    void selectModelName(const QString& name);
    void openModelDialog();
    void chooseReferenceFile();
    void drawReference();
    void showTraining();

    // main_window_frames.cpp: the run part meets the views.
    void startForward(const widgets::RunSettings& settings);
    void onStepsRecorded(const QVector<StepSummary>& fresh);
    void onRunEnded(bool ok, const QString& status, const QString& error);
    void showFrame(const Frame& frame);
    void updateExplanation();
    void syncExactFrames();
    void saveTrajectory();
    void saveFrameImage();

    // main_window_runs.cpp: run files and Compare.
    void buildRunMenu(QMenu* file, QAction* before);
    void buildCompareMenu();
    void saveRunDialog();
    void openRunDialog();
    void addRecentRun(const QString& path);
    void rebuildRecentRuns();
    /** Says why an action that needs the model is off; true when it is. */
    bool refuseWithoutModel(const QString& what);

    // main_window_chrome.cpp: the status bar, the hint, errors, export and plots.
    void updateStatus();
    void updateHint();
    void showError(const QString& title, const QString& message, const QString& hint = QString());
    void showExport();
    void savePlots();

    Options m_options;
    std::unique_ptr<Settings> m_settings;
    ModelState* m_models = nullptr;
    ReferenceSelection* m_references = nullptr;
    RunState* m_run = nullptr;
    widgets::RunSettings m_panelSettings; ///< the panel's last settings (to tell what an edit changed)

    widgets::ControlPanel* m_controls = nullptr;
    CentralView* m_central = nullptr;
    widgets::TimelineBar* m_timeline = nullptr;
    widgets::ExplanationPanel* m_explanation = nullptr;
    SchedulePanel* m_schedule = nullptr;
    LossPanel* m_loss = nullptr;
    MetricsPanel* m_metrics = nullptr;
    ExactPanel* m_exact = nullptr;
    QTabWidget* m_tabs = nullptr;
    QDockWidget* m_controlsDock = nullptr;
    QDockWidget* m_sideDock = nullptr;
    QLabel* m_statusModel = nullptr;
    QLabel* m_statusDevice = nullptr;
    QLabel* m_statusTiming = nullptr;
    QTimer* m_explanationTimer = nullptr; ///< the explanation follows a fast scrub at most every 100 ms
    bool m_explanationStale = false;
    TrainingDialog* m_training = nullptr;

    QAction* m_presentationAction = nullptr;
    QAction* m_fieldAction = nullptr;
    QAction* m_referenceImageAction = nullptr;
    QAction* m_saveTrajectoryAction = nullptr;
    QList<QAction*> m_presentationKeys;
    PresentationMode m_presentationMode{this};
    QString m_lastError;
    QPointer<Tour> m_tour;
    QMenu* m_recentRuns = nullptr;
    QPointer<CompareWindow> m_compare;
};

} // namespace difflens::gui
