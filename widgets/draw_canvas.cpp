#include "widgets/draw_canvas.h"

#include "widgets/palette.h"

#include <QMouseEvent>
#include <QPainter>
#include <QWheelEvent>

#include <algorithm>
#include <cmath>

namespace difflens::widgets {

DrawCanvas::DrawCanvas(QWidget* parent) : QWidget(parent)
{
    setAttribute(Qt::WA_OpaquePaintEvent);
    setMouseTracking(true);
    setCursor(Qt::CrossCursor);
    setToolTip(tr("Left: paint · right: erase · wheel: brush size"));
    m_ink = QVector<float>(m_width * m_height, 0.0f);
}

DrawCanvas::~DrawCanvas() = default;

void DrawCanvas::setGridSize(int width, int height)
{
    m_width = std::max(1, width);
    m_height = std::max(1, height);
    m_ink = QVector<float>(m_width * m_height, 0.0f);
    update();
    Q_EMIT changed();
}

void DrawCanvas::setValueRange(double low, double high)
{
    m_low = low;
    m_high = high;
}

void DrawCanvas::setBrushRadius(double cells)
{
    m_brushRadius = std::clamp(cells, 0.5, 8.0);
    update();
}

ImageData DrawCanvas::image() const
{
    ImageData out;
    out.channels = 1;
    out.width = m_width;
    out.height = m_height;
    out.low = m_low;
    out.high = m_high;
    out.values.resize(m_ink.size());
    for (int i = 0; i < m_ink.size(); ++i)
        out.values[i] = static_cast<float>(m_low + m_ink[i] * (m_high - m_low));
    return out;
}

void DrawCanvas::setImage(const ImageData& image)
{
    if (!image.isValid()) return;
    m_width = image.width;
    m_height = image.height;
    m_ink = QVector<float>(m_width * m_height, 0.0f);
    const double range = image.high - image.low;
    for (int i = 0; i < m_ink.size(); ++i) {
        const double v = range != 0.0 ? (image.values[i] - image.low) / range : 0.0;
        m_ink[i] = std::isfinite(v) ? static_cast<float>(std::clamp(v, 0.0, 1.0)) : 0.0f;
    }
    update();
    Q_EMIT changed();
}

bool DrawCanvas::isBlank() const
{
    return std::all_of(m_ink.begin(), m_ink.end(), [](float v) { return v <= 0.0f; });
}

void DrawCanvas::clear()
{
    std::fill(m_ink.begin(), m_ink.end(), 0.0f);
    update();
    Q_EMIT changed();
}

QRectF DrawCanvas::canvasRect() const
{
    // Square cells of a whole number of pixels, centred.
    const double cell =
        std::max(1.0, std::floor(std::min(width() / double(m_width), height() / double(m_height))));
    const QSizeF size(cell * m_width, cell * m_height);
    return QRectF(
        QPointF(std::floor((width() - size.width()) / 2), std::floor((height() - size.height()) / 2)), size);
}

QRectF DrawCanvas::cellRect(int x, int y) const
{
    const QRectF r = canvasRect();
    const double cell = r.width() / m_width;
    return {r.left() + x * cell, r.top() + y * cell, cell, cell};
}

QPointF DrawCanvas::toCell(const QPointF& pos) const
{
    const QRectF r = canvasRect();
    return {(pos.x() - r.left()) / r.width() * m_width, (pos.y() - r.top()) / r.height() * m_height};
}

bool DrawCanvas::stamp(const QPointF& cell, bool erase)
{
    // A soft round brush: full ink inside half the radius, fading to none at the radius.
    const double r = m_brushRadius;
    const double soft = std::max(0.5, r * 0.5);
    bool modified = false;
    const int x0 = static_cast<int>(std::floor(cell.x() - r)), x1 = static_cast<int>(std::ceil(cell.x() + r));
    const int y0 = static_cast<int>(std::floor(cell.y() - r)), y1 = static_cast<int>(std::ceil(cell.y() + r));
    for (int y = std::max(0, y0); y <= std::min(m_height - 1, y1); ++y)
        for (int x = std::max(0, x0); x <= std::min(m_width - 1, x1); ++x) {
            const double d = std::hypot(x + 0.5 - cell.x(), y + 0.5 - cell.y());
            const float amount = static_cast<float>(std::clamp((r - d) / soft, 0.0, 1.0));
            if (amount <= 0.0f) continue;
            float& ink = m_ink[y * m_width + x];
            const float updated = erase ? std::min(ink, 1.0f - amount) : std::max(ink, amount);
            if (updated != ink) {
                ink = updated;
                modified = true;
            }
        }
    return modified;
}

bool DrawCanvas::strokeTo(const QPointF& cell, bool erase)
{
    // Stamps every quarter cell along the segment so fast strokes stay continuous.
    const QPointF d = cell - m_lastCell;
    const int steps = std::max(1, static_cast<int>(std::ceil(std::hypot(d.x(), d.y()) * 4)));
    bool modified = false;
    for (int i = 1; i <= steps; ++i)
        modified |= stamp(m_lastCell + d * (double(i) / steps), erase);
    m_lastCell = cell;
    return modified;
}

void DrawCanvas::mousePressEvent(QMouseEvent* event)
{
    if (event->button() != Qt::LeftButton && event->button() != Qt::RightButton) return;
    m_strokeButton = event->button();
    m_lastCell = toCell(event->position());
    if (stamp(m_lastCell, m_strokeButton == Qt::RightButton)) {
        update();
        Q_EMIT changed();
    }
}

void DrawCanvas::mouseMoveEvent(QMouseEvent* event)
{
    m_hover = event->position();
    // The button is remembered from the press: synthetic moves do not always carry it.
    if (m_strokeButton != Qt::NoButton &&
        strokeTo(toCell(event->position()), m_strokeButton == Qt::RightButton)) {
        update();
        Q_EMIT changed();
        return;
    }
    update();
}

void DrawCanvas::mouseReleaseEvent(QMouseEvent* event)
{
    if (event->button() == m_strokeButton) m_strokeButton = Qt::NoButton;
}

void DrawCanvas::wheelEvent(QWheelEvent* event)
{
    const double notches = event->angleDelta().y() / 120.0;
    setBrushRadius(m_brushRadius * std::pow(1.15, notches));
    event->accept();
}

void DrawCanvas::leaveEvent(QEvent*)
{
    m_hover = QPointF(-1, -1);
    update();
}

void DrawCanvas::paintEvent(QPaintEvent*)
{
    QPainter p(this);
    p.fillRect(rect(), palette::background());
    const QRectF r = canvasRect();
    const double cell = r.width() / m_width;
    for (int y = 0; y < m_height; ++y)
        for (int x = 0; x < m_width; ++x) {
            const int g = static_cast<int>(std::lround(m_ink[y * m_width + x] * 255.0f));
            p.fillRect(QRectF(r.left() + x * cell, r.top() + y * cell, cell, cell), QColor(g, g, g));
        }
    // Faint cell grid when cells are large enough to see it.
    if (cell >= 6) {
        p.setPen(QPen(QColor(255, 255, 255, 28), 1.0));
        for (int x = 1; x < m_width; ++x)
            p.drawLine(QPointF(r.left() + x * cell, r.top()), QPointF(r.left() + x * cell, r.bottom()));
        for (int y = 1; y < m_height; ++y)
            p.drawLine(QPointF(r.left(), r.top() + y * cell), QPointF(r.right(), r.top() + y * cell));
    }
    p.setPen(QPen(palette::frame(), 1.0));
    p.setBrush(Qt::NoBrush);
    p.drawRect(r.adjusted(-0.5, -0.5, 0.5, 0.5));
    if (r.contains(m_hover)) {
        p.setRenderHint(QPainter::Antialiasing, true);
        p.setPen(QPen(palette::reference().lighter(150), 1.5));
        p.drawEllipse(m_hover, m_brushRadius * cell, m_brushRadius * cell);
    }
}

} // namespace difflens::widgets
