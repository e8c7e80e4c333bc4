#pragma once
// The "Exact q" tab: the heart of the question the app answers. For the current step it shows the exact
// reverse process q(x_{t-1} | x_t), computed from the training set (or the data's closed-form mixture),
// beside the model's p_theta(x_{t-1} | x_t) and the tractable q(x_{t-1} | x_t, x_0): zoomed in around a
// sample for points, the training images with the largest posterior weights w_i for images. Below, the
// variational bound term by term (computed on demand on a worker thread), and a warning when abar_T is far
// from 0.
#include "app/logic/frames.h"
#include "app/logic/model.h"
#include "app/logic/vlb_controller.h"

#include <QWidget>

class QLabel;
class QProgressBar;
class QPushButton;
class QSplitter;
class QStackedWidget;

namespace difflens::widgets {
class ImageGallery;
class StepDensityView;
class VlbPlot;
} // namespace difflens::widgets

namespace difflens::gui {

/** The prior-term warning for a model, "" when abar_T is close enough to 0. */
QString priorWarningText(const ModelInfo& info);

class ExactPanel final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ExactPanel)

public:
    explicit ExactPanel(QWidget* parent = nullptr);
    ~ExactPanel() override;

    void setModel(const ModelInfo& info);
    void showFrame(const Frame& frame);
    void clearFrame();
    void setCurrentT(long t);

    /**
     * The variational bound of `model` on the panel's own job (a new model or start cancels the one under
     * way). The window asks for it when the user presses Compute (boundRequested), since only it knows
     * whether the model behind a saved run is loaded.
     */
    void startBound(const ModelHandle& model);
    VlbController* boundController() const { return m_bound; }

    /** The bound's job state as the panel shows it. */
    void setBoundRunning(bool running);
    void setBoundProgress(int done, int total);
    void setBounds(const QVector<widgets::VlbSeries>& series, const QString& summary);
    void setBoundMessage(const QString& message);

    widgets::StepDensityView* stepView() const { return m_step; }
    widgets::ImageGallery* gallery() const { return m_gallery; }
    widgets::VlbPlot* vlbPlot() const { return m_vlb; }
    QLabel* warningLabel() const { return m_warning; }
    QPushButton* boundButton() const { return m_compute; }
    QPushButton* boundCancelButton() const { return m_cancel; }
    /** What the step area shows now: the step view, the gallery or the message. */
    QWidget* currentStepWidget() const;

Q_SIGNALS:
    void boundRequested();
    void boundComputed();
    void boundFailed(const QString& message);

private:
    QLabel* m_intro = nullptr;
    QSplitter* m_split = nullptr;
    QStackedWidget* m_stack = nullptr;
    QLabel* m_message = nullptr;
    widgets::StepDensityView* m_step = nullptr;
    widgets::ImageGallery* m_gallery = nullptr;
    QLabel* m_warning = nullptr;
    widgets::VlbPlot* m_vlb = nullptr;
    QPushButton* m_compute = nullptr;
    QPushButton* m_cancel = nullptr;
    QProgressBar* m_progress = nullptr;
    QLabel* m_boundSummary = nullptr;
    VlbController* m_bound = nullptr; ///< the bound's job (a child)
    bool m_boundOfOldModel = false;   ///< the job under way belongs to the model before the last setModel
    bool m_isImage = false;
    bool m_hasExact = false;
    bool m_hasItems = false; ///< the model has dataset items to evaluate the bound on
};

} // namespace difflens::gui
