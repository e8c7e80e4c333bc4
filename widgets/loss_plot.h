#pragma once
// The training curve (loss and its moving average against the training step, live while training) and,
// below it, the loss against the timestep t it was measured at.
#include "widgets/plot_widget_base.h"

#include <QVector>

#include <memory>

namespace difflens::widgets {

class LossPlot final : public PlotWidgetBase
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(LossPlot)

public:
    explicit LossPlot(QWidget* parent = nullptr);
    ~LossPlot() override;

    /** The whole curve at once (e.g. a model's training log). emaLoss may be empty. */
    void setCurve(const QVector<double>& steps, const QVector<double>& loss, const QVector<double>& emaLoss);
    /** One point of a live run; the plot redraws at most every 40 ms. A NaN ema skips the ema point. */
    void appendPoint(double step, double loss, double ema);
    /** Mean loss per timestep t (e.g. from an evaluation pass); empty clears it. */
    void setLossByT(const QVector<double>& t, const QVector<double>& loss);
    void setLogScale(bool on);
    bool logScale() const { return m_logScale; }
    /** The name of the loss on the y axes, e.g. "‖ε − ε̂‖² (L_simple)". */
    void setLossLabel(const QString& label);
    void clear();

    int pointCount() const;

protected:
    void rescaleBeforeReplot() override;

private:
    struct Private; // the QCustomPlot parts, kept out of this header
    std::unique_ptr<Private> m_d;
    bool m_logScale = false;
};

} // namespace difflens::widgets
