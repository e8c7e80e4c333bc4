#include "widgets/paint_helpers.h"

#include "widgets/palette.h"

#include <QFontMetricsF>
#include <QPainter>
#include <QPainterPath>
#include <QPolygonF>

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>

namespace difflens::widgets::paint {

QVector<double> niceTicks(double lo, double hi, int approxCount)
{
    QVector<double> ticks;
    if (!(hi > lo) || !std::isfinite(lo) || !std::isfinite(hi)) return ticks;
    approxCount = std::max(2, approxCount);
    const double rough = (hi - lo) / approxCount;
    const double magnitude = std::pow(10.0, std::floor(std::log10(rough)));
    // The smallest 1, 2, 5 x 10^k step at least `rough`; finer ones while that leaves fewer than 3 ticks,
    // so a short axis never ends up with a single label.
    const double candidates[] = {0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0};
    int k = 0;
    while (k < 6 && candidates[k] * magnitude < rough)
        ++k;
    for (; k >= 0; --k) {
        const double step = candidates[k] * magnitude;
        ticks.clear();
        const double first = std::ceil(lo / step - 1e-9) * step;
        for (double v = first; v <= hi + step * 1e-9; v += step)
            ticks.push_back(std::fabs(v) < step * 1e-9 ? 0.0 : v);
        if (ticks.size() >= 3) break;
    }
    return ticks;
}

QString tickLabel(double value, double step)
{
    const int decimals = step >= 1.0 ? 0 : std::min(6, static_cast<int>(std::ceil(-std::log10(step) - 1e-9)));
    QString s = QString::number(value, 'f', decimals);
    s.replace(QLatin1Char('-'), QChar(0x2212));
    return s;
}

QFont scaledFont(double pixelSize, bool bold)
{
    QFont font;
    font.setPixelSize(std::max(8, static_cast<int>(std::lround(pixelSize))));
    font.setBold(bold);
    return font;
}

double baseFontPixels(const QSizeF& area)
{
    return std::clamp(std::min(area.width(), area.height() * 1.4) / 46.0, 11.0, 26.0);
}

QPointF PlotTransform::map(const QPointF& p) const
{
    return {mapX(p.x()), mapY(p.y())};
}

double PlotTransform::mapX(double x) const
{
    return m_pixels.left() + (x - m_view.left()) / m_view.width() * m_pixels.width();
}

double PlotTransform::mapY(double y) const
{
    return m_pixels.bottom() - (y - m_view.top()) / m_view.height() * m_pixels.height();
}

QPointF PlotTransform::unmap(const QPointF& pixel) const
{
    return {m_view.left() + (pixel.x() - m_pixels.left()) / m_pixels.width() * m_view.width(),
            m_view.top() + (m_pixels.bottom() - pixel.y()) / m_pixels.height() * m_view.height()};
}

AxisMargins axisMargins(const QFont& font, bool hasYLabel, bool hasXLabel)
{
    const QFontMetricsF fm(font);
    const double tick = fm.height() * 0.35;
    AxisMargins m;
    m.left = fm.horizontalAdvance(QStringLiteral("−0.00")) + tick * 2 + (hasYLabel ? fm.height() * 1.3 : 0);
    m.bottom = fm.height() + tick * 2 + (hasXLabel ? fm.height() * 1.2 : 0);
    m.top = fm.height() * 0.6;
    m.right = fm.horizontalAdvance(QStringLiteral("00")) * 0.8;
    return m;
}

void drawAxes(QPainter& painter, const PlotTransform& transform, const QFont& font, const QString& xLabel,
              const QString& yLabel, bool grid)
{
    const QRectF& r = transform.pixels();
    const QRectF& v = transform.view();
    const QFontMetricsF fm(font);
    const double tick = fm.height() * 0.35;
    painter.save();
    painter.setFont(font);
    painter.fillRect(r, palette::plotBackground());

    const QVector<double> xTicks =
        niceTicks(v.left(), v.right(), std::max(2, int(r.width() / (fm.height() * 5))));
    const QVector<double> yTicks =
        niceTicks(v.top(), v.bottom(), std::max(2, int(r.height() / (fm.height() * 3))));
    const double xStep = xTicks.size() > 1 ? xTicks[1] - xTicks[0] : 1.0;
    const double yStep = yTicks.size() > 1 ? yTicks[1] - yTicks[0] : 1.0;

    if (grid) {
        painter.setPen(QPen(palette::grid(), 1.0));
        for (double x : xTicks)
            painter.drawLine(QPointF(transform.mapX(x), r.top()), QPointF(transform.mapX(x), r.bottom()));
        for (double y : yTicks)
            painter.drawLine(QPointF(r.left(), transform.mapY(y)), QPointF(r.right(), transform.mapY(y)));
    }

    painter.setPen(QPen(palette::axis(), 1.0));
    for (double x : xTicks) {
        const double px = transform.mapX(x);
        painter.drawLine(QPointF(px, r.bottom()), QPointF(px, r.bottom() + tick));
        const QString label = tickLabel(x, xStep);
        const double w = fm.horizontalAdvance(label);
        painter.drawText(QPointF(px - w / 2, r.bottom() + tick * 1.5 + fm.ascent()), label);
    }
    for (double y : yTicks) {
        const double py = transform.mapY(y);
        painter.drawLine(QPointF(r.left() - tick, py), QPointF(r.left(), py));
        const QString label = tickLabel(y, yStep);
        const double w = fm.horizontalAdvance(label);
        painter.drawText(QPointF(r.left() - tick * 1.6 - w, py + fm.ascent() / 2 - fm.descent() / 2), label);
    }

    painter.setPen(QPen(palette::frame(), 1.0));
    painter.setBrush(Qt::NoBrush);
    painter.drawRect(r);

    painter.setPen(palette::text());
    if (!xLabel.isEmpty()) {
        const double w = fm.horizontalAdvance(xLabel);
        painter.drawText(QPointF(r.center().x() - w / 2, r.bottom() + tick * 2 + fm.height() + fm.ascent()),
                         xLabel);
    }
    if (!yLabel.isEmpty()) {
        double maxLabel = 0;
        for (double y : yTicks)
            maxLabel = std::max(maxLabel, fm.horizontalAdvance(tickLabel(y, yStep)));
        painter.save();
        painter.translate(r.left() - tick * 2.2 - maxLabel - fm.descent(), r.center().y());
        painter.rotate(-90);
        painter.drawText(QPointF(-fm.horizontalAdvance(yLabel) / 2, 0), yLabel);
        painter.restore();
    }
    painter.restore();
}

void drawArrow(QPainter& painter, const QPointF& from, const QPointF& to, double head)
{
    const QPointF d = to - from;
    const double length = std::hypot(d.x(), d.y());
    if (length < 0.5) return;
    head = std::min(head, length * 0.45);
    const QPointF u = d / length;
    const QPointF n(-u.y(), u.x());
    const QPointF base = to - u * head;
    painter.drawLine(from, base);
    QPolygonF tip;
    tip << to << base + n * head * 0.45 << base - n * head * 0.45;
    painter.save();
    painter.setBrush(painter.pen().color());
    QPen pen = painter.pen();
    pen.setWidthF(std::min(pen.widthF(), 1.0));
    painter.setPen(pen);
    painter.drawPolygon(tip);
    painter.restore();
}

void drawStar(QPainter& painter, const QPointF& center, double radius)
{
    QPolygonF star;
    for (int i = 0; i < 10; ++i) {
        const double r = i % 2 == 0 ? radius : radius * 0.45;
        const double a = -M_PI / 2 + i * M_PI / 5;
        star << center + QPointF(r * std::cos(a), r * std::sin(a));
    }
    painter.drawPolygon(star);
}

void drawDiamond(QPainter& painter, const QPointF& center, double radius)
{
    QPolygonF diamond;
    diamond << center + QPointF(0, -radius) << center + QPointF(radius, 0) << center + QPointF(0, radius)
            << center + QPointF(-radius, 0);
    painter.drawPolygon(diamond);
}

void drawHaloText(QPainter& painter, const QPointF& baselineLeft, const QString& text, const QColor& color,
                  const QColor& halo)
{
    QPainterPath path;
    path.addText(baselineLeft, painter.font(), text);
    painter.save();
    painter.setRenderHint(QPainter::Antialiasing, true);
    painter.strokePath(path, QPen(halo, std::max(2.5, painter.font().pixelSize() * 0.22), Qt::SolidLine,
                                  Qt::RoundCap, Qt::RoundJoin));
    painter.fillPath(path, color);
    painter.restore();
}

namespace {

struct LegendMetrics
{
    double rowHeight, swatch, pad, gap;
    explicit LegendMetrics(const QFontMetricsF& fm)
        : rowHeight(fm.height() * 1.25), swatch(fm.height() * 1.6), pad(fm.height() * 0.45),
          gap(fm.height() * 0.35)
    {
    }
};

void drawSwatch(QPainter& painter, const LegendEntry& e, const QPointF& left, double swatch,
                double textHeight)
{
    const QPointF right(left.x() + swatch, left.y());
    const QPointF mid = (left + right) / 2;
    const double s = textHeight * 0.32;
    switch (e.kind) {
    case LegendEntry::Line:
    case LegendEntry::DashedLine: {
        QPen pen(e.color, std::max(2.0, textHeight * 0.14));
        if (e.kind == LegendEntry::DashedLine) pen.setStyle(Qt::DashLine);
        painter.setPen(pen);
        painter.drawLine(left, right);
        break;
    }
    case LegendEntry::Dot:
        painter.setPen(Qt::NoPen);
        painter.setBrush(e.color);
        painter.drawEllipse(mid, s, s);
        break;
    case LegendEntry::Ring:
        painter.setPen(QPen(e.color, 1.5));
        painter.setBrush(Qt::NoBrush);
        painter.drawEllipse(mid, s, s);
        break;
    case LegendEntry::Star:
        painter.setPen(QPen(palette::background(), 1.0));
        painter.setBrush(e.color);
        drawStar(painter, mid, s * 2.0);
        break;
    case LegendEntry::Diamond:
        painter.setPen(QPen(e.color, 2.0));
        painter.setBrush(palette::background());
        drawDiamond(painter, mid, s * 1.5);
        break;
    case LegendEntry::Bar:
        painter.setPen(QPen(e.color, 1.0));
        painter.setBrush(palette::withAlpha(e.color, 0.45));
        painter.drawRect(QRectF(left.x(), left.y() - s * 1.3, swatch, s * 2.6));
        break;
    case LegendEntry::Arrow:
        painter.setPen(QPen(e.color, 1.5));
        drawArrow(painter, left, right, s * 2.0);
        break;
    }
}

double entryWidth(const QFontMetricsF& fm, const LegendMetrics& m, const LegendEntry& e)
{
    return m.swatch + m.pad * 0.8 + fm.horizontalAdvance(e.text);
}

} // namespace

QSizeF legendSize(const QFont& font, const QVector<LegendEntry>& entries)
{
    if (entries.isEmpty()) return {};
    const QFontMetricsF fm(font);
    const LegendMetrics m(fm);
    double width = 0;
    for (const LegendEntry& e : entries)
        width = std::max(width, entryWidth(fm, m, e));
    return {m.pad * 2 + width, m.pad * 2 + m.rowHeight * entries.size() - (m.rowHeight - fm.height())};
}

QRectF drawLegend(QPainter& painter, const QPointF& topLeft, const QFont& font,
                  const QVector<LegendEntry>& entries)
{
    if (entries.isEmpty()) return {};
    const QFontMetricsF fm(font);
    const LegendMetrics m(fm);
    const QRectF box(topLeft, legendSize(font, entries));
    painter.save();
    painter.setRenderHint(QPainter::Antialiasing, true);
    painter.setFont(font);
    painter.setPen(QPen(palette::frame(), 1.0));
    painter.setBrush(palette::withAlpha(palette::background(), 0.9));
    painter.drawRoundedRect(box, m.pad * 0.6, m.pad * 0.6);
    for (int i = 0; i < entries.size(); ++i) {
        const double cy = box.top() + m.pad + i * m.rowHeight + fm.height() / 2;
        drawSwatch(painter, entries[i], QPointF(box.left() + m.pad, cy), m.swatch, fm.height());
        painter.setPen(palette::text());
        painter.drawText(
            QPointF(box.left() + m.pad + m.swatch + m.pad * 0.8, cy + fm.ascent() / 2 - fm.descent() / 2),
            entries[i].text);
    }
    painter.restore();
    return box;
}

namespace {

// Positions of a flowed legend: entries left to right, wrapping at `width`.
QVector<QPointF> flowPositions(const QFontMetricsF& fm, const LegendMetrics& m,
                               const QVector<LegendEntry>& entries, double width, double* height)
{
    QVector<QPointF> positions;
    double x = 0, y = 0;
    for (const LegendEntry& e : entries) {
        const double w = entryWidth(fm, m, e);
        if (x > 0 && x + w > width) {
            x = 0;
            y += m.rowHeight;
        }
        positions.push_back(QPointF(x, y));
        x += w + m.swatch * 0.8;
    }
    *height = entries.isEmpty() ? 0.0 : y + fm.height();
    return positions;
}

} // namespace

double flowLegendHeight(const QFont& font, const QVector<LegendEntry>& entries, double width)
{
    const QFontMetricsF fm(font);
    double height = 0;
    flowPositions(fm, LegendMetrics(fm), entries, width, &height);
    return height;
}

void drawFlowLegend(QPainter& painter, const QRectF& area, const QFont& font,
                    const QVector<LegendEntry>& entries)
{
    const QFontMetricsF fm(font);
    const LegendMetrics m(fm);
    double height = 0;
    const QVector<QPointF> positions = flowPositions(fm, m, entries, area.width(), &height);
    painter.save();
    painter.setRenderHint(QPainter::Antialiasing, true);
    painter.setFont(font);
    for (int i = 0; i < entries.size(); ++i) {
        const QPointF origin = area.topLeft() + positions[i];
        const double cy = origin.y() + fm.height() / 2;
        drawSwatch(painter, entries[i], QPointF(origin.x(), cy), m.swatch, fm.height());
        painter.setPen(palette::text());
        painter.drawText(
            QPointF(origin.x() + m.swatch + m.pad * 0.8, cy + fm.ascent() / 2 - fm.descent() / 2),
            entries[i].text);
    }
    painter.restore();
}

double normalPdf(double x, double mean, double sd)
{
    const double z = (x - mean) / sd;
    return std::exp(-0.5 * z * z) / (sd * std::sqrt(2.0 * M_PI));
}

// Points of N(mean, sd^2) over [left, right]: dense around the mean (so a narrow peak is smooth), plus a
// uniform grid for the tails.
QVector<QPointF> normalCurve(double mean, double sd, double left, double right, int uniform, int central)
{
    QVector<double> xs;
    for (int i = 0; i <= uniform; ++i)
        xs.push_back(left + (right - left) * i / uniform);
    for (int i = 0; i < central; ++i) {
        const double x = mean + sd * (-6.0 + 12.0 * i / (central - 1));
        if (x > left && x < right) xs.push_back(x);
    }
    std::sort(xs.begin(), xs.end());
    QVector<QPointF> points;
    points.reserve(xs.size());
    for (double x : xs)
        points.push_back(QPointF(x, normalPdf(x, mean, sd)));
    return points;
}

DotStamp::DotStamp(double radius, const QColor& fill, const QPen& pen) : m_radius(radius), m_fill(fill), m_pen(pen) {}

const QImage& DotStamp::image(double scale, int k)
{
    if (scale != m_scale) {
        m_scale = scale;
        const double penHalf = m_pen.style() == Qt::NoPen ? 0.0 : 0.5 * std::max(1.0, m_pen.widthF());
        m_half = static_cast<int>(std::ceil((m_radius + penHalf) * scale)) + 2;
        for (QImage& img : m_images) img = QImage();
    }
    QImage& img = m_images[k];
    if (img.isNull()) { // each shift is painted the first time it is asked for
        const int side = 2 * m_half + 1;
        img = QImage(side, side, QImage::Format_ARGB32_Premultiplied);
        img.fill(Qt::transparent);
        QPainter q(&img);
        q.setRenderHint(QPainter::Antialiasing, true);
        QPen pen = m_pen;
        pen.setWidthF(m_pen.widthF() * scale);
        q.setPen(pen);
        q.setBrush(m_fill.isValid() ? QBrush(m_fill) : QBrush(Qt::NoBrush));
        // The disc's centre half a pixel into pixel (half, half), shifted by k % 4 and k / 4 quarter pixels.
        q.drawEllipse(QPointF(m_half + 0.5 + 0.25 * (k % 4), m_half + 0.5 + 0.25 * (k / 4)), m_radius * scale,
                      m_radius * scale);
    }
    return img;
}

void DotStamp::draw(QPainter& painter, const QPointF& centre)
{
    const QTransform& t = painter.deviceTransform();
    if (t.type() > QTransform::TxScale || t.m11() != t.m22() || t.m11() <= 0) {
        painter.save();
        painter.setPen(m_pen);
        painter.setBrush(m_fill.isValid() ? QBrush(m_fill) : QBrush(Qt::NoBrush));
        painter.drawEllipse(centre, m_radius, m_radius);
        painter.restore();
        return;
    }
    const double scale = t.m11();
    // The centre in device pixels less the half pixel the images put it at, rounded to a quarter pixel: the
    // whole pixels place the image, the quarters pick the shifted copy.
    const QPointF device = t.map(centre) - QPointF(0.5, 0.5);
    const long qx = std::lround(device.x() * 4), qy = std::lround(device.y() * 4);
    const long px = static_cast<long>(std::floor(qx / 4.0)), py = static_cast<long>(std::floor(qy / 4.0));
    const QImage& img = image(scale, static_cast<int>((qx - 4 * px) + 4 * (qy - 4 * py)));
    // The image's corner (device pixel - half) back in the painter's logical coordinates.
    const QPointF corner((px - m_half - t.dx()) / scale, (py - m_half - t.dy()) / scale);
    painter.drawImage(QRectF(corner, QSizeF(img.width() / scale, img.height() / scale)), img);
}

DotStamp& cachedDotStamp(double radius, const QColor& fill, const QPen& pen)
{
    // Per thread (frames are painted on the GUI thread and on export jobs); a frame asks for a handful of
    // stamps, weighted scatters up to 65, so a few hundred entries cover every view and the cache is cleared
    // past that rather than grown.
    using Key = std::tuple<double, QRgb, bool, QRgb, double, int>;
    thread_local std::map<Key, DotStamp> cache;
    const Key key{radius, fill.rgba(), fill.isValid(), pen.color().rgba(), pen.widthF(), static_cast<int>(pen.style())};
    auto it = cache.find(key);
    if (it == cache.end()) {
        if (cache.size() >= 512) cache.clear();
        it = cache.emplace(key, DotStamp(radius, fill, pen)).first;
    }
    return it->second;
}

} // namespace difflens::widgets::paint
