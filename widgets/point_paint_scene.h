#pragma once
// PointView's painting, private parts shared by point_paint.cpp (the painters) and point_paint_layout.cpp (the
// scene: plot area, legend, histogram, where the marker labels go). Included only by those two files.
#include "widgets/point_paint.h"

#include <QColor>
#include <QFont>
#include <QVector>

namespace difflens::widgets::pointpaint {

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

// The selected sample's markers in pixels: x_t, its mu_theta, and (with a reference) x_0 and mu~.
struct SelectedMarks
{
    bool hasSelected = false, hasModel = false;
    QPointF x, model, ref, mu;
};

Histogram histogramOf(const QVector<QPointF>& xt, double left, double right, int bins);
double maxOf(const QVector<double>& v);
bool isValidIndex(int i, int n);
bool hasField(const PointFrame& f, const PointPaintOptions& o);
bool hasExactField(const PointFrame& f, const PointPaintOptions& o);
bool hasDensity(const PointFrame& f);
QColor curveColor(const Curve& c, int index);
QVector<LegendEntry> legendEntries(const PointFrame& f, const PointPaintOptions& o);
Scene computeScene(const PointFrame& f, const QRectF& view, const PointPaintOptions& o, const QSizeF& size);
QColor mix(const QColor& a, const QColor& b, double t);
void placeLabels(QVector<MarkerLabel>& labels, const QFont& font, const QRectF& bounds, double markerRadius);
SelectedMarks selectedMarks(const PointFrame& f, const paint::PlotTransform& T);
QVector<MarkerLabel> markerLabels(const PointFrame& f, const Scene& s);

} // namespace difflens::widgets::pointpaint
