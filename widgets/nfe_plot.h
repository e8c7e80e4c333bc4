#pragma once
// Steps versus quality: the distance of samples to the data, as a multiple of the data floor, against the
// number of model calls (NFE), log-log, one curve per sampler; the exact denoiser's curves dashed (the
// solver's error alone), the floor as a line at 1. Where a model's curve flattens above its exact twin, more
// steps stop helping: what is left is the network's error.
#include "widgets/plot_widget_base.h"

#include <QColor>

#include <memory>

namespace difflens::widgets {

struct NfeCurve
{
    QString name;           ///< legend text, e.g. "DPM-Solver++ 2M (model)"
    QVector<double> nfe;    ///< model calls
    QVector<double> ratio;  ///< distance / floor (NaN: skipped)
    bool dashed = false;    ///< the exact denoiser's curve
    QColor color;           ///< invalid: from the palette's cycle
};

class NfePlot final : public PlotWidgetBase
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(NfePlot)

public:
    explicit NfePlot(QWidget* parent = nullptr);
    ~NfePlot() override;

    /** The curves; metric names the distance (title and axis). */
    void setCurves(const QVector<NfeCurve>& curves, const QString& metric);
    void setPlaceholder(const QString& text);
    int curveCount() const;
    /** Points drawn in curve i (finite ratios). */
    int pointCount(int i) const;

protected:
    void rescaleBeforeReplot() override;

private:
    struct Private;
    std::unique_ptr<Private> m_d;
};

} // namespace difflens::widgets
