#pragma once
// Compare's curve of how far two runs from one x_T drift apart: rms |x_t(A) - x_t(B)| and rms |x0^(A) - x0^(B)|
// over the timeline's t, with a marker at the t shown. Zero where both runs still hold their common start.
#include "widgets/plot_widget_base.h"

#include <memory>

namespace difflens::widgets {

class ComparePlot final : public PlotWidgetBase
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ComparePlot)

public:
    explicit ComparePlot(QWidget* parent = nullptr);
    ~ComparePlot() override;

    /** The curves at timesteps t (any order; NaN values are skipped); names for the legend ("A", "B"). */
    void setCurves(const QVector<double>& t, const QVector<double>& xt, const QVector<double>& x0,
                   const QString& nameA = QStringLiteral("A"), const QString& nameB = QStringLiteral("B"));
    /** Shown while there are no curves (e.g. "run B is sampling"). */
    void setPlaceholder(const QString& text);
    void clear();
    /** Fixes the t axis to [0, T]; 0 lets it follow the data. */
    void setTimesteps(int T);
    int pointCount() const;

public Q_SLOTS:
    void setCurrentT(double t);

protected:
    void rescaleBeforeReplot() override;
    void updateMarkerLabels(double t) override;

private:
    struct Private;
    std::unique_ptr<Private> m_d;
    int m_T = 0;
};

} // namespace difflens::widgets
