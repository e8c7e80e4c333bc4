#pragma once
// The main window: the control panel (left), the views of the current step (centre) over the timeline, and
// the explanation, schedule, loss and step-metric tabs (right). It wires the controllers (model loading and
// sampling on worker threads) to the views; the views only draw plain values the frame builder makes.
#include "app/logic/frame_builder.h"
#include "app/gui/presentation_mode.h"
#include "app/logic/model.h"
#include "app/logic/model_catalog.h"
#include "widgets/types.h"

#include <QElapsedTimer>
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
class ModelLoader;
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
    void openModel(const QString& spec);
    /** Runs `settings` (reverse process on the worker, or the forward process at once). */
    void sample(const widgets::RunSettings& settings);
    void setCurrentStep(int step);
    int currentStep() const;
    void setPresentationMode(bool on);
    /**
     * Opens a run file (main_window_runs.cpp): its first frame shows at once, without the model; the model
     * is opened behind it when it is there. false (and one message) for a bad file.
     */
    bool openRun(const QString& path);
    /** Saves the run shown (File > Save run); false (and one message) when there is none or it fails. */
    bool saveRun(const QString& path);
    /** The run shown came from a file and its model is not loaded (sampling, field and bound are off). */
    bool modelMissing() const;
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

    const ModelHandle& model() const { return m_model; }
    const Reference& reference() const { return m_reference; }
    SamplingController* sampler() const { return m_sampler; }
    FrameBuilder& frames() { return m_frames; }
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
    void buildUi();
    void buildMenus();
    void restoreWindow();
    void saveWindow();
    QString initialModel() const;

    void onModelLoaded(int request, const QString& spec, const ModelHandle& model);
    void onModelFailed(int request, const QString& spec, const QString& message);
    void onSettingsChanged(const widgets::RunSettings& settings);
    void onStepsAvailable(int recorded);
    void onRunEnded(bool ok, const QString& status, const QString& error);
    void onCurrentStepChanged(int step);
    void onDataPointClicked(int index);
    void onFieldReady(long t, const QVector<QPointF>& origins, const QVector<QPointF>& vectors,
                      const QVector<QPointF>& exactVectors);

    void startForward(const widgets::RunSettings& settings);
    void updateReference();
    void scheduleFrame();
    void syncExactFrames();
    void showCurrentFrame();
    void updateExplanation();
    void selectModelName(const QString& name);
    void refreshCatalog();
    void updateStatus();
    void updateHint();
    // Run files (main_window_runs.cpp).
    void buildRunMenu(QMenu* file, QAction* before);
    void buildCompareMenu();
    void saveRunDialog();
    void openRunDialog();
    void addRecentRun(const QString& path);
    void rebuildRecentRuns();
    /** The model the opened run was made with has loaded: it takes over the facts-only one. */
    void attachRunModel(const ModelHandle& model);
    /** Says why an action that needs the model is off; true when it is. */
    bool refuseWithoutModel(const QString& what);
    void showError(const QString& title, const QString& message, const QString& hint = QString());

    void openModelDialog();
    void chooseReferenceFile();
    void drawReference();
    void saveTrajectory();
    void saveFrameImage();
    void showExport();
    void savePlots();
    void showTraining();

    Options m_options;
    std::unique_ptr<Settings> m_settings;
    ModelCatalog m_catalog;
    ModelLoader* m_loader = nullptr;
    SamplingController* m_sampler = nullptr;
    FrameBuilder m_frames;
    ModelHandle m_model;
    int m_loadRequest = 0;
    QString m_loadingSpec;
    bool m_loadIsUserChoice = false;

    widgets::RunSettings m_runSettings; ///< the panel's last settings (to tell what changed)
    widgets::RunSettings m_lastRun;     ///< what the views show
    bool m_hasRun = false;
    Reference m_reference;
    widgets::ImageData m_drawing;
    QString m_fileReferencePath;
    Reference m_fileReference;
    int m_applying = 0; // > 0 while the window sets the panel itself

    int m_summaryCount = 0;
    bool m_followLive = true;
    bool m_framePending = false;
    QElapsedTimer m_lastFrameClock; ///< since the last frame was shown
    qint64 m_lastFrameCostMs = 0;   ///< what showing it took on this thread (built, views updated; x2 for the paint)
    QElapsedTimer m_runClock;
    double m_firstFrameMs = -1;
    Frame m_shownFrame; ///< what the views show (the explanation is filled from it when it becomes visible)

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
    QTimer* m_rerunTimer = nullptr;
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
    // The run shown when it came from a file.
    QString m_runPath;             ///< "" for a live run
    QString m_attachSpec;          ///< the run's model, being opened behind it
    bool m_trueStep = false;       ///< the run shown started from the noised reference
    QMenu* m_recentRuns = nullptr;
    QPointer<CompareWindow> m_compare;
};

} // namespace difflens::gui
