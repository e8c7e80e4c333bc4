#pragma once
// Turning plain float images into QImages: grey/RGB display, perceptual heat maps, pixel-exact scaling.
#include "widgets/types.h"

#include <QImage>
#include <QVector>

namespace difflens::widgets {

/** Perceptually uniform colour maps (monotone lightness, readable in greyscale print and by colour-blind
 * viewers). */
enum class Colormap
{
    Viridis, ///< dark blue -> green -> yellow; densities
    Magma    ///< black -> purple -> orange -> pale yellow; magnitudes of differences (0 is black)
};

/**
 * The 256-entry table of a colour map. Built once from the map's published anchor colours, interpolated in
 * Oklab so lightness steps stay even between anchors.
 */
const QVector<QRgb>& colormapTable(Colormap map);
/** The colour at u in [0, 1] (clamped; NaN gives mid grey). */
QRgb colormapColor(Colormap map, double u);

/**
 * An ImageData as a displayable image (Format_RGB32). 1 channel: grey; 3 or 4 channels: RGB from the first
 * three; 2 channels: channel 0 as grey. Values map low -> 0, high -> 255, clamped. NaN shows as magenta so
 * a broken model is visible rather than black. An invalid ImageData gives a null QImage.
 */
QImage toImage(const ImageData& image);

/**
 * |values| / vmax through a colour map (Format_RGB32). Several channels are combined by root-mean-square,
 * so an RGB difference image gives one magnitude per pixel. vmax <= 0 or NaN: the image's own maximum.
 */
QImage heatMap(const ImageData& image, double vmax, Colormap map = Colormap::Magma);

/** Each pixel repeated factor x factor times, no interpolation. factor < 1 is treated as 1. */
QImage scaledNearest(const QImage& image, int factor);

/** A colour bar: low at the bottom (vertical) or left (horizontal). */
QImage colorbar(Colormap map, int width, int height, Qt::Orientation orientation = Qt::Vertical);

/**
 * Back from a QImage to floats (e.g. a reference image file). channels 1 takes the grey level, 3 takes RGB;
 * the image is not resized. 0 -> low, 255 -> high.
 */
ImageData toImageData(const QImage& image, int channels, double low = -1.0, double high = 1.0);

} // namespace difflens::widgets
