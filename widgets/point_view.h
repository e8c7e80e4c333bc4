#pragma once
// The 1-D / 2-D point-model view: data, the batch x_t, the model's step x_t -> mu_theta, trajectories, the
// reference x_0 and the posterior mean mu~, a score field; in 1-D a histogram of x_t under named densities.
// The painting itself is point_paint.h (QtGui only, shared with the export jobs); this adds the widget:
// repaint on change, data <-> widget coordinates, clicks on data points.
#include "widgets/point_paint.h"
#include "widgets/types.h"

#include <QImage>
#include <QRectF>
#include <QWidget>

namespace difflens::widgets {

class PointView final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(PointView)

public:
    using Options = PointPaintOptions;

    explicit PointView(QWidget* parent = nullptr);
    ~PointView() override;

    void setFrame(const PointFrame& frame);
    const PointFrame& frame() const { return m_frame; }

    /** Data range shown: x from left() to right(), y from top() (minimum) to bottom() (maximum).
        Default (-4, -4, 8, 8), i.e. [-4, 4]². In 1-D only the x range is used. Fixed, so frames compare. */
    void setViewRange(const QRectF& range);
    QRectF viewRange() const { return m_viewRange; }

    void setOptions(const Options& options);
    const Options& options() const { return m_options; }
    void setHistogramBins(int bins);
    void setDensityMax(double yMax);

    /** Data coordinates <-> widget coordinates at the current size. */
    QPointF mapFromData(const QPointF& data) const;
    QPointF mapToData(const QPointF& widgetPos) const;

    /** Where the 2-D labels of the selected sample's markers (x_t, mu_theta, mu~, x_0) go at `size`. */
    QVector<QRectF> labelRects(const QSize& size) const;
    /** The same painting as on screen, at `size` logical pixels (for export). */
    QImage renderToImage(const QSize& size, qreal devicePixelRatio = 1.0) const;
    /** The same painting without a widget: usable from any thread (export jobs). */
    static QImage render(const PointFrame& frame, const QRectF& viewRange, const Options& options, const QSize& size,
                         qreal devicePixelRatio = 1.0);

    QSize sizeHint() const override { return {560, 520}; }
    QSize minimumSizeHint() const override { return {220, 200}; }

Q_SIGNALS:
    /** A click landed within a few pixels of data point `index` (e.g. to choose it as the reference x_0). */
    void dataPointClicked(int index, QPointF point);

protected:
    void paintEvent(QPaintEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;

private:
    PointFrame m_frame;
    QRectF m_viewRange{-4.0, -4.0, 8.0, 8.0};
    Options m_options;
};

} // namespace difflens::widgets
