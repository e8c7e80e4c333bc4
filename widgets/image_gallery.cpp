#include "widgets/image_gallery.h"

#include "widgets/paint_helpers.h"
#include "widgets/palette.h"

#include <QEvent>
#include <QFontMetricsF>
#include <QHelpEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QToolTip>

#include <algorithm>
#include <cmath>

namespace difflens::widgets {

namespace {

constexpr double kMargin = 8.0;
constexpr int kMaxCell = 256;
// sizeHint: cells at this zoom of the images (28 x 28 -> 56 px).
constexpr int kHintZoom = 2;
constexpr int kHintWidth = 450;

struct Fonts
{
    QFont caption, title, subtitle;
};

Fonts fontsFor(const QSizeF& size)
{
    const double base = std::clamp(std::min(size.width(), size.height() * 1.4) / 40.0, 11.0, 18.0);
    return {paint::scaledFont(base * 1.05, true), paint::scaledFont(std::max(10.0, base * 0.85)),
            paint::scaledFont(std::max(9.5, base * 0.78))};
}

// Vertical pieces of one cell and the gaps between rows and groups, for a cell of side `side`.
struct Metrics
{
    double captionHeight = 0, titleHeight = 0, titleGap = 0, barHeight = 0, barGap = 0, subtitleHeight = 0,
           subtitleGap = 0, columnGap = 0, rowGap = 0, groupGap = 0;
    double rowHeight(double side) const
    {
        return titleHeight + titleGap + side + barGap + barHeight + subtitleGap + subtitleHeight;
    }
};

Metrics metricsFor(const GalleryFrame& f, const Fonts& fonts)
{
    Metrics m;
    const QFontMetricsF title(fonts.title), subtitle(fonts.subtitle), caption(fonts.caption);
    m.captionHeight = f.caption.isEmpty() ? 0.0 : caption.height() * 1.35;
    m.titleHeight = title.height();
    m.titleGap = 2;
    const bool anyBar =
        std::any_of(f.items.begin(), f.items.end(), [](const GalleryItem& i) { return i.bar >= 0; });
    const bool anySubtitle = std::any_of(f.items.begin(), f.items.end(),
                                         [](const GalleryItem& i) { return !i.subtitle.isEmpty(); });
    if (anyBar) {
        m.barGap = 3;
        m.barHeight = std::max(4.0, std::round(title.height() * 0.32));
    }
    if (anySubtitle) {
        m.subtitleGap = 1;
        m.subtitleHeight = subtitle.height();
    }
    m.columnGap = std::max(6.0, std::round(title.height() * 0.55));
    m.rowGap = std::round(title.height() * 0.55);
    m.groupGap = std::round(title.height() * 1.1);
    return m;
}

int clampedPinned(const GalleryFrame& f)
{
    return std::clamp(f.pinned, 0, static_cast<int>(f.items.size()));
}

int rowsFor(const GalleryFrame& f, int columns)
{
    const int pinned = clampedPinned(f);
    const int rest = static_cast<int>(f.items.size()) - pinned;
    return (pinned + columns - 1) / columns + (rest + columns - 1) / columns;
}

bool hasTwoGroups(const GalleryFrame& f)
{
    const int pinned = clampedPinned(f);
    return pinned > 0 && pinned < f.items.size();
}

double gridHeight(const GalleryFrame& f, const Metrics& m, double side, int columns)
{
    const int rows = rowsFor(f, columns);
    return rows * m.rowHeight(side) + std::max(0, rows - 1) * m.rowGap + (hasTwoGroups(f) ? m.groupGap : 0.0);
}

int columnsFor(double width, double side, const Metrics& m)
{
    return std::max(1, static_cast<int>(std::floor((width + m.columnGap) / (side + m.columnGap))));
}

int largestImageSide(const GalleryFrame& f)
{
    int side = 0;
    for (const GalleryItem& i : f.items)
        side = std::max({side, i.image.width(), i.image.height()});
    return side;
}

struct Layout
{
    Fonts fonts;
    Metrics metrics;
    int side = 0; // cell size, logical pixels
    QPointF captionBaseline;
    QVector<QRect> images;
    QVector<QRectF> cells; // title to subtitle, for hit tests
    double separatorY = -1;
    double gridLeft = 0, gridWidth = 0;
};

Layout layoutFor(const GalleryFrame& f, const QSizeF& size, qreal dpr)
{
    Layout l;
    l.fonts = fontsFor(size);
    l.metrics = metricsFor(f, l.fonts);
    const Metrics& m = l.metrics;
    l.captionBaseline = QPointF(kMargin, kMargin + QFontMetricsF(l.fonts.caption).ascent());
    const int n = static_cast<int>(f.items.size());
    if (n == 0) return l;
    const double top = kMargin + m.captionHeight;
    const double width = size.width() - 2 * kMargin;
    const double height = size.height() - top - kMargin;

    // The largest square cell for which every row fits.
    int side = 4;
    for (int s = std::min(kMaxCell, static_cast<int>(width)); s > 4; --s)
        if (gridHeight(f, m, s, columnsFor(width, s, m)) <= height) {
            side = s;
            break;
        }
    // Integer zoom (in device pixels) when that costs little, so pixels stay square and equal.
    const int imageSide = largestImageSide(f);
    if (imageSide > 0 && side * dpr >= imageSide) {
        const int zoom = static_cast<int>(std::floor(side * dpr / imageSide));
        const int snapped = static_cast<int>(std::floor(zoom * imageSide / dpr));
        if (snapped >= 0.7 * side) side = snapped;
    }
    l.side = side;

    const int columns = std::min(columnsFor(width, side, m), std::max(1, n));
    const int pinned = clampedPinned(f);
    const int widest = std::min(columns, std::max(pinned, n - pinned));
    l.gridWidth = widest * side + (widest - 1) * m.columnGap;
    l.gridLeft = std::round(kMargin + std::max(0.0, (width - l.gridWidth) / 2));
    double y = top;
    int column = 0;
    for (int i = 0; i < n; ++i) {
        if (i == pinned && pinned > 0) {
            // Start the second group on a new row below a separator.
            if (column != 0) y += m.rowHeight(side) + m.rowGap;
            column = 0;
            l.separatorY = std::round(y + m.groupGap / 2 - m.rowGap / 2);
            y += m.groupGap;
        } else if (column == columns) {
            column = 0;
            y += m.rowHeight(side) + m.rowGap;
        }
        const double x = l.gridLeft + column * (side + m.columnGap);
        l.cells.push_back(QRectF(x, y, side, m.rowHeight(side)));
        const int imageTop = static_cast<int>(std::round(y + m.titleHeight + m.titleGap));
        l.images.push_back(QRect(static_cast<int>(x), imageTop, side, side));
        ++column;
    }
    return l;
}

// The image fitted into the cell, keeping its aspect ratio (square images fill it).
QRectF fittedRect(const QImage& image, const QRect& cell)
{
    if (image.isNull() || image.width() == image.height()) return QRectF(cell);
    const double scale =
        std::min(double(cell.width()) / image.width(), double(cell.height()) / image.height());
    const QSizeF size(image.width() * scale, image.height() * scale);
    return QRectF(cell.left() + (cell.width() - size.width()) / 2,
                  cell.top() + (cell.height() - size.height()) / 2, size.width(), size.height());
}

void paintGallery(QPainter& p, const QSizeF& size, const GalleryFrame& f, qreal dpr)
{
    p.fillRect(QRectF(QPointF(0, 0), size), palette::background());
    p.setRenderHint(QPainter::TextAntialiasing, true);
    const Layout l = layoutFor(f, size, dpr);
    if (!f.caption.isEmpty()) {
        p.setFont(l.fonts.caption);
        p.setPen(palette::text());
        const QFontMetricsF fm(l.fonts.caption);
        p.drawText(l.captionBaseline, fm.elidedText(f.caption, Qt::ElideRight, size.width() - 2 * kMargin));
    }
    if (f.items.isEmpty()) {
        p.setFont(paint::scaledFont(paint::baseFontPixels(size)));
        p.setPen(palette::mutedText());
        const double top = kMargin + l.metrics.captionHeight;
        p.drawText(QRectF(kMargin, top, size.width() - 2 * kMargin, size.height() - top - kMargin),
                   Qt::AlignCenter | Qt::TextWordWrap,
                   f.emptyText.isEmpty() ? QStringLiteral("Nothing to show yet") : f.emptyText);
        return;
    }

    const Metrics& m = l.metrics;
    if (l.separatorY >= 0) {
        p.setPen(QPen(palette::frame(), 1.0, Qt::DotLine));
        p.drawLine(QPointF(l.gridLeft, l.separatorY + 0.5),
                   QPointF(l.gridLeft + l.gridWidth, l.separatorY + 0.5));
    }
    const QFontMetricsF titleMetrics(l.fonts.title), subtitleMetrics(l.fonts.subtitle);
    // Titles may use most of the gap (half on each side), so labels like "#1 train 4711" are not elided at
    // small zooms; neighbours still keep 2 px between them.
    const double textWidth = l.side + m.columnGap - 2;
    for (int i = 0; i < f.items.size(); ++i) {
        const GalleryItem& item = f.items[i];
        const QRect& image = l.images[i];
        const QColor accent = item.accent.isValid() ? item.accent : palette::frame();
        const double centre = image.left() + image.width() / 2.0;

        p.setFont(l.fonts.title);
        p.setPen(item.accent.isValid() ? item.accent : palette::text());
        const QString title = titleMetrics.elidedText(item.title, Qt::ElideRight, textWidth);
        p.drawText(QPointF(centre - titleMetrics.horizontalAdvance(title) / 2,
                           image.top() - m.titleGap - titleMetrics.descent()),
                   title);

        p.setRenderHint(QPainter::Antialiasing, false);
        p.setRenderHint(QPainter::SmoothPixmapTransform, false);
        if (item.image.isNull()) {
            p.fillRect(image, palette::plotBackground());
        } else {
            p.fillRect(image, palette::plotBackground());
            p.drawImage(fittedRect(item.image, image), item.image);
        }
        // A 1-px frame just outside the image, so it covers no image pixel.
        p.setPen(QPen(accent, 0));
        p.setBrush(Qt::NoBrush);
        p.drawRect(QRectF(image).adjusted(-1, -1, 0, 0));

        double y = image.bottom() + 1;
        if (m.barHeight > 0) {
            y += m.barGap;
            if (item.bar >= 0) {
                const QRectF track(image.left(), y, image.width(), m.barHeight);
                p.fillRect(track, palette::grid());
                const double fraction = std::isfinite(item.bar) ? std::clamp(item.bar, 0.0, 1.0) : 0.0;
                p.fillRect(
                    QRectF(track.left(), track.top(), std::round(track.width() * fraction), track.height()),
                    palette::exact());
            }
            y += m.barHeight;
        }
        if (!item.subtitle.isEmpty()) {
            y += m.subtitleGap;
            p.setFont(l.fonts.subtitle);
            p.setPen(palette::mutedText());
            const QString subtitle = subtitleMetrics.elidedText(item.subtitle, Qt::ElideRight, textWidth);
            p.drawText(QPointF(centre - subtitleMetrics.horizontalAdvance(subtitle) / 2,
                               y + subtitleMetrics.ascent()),
                       subtitle);
        }
    }
}

} // namespace

ImageGallery::ImageGallery(QWidget* parent) : QWidget(parent)
{
    setAttribute(Qt::WA_OpaquePaintEvent);
    setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Preferred);
}

