#include "widgets/step_density_view.h"

#include "widgets/step_density_paint.h"

#include <QPainter>

namespace difflens::widgets {

StepDensityView::StepDensityView(QWidget* parent) : QWidget(parent), m_emptyText(defaultStepDensityEmptyText())
{
    setAttribute(Qt::WA_OpaquePaintEvent);
}

StepDensityView::~StepDensityView() = default;

void StepDensityView::setFrame(const StepDensityFrame& frame)
{
    m_frame = frame;
    update();
}

void StepDensityView::setEmptyText(const QString& text)
{
    m_emptyText = text;
    update();
}

QPointF StepDensityView::mapFromData(const QPointF& data) const
{
    return mapFromData(m_frame, size(), data);
}

QRectF StepDensityView::plotRect() const
{
    return plotRect(m_frame, size());
}

QImage StepDensityView::renderToImage(const QSize& size, qreal devicePixelRatio) const
{
    QImage image(size * devicePixelRatio, QImage::Format_RGB32);
    image.setDevicePixelRatio(devicePixelRatio);
    QPainter p(&image);
    paintStepDensity(p, QSizeF(size), m_frame, m_emptyText);
    return image;
}

QImage StepDensityView::render(const StepDensityFrame& frame, const QSize& size, qreal devicePixelRatio)
{
    QImage image(size * devicePixelRatio, QImage::Format_RGB32);
    image.setDevicePixelRatio(devicePixelRatio);
    QPainter p(&image);
    paintStepDensity(p, QSizeF(size), frame, defaultStepDensityEmptyText());
    return image;
}

QPointF StepDensityView::mapFromData(const StepDensityFrame& frame, const QSize& size, const QPointF& data)
{
    if (!stepDensityDrawable(frame)) return {};
    return stepDensityTransform(frame, QSizeF(size)).map(data);
}

QRectF StepDensityView::plotRect(const StepDensityFrame& frame, const QSize& size)
{
    if (!stepDensityDrawable(frame)) return {};
    return stepDensityTransform(frame, QSizeF(size)).pixels();
}

void StepDensityView::paintEvent(QPaintEvent*)
{
    QPainter p(this);
    paintStepDensity(p, QSizeF(size()), m_frame, m_emptyText);
}

} // namespace difflens::widgets
