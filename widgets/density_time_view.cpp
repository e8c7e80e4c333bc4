#include "widgets/density_time_view.h"

#include "widgets/paint_helpers.h"
#include "widgets/palette.h"

#include <QFontMetricsF>
#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>

#include <algorithm>
#include <cmath>

namespace difflens::widgets {

namespace {

struct Frame
{
    QFont font, small;
    paint::PlotTransform transform;
    QRectF colorbar;
};

Frame layoutFor(const QSizeF& size, int T, double xmin, double xmax)
{
    Frame f;
    const double fontPx = paint::baseFontPixels(size);
    f.font = paint::scaledFont(fontPx);
    f.small = paint::scaledFont(std::max(10.0, fontPx * 0.85));
    const paint::AxisMargins m = paint::axisMargins(f.font, true, true);
    const QFontMetricsF fm(f.font);
    const double barWidth = std::max(10.0, fm.height() * 0.8);
    const double barSpace = barWidth + fm.horizontalAdvance(QStringLiteral("max")) + fm.height() * 1.6;
    const QRectF plot(m.left, m.top + fm.height() * 0.3, std::max(10.0, size.width() - m.left - barSpace),
                      std::max(10.0, size.height() - m.top - fm.height() * 0.3 - m.bottom));
    f.transform = paint::PlotTransform(QRectF(0.0, xmin, std::max(1, T), xmax - xmin), plot);
    f.colorbar = QRectF(plot.right() + fm.height() * 0.7, plot.top(), barWidth, plot.height());
    return f;
}

} // namespace

DensityTimeView::DensityTimeView(QWidget* parent) : QWidget(parent)
{
    setAttribute(Qt::WA_OpaquePaintEvent);
}

DensityTimeView::~DensityTimeView() = default;

void DensityTimeView::setDensity(int T, int bins, double xmin, double xmax, const QVector<double>& values)
{
    const bool valid = T > 0 && bins > 0 && xmax > xmin && values.size() == static_cast<qsizetype>(T) * bins;
    m_T = valid ? T : 0;
    m_bins = valid ? bins : 0;
    if (valid) {
        m_xmin = xmin;
        m_xmax = xmax;
        m_values = values;
    } else {
        m_values.clear();
    }
    rebuildImage();
    m_static = QPixmap();
    update();
}

void DensityTimeView::setTrajectories(const QVector<QVector<QPointF>>& trajectories)
{
    m_trajectories = trajectories;
    m_static = QPixmap();
    update();
}

void DensityTimeView::setCurrentT(int t)
{
    if (t == m_currentT) return;
    m_currentT = t;
    update();
}

void DensityTimeView::setNormalization(Normalization normalization)
{
    m_normalization = normalization;
    rebuildImage();
    m_static = QPixmap();
    update();
}

void DensityTimeView::setColormap(Colormap map)
{
    m_colormap = map;
    rebuildImage();
    m_static = QPixmap();
    update();
}

void DensityTimeView::clear()
{
    m_T = m_bins = 0;
    m_values.clear();
    m_trajectories.clear();
    m_currentT = 0;
    rebuildImage();
    m_static = QPixmap();
    update();
}

void DensityTimeView::rebuildImage()
{
    if (m_T <= 0 || m_bins <= 0) {
        m_heat = QImage();
        return;
    }
    m_heat = QImage(m_T, m_bins, QImage::Format_RGB32);
    double globalMax = 0;
    for (double v : m_values)
        if (std::isfinite(v)) globalMax = std::max(globalMax, v);
    for (int t = 0; t < m_T; ++t) {
        const double* column = m_values.constData() + static_cast<qsizetype>(t) * m_bins;
        double scale = globalMax;
        if (m_normalization == Normalization::PerTimestep) {
            scale = 0;
            for (int b = 0; b < m_bins; ++b)
                if (std::isfinite(column[b])) scale = std::max(scale, column[b]);
        }
        for (int b = 0; b < m_bins; ++b) {
            const double u = scale > 0 ? column[b] / scale : 0.0;
            // Row 0 is the top of the image, the largest x.
            m_heat.setPixel(t, m_bins - 1 - b, colormapColor(m_colormap, u));
        }
    }
}

double DensityTimeView::xForTimestep(double t) const
{
    // Column t spans [t - 1, t] on the axis, so its centre is at t - 0.5.
    return layoutFor(QSizeF(size()), m_T, m_xmin, m_xmax).transform.mapX(t - 0.5);
}

QPointF DensityTimeView::positionOf(double t, double x) const
{
    return layoutFor(QSizeF(size()), m_T, m_xmin, m_xmax).transform.map(QPointF(t - 0.5, x));
}

void DensityTimeView::paintStatic(QPainter& p, const QSizeF& size) const
{
    p.fillRect(QRectF(QPointF(0, 0), size), palette::background());
    p.setRenderHint(QPainter::Antialiasing, true);
    p.setRenderHint(QPainter::TextAntialiasing, true);
    const Frame f = layoutFor(size, m_T, m_xmin, m_xmax);
    const paint::PlotTransform& T = f.transform;
    const QRectF& plot = T.pixels();
    paint::drawAxes(p, T, f.font, QStringLiteral("t   (sampling runs from right to left)"),
                    QStringLiteral("x"), false);
    if (m_heat.isNull()) {
        p.setFont(f.font);
        p.setPen(palette::mutedText());
        p.drawText(plot, Qt::AlignCenter, QStringLiteral("No density yet"));
        return;
    }
    // The map is smooth data: bilinear filtering reads better than blocks here.
    p.setRenderHint(QPainter::SmoothPixmapTransform, true);
    p.drawImage(plot, m_heat);

    p.save();
    p.setClipRect(plot);
    for (const QVector<QPointF>& path : m_trajectories) {
        if (path.size() < 2) continue;
        QPainterPath line;
        line.moveTo(T.map(QPointF(path.first().x() - 0.5, path.first().y())));
        for (int i = 1; i < path.size(); ++i)
            line.lineTo(T.map(QPointF(path[i].x() - 0.5, path[i].y())));
        p.strokePath(line, QPen(QColor(0, 0, 0, 110), 3.0, Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin));
        p.strokePath(line, QPen(QColor(255, 255, 255, 220), 1.4, Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin));
    }
    p.restore();
    p.setPen(QPen(palette::frame(), 1.0));
    p.setBrush(Qt::NoBrush);
    p.drawRect(plot);

    // Colour bar with its meaning.
    p.drawImage(f.colorbar, colorbar(m_colormap, 1, 256));
    p.drawRect(f.colorbar);
    p.setFont(f.small);
    p.setPen(palette::text());
    const QFontMetricsF fm(f.small);
    p.drawText(QPointF(f.colorbar.right() + 4, f.colorbar.top() + fm.ascent()), QStringLiteral("max"));
    p.drawText(QPointF(f.colorbar.right() + 4, f.colorbar.bottom()), QStringLiteral("0"));
    p.save();
    p.translate(f.colorbar.right() + 4 + fm.ascent(), f.colorbar.center().y());
    p.rotate(90);
    const QString what = m_normalization == Normalization::PerTimestep
                             ? QStringLiteral("density (each t scaled to its max)")
                             : QStringLiteral("density");
    p.drawText(QPointF(-fm.horizontalAdvance(what) / 2, 0), what);
    p.restore();
}

void DensityTimeView::paintMarker(QPainter& p, const QSizeF& size) const
{
    if (m_heat.isNull()) return;
    p.setRenderHint(QPainter::Antialiasing, true);
    p.setRenderHint(QPainter::TextAntialiasing, true);
    const Frame f = layoutFor(size, m_T, m_xmin, m_xmax);
    const paint::PlotTransform& T = f.transform;
    const QRectF& plot = T.pixels();
    p.save();
    p.setClipRect(plot);
    if (m_currentT > 0 && m_currentT <= m_T) {
        const double x = T.mapX(m_currentT - 0.5);
        p.setPen(QPen(palette::marker(), 2.2));
        p.drawLine(QPointF(x, plot.top()), QPointF(x, plot.bottom()));
        p.setFont(f.small);
        const QString label = QStringLiteral("t = %1").arg(m_currentT);
        const QFontMetricsF fm(f.small);
        const QSizeF box(fm.horizontalAdvance(label) + fm.height() * 0.6, fm.height() * 1.1);
        const double lx = x + 4 + box.width() > plot.right() ? x - 4 - box.width() : x + 4;
        const QRectF labelRect(QPointF(lx, plot.top() + 4), box);
        p.setPen(Qt::NoPen);
        p.setBrush(palette::withAlpha(palette::background(), 0.9));
        p.drawRoundedRect(labelRect, 3, 3);
        p.setPen(palette::marker());
        p.drawText(labelRect, Qt::AlignCenter, label);
    }
    p.restore();
}

QImage DensityTimeView::renderToImage(const QSize& size, qreal devicePixelRatio) const
{
    QImage image(size * devicePixelRatio, QImage::Format_RGB32);
    image.setDevicePixelRatio(devicePixelRatio);
    QPainter p(&image);
    paintStatic(p, QSizeF(size));
    paintMarker(p, QSizeF(size));
    return image;
}

void DensityTimeView::paintEvent(QPaintEvent*)
{
    // Everything but the current-t marker is cached: scrubbing repaints a pixmap and one line.
    const qreal dpr = devicePixelRatioF();
    if (m_static.isNull() || m_static.size() != size() * dpr) {
        m_static = QPixmap(size() * dpr);
        m_static.setDevicePixelRatio(dpr);
        QPainter sp(&m_static);
        paintStatic(sp, QSizeF(size()));
    }
    QPainter p(this);
    p.drawPixmap(0, 0, m_static);
    paintMarker(p, QSizeF(size()));
}

void DensityTimeView::mousePressEvent(QMouseEvent* event)
{
    if (m_T <= 0 || event->button() != Qt::LeftButton) return;
    const paint::PlotTransform T = layoutFor(QSizeF(size()), m_T, m_xmin, m_xmax).transform;
    if (!T.pixels().contains(event->position())) return;
    const int t = std::clamp(static_cast<int>(std::floor(T.unmap(event->position()).x())) + 1, 1, m_T);
    Q_EMIT timestepClicked(t);
}

} // namespace difflens::widgets