ImageGallery::~ImageGallery() = default;

void ImageGallery::setFrame(const GalleryFrame& frame)
{
    const bool grows = frame.items.size() != m_frame.items.size();
    m_frame = frame;
    if (grows) updateGeometry();
    update();
}

int ImageGallery::cellSize() const
{
    return layoutFor(m_frame, QSizeF(size()), devicePixelRatioF()).side;
}

QRect ImageGallery::imageRect(int index) const
{
    const Layout l = layoutFor(m_frame, QSizeF(size()), devicePixelRatioF());
    return index >= 0 && index < l.images.size() ? l.images[index] : QRect();
}

int ImageGallery::itemAt(const QPoint& pos) const
{
    const Layout l = layoutFor(m_frame, QSizeF(size()), devicePixelRatioF());
    for (int i = 0; i < l.cells.size(); ++i)
        if (l.cells[i].contains(pos)) return i;
    return -1;
}

QImage ImageGallery::renderToImage(const QSize& size, qreal devicePixelRatio) const
{
    return render(m_frame, size, devicePixelRatio);
}

QImage ImageGallery::render(const GalleryFrame& frame, const QSize& size, qreal devicePixelRatio)
{
    QImage image(size * devicePixelRatio, QImage::Format_RGB32);
    image.setDevicePixelRatio(devicePixelRatio);
    QPainter p(&image);
    paintGallery(p, QSizeF(size), frame, devicePixelRatio);
    return image;
}

