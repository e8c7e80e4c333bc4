#pragma once
// Synthetic values for the widgets demo: a linear schedule, a 2-D / 1-D Gaussian mixture noised by the
// forward process, and small images. Only what the demo needs to look like a real run; not the app's math.
#include "widgets/types.h"

#include <QImage>
#include <QVector>

#include <random>

namespace difflens::widgets::demo {

ScheduleSeries linearSchedule(int T, double betaStart = 1e-4, double betaEnd = 0.02);
ScheduleSeries cosineSchedule(int T);

/** A 2-D (dim 2) or 1-D (dim 1) frame at timestep t of a T-step linear schedule. */
PointFrame mixtureFrame(int dim, int t, const ScheduleSeries& schedule, std::mt19937& rng);

/**
 * One strided reverse step t -> tPrev of one sample of a `dim`-D training set (points drawn from the demo
 * mixture): the exact q(x_tPrev | x_t) over that set, the posterior for the sample's x_0, a slightly wrong
 * model. `seed` picks the training set and the sample.
 */
StepDensityFrame stepDensityFrame(int dim, const ScheduleSeries& schedule, int t, int tPrev, unsigned seed);

/** A gallery: E[x_0 | x_t] and a model's x0^ pinned, then the heaviest "training images" with weights. */
GalleryFrame galleryFrame(int neighbours);

/** A made-up bound: per-term bits decaying with t, L_0 about `decoderBits`. */
VlbSeries vlbSeries(const QString& name, int T, double scale, double decoderBits, const QColor& color);

/** 1-D q(x_t) of a mixture on a (t, x) grid, t-major. */
QVector<double> mixtureDensity(const ScheduleSeries& schedule, int bins, double xmin, double xmax);

/** A 28 x 28 "digit-like" ring, its noised version and friends as ImageData in [-1, 1]. */
ImageData ringImage(int size, double phase);
ImageData noised(const ImageData& x0, double alphaBar, std::mt19937& rng);
ImageData difference(const ImageData& a, const ImageData& b);

} // namespace difflens::widgets::demo
