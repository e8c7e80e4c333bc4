#pragma once
// Per-step comparison of the model with the true posterior while a run with a reference x_0 plays:
// KL(q(x_{t-1} | x_t, x_0) || p_theta(x_{t-1} | x_t)) (log scale, left) and rms |mu_theta - mu~| (right).
#include "widgets/plot_widget_base.h"

#include <memory>

namespace difflens::widgets {

class StepMetricsPlot final : public PlotWidgetBase
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(StepMetricsPlot)

public:
    explicit StepMetricsPlot(QWidget* parent = nullptr);
    ~StepMetricsPlot() override;

    /** One step of the run; NaN values are skipped. Steps may arrive in any order of t. */
    void appendStep(double t, double kl, double meanGap);
    /** Fixes the t axis to [0, T]; 0 lets it follow the data. */
    void setTimesteps(int T);
    void clear();

    int stepCount() const;
    /** Sum of the KLs so far (nats): the reverse-process part of the variational bound. */
    double klSum() const { return m_klSum; }

public Q_SLOTS:
    void setCurrentT(double t);

protected:
    void rescaleBeforeReplot() override;
    void updateMarkerLabels(double t) override;

private:
    struct Private; // the QCustomPlot parts, kept out of this header
    std::unique_ptr<Private> m_d;
    int m_T = 0;
    double m_klSum = 0.0;
};

} // namespace difflens::widgets
