#pragma once
// One reverse step t -> t-1 of one sample, zoomed in around it: the exact q(x_{t-1} | x_t) (a heat map in
// 2-D, a filled curve in 1-D), the posterior q(x_{t-1} | x_t, x_0) and the model's p_theta(x_{t-1} | x_t) as
// Gaussians (1- and 2-sigma circles in 2-D, density curves in 1-D), the mixture's heaviest components and
// x_t.
#include "widgets/step_density_paint.h"
#include "widgets/types.h"

#include <QImage>
#include <QPointF>
#include <QRectF>
#include <QSize>
#include <QString>
#include <QWidget>

namespace difflens::widgets {

class StepDensityView final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(StepDensityView)

public:
    /**
     * 1-D marks whose peak density is more than this many times the exact curve's maximum (or, without an
     * exact curve, the lowest mark peak) are clipped at the top of the plot and labelled "peak ↑ value",
     * so a near-delta posterior does not flatten the mixture it is compared with.
     */
    static constexpr double kPeakClipFactor = kStepPeakClipFactor;

    explicit StepDensityView(QWidget* parent = nullptr);
    ~StepDensityView() override;

    void setFrame(const StepDensityFrame& frame);
    const StepDensityFrame& frame() const { return m_frame; }

    /** Shown centred while the frame is empty (no sample or step chosen yet). */
    void setEmptyText(const QString& text);
    QString emptyText() const { return m_emptyText; }

    /** Data coordinates -> widget coordinates at the current size (1-D: y is a density value). */
    QPointF mapFromData(const QPointF& data) const;
    /** The plot rectangle (inside the axes) at the current size. */
    QRectF plotRect() const;

    /** The same painting as on screen, at `size` logical pixels (for export). */
    QImage renderToImage(const QSize& size, qreal devicePixelRatio = 1.0) const;
    /** The same painting without a widget: usable from any thread (export jobs). */
    static QImage render(const StepDensityFrame& frame, const QSize& size, qreal devicePixelRatio = 1.0);
    /** render()'s data -> pixel map for `frame` at `size` (1-D: y is a density value). */
    static QPointF mapFromData(const StepDensityFrame& frame, const QSize& size, const QPointF& data);
    /** render()'s plot rectangle for `frame` at `size`. */
    static QRectF plotRect(const StepDensityFrame& frame, const QSize& size);

    QSize sizeHint() const override { return {420, 380}; }
    QSize minimumSizeHint() const override { return {220, 200}; }

protected:
    void paintEvent(QPaintEvent* event) override;

private:
    StepDensityFrame m_frame;
    QString m_emptyText;
};

} // namespace difflens::widgets
