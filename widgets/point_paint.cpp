#include "widgets/point_paint.h"

#include "widgets/paint_helpers.h"
#include "widgets/palette.h"
#include "widgets/point_paint_scene.h"

#include <QFontMetricsF>
#include <QPainter>
#include <QPainterPath>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace difflens::widgets {

namespace {

using namespace pointpaint;

void paint2d(QPainter& p, const PointFrame& f, const PointPaintOptions& o, const Scene& s)
{
    const paint::PlotTransform& T = s.transform;
    const double r = s.pointRadius;

    // Score / eps field: arrows rescaled so the longest spans most of a grid cell. The exact score, when
    // given, shares the scale (the longest over both fields), so arrow lengths compare between the two.
    const bool field = hasField(f, o), exactField = hasExactField(f, o);
    if (field || exactField) {
        double longest = 0;
        auto longestOf = [&](const QVector<QPointF>& vectors) {
            for (const QPointF& v : vectors)
                if (std::isfinite(v.x()) && std::isfinite(v.y()))
                    longest = std::max(longest, std::hypot(v.x(), v.y()));
        };
        if (field) longestOf(f.fieldVectors);
        if (exactField) longestOf(f.exactFieldVectors);
        const double cell = std::sqrt(T.view().width() * T.view().height() / f.fieldOrigins.size());
        if (longest > 0) {
            const double scale = 0.85 * cell / longest;
            if (field) {
                p.setPen(QPen(palette::withAlpha(palette::field(), 0.75), 1.1));
                for (int i = 0; i < f.fieldOrigins.size(); ++i) {
                    const QPointF a = T.map(f.fieldOrigins[i]);
                    const QPointF b = T.map(f.fieldOrigins[i] + f.fieldVectors[i] * scale);
                    paint::drawArrow(p, a, b, std::max(4.0, r * 1.6));
                }
            }
            if (exactField) {
                // Dashed on top: where the two agree the grey model arrow shows through the gaps.
                QPen pen(palette::exact(), 1.3, Qt::SolidLine, Qt::FlatCap);
                pen.setDashPattern({3.0, 2.0});
                p.setPen(pen);
                for (int i = 0; i < f.fieldOrigins.size(); ++i) {
                    const QPointF& v = f.exactFieldVectors[i];
                    if (!std::isfinite(v.x()) || !std::isfinite(v.y())) continue;
                    const QPointF a = T.map(f.fieldOrigins[i]);
                    const QPointF b = T.map(f.fieldOrigins[i] + v * scale);
                    paint::drawArrow(p, a, b, std::max(4.0, r * 1.6));
                }
            }
        }
    }

    // Data, optionally coloured by weights w_i (heavier points on top).
    if (!f.data.isEmpty()) {
        p.setPen(Qt::NoPen);
        const bool weighted = f.weights.size() == f.data.size();
        QVector<int> order(f.data.size());
        std::iota(order.begin(), order.end(), 0);
        if (weighted)
            std::sort(order.begin(), order.end(), [&](int a, int b) { return f.weights[a] < f.weights[b]; });
        // One stamp per level of sqrt(w) (64 levels: colour steps below what the eye tells apart).
        constexpr int kLevels = 64;
        for (int i : order) {
            const double sw =
                weighted ? std::round(std::sqrt(std::clamp(f.weights[i], 0.0, 1.0)) * kLevels) / kLevels : 0.0;
            paint::cachedDotStamp(r * (0.75 + 1.3 * sw),
                                  weighted ? mix(palette::data(), palette::reference(), sw)
                                           : palette::withAlpha(palette::data(), 0.8),
                                  Qt::NoPen)
                .draw(p, T.map(f.data[i]));
        }
    }

    // Trajectories fade from old (faint) to recent (strong).
    if (o.showTrajectories) {
        // A few alpha bands drawn as polylines: one pen per band instead of one per segment (scrub speed).
        // At one device pixel per logical pixel the lines are 1-px cosmetic: Qt's raster engine strokes those
        // with its fast antialiased line drawer, where a 1.4-px round-capped pen goes through the general
        // stroker (500 paths x 6 bands: 13 of the 2-D frame's 20 ms). On a high-DPI device the wider pen stays.
        const bool thin = p.deviceTransform().m11() <= 1.25;
        constexpr int kBands = 6;
        for (const QVector<QPointF>& path : f.trajectories) {
            const int n = path.size();
            if (n < 2) continue;
            QVector<QPointF> mapped(n);
            for (int i = 0; i < n; ++i) mapped[i] = T.map(path[i]);
            for (int b = 0; b < kBands; ++b) {
                const int from = (n - 1) * b / kBands, to = (n - 1) * (b + 1) / kBands;
                if (to <= from) continue;
                const double age = (b + 0.5) / kBands;
                const QColor colour = palette::withAlpha(palette::xt(), 0.12 + 0.6 * age);
                QPen pen = thin ? QPen(colour, 1.0) : QPen(colour, 1.4, Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin);
                pen.setCosmetic(thin);
                p.setPen(pen);
                p.drawPolyline(mapped.constData() + from, to - from + 1);
            }
        }
    }

    // Model: x0^ and the step x_t -> mu_theta (thinned to at most maxArrows).
    const int n = f.xt.size();
    const int maxArrows = std::max(1, o.maxArrows);
    const int stride = std::max(1, (n + maxArrows - 1) / maxArrows);
    if (o.showPredictions && f.x0Pred.size() == n && n > 0) {
        auto& ring = paint::cachedDotStamp(r * 0.9, QColor(), QPen(palette::withAlpha(palette::model(), 0.8), 1.0));
        for (int i = 0; i < n; i += stride)
            ring.draw(p, T.map(f.x0Pred[i]));
    }
    if (o.showArrows && f.meanModel.size() == n && n > 0) {
        p.setPen(QPen(palette::model(), 1.2));
        for (int i = 0; i < n; i += stride)
            paint::drawArrow(p, T.map(f.xt[i]), T.map(f.meanModel[i]), std::max(5.0, r * 2.0));
    }

    // x_t on top of the arrows' tails; a compared run's twins joined to them.
    if (f.paired.size() == n && n > 0) {
        p.setPen(QPen(palette::withAlpha(palette::difference(), 0.55), 1.0));
        for (int i = 0; i < n; i += stride)
            p.drawLine(T.map(f.xt[i]), T.map(f.paired[i]));
    }
    if (n > 0) {
        auto& dot = paint::cachedDotStamp(r, palette::xt(), QPen(palette::background(), 0.6));
        for (const QPointF& x : f.xt)
            dot.draw(p, T.map(x));
    }
    if (f.paired.size() == n && n > 0) {
        auto& dot = paint::cachedDotStamp(r, palette::pairedRun(), QPen(palette::background(), 0.6));
        for (const QPointF& x : f.paired)
            dot.draw(p, T.map(x));
    }

    // The selected sample, its model mean, and (with a reference) the posterior mean and the gap.
    // Markers first, then labels, each label on the side facing away from its nearest partner.
    const auto [hasSelected, hasModel, x, model, ref, mu] = selectedMarks(f, T);
    if (hasSelected) {
        p.setPen(QPen(palette::text(), 1.6));
        p.setBrush(Qt::NoBrush);
        p.drawEllipse(x, r * 2.2, r * 2.2);
    }
    if (f.hasReference && hasSelected) {
        p.setPen(QPen(palette::withAlpha(palette::posterior(), 0.7), 1.2, Qt::DashLine));
        p.drawLine(x, mu);
    }
    if (f.hasReference && hasModel) {
        p.setPen(QPen(palette::difference(), 2.4, Qt::SolidLine, Qt::RoundCap));
        p.drawLine(model, mu);
    }
    if (hasModel) {
        p.setPen(QPen(palette::background(), 1.0));
        p.setBrush(palette::model());
        p.drawEllipse(model, r * 1.5, r * 1.5);
    }
    if (f.hasReference) {
        p.setPen(QPen(palette::posterior(), 2.0));
        p.setBrush(palette::background());
        paint::drawDiamond(p, mu, r * 2.4);
        p.setPen(QPen(palette::background(), 1.2));
        p.setBrush(palette::reference());
        paint::drawStar(p, ref, r * 3.4);
    }
    p.setFont(s.small);
    const QFontMetricsF fm(s.small);
    for (const MarkerLabel& l : markerLabels(f, s))
        paint::drawHaloText(p, QPointF(l.box.left() + 1, l.box.top() + fm.ascent()), l.text, l.color,
                            palette::background());
}

void verticalMarker(QPainter& p, const paint::PlotTransform& T, double x, const QColor& color, bool dashed,
                    const QString& label, const QFont& font, int slot)
{
    if (!std::isfinite(x) || x < T.view().left() || x > T.view().right()) return;
    const QRectF& r = T.pixels();
    const double px = T.mapX(x);
    p.setPen(QPen(color, 2.0, dashed ? Qt::DashLine : Qt::SolidLine));
    p.drawLine(QPointF(px, r.top()), QPointF(px, r.bottom()));
    const QFontMetricsF fm(font);
    p.setFont(font);
    // Labels stagger in height so neighbouring markers stay readable.
    paint::drawHaloText(p, QPointF(px + 4, r.top() + fm.ascent() + 4 + slot * fm.height()), label, color,
                        palette::background());
}

void paint1d(QPainter& p, const PointFrame& f, const PointPaintOptions& o, const Scene& s)
{
    const paint::PlotTransform& T = s.transform;
    const QRectF& plot = T.pixels();

    if (hasDensity(f)) {
        QPainterPath area;
        area.moveTo(T.mapX(f.densityX.first()), plot.bottom());
        for (int i = 0; i < f.densityX.size(); ++i)
            area.lineTo(T.mapX(f.densityX[i]), T.mapY(f.densityY[i]));
        area.lineTo(T.mapX(f.densityX.last()), plot.bottom());
        p.setPen(QPen(palette::data().darker(125), 1.5));
        p.setBrush(palette::withAlpha(palette::data(), 0.45));
        p.drawPath(area);
    }

    // Histogram of x_t, normalised to a density so it compares with the curves.
    if (!f.xt.isEmpty()) {
        p.setPen(QPen(palette::xt(), 1.0));
        p.setBrush(palette::withAlpha(palette::xt(), 0.35));
        for (int b = 0; b < s.histogram.density.size(); ++b) {
            if (s.histogram.density[b] <= 0) continue;
            const double x0 = s.histogram.left + b * s.histogram.binWidth;
            const QPointF topLeft = T.map(QPointF(x0, s.histogram.density[b]));
            const QPointF bottomRight(T.mapX(x0 + s.histogram.binWidth), plot.bottom());
            p.drawRect(QRectF(topLeft, bottomRight));
        }
    }

    // A compared run's x_t as an outlined histogram over the same bins.
    if (!s.paired.density.isEmpty()) {
        const Histogram& h = s.paired;
        // Each run of non-empty bins as one outline (nothing drawn along the axis where B has no samples).
        QPainterPath outline;
        bool open = false;
        for (int b = 0; b <= h.density.size(); ++b) {
            const bool filled = b < h.density.size() && h.density[b] > 0;
            const double x = T.mapX(h.left + b * h.binWidth);
            if (filled) {
                const double y = T.mapY(h.density[b]);
                if (!open) outline.moveTo(x, plot.bottom());
                outline.lineTo(x, y);
                outline.lineTo(T.mapX(h.left + (b + 1) * h.binWidth), y);
                open = true;
            } else if (open) {
                outline.lineTo(x, plot.bottom());
                open = false;
            }
        }
        p.setPen(QPen(palette::pairedRun(), 2.0));
        p.setBrush(Qt::NoBrush);
        p.drawPath(outline);
    }

    // Data as a rug along the bottom.
    if (!f.data.isEmpty()) {
        p.setPen(QPen(palette::withAlpha(palette::data().darker(140), 0.6), 1.0));
        const double h = std::max(4.0, plot.height() * 0.03);
        const int stride = std::max(1, static_cast<int>(f.data.size() / 3000));
        for (int i = 0; i < f.data.size(); i += stride) {
            const double px = T.mapX(f.data[i].x());
            p.drawLine(QPointF(px, plot.bottom()), QPointF(px, plot.bottom() - h));
        }
    }

    int colorIndex = 0;
    for (const Curve& c : f.curves) {
        if (c.points.size() < 2) continue;
        const QColor color = curveColor(c, colorIndex++);
        QPainterPath path;
        path.moveTo(T.map(c.points.first()));
        for (int i = 1; i < c.points.size(); ++i)
            path.lineTo(T.map(c.points[i]));
        if (c.filled) {
            QPainterPath area = path;
            area.lineTo(T.mapX(c.points.last().x()), plot.bottom());
            area.lineTo(T.mapX(c.points.first().x()), plot.bottom());
            area.closeSubpath();
            p.fillPath(area, palette::withAlpha(color, 0.14));
        }
        p.setPen(QPen(color, 2.6, c.dashed ? Qt::DashLine : Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin));
        p.setBrush(Qt::NoBrush);
        p.drawPath(path);
    }

    const int n = f.xt.size();
    int slot = 0;
    if (isValidIndex(f.selected, n)) {
        verticalMarker(p, T, f.xt[f.selected].x(), palette::xt(), false, QStringLiteral("xₜ"), s.small,
                       slot++);
        if (f.meanModel.size() == n)
            verticalMarker(p, T, f.meanModel[f.selected].x(), palette::model(), true, QStringLiteral("μ_θ"),
                           s.small, slot++);
    }
    if (f.hasReference) {
        verticalMarker(p, T, f.reference.x(), palette::reference(), false, QStringLiteral("x₀"), s.small,
                       slot++);
        verticalMarker(p, T, f.posteriorMean.x(), palette::posterior(), true, QStringLiteral("μ̃"), s.small,
                       slot++);
        if (f.reference.x() >= T.view().left() && f.reference.x() <= T.view().right()) {
            p.setPen(QPen(palette::background(), 1.2));
            p.setBrush(palette::reference());
            paint::drawStar(p, QPointF(T.mapX(f.reference.x()), plot.bottom() - s.pointRadius * 3.6),
                            s.pointRadius * 3.4);
        }
    }
}

void paintPoints(QPainter& p, const QSizeF& size, const PointFrame& f, const QRectF& view,
                 const PointPaintOptions& o)
{
    p.fillRect(QRectF(QPointF(0, 0), size), palette::background());
    p.setRenderHint(QPainter::Antialiasing, true);
    p.setRenderHint(QPainter::TextAntialiasing, true);
    const Scene s = computeScene(f, view, o, size);
    const bool oneD = f.dim == 1;
    paint::drawAxes(p, s.transform, s.font, oneD ? QStringLiteral("x") : QStringLiteral("x₁"),
                    oneD ? QStringLiteral("density") : QStringLiteral("x₂"));

    p.save();
    p.setClipRect(s.transform.pixels().adjusted(-1, -1, 1, 1));
    if (oneD)
        paint1d(p, f, o, s);
    else
        paint2d(p, f, o, s);
    p.restore();

    if (!f.caption.isEmpty()) {
        p.setFont(s.caption);
        p.setPen(palette::text());
        const QFontMetricsF fm(s.caption);
        const double top =
            s.legendPlace == Scene::LegendPlace::Top ? s.legendRect.top() : s.transform.pixels().top();
        p.drawText(QPointF(s.transform.pixels().left(), top - fm.descent() - fm.height() * 0.25), f.caption);
    }
    if (s.legendPlace == Scene::LegendPlace::Side)
        paint::drawLegend(p, s.legendRect.topLeft(), s.small, s.legend);
    else if (s.legendPlace == Scene::LegendPlace::Top)
        paint::drawFlowLegend(p, s.legendRect, s.small, s.legend);
    if (f.data.isEmpty() && f.xt.isEmpty() && f.curves.isEmpty() && f.densityX.isEmpty()) {
        p.setFont(s.font);
        p.setPen(palette::mutedText());
        p.drawText(s.transform.pixels(), Qt::AlignCenter, QStringLiteral("No points yet"));
    }
}

} // namespace

void paintPointFrame(QPainter& p, const QSizeF& size, const PointFrame& frame, const QRectF& view,
                     const PointPaintOptions& options)
{
    paintPoints(p, size, frame, view, options);
}

paint::PlotTransform pointTransform(const PointFrame& frame, const QRectF& view, const PointPaintOptions& options,
                                    const QSizeF& size)
{
    return computeScene(frame, view, options, size).transform;
}

QVector<QRectF> pointLabelRects(const PointFrame& frame, const QRectF& view, const PointPaintOptions& options,
                                const QSizeF& size)
{
    QVector<QRectF> rects;
    if (frame.dim != 2) return rects;
    for (const auto& l : markerLabels(frame, computeScene(frame, view, options, size)))
        rects.push_back(l.box);
    return rects;
}

QImage renderPointFrame(const PointFrame& frame, const QRectF& view, const PointPaintOptions& options, const QSize& size,
                        qreal devicePixelRatio)
{
    QImage image(size * devicePixelRatio, QImage::Format_RGB32);
    image.setDevicePixelRatio(devicePixelRatio);
    QPainter p(&image);
    paintPoints(p, QSizeF(size), frame, view, options);
    return image;
}

} // namespace difflens::widgets
