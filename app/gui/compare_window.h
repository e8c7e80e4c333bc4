#pragma once
// Compare > Compare with…: two runs side by side over one timeline, each with its own panels, their difference
// beside them (per sample: the |Δ| images, or each point joined to its twin), and under them the curve of how
// far apart the runs are over t. Run A is the main window's run (live or opened from a file); run B starts from A's x_T with one
// setting changed (sampler, steps, schedule, model, guidance), sampled here on its own worker, or is opened from
// a run file. The timeline follows the same step index, or the same path time when the step plans differ.
// Presentation mode shows both runs and the difference full screen; Export writes the comparison as one
// GIF / MP4 / filmstrip (the export dialog, with a preview).
#include "app/gui/presentation_mode.h"
#include "app/logic/compare.h"
#include "app/logic/frame_builder.h"

#include <QMainWindow>

class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QSplitter;
class QStackedWidget;
class QToolBar;

namespace difflens::widgets {
class ComparePlot;
class TimelineBar;
} // namespace difflens::widgets

namespace difflens::gui {

class CentralView;
class ModelLoader;
class SamplingController;

class CompareWindow final : public QMainWindow
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(CompareWindow)

public:
    struct Options
    {
        QStringList models;                        ///< specs offered for "model" (the catalogue)
        QString device = QStringLiteral("auto");
        bool interactive = true;                   ///< false: errors are signalled, no dialogs (tests)
    };
    CompareWindow(CompareSide a, Options options, QWidget* parent = nullptr);
    ~CompareWindow() override;

    /** Starts run B from A's x_T with the request's one change; false (and one message) when it cannot. */
    bool compareWith(const CompareRequest& request);
    /** Opens a run file as B; false (and one message) for a bad file or data of another shape. */
    bool openRunB(const QString& path);
    /** Run A changed (the main window sampled again): B is dropped. */
    void setRunA(CompareSide a);

    void setAlign(CompareAlign align);
    CompareAlign align() const { return m_align; }
    void setPosition(int position);
    int position() const;
    void setPresentationMode(bool on);
    bool presentationMode() const { return m_presentationMode.isOn(); }
    /** File > Export of the comparison (the export dialog over runCompareExport). */
    void showExport();

    const CompareSide& sideA() const { return m_a; }
    const CompareSide& sideB() const { return m_b; }
    const CompareTimeline& timelinePlan() const { return m_plan; }
    CentralView* viewA() const { return m_viewA; }
    CentralView* viewB() const { return m_viewB; }
    CentralView* differenceView() const { return m_viewDiff; }
    widgets::TimelineBar* timeline() const { return m_timeline; }
    widgets::ComparePlot* partingPlot() const { return m_plot; }
    QString lastError() const { return m_lastError; }
    /** The numbers of the position shown (rms differences over the shared batch). */
    CompareNumbers shownNumbers() const { return m_numbers; }

Q_SIGNALS:
    /** Run B finished sampling (or failed: ok false with the message). */
    void runBFinished(bool ok, const QString& message);
    /** The frames of a timeline position reached the views. */
    void positionShown(int position);
    void errorShown(const QString& message);

protected:
    void keyPressEvent(QKeyEvent* event) override;

private:
    void buildUi();
    void showError(const QString& message);
    void updateChangeEditor();
    void startB(const ComparePlan& plan, const ModelHandle& model);
    void onModelLoaded(int request, const ModelHandle& model);
    void onStepsAvailable(int recorded);
    void resetTimeline();
    void scheduleShow();
    void showPosition();
    void updateHeaders();
    void updateCurve();

    Options m_options;
    CompareSide m_a, m_b;
    FrameBuilder m_framesA, m_framesB;
    CompareAlign m_align = CompareAlign::Step;
    CompareTimeline m_plan;
    CompareNumbers m_numbers;
    ComparePlan m_pending; ///< B's settings while its model loads
    int m_loadRequest = -1;
    bool m_showPending = false;
    PresentationMode m_presentationMode{this};
    QString m_lastError;

    SamplingController* m_sampler = nullptr;
    ModelLoader* m_loader = nullptr;
    QToolBar* m_toolbar = nullptr;
    QComboBox* m_change = nullptr;
    QStackedWidget* m_valueStack = nullptr;
    QComboBox* m_samplerBox = nullptr;
    QSpinBox* m_stepsBox = nullptr;
    QComboBox* m_scheduleBox = nullptr;
    QComboBox* m_modelBox = nullptr;
    QDoubleSpinBox* m_guidanceBox = nullptr;
    QPushButton* m_runButton = nullptr;
    QComboBox* m_alignBox = nullptr;
    QProgressBar* m_progress = nullptr;
    QLabel* m_headerA = nullptr;
    QLabel* m_headerB = nullptr;
    QLabel* m_headerDiff = nullptr;
    CentralView* m_viewA = nullptr;
    CentralView* m_viewB = nullptr;
    CentralView* m_viewDiff = nullptr;
    QSplitter* m_rows = nullptr;
    QSplitter* m_columns = nullptr;
    widgets::ComparePlot* m_plot = nullptr;
    widgets::TimelineBar* m_timeline = nullptr;
};

} // namespace difflens::gui
