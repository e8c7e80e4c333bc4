#pragma once
// Plain values that cross from the torch side (worker thread, frame builder) to the views.
#include "widgets/types.h"

#include <QColor>
#include <QImage>
#include <QPointF>
#include <QStringList>
#include <QVector>

#include <limits>

namespace difflens::gui {

/** What ImagePanelGrid shows for one step. */
struct ImageGridFrame
{
    QStringList titles;
    QVector<QColor> colors;
    QStringList subtitles;
    QVector<QVector<QImage>> cells; ///< rows x columns
    QStringList rowLabels;
    QString caption;

    int columnCount() const { return titles.size(); }
    int rowCount() const { return cells.size(); }
};

/** The scalars of one recorded step, computed on the worker as the step is recorded. */
struct StepSummary
{
    long t = 0;                                               ///< 1..T (papers' indexing)
    double meanKl = std::numeric_limits<double>::quiet_NaN(); ///< mean over the batch of L_{t-1}, nats
    double meanGap =
        std::numeric_limits<double>::quiet_NaN(); ///< mean over the batch of rms |mu_theta - mu~|
    double seconds = 0;                           ///< wall time of the step (model call included)
    QVector<QPointF> tracked;  ///< points models: x_t of the first few samples (their trajectories)
    QVector<double> histogram; ///< 1-D models: histogram of x_t over the view range (kHistogramBins)
};

/** Histogram resolution of 1-D runs over the (t, x) density view. */
inline constexpr int kHistogramBins = 120;
/** Samples whose paths are drawn. */
inline constexpr int kTrackedSamples = 5;

/** Everything the views show at one step of a run (or one t of the forward process). */
struct Frame
{
    int step = -1;
    long t = 0; ///< 1..T; 0 for x_0 itself (forward mode)
    bool isImage = false;
    ImageGridFrame grid;          ///< images
    widgets::PointFrame points;   ///< points
    widgets::StepNumbers numbers; ///< for the explanation panel
    /** The exact reverse process at this step for sample #1 (Exact q tab): points ... */
    widgets::StepDensityFrame exactStep;
    /** ... or images: sample #1, x0^, E[x_0|x_t] and the training images with the largest weights w_i. */
    widgets::GalleryFrame gallery;
    bool isValid() const { return step >= 0; }
};

} // namespace difflens::gui
