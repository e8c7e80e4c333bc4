#pragma once
// Painting a StepDensityFrame (the Exact q tab's zoomed step: the exact q(x_{t-1} | x_t) beside the model's and
// the posterior's Gaussians): QtGui only, shared by StepDensityView and its static render.
#include "widgets/paint_helpers.h"
#include "widgets/types.h"

#include <QSizeF>
#include <QString>

class QPainter;

namespace difflens::widgets {

/** 1-D: a curve taller than this many times the reference peak (the exact mixture's, else the lowest) is clipped
 *  at the top and labelled with its peak, so a near-delta posterior does not flatten what it is compared with. */
inline constexpr double kStepPeakClipFactor = 4.0;

QString defaultStepDensityEmptyText();
void paintStepDensity(QPainter& p, const QSizeF& size, const StepDensityFrame& frame, const QString& emptyText);
/** Whether the frame has something to draw (else the empty text is shown). */
bool stepDensityDrawable(const StepDensityFrame& frame);
/** Data <-> pixel mapping of the plot at `size`, as painted. */
paint::PlotTransform stepDensityTransform(const StepDensityFrame& frame, const QSizeF& size);

} // namespace difflens::widgets
