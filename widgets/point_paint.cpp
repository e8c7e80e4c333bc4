#include "widgets/point_paint.h"

#include "widgets/paint_helpers.h"
#include "widgets/palette.h"

#include <QFontMetricsF>
#include <QPainter>
#include <QPainterPath>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace difflens::widgets {

namespace {

using paint::LegendEntry;
constexpr double kPi = 3.14159265358979323846;

struct Histogram
{
    double left = 0, binWidth = 1;
    QVector<double> density; // normalised so the bars integrate to 1 over all of x_t
};

struct Scene
{
    QFont font, small, caption;
    paint::PlotTransform transform;
    double pointRadius = 3;
    Histogram histogram; // 1-D
    Histogram paired;    // 1-D: a compared run's x_t over the same bins
    enum class LegendPlace
    {
        None,
        Side,
        Top
    } legendPlace = LegendPlace::None;
    QRectF legendRect;
    QVector<LegendEntry> legend;
};

Histogram histogramOf(const QVector<QPointF>& xt, double left, double right, int bins)
{
    Histogram h;
    bins = std::max(1, bins);
    h.left = left;
    h.binWidth = (right - left) / bins;
    h.density = QVector<double>(bins, 0.0);
    if (xt.isEmpty() || !(h.binWidth > 0)) return h;
    for (const QPointF& p : xt) {
        const int b = static_cast<int>(std::floor((p.x() - left) / h.binWidth));
        if (b >= 0 && b < bins) h.density[b] += 1.0;
    }
    for (double& d : h.density)
        d /= xt.size() * h.binWidth;
    return h;
}

double maxOf(const QVector<double>& v)
{
    double m = 0;
    for (double x : v)
        if (std::isfinite(x)) m = std::max(m, x);
    return m;
}

bool isValidIndex(int i, int n)
{
    return i >= 0 && i < n;
}

bool hasField(const PointFrame& f, const PointPaintOptions& o)
{
    return o.showField && !f.fieldOrigins.isEmpty() && f.fieldOrigins.size() == f.fieldVectors.size();
}

// The exact score at the same origins, drawn over the model's field (palette::exact(), dashed).
bool hasExactField(const PointFrame& f, const PointPaintOptions& o)
{
    return o.showField && !f.fieldOrigins.isEmpty() && f.fieldOrigins.size() == f.exactFieldVectors.size();
}

bool hasDensity(const PointFrame& f)
{
    return f.densityX.size() == f.densityY.size() && f.densityX.size() > 1;
}

QColor curveColor(const Curve& c, int index)
{
    return c.color.isValid() ? c.color : palette::cycle(index);
}

// The legend lists exactly what the painters below draw, in drawing order.
QVector<LegendEntry> legendEntries(const PointFrame& f, const PointPaintOptions& o)
{
    QVector<LegendEntry> e;
    const int n = f.xt.size();
    if (f.dim == 1) {
        if (hasDensity(f))
            e.push_back({f.densityName.isEmpty() ? QStringLiteral("data density") : f.densityName,
                         palette::data(), LegendEntry::Bar});
        if (n > 0)
            e.push_back({QStringLiteral("histogram of %1 (%2)").arg(f.xtName.isEmpty() ? QStringLiteral("xₜ") : f.xtName).arg(n),
                         palette::xt(), LegendEntry::Bar});
        if (!f.paired.isEmpty())
            e.push_back({QStringLiteral("histogram of %1").arg(f.pairedName), palette::pairedRun(), LegendEntry::Line});
        if (!f.data.isEmpty())
            e.push_back({QStringLiteral("data points"), palette::data().darker(140), LegendEntry::Line});
        int colorIndex = 0;
        for (const Curve& c : f.curves) {
            if (c.points.size() < 2) continue;
            e.push_back({c.name, curveColor(c, colorIndex++),
                         c.dashed ? LegendEntry::DashedLine : LegendEntry::Line});
        }
        if (f.hasReference)
            e.push_back({QStringLiteral("x₀ (reference)"), palette::reference(), LegendEntry::Star});
        return e;
    }
    if (hasField(f, o))
        e.push_back({f.fieldName.isEmpty() ? QStringLiteral("field") : f.fieldName, palette::field(),
                     LegendEntry::Arrow});
    if (hasExactField(f, o))
        e.push_back({f.exactFieldName.isEmpty() ? QStringLiteral("exact score") : f.exactFieldName,
                     palette::exact(), LegendEntry::Arrow});
    if (!f.data.isEmpty())
        e.push_back({f.weights.size() == f.data.size() ? QStringLiteral("data (green: weight wᵢ)")
                                                       : QStringLiteral("data"),
                     palette::data(), LegendEntry::Dot});
    if (o.showTrajectories && std::any_of(f.trajectories.begin(), f.trajectories.end(),
                                          [](const QVector<QPointF>& t) { return t.size() > 1; }))
        e.push_back({QStringLiteral("trajectories"), palette::xt(), LegendEntry::Line});
    if (o.showPredictions && n > 0 && f.x0Pred.size() == n)
        e.push_back({QStringLiteral("model's guess of x₀"), palette::model(), LegendEntry::Ring});
    if (o.showArrows && n > 0 && f.meanModel.size() == n)
        e.push_back({QStringLiteral("xₜ → μ_θ (model step)"), palette::model(), LegendEntry::Arrow});
    if (n > 0) e.push_back({f.xtName.isEmpty() ? QStringLiteral("xₜ") : f.xtName, palette::xt(), LegendEntry::Dot});
    if (f.paired.size() == n && n > 0) {
        e.push_back({f.pairedName, palette::pairedRun(), LegendEntry::Dot});
        e.push_back({QStringLiteral("twins (one x_T)"), palette::difference(), LegendEntry::Line});
    }
    if (f.hasReference) {
        e.push_back({QStringLiteral("x₀ (reference)"), palette::reference(), LegendEntry::Star});
        e.push_back({f.referenceIsSource ? QStringLiteral("μ̃ (true step)") : QStringLiteral("μ̃ (toward x₀)"),
                     palette::posterior(), LegendEntry::Diamond});
        if (isValidIndex(f.selected, n) && f.meanModel.size() == n)
            e.push_back({QStringLiteral("μ_θ − μ̃ (gap)"), palette::difference(), LegendEntry::Line});
    }
    return e;
}

Scene computeScene(const PointFrame& f, const QRectF& view, const PointPaintOptions& o, const QSizeF& size)
{
    Scene s;
    const double fontPx = paint::baseFontPixels(size);
    s.font = paint::scaledFont(fontPx);
    s.small = paint::scaledFont(std::max(10.0, fontPx * 0.85));
    s.caption = paint::scaledFont(fontPx * 1.1, true);
    if (o.showLegend) s.legend = legendEntries(f, o);
    const paint::AxisMargins m = paint::axisMargins(s.font, true, true);
    const double captionHeight = f.caption.isEmpty() ? 0.0 : QFontMetricsF(s.caption).height() * 1.3;
    QRectF plot(m.left, m.top + captionHeight, size.width() - m.left - m.right,
                size.height() - m.top - captionHeight - m.bottom);

    // Legend beside a square 2-D plot when the widget is wide enough, else in rows above the plot.
    const QSizeF side = paint::legendSize(s.small, s.legend);
    const double gap = QFontMetricsF(s.small).height() * 0.8;
    if (!s.legend.isEmpty()) {
        const double squareAlone = std::min(plot.width(), plot.height());
        const double squareBeside = std::min(plot.width() - side.width() - gap, plot.height());
        if (f.dim == 2 && squareBeside >= 0.9 * squareAlone && side.height() <= plot.height()) {
            s.legendPlace = Scene::LegendPlace::Side;
            plot.setWidth(plot.width() - side.width() - gap);
        } else {
            s.legendPlace = Scene::LegendPlace::Top;
            const double h = paint::flowLegendHeight(s.small, s.legend, plot.width());
            s.legendRect = QRectF(plot.left(), plot.top(), plot.width(), h);
            plot.setTop(plot.top() + h + gap);
        }
    }
    plot.setWidth(std::max(10.0, plot.width()));
    plot.setHeight(std::max(10.0, plot.height()));

    if (f.dim == 1) {
        s.histogram = histogramOf(f.xt, view.left(), view.right(), o.histogramBins);
        if (!f.paired.isEmpty()) s.paired = histogramOf(f.paired, view.left(), view.right(), o.histogramBins);
        double yMax = o.densityMax;
        if (!(yMax > 0)) {
            const double base =
                std::max({maxOf(s.histogram.density), maxOf(s.paired.density), maxOf(f.densityY)});
            double curves = 0;
            for (const Curve& c : f.curves)
                for (const QPointF& p : c.points)
                    if (std::isfinite(p.y())) curves = std::max(curves, p.y());
            // A very narrow posterior would flatten everything else: cap its peak at 4x the histogram.
            yMax = base > 0 ? std::max(base, std::min(curves, 4.0 * base)) : curves;
            if (!(yMax > 0)) yMax = 1.0;
            yMax *= 1.1;
        }
        s.transform = paint::PlotTransform(QRectF(view.left(), 0.0, view.width(), yMax), plot);
    } else {
        // Equal scale on both axes so distances and arrow directions are honest. The view grows along the
        // plot's longer side around the same centre, so the plot fills the widget (a projector's screen is
        // much wider than tall) instead of leaving a square at the left and empty space beside it.
        const double scale = std::min(plot.width() / view.width(), plot.height() / view.height());
        const double extraX = plot.width() / scale - view.width(), extraY = plot.height() / scale - view.height();
        s.transform = paint::PlotTransform(view.adjusted(-extraX / 2, -extraY / 2, extraX / 2, extraY / 2), plot);
        if (s.legendPlace == Scene::LegendPlace::Side)
            s.legendRect = QRectF(QPointF(plot.right() + gap, plot.top()), side);
    }
    s.pointRadius =
        std::clamp(std::min(s.transform.pixels().width(), s.transform.pixels().height()) / 150.0, 1.6, 5.0);
    return s;
}

QColor mix(const QColor& a, const QColor& b, double t)
{
    t = std::clamp(t, 0.0, 1.0);
    return QColor::fromRgbF(static_cast<float>(a.redF() + (b.redF() - a.redF()) * t),
                            static_cast<float>(a.greenF() + (b.greenF() - a.greenF()) * t),
                            static_cast<float>(a.blueF() + (b.blueF() - a.blueF()) * t));
}

// A label of the selected sample's markers (x_t, mu_theta, mu~, x_0).
struct MarkerLabel
{
    QPointF anchor;   // the marker it names
    QPointF awayFrom; // its nearest partner: the label prefers the side facing away from it
    QString text;
    QColor color;
    double clearance; // pixels between the marker's centre and the label
    QRectF box;       // where it is drawn (filled by placeLabels)
};

// Places each label beside its marker, trying directions around the preferred one (away from its partner)
// and then farther out, so that no label overlaps another label or covers a marker, inside `bounds` when it
// can. At small t the four markers coincide: the labels then fan out around them.
void placeLabels(QVector<MarkerLabel>& labels, const QFont& font, const QRectF& bounds, double markerRadius)
{
    const QFontMetricsF fm(font);
    QVector<QRectF> taken;
    for (const MarkerLabel& l : labels)
        taken.push_back(QRectF(l.anchor - QPointF(markerRadius, markerRadius), QSizeF(2, 2) * markerRadius));
    const auto freeAt = [&](const QRectF& box) {
        if (!bounds.contains(box)) return false;
        return std::none_of(taken.begin(), taken.end(), [&](const QRectF& t) { return t.intersects(box); });
    };
    for (MarkerLabel& l : labels) {
        const QSizeF size(fm.horizontalAdvance(l.text) + 2, fm.height());
        QPointF d = l.anchor - l.awayFrom;
        const double length = std::hypot(d.x(), d.y());
        d = length > 1e-6 ? d / length : QPointF(0.7071, -0.7071);
        const double start = std::atan2(d.y(), d.x());
        const auto boxAt = [&](double angle, double distance) {
            const QPointF u(std::cos(angle), std::sin(angle));
            const QPointF centre =
                l.anchor + u * (distance + 0.5 * std::hypot(size.width() * u.x(), size.height() * u.y()));
            return QRectF(centre - QPointF(size.width() / 2, size.height() / 2), size);
        };
        l.box = boxAt(start, l.clearance); // the fallback when every place is taken
        bool placed = false;
        for (int ring = 0; ring < 6 && !placed; ++ring)
            for (int k = 0; k < 16 && !placed; ++k) {
                // 0, +22.5, -22.5, +45, ... degrees from the preferred direction.
                const double angle = start + ((k + 1) / 2) * (k % 2 ? 1.0 : -1.0) * kPi / 8;
                const QRectF box = boxAt(angle, l.clearance + ring * 0.6 * size.height());
                if (freeAt(box)) {
                    l.box = box;
                    placed = true;
                }
            }
        taken.push_back(l.box.adjusted(-1, -1, 1, 1));
    }
}

// The selected sample's markers in pixels: x_t, its mu_theta, and (with a reference) x_0 and mu~.
struct SelectedMarks
{
    bool hasSelected = false, hasModel = false;
    QPointF x, model, ref, mu;
};

SelectedMarks selectedMarks(const PointFrame& f, const paint::PlotTransform& T)
{
    const int n = f.xt.size();
    SelectedMarks m;
    m.hasSelected = isValidIndex(f.selected, n);
    m.hasModel = m.hasSelected && f.meanModel.size() == n;
    if (m.hasSelected) m.x = T.map(f.xt[f.selected]);
    if (m.hasModel) m.model = T.map(f.meanModel[f.selected]);
    m.ref = T.map(f.reference);
    m.mu = T.map(f.posteriorMean);
    return m;
}

// The labels paint2d draws for frame f (boxes placed).
QVector<MarkerLabel> markerLabels(const PointFrame& f, const Scene& s)
{
    const paint::PlotTransform& T = s.transform;
    const double r = s.pointRadius;
    const auto [hasSelected, hasModel, x, model, ref, mu] = selectedMarks(f, T);
    const double clearance = r * 2.6;
    QVector<MarkerLabel> labels;
    // The reference first: its star is the largest marker.
    if (f.hasReference) labels.push_back({ref, mu, QStringLiteral("x₀"), palette::reference(), r * 3.6, {}});
    if (f.hasReference)
        labels.push_back({mu, hasModel ? model : (hasSelected ? x : mu + QPointF(-1, 1)), QStringLiteral("μ̃"),
                          palette::posterior(), clearance, {}});
    if (hasModel)
        labels.push_back({model, f.hasReference ? mu : x, QStringLiteral("μ_θ"), palette::model(), clearance, {}});
    if (hasSelected)
        labels.push_back({x, f.hasReference ? mu : (hasModel ? model : x + QPointF(-1, 1)), QStringLiteral("xₜ"),
                          palette::xt(), clearance, {}});
    placeLabels(labels, s.small, T.pixels(), r * 2.4);
    return labels;
}

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
        for (int i : order) {
            const double w = weighted ? std::clamp(f.weights[i], 0.0, 1.0) : 0.0;
            p.setBrush(weighted ? mix(palette::data(), palette::reference(), std::sqrt(w))
                                : palette::withAlpha(palette::data(), 0.8));
            const double radius = r * (0.75 + 1.3 * std::sqrt(w));
            p.drawEllipse(T.map(f.data[i]), radius, radius);
        }
    }

    // Trajectories fade from old (faint) to recent (strong).
    if (o.showTrajectories) {
        // A few alpha bands drawn as polylines: one pen per band instead of one per segment (scrub speed).
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
                p.setPen(QPen(palette::withAlpha(palette::xt(), 0.12 + 0.6 * age), 1.4, Qt::SolidLine, Qt::RoundCap,
                              Qt::RoundJoin));
                p.drawPolyline(mapped.constData() + from, to - from + 1);
            }
        }
    }

    // Model: x0^ and the step x_t -> mu_theta (thinned to at most maxArrows).
    const int n = f.xt.size();
    const int maxArrows = std::max(1, o.maxArrows);
    const int stride = std::max(1, (n + maxArrows - 1) / maxArrows);
    if (o.showPredictions && f.x0Pred.size() == n && n > 0) {
        p.setPen(QPen(palette::withAlpha(palette::model(), 0.8), 1.0));
        p.setBrush(Qt::NoBrush);
        for (int i = 0; i < n; i += stride)
            p.drawEllipse(T.map(f.x0Pred[i]), r * 0.9, r * 0.9);
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
        p.setPen(QPen(palette::background(), 0.6));
        p.setBrush(palette::xt());
        for (const QPointF& x : f.xt)
            p.drawEllipse(T.map(x), r, r);
    }
    if (f.paired.size() == n && n > 0) {
        p.setPen(QPen(palette::background(), 0.6));
        p.setBrush(palette::pairedRun());
        for (const QPointF& x : f.paired)
            p.drawEllipse(T.map(x), r, r);
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
