#pragma once
// QPainter building blocks shared by the hand-painted views (PointView, DensityTimeView, ImagePanelGrid):
// the same axes, ticks, markers and legend everywhere. Internal to widgets/.
#include <QColor>
#include <QFont>
#include <QImage>
#include <QPen>
#include <QPointF>
#include <QRectF>
#include <QString>
#include <QVector>

class QPainter;

namespace difflens::widgets::paint {

/** Round tick positions covering [lo, hi], about `approxCount` of them (steps 1, 2, 5 x 10^k). */
QVector<double> niceTicks(double lo, double hi, int approxCount);
/** A tick label with just enough decimals for the tick step. */
QString tickLabel(double value, double step);

/** A font whose pixel size follows the size of what is drawn, so labels stay readable on a projector. */
QFont scaledFont(double pixelSize, bool bold = false);
/** A readable base label size (logical px) for a drawing area of this size. */
double baseFontPixels(const QSizeF& area);

/** Linear map between a data rectangle (y up) and a pixel rectangle (y down). */
class PlotTransform
{
public:
    PlotTransform() = default;
    PlotTransform(const QRectF& view, const QRectF& pixels) : m_view(view), m_pixels(pixels) {}
    QPointF map(const QPointF& p) const;
    QPointF unmap(const QPointF& pixel) const;
    double mapX(double x) const;
    double mapY(double y) const;
    const QRectF& view() const { return m_view; }
    const QRectF& pixels() const { return m_pixels; }

private:
    QRectF m_view;   // data coordinates: left = xmin, top = ymin, width, height (y grows up when drawn)
    QRectF m_pixels; // widget coordinates
};

/** Space the axis decorations need around the plot rectangle for this font. */
struct AxisMargins
{
    double left, top, right, bottom;
};
AxisMargins axisMargins(const QFont& font, bool hasYLabel, bool hasXLabel);

/** Background, grid, frame, ticks, tick labels and axis titles around transform.pixels(). */
void drawAxes(QPainter& painter, const PlotTransform& transform, const QFont& font, const QString& xLabel,
              const QString& yLabel, bool grid = true);

/** An arrow from -> to with a filled head of `head` pixels (shorter for short arrows). */
void drawArrow(QPainter& painter, const QPointF& from, const QPointF& to, double head);
/**
 * A disc (filled and/or outlined, antialiased) painted once and then stamped at every position: a scatter of
 * hundreds of dots drawn with drawEllipse each went through a Bezier path and the rasteriser (a 500-point 2-D
 * frame took 20-30 ms to paint); a stamp is one small image blend. Positions keep quarter-pixel accuracy
 * (up to 16 copies shifted by quarter pixels, each painted when first used). Under a painter transform other
 * than a uniform scale and translation it draws the ellipse itself, so the picture is the same either way.
 */
class DotStamp
{
public:
    DotStamp() = default;
    DotStamp(double radius, const QColor& fill, const QPen& pen);
    /** The disc centred at `centre` (logical coordinates of the painter). */
    void draw(QPainter& painter, const QPointF& centre);

private:
    /** Copy k (shifted k % 4, k / 4 quarter pixels) at this device scale. */
    const QImage& image(double scale, int k);
    double m_radius = 0;
    QColor m_fill;
    QPen m_pen;
    double m_scale = 0; // the device scale the copies were rendered for
    int m_half = 0;     // device pixels from an image's corner to its disc's centre pixel
    QImage m_images[16];
};
/** The stamp for these parameters, kept between frames (per thread), so its copies are painted once. */
DotStamp& cachedDotStamp(double radius, const QColor& fill, const QPen& pen);

/** A five-pointed star (the reference x_0). */
void drawStar(QPainter& painter, const QPointF& center, double radius);
/** A diamond (the posterior mean mu~). */
void drawDiamond(QPainter& painter, const QPointF& center, double radius);
/** Text with a thin halo in the background colour, readable over dots and lines. */
void drawHaloText(QPainter& painter, const QPointF& baselineLeft, const QString& text, const QColor& color,
                  const QColor& halo);

struct LegendEntry
{
    enum Kind
    {
        Line,
        DashedLine,
        Dot,
        Star,
        Diamond,
        Bar,
        Arrow,
        Ring
    };
    QString text;
    QColor color;
    Kind kind = Line;
};
/** Size of the boxed legend drawLegend draws (one entry per row). */
QSizeF legendSize(const QFont& font, const QVector<LegendEntry>& entries);
/** A boxed legend with its top-left corner at `topLeft`; returns the box drawn. */
QRectF drawLegend(QPainter& painter, const QPointF& topLeft, const QFont& font,
                  const QVector<LegendEntry>& entries);
/** Height of a legend laid out in rows across `width` (entries side by side, wrapping). */
double flowLegendHeight(const QFont& font, const QVector<LegendEntry>& entries, double width);
/** That legend, without a box, inside `area` (left aligned). */
void drawFlowLegend(QPainter& painter, const QRectF& area, const QFont& font,
                    const QVector<LegendEntry>& entries);

/** The normal density N(x; mean, sd^2) (sd > 0). */
double normalPdf(double x, double mean, double sd);
/** Points of N(mean, sd^2) over [left, right]: `uniform` + 1 even points for the tails plus `central` points
 *  within 6 sd of the mean, so a narrow peak stays smooth. */
QVector<QPointF> normalCurve(double mean, double sd, double left, double right, int uniform = 240, int central = 241);

} // namespace difflens::widgets::paint
