#pragma once
// A captioned gallery of small images, e.g. E[x_0 | x_t] next to the training images that carry most of
// the posterior weight w_i(x_t): `pinned` items in a first row, the rest wrapped below, every cell the same
// square size (nearest-neighbour, integer zoom where possible), each with a title, an optional weight bar
// and a subtitle.
#include "widgets/types.h"

#include <QImage>
#include <QRect>
#include <QSize>
#include <QVector>
#include <QWidget>

namespace difflens::widgets {

class ImageGallery final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ImageGallery)

public:
    explicit ImageGallery(QWidget* parent = nullptr);
    ~ImageGallery() override;

    void setFrame(const GalleryFrame& frame);
    const GalleryFrame& frame() const { return m_frame; }
    int itemCount() const { return static_cast<int>(m_frame.items.size()); }

    /** The square cell size (logical pixels) the images are drawn at, at the current size. */
    int cellSize() const;
    /** Where item `index`'s image is drawn at the current size (empty if out of range). */
    QRect imageRect(int index) const;
    /** The item whose cell (title, image, bar, subtitle) contains `pos`, or -1. */
    int itemAt(const QPoint& pos) const;

    /** The same painting as on screen, at `size` logical pixels (for export). */
    QImage renderToImage(const QSize& size, qreal devicePixelRatio = 1.0) const;
    /** The same painting without a widget: usable from any thread (export jobs). */
    static QImage render(const GalleryFrame& frame, const QSize& size, qreal devicePixelRatio = 1.0);
    /** render()'s image rectangles, one per item, in logical pixels. */
    static QVector<QRect> imageRects(const GalleryFrame& frame, const QSize& size,
                                     qreal devicePixelRatio = 1.0);

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override { return {160, 100}; }

Q_SIGNALS:
    /** A click on item `index` (e.g. to take that training image as the reference x_0). */
    void itemClicked(int index);

protected:
    void paintEvent(QPaintEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    bool event(QEvent* event) override;

private:
    GalleryFrame m_frame;
};

} // namespace difflens::widgets
