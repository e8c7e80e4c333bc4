#pragma once
// Painting a PointFrame (1-D / 2-D point models): data, the batch x_t, the model's step x_t -> mu_theta,
// trajectories, the reference x_0 and mu~, a score field; in 1-D a histogram of x_t under named densities.
// QtGui only: PointView paints with it on screen, the export jobs on any thread without a widget.
#include "widgets/paint_helpers.h"
#include "widgets/types.h"

#include <QImage>
#include <QRectF>
#include <QSizeF>

class QPainter;

namespace difflens::widgets {

/** What to draw besides the points; all on by default. */
struct PointPaintOptions
{
    bool showField = true;
    bool showArrows = true;       ///< x_t -> mu_theta (2-D)
    bool showPredictions = true;  ///< x0^ (2-D)
    bool showTrajectories = true; ///< 2-D
    bool showLegend = true;
    int maxArrows = 300;     ///< above this, every k-th arrow only
    int histogramBins = 60;  ///< 1-D histogram of x_t over the x range
    double densityMax = 0.0; ///< 1-D y range; 0: automatic
};

/** Paints `frame` over `view` (data coordinates) into a `size` area of `p`. */
void paintPointFrame(QPainter& p, const QSizeF& size, const PointFrame& frame, const QRectF& view,
                     const PointPaintOptions& options);
/** Data <-> pixel mapping of the plot at `size` (the same layout as painted). */
paint::PlotTransform pointTransform(const PointFrame& frame, const QRectF& view, const PointPaintOptions& options,
                                    const QSizeF& size);
/** Where the 2-D labels of the selected sample's markers (x_t, mu_theta, mu~, x_0) go at `size`. */
QVector<QRectF> pointLabelRects(const PointFrame& frame, const QRectF& view, const PointPaintOptions& options,
                                const QSizeF& size);
/** The painting as an image (any thread). */
QImage renderPointFrame(const PointFrame& frame, const QRectF& view, const PointPaintOptions& options, const QSize& size,
                        qreal devicePixelRatio = 1.0);

} // namespace difflens::widgets
