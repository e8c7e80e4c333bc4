// Painting the Exact q tab's step view (StepDensityView): QtGui only, any thread.
#include "widgets/step_density_paint.h"

#include "widgets/format.h"
#include "widgets/paint_helpers.h"
#include "widgets/palette.h"

#include <QFontMetricsF>
#include <QPainter>
#include <QPainterPath>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace difflens::widgets {

namespace {

using paint::LegendEntry;


/**
 * Each component's weight relative to the heaviest, in [0, 1] (the size of its mark); 0.3 for every one when
 * the frame carries no usable weights.
 */
QVector<double> relativeWeights(const StepDensityFrame& f)
{
    const bool weighted = f.componentWeights.size() == f.componentMeans.size();
    double maxWeight = 0;
    if (weighted)
        for (double w : f.componentWeights)
            if (std::isfinite(w)) maxWeight = std::max(maxWeight, w);
    QVector<double> out(f.componentMeans.size(), 0.3);
    if (weighted && maxWeight > 0)
        for (int i = 0; i < out.size(); ++i)
            if (std::isfinite(f.componentWeights[i])) out[i] = std::clamp(f.componentWeights[i] / maxWeight, 0.0, 1.0);
    return out;
}

QString defaultEmptyText()
{
    return QStringLiteral("Choose a sample and a step to see q(xₜ₋₁ | xₜ) up close");
}

// A 1-D window only needs a width; StepDensityFrame::isEmpty() also asks for a height, which 1-D ignores.
bool isDrawable(const StepDensityFrame& f)
{
    if (f.dim == 1)
        return f.window.width() > 0 && std::isfinite(f.window.left()) && std::isfinite(f.window.right());
    return !f.isEmpty() && std::isfinite(f.window.left()) && std::isfinite(f.window.top()) &&
           std::isfinite(f.window.width()) && std::isfinite(f.window.height());
}

bool hasExact2d(const StepDensityFrame& f)
{
    return f.dim == 2 && f.densityColumns > 0 && f.densityRows > 0 &&
           f.exactDensity.size() == static_cast<qsizetype>(f.densityColumns) * f.densityRows;
}

bool hasExact1d(const StepDensityFrame& f)
{
    return f.dim == 1 && f.exactCurve.size() >= 2;
}

QString exactLabel(const StepDensityFrame& f)
{
    return f.exactName.isEmpty() ? QStringLiteral("q(xₜ₋₁ | xₜ) exact") : f.exactName;
}

double normalPeak(double sd)
{
    return sd > 0 ? paint::normalPdf(0.0, 0.0, sd) : std::numeric_limits<double>::infinity();
}

QPen markPen(const QColor& color, double width, bool dashed)
{
    QPen pen(color, width, Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin);
    if (dashed) pen.setDashPattern({4.0, 2.5});
    return pen;
}

struct Scene
{
    QFont font, small, caption;
    paint::PlotTransform transform;
    QVector<LegendEntry> legend;
    bool legendBeside = false;
    QRectF legendRect;
    QPointF captionBaseline;
    double pointRadius = 3;
    // 1-D: each mark's peak density and whether it is clipped at the top of the plot.
    QVector<double> peaks;
    QVector<bool> clipped;
};

QVector<LegendEntry> legendEntries(const StepDensityFrame& f)
{
    QVector<LegendEntry> e;
    if (hasExact2d(f) || hasExact1d(f)) e.push_back({exactLabel(f), palette::exact(), LegendEntry::Bar});
    if (!f.componentMeans.isEmpty())
        e.push_back({f.dim == 1 ? QStringLiteral("mixture means (height ∝ weight)")
                                : QStringLiteral("mixture means (size ∝ weight)"),
                     palette::exact().darker(150), LegendEntry::Dot});
    for (const GaussianMark& g : f.gaussians)
        e.push_back({g.name, g.color.isValid() ? g.color : palette::model(),
                     g.dashed ? LegendEntry::DashedLine : LegendEntry::Line});
    e.push_back({QStringLiteral("xₜ"), palette::xt(), LegendEntry::Dot});
    return e;
}

Scene computeScene(const StepDensityFrame& f, const QSizeF& size)
{
    Scene s;
    const double fontPx = paint::baseFontPixels(size);
    s.font = paint::scaledFont(fontPx);
    s.small = paint::scaledFont(std::max(10.0, fontPx * 0.85));
    s.caption = paint::scaledFont(fontPx * 1.1, true);
    s.legend = legendEntries(f);
    const paint::AxisMargins m = paint::axisMargins(s.font, true, true);
    const QFontMetricsF captionMetrics(s.caption);
    const double captionHeight = f.caption.isEmpty() ? 0.0 : captionMetrics.height() * 1.25;
    QRectF plot(m.left, m.top + captionHeight, size.width() - m.left - m.right,
                size.height() - m.top - captionHeight - m.bottom);
    s.captionBaseline = QPointF(m.left, m.top + captionMetrics.ascent());

    // 2-D: the legend beside the square plot when that costs it little, else in rows above (as PointView).
    const QSizeF side = paint::legendSize(s.small, s.legend);
    const double gap = QFontMetricsF(s.small).height() * 0.7;
    const double squareAlone = std::min(plot.width(), plot.height());
    const double squareBeside = std::min(plot.width() - side.width() - gap, plot.height());
    if (f.dim == 2 && squareBeside >= 0.92 * squareAlone && side.height() <= plot.height()) {
        s.legendBeside = true;
        plot.setWidth(plot.width() - side.width() - gap);
    } else {
        const double h = paint::flowLegendHeight(s.small, s.legend, plot.width());
        s.legendRect = QRectF(plot.left(), plot.top(), plot.width(), h);
        plot.setTop(plot.top() + h + gap);
    }
    plot.setWidth(std::max(10.0, plot.width()));
    plot.setHeight(std::max(10.0, plot.height()));

    if (f.dim == 1) {
        double exactMax = 0;
        for (const QPointF& p : f.exactCurve)
            if (std::isfinite(p.y())) exactMax = std::max(exactMax, p.y());
        double lowestPeak = std::numeric_limits<double>::infinity();
        for (const GaussianMark& g : f.gaussians) {
            s.peaks.push_back(normalPeak(g.sd));
            if (std::isfinite(s.peaks.last())) lowestPeak = std::min(lowestPeak, s.peaks.last());
        }
        // Curves taller than kStepPeakClipFactor x the reference are clipped and labelled, see the header.
        const double reference = exactMax > 0 ? exactMax : (std::isfinite(lowestPeak) ? lowestPeak : 1.0);
        const double cap = kStepPeakClipFactor * reference;
        double top = exactMax;
        for (double peak : s.peaks)
            if (std::isfinite(peak)) top = std::max(top, std::min(peak, cap));
        if (!(top > 0) || !std::isfinite(top)) top = 1.0;
        top *= 1.12;
        for (double peak : s.peaks)
            s.clipped.push_back(!(peak <= top));
        s.transform = paint::PlotTransform(QRectF(f.window.left(), 0.0, f.window.width(), top), plot);
    } else {
        // Equal scale on x and y, so the circles are circles and distances are honest; letterboxed.
        const QRectF view = f.window.normalized();
        const double scale = std::min(plot.width() / view.width(), plot.height() / view.height());
        const QSizeF used(view.width() * scale, view.height() * scale);
        const double left = s.legendBeside ? plot.left() : plot.left() + (plot.width() - used.width()) / 2;
        s.transform = paint::PlotTransform(view, QRectF(QPointF(left, plot.top()), used));
        if (s.legendBeside) s.legendRect = QRectF(QPointF(left + used.width() + gap, plot.top()), side);
    }
    const QRectF& px = s.transform.pixels();
    s.pointRadius = std::clamp(std::min(px.width(), px.height()) / 150.0, 1.8, 5.0);
    return s;
}

void drawCross(QPainter& p, const QPointF& c, double half, const QPen& pen)
{
    p.setPen(pen);
    p.drawLine(c + QPointF(-half, -half), c + QPointF(half, half));
    p.drawLine(c + QPointF(-half, half), c + QPointF(half, -half));
}

// x_t outside the window: an arrow at the plot's border pointing towards it.
void drawBorderArrow(QPainter& p, const QRectF& plot, const QPointF& target, const Scene& s)
{
    const QPointF c = plot.center();
    QPointF d = target - c;
    const double length = std::hypot(d.x(), d.y());
    if (!(length > 0) || !std::isfinite(length)) return;
    d /= length;
    const double inset = 5.0;
    const double sx = std::fabs(d.x()) > 1e-9 ? (plot.width() / 2 - inset) / std::fabs(d.x()) : 1e12;
    const double sy = std::fabs(d.y()) > 1e-9 ? (plot.height() / 2 - inset) / std::fabs(d.y()) : 1e12;
    const QPointF tip = c + d * std::min(sx, sy);
    const double arrow = std::clamp(std::min(plot.width(), plot.height()) * 0.1, 18.0, 42.0);
    const QPointF tail = tip - d * arrow;
    p.setPen(QPen(palette::xt(), 2.8, Qt::SolidLine, Qt::RoundCap));
    paint::drawArrow(p, tail, tip, std::max(9.0, s.pointRadius * 3.2));
    p.setFont(s.small);
    const QFontMetricsF fm(s.small);
    const QString label = QStringLiteral("xₜ");
    const QPointF centre = tail - d * (fm.height() * 0.75);
    paint::drawHaloText(
        p, centre + QPointF(-fm.horizontalAdvance(label) / 2, fm.ascent() / 2 - fm.descent() / 2), label,
        palette::xt(), palette::background());
}

QImage heatImage(const StepDensityFrame& f)
{
    double maxDensity = 0;
    for (double v : f.exactDensity)
        if (std::isfinite(v)) maxDensity = std::max(maxDensity, v);
    QImage image(f.densityColumns, f.densityRows, QImage::Format_ARGB32_Premultiplied);
    const QColor c = palette::exact();
    // Purple with alpha = density / max over the plot background: white where q is 0, purple at its peak,
    // and the grid still shows where the density is low.
    for (int row = 0; row < f.densityRows; ++row) {
        auto* line = reinterpret_cast<QRgb*>(image.scanLine(row));
        for (int col = 0; col < f.densityColumns; ++col) {
            const double v = f.exactDensity[static_cast<qsizetype>(row) * f.densityColumns + col];
            const double a = maxDensity > 0 && std::isfinite(v) ? std::clamp(v / maxDensity, 0.0, 1.0) : 0.0;
            line[col] =
                qPremultiply(qRgba(c.red(), c.green(), c.blue(), static_cast<int>(std::lround(a * 240))));
        }
    }
    return image;
}

void paint2d(QPainter& p, const StepDensityFrame& f, const Scene& s)
{
    const paint::PlotTransform& T = s.transform;
    const QRectF& plot = T.pixels();
    const double r = s.pointRadius;
    const double pixelsPerUnit = plot.width() / T.view().width();

    if (hasExact2d(f)) {
        const QRectF target(T.map(QPointF(T.view().left(), T.view().bottom())),
                            T.map(QPointF(T.view().right(), T.view().top())));
        p.save();
        p.setRenderHint(QPainter::SmoothPixmapTransform, true);
        p.drawImage(target, heatImage(f));
        p.restore();
    }

    // The heaviest components, lightest first so heavy ones stay on top.
    if (!f.componentMeans.isEmpty()) {
        const QVector<double> weight = relativeWeights(f);
        QVector<int> order(f.componentMeans.size());
        std::iota(order.begin(), order.end(), 0);
        if (f.componentWeights.size() == f.componentMeans.size())
            std::sort(order.begin(), order.end(),
                      [&](int a, int b) { return f.componentWeights[a] < f.componentWeights[b]; });
        p.setPen(QPen(palette::background(), 0.9));
        p.setBrush(palette::exact().darker(150));
        for (int i : order) {
            const double w = weight[i];
            const double radius = r * (0.7 + 1.6 * std::sqrt(w));
            p.drawEllipse(T.map(f.componentMeans[i]), radius, radius);
        }
    }

    // Gaussians: 2-sigma (thin, lighter), 1-sigma, and the mean as a cross.
    p.setBrush(Qt::NoBrush);
    for (const GaussianMark& g : f.gaussians) {
        const QColor color = g.color.isValid() ? g.color : palette::model();
        const QPointF c = T.map(g.mean);
        if (g.sd > 0 && std::isfinite(g.sd)) {
            const double radius = g.sd * pixelsPerUnit;
            p.setPen(markPen(palette::withAlpha(color, 0.55), 1.4, g.dashed));
            p.drawEllipse(c, 2 * radius, 2 * radius);
            p.setPen(markPen(color, 2.4, g.dashed));
            p.drawEllipse(c, radius, radius);
            drawCross(p, c, std::max(3.5, r * 1.4), QPen(color, 2.0, Qt::SolidLine, Qt::RoundCap));
        } else {
            // A point mass.
            drawCross(p, c, std::max(5.0, r * 2.2), QPen(color, 2.8, Qt::SolidLine, Qt::RoundCap));
        }
    }

    if (std::isfinite(f.xt.x()) && std::isfinite(f.xt.y())) {
        if (T.view().contains(f.xt)) {
            const QPointF c = T.map(f.xt);
            p.setPen(QPen(palette::background(), 1.2));
            p.setBrush(palette::xt());
            p.drawEllipse(c, r * 2.3, r * 2.3);
            p.setFont(s.small);
            paint::drawHaloText(p, c + QPointF(r * 2.8, -r * 1.8), QStringLiteral("xₜ"), palette::xt(),
                                palette::background());
        } else {
            drawBorderArrow(p, plot, T.map(f.xt), s);
        }
    }
}


void paint1d(QPainter& p, const StepDensityFrame& f, const Scene& s)
{
    const paint::PlotTransform& T = s.transform;
    const QRectF& plot = T.pixels();
    const QFontMetricsF fm(s.small);
    p.setFont(s.small);

    if (hasExact1d(f)) {
        QPainterPath line;
        bool started = false;
        for (const QPointF& q : f.exactCurve) {
            if (!std::isfinite(q.x()) || !std::isfinite(q.y())) continue;
            const QPointF m = T.map(q);
            if (!started) {
                line.moveTo(m);
                started = true;
            } else {
                line.lineTo(m);
            }
        }
        if (started) {
            QPainterPath area = line;
            area.lineTo(line.currentPosition().x(), plot.bottom());
            area.lineTo(line.elementAt(0).x, plot.bottom());
            area.closeSubpath();
            p.fillPath(area, palette::withAlpha(palette::exact(), 0.22));
            p.setPen(QPen(palette::exact(), 2.2, Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin));
            p.setBrush(Qt::NoBrush);
            p.drawPath(line);
        }
    }

    // Component means as a rug whose height follows the weight.
    if (!f.componentMeans.isEmpty()) {
        const QVector<double> weight = relativeWeights(f);
        const QColor color = palette::exact().darker(150);
        p.setPen(QPen(color, 2.2, Qt::SolidLine, Qt::FlatCap));
        for (int i = 0; i < f.componentMeans.size(); ++i) {
            const double x = f.componentMeans[i].x();
            if (!std::isfinite(x) || x < T.view().left() || x > T.view().right()) continue;
            const double w = weight[i];
            const double px = T.mapX(x);
            p.drawLine(QPointF(px, plot.bottom()),
                       QPointF(px, plot.bottom() - std::max(3.0, plot.height() * 0.14 * w)));
        }
    }

    for (int k = 0; k < f.gaussians.size(); ++k) {
        const GaussianMark& g = f.gaussians[k];
        const QColor color = g.color.isValid() ? g.color : palette::model();
        const double mean = g.mean.x();
        if (!std::isfinite(mean)) continue;
        const double px = T.mapX(mean);
        if (g.sd > 0 && std::isfinite(g.sd)) {
            const QVector<QPointF> points = paint::normalCurve(mean, g.sd, T.view().left(), T.view().right());
            QPainterPath path;
            path.moveTo(T.map(points.first()));
            for (int i = 1; i < points.size(); ++i)
                path.lineTo(T.map(points[i]));
            p.setPen(markPen(color, 2.4, g.dashed));
            p.setBrush(Qt::NoBrush);
            p.drawPath(path);
        } else if (mean >= T.view().left() && mean <= T.view().right()) {
            // A point mass: a spike with an arrow head at the top.
            p.setPen(markPen(color, 2.4, g.dashed));
            paint::drawArrow(p, QPointF(px, plot.bottom()), QPointF(px, plot.top() + 2), 9.0);
        }
        if (s.clipped.value(k) && mean >= T.view().left() && mean <= T.view().right()) {
            const QString label = std::isfinite(s.peaks[k])
                                      ? QStringLiteral("peak ↑ %1").arg(formatSig(s.peaks[k], 3))
                                      : QStringLiteral("point mass");
            const double w = fm.horizontalAdvance(label);
            // Stagger clipped labels so two narrow marks at the same x stay readable.
            int slot = 0;
            for (int j = 0; j < k; ++j)
                slot += s.clipped.value(j);
            const double x = std::clamp(px + 5, plot.left() + 3, plot.right() - w - 3);
            paint::drawHaloText(p, QPointF(x, plot.top() + fm.ascent() + 3 + slot * fm.height()), label,
                                color, palette::background());
        }
    }

    const double x = f.xt.x();
    if (std::isfinite(x)) {
        if (x >= T.view().left() && x <= T.view().right()) {
            const double px = T.mapX(x);
            p.setPen(QPen(palette::withAlpha(palette::xt(), 0.85), 1.6, Qt::SolidLine));
            p.drawLine(QPointF(px, plot.top()), QPointF(px, plot.bottom()));
            p.setPen(QPen(palette::background(), 1.2));
            p.setBrush(palette::xt());
            p.drawEllipse(QPointF(px, plot.bottom()), s.pointRadius * 1.9, s.pointRadius * 1.9);
            const QString label = QStringLiteral("xₜ");
            const double w = fm.horizontalAdvance(label);
            const bool flip = px + 6 + w > plot.right() - 2;
            paint::drawHaloText(p, QPointF(flip ? px - 6 - w : px + 6, plot.bottom() - s.pointRadius * 2.6),
                                label, palette::xt(), palette::background());
        } else {
            drawBorderArrow(
                p, plot,
                QPointF(x < T.view().left() ? plot.left() - 100 : plot.right() + 100, plot.center().y()), s);
        }
    }
}

void drawNotes(QPainter& p, const StepDensityFrame& f, const Scene& s)
{
    if (f.notes.isEmpty()) return;
    const QFontMetricsF fm(s.small);
    const double pad = fm.height() * 0.35;
    const QRectF& plot = s.transform.pixels();
    double width = 0;
    for (const QString& line : f.notes)
        width = std::max(width, fm.horizontalAdvance(line));
    width = std::min(width, plot.width() - 4 * pad);
    const QRectF box(plot.left() + pad, plot.top() + pad, width + 2 * pad,
                     fm.height() * f.notes.size() + 2 * pad);
    p.save();
    p.setPen(QPen(palette::withAlpha(palette::frame(), 0.8), 1.0));
    p.setBrush(palette::withAlpha(palette::background(), 0.8));
    p.drawRoundedRect(box, pad, pad);
    p.setFont(s.small);
    p.setPen(palette::text());
    for (int i = 0; i < f.notes.size(); ++i)
        p.drawText(QPointF(box.left() + pad, box.top() + pad + i * fm.height() + fm.ascent()),
                   fm.elidedText(f.notes[i], Qt::ElideRight, width));
    p.restore();
}

void paintStep(QPainter& p, const QSizeF& size, const StepDensityFrame& f, const QString& emptyText)
{
    p.fillRect(QRectF(QPointF(0, 0), size), palette::background());
    p.setRenderHint(QPainter::Antialiasing, true);
    p.setRenderHint(QPainter::TextAntialiasing, true);
    if (!isDrawable(f)) {
        const double fontPx = paint::baseFontPixels(size);
        if (!f.caption.isEmpty()) {
            const QFont caption = paint::scaledFont(fontPx * 1.1, true);
            p.setFont(caption);
            p.setPen(palette::text());
            p.drawText(QRectF(QPointF(8, 6), size - QSizeF(16, 12)), Qt::AlignLeft | Qt::AlignTop, f.caption);
        }
        p.setFont(paint::scaledFont(fontPx));
        p.setPen(palette::mutedText());
        p.drawText(QRectF(QPointF(12, 0), size - QSizeF(24, 0)), Qt::AlignCenter | Qt::TextWordWrap,
                   emptyText.isEmpty() ? defaultEmptyText() : emptyText);
        return;
    }
    const Scene s = computeScene(f, size);
    const bool oneD = f.dim == 1;
    paint::drawAxes(p, s.transform, s.font, oneD ? QStringLiteral("x") : QStringLiteral("x₁"),
                    oneD ? QStringLiteral("density") : QStringLiteral("x₂"));
    p.save();
    p.setClipRect(s.transform.pixels().adjusted(-1, -1, 1, 1));
    if (oneD)
        paint1d(p, f, s);
    else
        paint2d(p, f, s);
    drawNotes(p, f, s);
    p.restore();

    if (!f.caption.isEmpty()) {
        p.setFont(s.caption);
        p.setPen(palette::text());
        p.drawText(s.captionBaseline, f.caption);
    }
    if (s.legendBeside)
        paint::drawLegend(p, s.legendRect.topLeft(), s.small, s.legend);
    else
        paint::drawFlowLegend(p, s.legendRect, s.small, s.legend);
}

} // namespace

QString defaultStepDensityEmptyText()
{
    return defaultEmptyText();
}

void paintStepDensity(QPainter& p, const QSizeF& size, const StepDensityFrame& frame, const QString& emptyText)
{
    paintStep(p, size, frame, emptyText);
}

bool stepDensityDrawable(const StepDensityFrame& frame)
{
    return isDrawable(frame);
}

paint::PlotTransform stepDensityTransform(const StepDensityFrame& frame, const QSizeF& size)
{
    return computeScene(frame, size).transform;
}

} // namespace difflens::widgets
