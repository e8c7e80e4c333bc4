#pragma once
// The right-hand tabs besides the explanation: the schedule (with a comparison switcher), the model's
// training loss, and the per-step KL / mean gap of the run.
#include "core/schedule.h"

#include <QWidget>

class QCheckBox;
class QComboBox;
class QLabel;
class QStackedWidget;

namespace difflens::widgets {
class LossPlot;
class SchedulePlot;
class StepMetricsPlot;
} // namespace difflens::widgets

namespace difflens::gui {

struct StepSummary;

class SchedulePanel final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SchedulePanel)

public:
    explicit SchedulePanel(QWidget* parent = nullptr);
    ~SchedulePanel() override;

    void setSchedule(const SchedulerConfig& config);
    /** A beta_schedule name to draw dashed beside the model's ("" for none). */
    void setComparison(const QString& betaSchedule);
    QString comparison() const;
    void setCurrentT(long t);
    /** A warning under the plot (abar_T far from 0), "" hides it. */
    void setWarning(const QString& text);
    QString warning() const;
    widgets::SchedulePlot* plot() const { return m_plot; }

Q_SIGNALS:
    void comparisonChanged(const QString& betaSchedule);

private:
    void rebuildComparison();

    widgets::SchedulePlot* m_plot = nullptr;
    QComboBox* m_compare = nullptr;
    QCheckBox* m_logBeta = nullptr;
    QLabel* m_warning = nullptr;
    SchedulerConfig m_config;
    bool m_hasConfig = false;
};

class LossPanel final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(LossPanel)

public:
    explicit LossPanel(QWidget* parent = nullptr);
    ~LossPanel() override;

    /**
     * Reads a training log (loss.csv: step,loss,ema_loss; loss_by_t.csv: t,loss). Returns false and shows
     * `noLogText` when there is none or it cannot be read.
     */
    bool showLog(const QString& lossCsv, const QString& lossByTCsv, const QString& noLogText);
    widgets::LossPlot* plot() const { return m_plot; }

private:
    QStackedWidget* m_stack = nullptr;
    QLabel* m_message = nullptr;
    QLabel* m_summary = nullptr;
    widgets::LossPlot* m_plot = nullptr;
};

class MetricsPanel final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MetricsPanel)

public:
    explicit MetricsPanel(QWidget* parent = nullptr);
    ~MetricsPanel() override;

    /** A new run over T timesteps; withReference: whether there will be anything to plot; trueStep: x_t is
     *  the noised reference, so q(x_{t-1} | x_t, x_0) is the true step (else the step toward x_0). */
    void reset(int T, bool withReference, bool trueStep = true);
    void append(const QVector<StepSummary>& steps);
    void setCurrentT(long t);
    widgets::StepMetricsPlot* plot() const { return m_plot; }
    QString summaryText() const;

private:
    void updateSummary();

    QStackedWidget* m_stack = nullptr;
    QLabel* m_message = nullptr;
    QLabel* m_summary = nullptr;
    widgets::StepMetricsPlot* m_plot = nullptr;
    int m_steps = 0;
};

/** Reads a CSV with a header row into columns by name; false when the file cannot be read. */
bool readCsvColumns(const QString& path, QStringList& header, QVector<QVector<double>>& columns);

} // namespace difflens::gui
