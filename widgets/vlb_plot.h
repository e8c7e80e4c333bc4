#pragma once
// The variational bound term by term (improved-diffusion's calc_bpd_loop): L_{t-1} in bits per dimension
// against t on a log axis, L_0 (the decoder, t = 1) as a marker, L_T and the total in the legend. Several
// bounds can be compared, e.g. a model and the exact denoiser of the training set.
#include "widgets/plot_widget_base.h"
#include "widgets/types.h"

#include <QVector>

#include <memory>

namespace difflens::widgets {

class VlbPlot final : public PlotWidgetBase
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(VlbPlot)

public:
    explicit VlbPlot(QWidget* parent = nullptr);
    ~VlbPlot() override;

    /** Adds one bound; non-positive and NaN terms are left out (a log axis cannot show them). */
    void addBound(const VlbSeries& series);
    void clear();
    int seriesCount() const { return static_cast<int>(m_series.size()); }
    const VlbSeries& series(int index) const { return m_series.at(index); }
    /** The colour series `index` is drawn in (its own or the palette's). */
    QColor seriesColor(int index) const;
    /** The legend text of series `index`, e.g. "p_θ: 3.66 bits/dim (L_T 2.0×10⁻⁵)". */
    QString legendText(int index) const;

    /** Fixes the t axis to [0, T]; 0 lets it follow the data. */
    void setTimesteps(int T);

public Q_SLOTS:
    void setCurrentT(double t);

protected:
    void rescaleBeforeReplot() override;
    void updateMarkerLabels(double t) override;

private:
    struct Private; // the QCustomPlot parts, kept out of this header
    std::unique_ptr<Private> m_d;
    QVector<VlbSeries> m_series;
    int m_T = 0;
};

} // namespace difflens::widgets
