#pragma once
// The noise schedule over t: beta_t with beta~_t and abar_t (top), log SNR (bottom), a current-t marker with
// the values there, and optionally a second schedule dashed for comparison.
#include "widgets/plot_widget_base.h"
#include "widgets/types.h"

#include <memory>

namespace difflens::widgets {

class SchedulePlot final : public PlotWidgetBase
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SchedulePlot)

public:
    explicit SchedulePlot(QWidget* parent = nullptr);
    ~SchedulePlot() override;

    void setSchedule(const ScheduleSeries& schedule);
    /** A second schedule drawn dashed; an empty series removes it. */
    void setComparison(const ScheduleSeries& schedule);
    /** Log scale for the beta axis (useful for cosine schedules, whose last betas approach 1). */
    void setBetaLogScale(bool on);

    const ScheduleSeries& schedule() const { return m_schedule; }
    const ScheduleSeries& comparison() const { return m_comparison; }

public Q_SLOTS:
    /** Moves the marker (t in 1..T; below 1 hides it). Only the marker layer is redrawn. */
    void setCurrentT(double t);

protected:
    void updateMarkerLabels(double t) override;

private:
    void rebuild();

    struct Private; // the QCustomPlot parts, kept out of this header
    std::unique_ptr<Private> m_d;
    ScheduleSeries m_schedule;
    ScheduleSeries m_comparison;
};

} // namespace difflens::widgets
