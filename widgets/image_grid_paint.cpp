#include "widgets/image_grid_paint.h"

#include "widgets/image_utils.h"
#include "widgets/paint_helpers.h"
#include "widgets/palette.h"

#include <QFontMetricsF>
#include <QPainter>

#include <algorithm>
#include <cmath>

namespace difflens::widgets {

namespace {

double alignToDevice(double v, qreal dpr)
{
    return std::round(v * dpr) / dpr;
}

bool hasSubtitles(const GridContent& c)
{
    return std::any_of(c.subtitles.begin(), c.subtitles.end(), [](const QString& s) { return !s.isEmpty(); });
}

// The geometry for one label size and one number of row groups. forcedFactor > 0 fixes the zoom.
GridLayout layoutWith(const GridContent& c, const QSizeF& area, qreal dpr, double fontPx, int groups,
                      int forcedFactor)
{
    GridLayout L;
    L.rows = c.cells.size();
    L.cols = c.titles.size();
    for (const auto& row : c.cells) {
        L.cols = std::max(L.cols, static_cast<int>(row.size()));
        for (const QImage& img : row)
            if (!img.isNull()) L.image = L.image.expandedTo(QSizeF(img.width(), img.height()));
    }
    L.empty = L.rows == 0 || L.cols == 0 || L.image.isEmpty();
    L.cols = std::max(1, L.cols);
    L.groups = std::clamp(groups, 1, std::max(1, L.rows));
    L.rowsPerGroup = std::max(1, (L.rows + L.groups - 1) / L.groups);
    const double cols = L.cols;
    const double rows = L.rowsPerGroup;

    L.caption = paint::scaledFont(fontPx * 1.15, true);
    L.title = paint::scaledFont(fontPx, true);
    L.subtitle = paint::scaledFont(std::max(9.0, fontPx * 0.78));
    L.rowLabel = paint::scaledFont(std::max(9.0, fontPx * 0.8));
    L.pad = alignToDevice(std::round(fontPx * 0.6), dpr);
    L.gapX = alignToDevice(std::round(std::max(4.0, fontPx * 0.6)), dpr);
    L.gapY = alignToDevice(std::round(std::max(3.0, fontPx * 0.3)), dpr);
    L.groupGap = alignToDevice(std::round(std::max(8.0, fontPx * 1.5)), dpr);

    const QFontMetricsF captionFm(L.caption), titleFm(L.title), subFm(L.subtitle), rowFm(L.rowLabel);
    double header = 0;
    if (!c.caption.isEmpty()) header += captionFm.height() * 1.35;
    header += titleFm.height() * 1.1;
    if (hasSubtitles(c)) header += subFm.height() * 1.05;
    header += L.gapY * 1.5;

    for (const QString& s : c.rowLabels)
        L.rowLabelWidth = std::max(L.rowLabelWidth, rowFm.horizontalAdvance(s));
    if (L.rowLabelWidth > 0) L.rowLabelWidth = alignToDevice(L.rowLabelWidth + L.gapX, dpr);

    const double g = L.groups;
    if (forcedFactor > 0) {
        L.factor = forcedFactor;
    } else if (!L.empty) {
        const double availW =
            area.width() - 2 * L.pad - g * (L.rowLabelWidth + (cols - 1) * L.gapX) - (g - 1) * L.groupGap;
        const double availH = area.height() - 2 * L.pad - header - (rows - 1) * L.gapY;
        const int fx = static_cast<int>(std::floor(availW * dpr / (g * cols * L.image.width())));
        const int fy = static_cast<int>(std::floor(availH * dpr / (rows * L.image.height())));
        L.factor = std::max(1, std::min(fx, fy));
    }
    L.cell = L.empty ? QSizeF(64, 64)
                     : QSizeF(L.image.width() * L.factor / dpr, L.image.height() * L.factor / dpr);

    const double gridWidth = g * L.groupWidth() + (g - 1) * L.groupGap;
    const double gridHeight = rows * L.cell.height() + (rows - 1) * L.gapY;
    L.contentSize = QSizeF(gridWidth + 2 * L.pad, gridHeight + header + 2 * L.pad);

    // Centre the block (header + grid) in the area.
    const double left = std::max(L.pad, (area.width() - gridWidth) / 2);
    const double top = std::max(L.pad, (area.height() - gridHeight - header) / 2);
    double y = top;
    if (!c.caption.isEmpty()) {
        L.captionRect = QRectF(L.pad, y, std::max(0.0, area.width() - 2 * L.pad), captionFm.height());
        y += captionFm.height() * 1.35;
    }
    L.titleTop = y;
    y += titleFm.height() * 1.1;
    L.subtitleTop = y;
    if (hasSubtitles(c)) y += subFm.height() * 1.05;
    y += L.gapY * 1.5;
    L.gridLeft = alignToDevice(left, dpr);
    L.gridTop = alignToDevice(y, dpr);
    return L;
}

// The whole geometry for a drawing area: the number of row groups and the largest integer zoom that fit
// (never below 1), then labels sized to the columns they head so they scale with the images.
QFont fittingFont(QFont font, const QStringList& texts, double width)
{
    auto widest = [&](const QFont& f) {
        double w = 0;
        for (const QString& t : texts)
            w = std::max(w, QFontMetricsF(f).horizontalAdvance(t));
        return w;
    };
    while (font.pixelSize() > 9 && widest(font) > width)
        font.setPixelSize(font.pixelSize() - 1);
    return font;
}

} // namespace

GridLayout computeLayout(const GridContent& c, const QSizeF& area, qreal dpr, int forcedFactor)
{
    if (forcedFactor > 0) return layoutWith(c, area, dpr, 11.0, 1, forcedFactor);
    const double areaFont = std::clamp(area.height() / 22.0, 11.0, 28.0);
    const int rows = c.cells.size();
    GridLayout best;
    for (int groups = 1; groups <= std::clamp(rows, 1, 8); ++groups) {
        const GridLayout first = layoutWith(c, area, dpr, areaFont, groups, 0);
        const double fontPx =
            std::clamp(std::min(areaFont, (first.cell.width() + first.gapX) / 6.5), 10.0, 28.0);
        GridLayout candidate = layoutWith(c, area, dpr, fontPx, groups, 0);
        if (candidate.factor < first.factor) candidate = first;
        const bool fits = candidate.contentSize.width() <= area.width() + 0.5 &&
                          candidate.contentSize.height() <= area.height() + 0.5;
        // More groups only when they buy a larger zoom and still fit.
        if (groups == 1 || (fits && candidate.factor > best.factor)) best = candidate;
    }
    return best;
}

// One title font for every column: the largest, down to 9 px, in which every title fits its column.
void paintGrid(QPainter& p, const QSizeF& area, const GridContent& c, qreal dpr, ScaledCache* cache)
{
    p.fillRect(QRectF(QPointF(0, 0), area), palette::background());
    const GridLayout L = computeLayout(c, area, dpr);
    p.setRenderHint(QPainter::SmoothPixmapTransform, false);
    p.setRenderHint(QPainter::TextAntialiasing, true);

    if (!c.caption.isEmpty()) {
        p.setFont(fittingFont(L.caption, {c.caption}, L.captionRect.width()));
        p.setPen(palette::text());
        p.drawText(L.captionRect, Qt::AlignHCenter | Qt::AlignVCenter,
                   QFontMetricsF(p.font()).elidedText(c.caption, Qt::ElideRight, L.captionRect.width()));
    }
    if (L.empty) {
        p.setFont(L.title);
        p.setPen(palette::mutedText());
        const QString text = c.placeholder.isEmpty() ? QStringLiteral("No images yet") : c.placeholder;
        p.drawText(QRectF(QPointF(0, 0), area), Qt::AlignCenter | Qt::TextWordWrap, text);
        return;
    }

    // Column titles (and subtitles) over every group, centred on their column, one font for all.
    const double pitch = L.cell.width() + L.gapX * 0.8;
    const QFont titleFont = fittingFont(L.title, c.titles, pitch);
    const QFont subFont = fittingFont(L.subtitle, c.subtitles, pitch);
    const QFontMetricsF titleFm(titleFont), subFm(subFont);
    const int usedGroups = (L.rows + L.rowsPerGroup - 1) / L.rowsPerGroup;
    for (int group = 0; group < usedGroups; ++group) {
        for (int col = 0; col < c.titles.size() && col < L.cols; ++col) {
            const QRectF cell = L.cellRect(group * L.rowsPerGroup, col);
            const QColor color = col < c.titleColors.size() && c.titleColors[col].isValid()
                                     ? c.titleColors[col]
                                     : palette::text();
            p.setFont(titleFont);
            p.setPen(color);
            const QRectF titleRect(cell.center().x() - pitch / 2, L.titleTop, pitch, titleFm.height());
            p.drawText(titleRect, Qt::AlignHCenter | Qt::AlignBottom,
                       titleFm.elidedText(c.titles[col], Qt::ElideRight, pitch));
            if (col < c.subtitles.size() && !c.subtitles[col].isEmpty()) {
                p.setFont(subFont);
                p.setPen(palette::mutedText());
                p.drawText(QRectF(titleRect.left(), L.subtitleTop, pitch, subFm.height()),
                           Qt::AlignHCenter | Qt::AlignTop,
                           subFm.elidedText(c.subtitles[col], Qt::ElideRight, pitch));
            }
        }
    }

    if (cache && cache->factor != L.factor) {
        cache->factor = L.factor;
        cache->images.clear();
    }
    if (cache && cache->images.size() != c.cells.size())
        cache->images = QVector<QVector<QImage>>(c.cells.size());

    for (int row = 0; row < c.cells.size(); ++row) {
        if (row < c.rowLabels.size()) {
            const QRectF first = L.cellRect(row, 0);
            p.setFont(L.rowLabel);
            p.setPen(palette::mutedText());
            p.drawText(QRectF(first.left() - L.rowLabelWidth, first.top(), L.rowLabelWidth - L.gapX * 0.5,
                              first.height()),
                       Qt::AlignRight | Qt::AlignVCenter, c.rowLabels[row]);
        }
        const QVector<QImage>& cells = c.cells[row];
        for (int col = 0; col < cells.size(); ++col) {
            const QRectF r = L.cellRect(row, col);
            const QImage& img = cells[col];
            if (img.isNull()) {
                p.fillRect(r, palette::plotBackground());
                p.setPen(QPen(palette::frame(), 1.0, Qt::DotLine));
                p.drawRect(r.adjusted(0.5, 0.5, -0.5, -0.5));
                continue;
            }
            QImage scaled;
            if (cache) {
                QVector<QImage>& rowCache = cache->images[row];
                if (rowCache.size() != cells.size()) rowCache = QVector<QImage>(cells.size());
                if (rowCache[col].isNull()) rowCache[col] = scaledNearest(img, L.factor);
                scaled = rowCache[col];
            } else {
                scaled = scaledNearest(img, L.factor);
            }
            scaled.setDevicePixelRatio(dpr);
            // Smaller images than the largest are centred in their cell on whole device pixels.
            const QPointF offset(alignToDevice((r.width() - scaled.width() / dpr) / 2, dpr),
                                 alignToDevice((r.height() - scaled.height() / dpr) / 2, dpr));
            p.drawImage(r.topLeft() + offset, scaled);
            // The frame sits outside the image so no image pixel is covered.
            p.setPen(QPen(palette::frame(), 1.0));
            p.setBrush(Qt::NoBrush);
            p.drawRect(r.adjusted(-1.0 / dpr - 0.5, -1.0 / dpr - 0.5, 0.5, 0.5));
        }
    }
}

QImage renderImageGrid(const GridContent& c, const QSize& size, qreal devicePixelRatio)
{
    QImage image(size * devicePixelRatio, QImage::Format_RGB32);
    image.setDevicePixelRatio(devicePixelRatio);
    QPainter p(&image);
    paintGrid(p, QSizeF(size), c, devicePixelRatio, nullptr);
    return image;
}

} // namespace difflens::widgets
