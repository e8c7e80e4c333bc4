#include "widgets/point_view.h"

#include "widgets/point_paint.h"

#include <QMouseEvent>
#include <QPainter>

#include <cmath>

namespace difflens::widgets {

PointView::PointView(QWidget* parent) : QWidget(parent)
{
    setAttribute(Qt::WA_OpaquePaintEvent);
    setCursor(Qt::CrossCursor);
}

PointView::~PointView() = default;

void PointView::setFrame(const PointFrame& frame)
{
    m_frame = frame;
    update();
}

void PointView::setViewRange(const QRectF& range)
{
    if (!(range.width() > 0) || !(range.height() > 0)) return;
    m_viewRange = range;
    update();
}

void PointView::setOptions(const Options& options)
{
    m_options = options;
    update();
}

void PointView::setHistogramBins(int bins)
{
    m_options.histogramBins = std::max(1, bins);
    update();
}

void PointView::setDensityMax(double yMax)
{
    m_options.densityMax = yMax;
    update();
}

QPointF PointView::mapFromData(const QPointF& data) const
{
    return pointTransform(m_frame, m_viewRange, m_options, QSizeF(size())).map(data);
}

QPointF PointView::mapToData(const QPointF& widgetPos) const
{
    return pointTransform(m_frame, m_viewRange, m_options, QSizeF(size())).unmap(widgetPos);
}

QVector<QRectF> PointView::labelRects(const QSize& size) const
{
    return pointLabelRects(m_frame, m_viewRange, m_options, QSizeF(size));
}

QImage PointView::renderToImage(const QSize& size, qreal devicePixelRatio) const
{
    return renderPointFrame(m_frame, m_viewRange, m_options, size, devicePixelRatio);
}

QImage PointView::render(const PointFrame& frame, const QRectF& viewRange, const Options& options, const QSize& size,
                         qreal devicePixelRatio)
{
    return renderPointFrame(frame, viewRange, options, size, devicePixelRatio);
}

void PointView::paintEvent(QPaintEvent*)
{
    QPainter p(this);
    paintPointFrame(p, QSizeF(size()), m_frame, m_viewRange, m_options);
}

void PointView::mousePressEvent(QMouseEvent* event)
{
    if (event->button() != Qt::LeftButton || m_frame.data.isEmpty()) return;
    const paint::PlotTransform T = pointTransform(m_frame, m_viewRange, m_options, QSizeF(size()));
    const QPointF pos = event->position();
    const double radius = 10.0;
    int best = -1;
    double bestDistance = radius;
    for (int i = 0; i < m_frame.data.size(); ++i) {
        const QPointF q =
            m_frame.dim == 1 ? QPointF(T.mapX(m_frame.data[i].x()), pos.y()) : T.map(m_frame.data[i]);
        const double d = std::hypot(q.x() - pos.x(), q.y() - pos.y());
        if (d <= bestDistance) {
            bestDistance = d;
            best = i;
        }
    }
    if (best >= 0) Q_EMIT dataPointClicked(best, m_frame.data[best]);
}

} // namespace difflens::widgets
