// PointView's scene: the plot area and its transform, the legend (exactly what the painters draw), the 1-D
// histograms, and where the selected sample's marker labels go so that none overlaps.
#include "widgets/point_paint_scene.h"

#include "widgets/palette.h"

#include <QFontMetricsF>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace difflens::widgets::pointpaint {



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

} // namespace difflens::widgets::pointpaint
