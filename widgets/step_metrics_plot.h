#pragma once
// Per-step comparison of the model with the posterior q(x_{t-1} | x_t, x_0) while a run with a reference x_0
// plays: KL(q(x_{t-1} | x_t, x_0) || p_theta(x_{t-1} | x_t)) (log scale, left) and rms |mu_theta - mu~|
// (right). q is "the true step" only when x_t was made from x_0 (a run from the noised reference); from
// pure noise it is the step toward the reference. A step that adds no noise (DDIM with eta = 0) has a point
// mass for p_theta: its KL is undefined, and the plot says so instead of summing nothing to 0 nats.
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

    /** One step of the run; NaN values are skipped (a NaN KL counts as undefined). Any order of t. */
    void appendStep(double t, double kl, double meanGap);
    /** true: x_t was made from the reference, so q(x_{t-1} | x_t, x_0) is the true step (the default). */
    void setTrueStep(bool trueStep);
    bool trueStep() const { return m_trueStep; }
    /** Fixes the t axis to [0, T]; 0 lets it follow the data. */
    void setTimesteps(int T);
    void clear();

    int stepCount() const;
    /** Sum of the KLs so far (nats): the reverse-process part of the variational bound. */
    double klSum() const { return m_klSum; }
    /** Steps whose KL was undefined (NaN: the sampler added no noise there). */
    int klUndefinedCount() const { return m_klUndefined; }
    /** The title as set (before it is wrapped to the width). */
    QString titleText() const;

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
    int m_klUndefined = 0;
    bool m_trueStep = true;
};

} // namespace difflens::widgets
