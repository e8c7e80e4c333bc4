#pragma once
// Painting the image grid (columns of panels, rows of samples; long batches wrap into side-by-side groups).
// QtGui only: ImagePanelGrid paints with it on screen, the export jobs on any thread without a widget.
#include <QColor>
#include <QFont>
#include <QImage>
#include <QRectF>
#include <QStringList>
#include <QVector>

class QPainter;

namespace difflens::widgets {


struct GridContent
{
    QStringList titles;
    QVector<QColor> titleColors;
    QStringList subtitles;
    QStringList rowLabels;
    QVector<QVector<QImage>> cells;
    QString caption;
    QString placeholder;
};

// Scaled copies of the cells for one zoom factor, reused between paints while nothing changes.
struct ScaledCache
{
    int factor = 0;
    QVector<QVector<QImage>> images;
};

struct GridLayout
{
    bool empty = true;
    int rows = 0, cols = 0;
    int groups = 1; // long batches wrap into side-by-side groups of rows
    int rowsPerGroup = 0;
    int factor = 1; // device pixels per image pixel
    QSizeF image;   // largest image, in image pixels
    QSizeF cell;    // logical size of one drawn image
    double gapX = 0, gapY = 0, groupGap = 0, pad = 0;
    QFont caption, title, subtitle, rowLabel;
    QRectF captionRect;
    double titleTop = 0, subtitleTop = 0;
    double gridLeft = 0, gridTop = 0; // top-left of the first group, row labels included
    double rowLabelWidth = 0;
    QSizeF contentSize; // what the layout needs at this factor
    double groupWidth() const { return rowLabelWidth + cols * cell.width() + (cols - 1) * gapX; }
    double groupLeft(int group) const { return gridLeft + group * (groupWidth() + groupGap); }
    QRectF cellRect(int row, int col) const
    {
        const int group = rowsPerGroup > 0 ? row / rowsPerGroup : 0;
        const int r = rowsPerGroup > 0 ? row % rowsPerGroup : row;
        return {groupLeft(group) + rowLabelWidth + col * (cell.width() + gapX),
                gridTop + r * (cell.height() + gapY), cell.width(), cell.height()};
    }
};

/** The layout of `c` in `area` (logical pixels); forcedFactor > 0 fixes the zoom (device pixels per image pixel). */
GridLayout computeLayout(const GridContent& c, const QSizeF& area, qreal dpr, int forcedFactor = 0);
/** Paints `c` into `area`; `cache` (may be null) keeps scaled cells between paints. */
void paintGrid(QPainter& p, const QSizeF& area, const GridContent& c, qreal dpr, ScaledCache* cache);
/** The painting as an image (any thread). */
QImage renderImageGrid(const GridContent& c, const QSize& size, qreal devicePixelRatio = 1.0);

} // namespace difflens::widgets