QVector<QRect> ImageGallery::imageRects(const GalleryFrame& frame, const QSize& size, qreal devicePixelRatio)
{
    return layoutFor(frame, QSizeF(size), devicePixelRatio).images;
}

QSize ImageGallery::sizeHint() const
{
    // kHintWidth wide, tall enough for every row at twice the images' size (56 px cells for 28 x 28).
    const Fonts fonts = fontsFor(QSizeF(kHintWidth, kHintWidth * 0.6));
    const Metrics m = metricsFor(m_frame, fonts);
    const int imageSide = largestImageSide(m_frame);
    const double side = imageSide > 0 ? std::clamp(imageSide * kHintZoom, 32, 128) : 56;
    if (m_frame.items.isEmpty()) return {kHintWidth, static_cast<int>(m.captionHeight + 2 * kMargin + 120)};
    const int columns = columnsFor(kHintWidth - 2 * kMargin, side, m);
    const double height = m.captionHeight + 2 * kMargin + gridHeight(m_frame, m, side, columns);
    return {kHintWidth, static_cast<int>(std::ceil(height)) + 2};
}

void ImageGallery::paintEvent(QPaintEvent*)
{
    QPainter p(this);
    paintGallery(p, QSizeF(size()), m_frame, devicePixelRatioF());
}

void ImageGallery::mousePressEvent(QMouseEvent* event)
{
    if (event->button() != Qt::LeftButton) return;
    const int index = itemAt(event->position().toPoint());
    if (index >= 0) Q_EMIT itemClicked(index);
}

bool ImageGallery::event(QEvent* event)
{
    if (event->type() == QEvent::ToolTip) {
        auto* help = static_cast<QHelpEvent*>(event);
        const int index = itemAt(help->pos());
        if (index >= 0) {
            const GalleryItem& item = m_frame.items[index];
            QString text = item.title.toHtmlEscaped();
            if (!item.subtitle.isEmpty()) text += QStringLiteral("<br/>") + item.subtitle.toHtmlEscaped();
            if (item.bar >= 0) text += QStringLiteral("<br/>weight %1").arg(item.bar, 0, 'f', 3);
            QToolTip::showText(help->globalPos(), text, this);
        } else {
            QToolTip::hideText();
            event->ignore();
        }
        return true;
    }
    return QWidget::event(event);
}

} // namespace difflens::widgets
