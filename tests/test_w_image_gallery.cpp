// ImageGallery: every item's image in its cell, the pinned row above the wrapped rest, equal square cells,
// weight bars proportional to `bar`, the empty text, clicks.
#include "widgets/image_gallery.h"
#include "widgets/palette.h"

#include <QSignalSpy>
#include <QTest>

#include <cmath>

using namespace difflens::widgets;

namespace {

QImage solid(const QColor& color, int side = 28)
{
    QImage img(side, side, QImage::Format_RGB32);
    img.fill(color);
    return img;
}

QColor itemColor(int i)
{
    // Distinct, saturated colours, far from the chrome and from palette::exact().
    return QColor::fromHsv((i * 360 / 13) % 360, 255, 90 + (i % 3) * 70);
}

GalleryFrame frame(int count, int pinned, bool bars = true)
{
    GalleryFrame f;
    f.caption = QStringLiteral("Nearest training images, weights wᵢ(xₜ)");
    f.pinned = pinned;
    for (int i = 0; i < count; ++i) {
        GalleryItem item;
        item.image = solid(itemColor(i));
        item.title =
            i < pinned ? QStringLiteral("E[x₀ | xₜ]") : QStringLiteral("#%1 train %2").arg(i).arg(100 + i);
        item.subtitle = QStringLiteral("w = %1").arg(0.1 * i, 0, 'f', 2);
        item.accent = i < pinned ? palette::exact() : QColor();
        item.bar = bars ? (i % 5) / 4.0 : -1.0;
        f.items.push_back(item);
    }
    return f;
}

int colorDistance(QRgb a, const QColor& b)
{
    return std::abs(qRed(a) - b.red()) + std::abs(qGreen(a) - b.green()) + std::abs(qBlue(a) - b.blue());
}

// The fraction of the rectangle's pixels that have `color`.
double coverage(const QImage& img, const QRect& r, const QColor& color)
{
    int n = 0, total = 0;
    for (int y = r.top(); y <= r.bottom(); ++y)
        for (int x = r.left(); x <= r.right(); ++x) {
            ++total;
            n += img.rect().contains(x, y) && colorDistance(img.pixel(x, y), color) < 12;
        }
    return total > 0 ? double(n) / total : 0.0;
}

} // namespace

class TestImageGallery : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void everyImageIsDrawnInItsCell()
    {
        const GalleryFrame f = frame(11, 2);
        const QSize size(450, 340);
        const QImage img = ImageGallery::render(f, size);
        const QVector<QRect> rects = ImageGallery::imageRects(f, size);
        QCOMPARE(rects.size(), 11);
        for (int i = 0; i < 11; ++i) {
            QVERIFY2(QRect(QPoint(0, 0), size).contains(rects[i]), qPrintable(QString::number(i)));
            QCOMPARE(rects[i].width(), rects[0].width()); // all cells the same square size
            QCOMPARE(rects[i].height(), rects[i].width());
            QVERIFY2(
                coverage(img, rects[i], itemColor(i)) > 0.97,
                qPrintable(QStringLiteral("item %1: %2").arg(i).arg(coverage(img, rects[i], itemColor(i)))));
            // Not some other item's colour.
            QVERIFY(coverage(img, rects[i], itemColor((i + 1) % 11)) < 0.01);
        }
        // 28 px images at an integer zoom.
        QCOMPARE(rects[0].width() % 28, 0);
        QVERIFY(rects[0].width() >= 56);
        // Cells do not overlap.
        for (int i = 0; i < 11; ++i)
            for (int j = i + 1; j < 11; ++j)
                QVERIFY(!rects[i].intersects(rects[j]));
    }

    void pinnedRowAboveTheWrappedRest()
    {
        const GalleryFrame f = frame(11, 2);
        const QSize size(450, 340);
        const QVector<QRect> rects = ImageGallery::imageRects(f, size);
        // The two pinned items share the first row, alone.
        QCOMPARE(rects[0].top(), rects[1].top());
        QVERIFY(rects[1].left() > rects[0].right());
        for (int i = 2; i < 11; ++i)
            QVERIFY(rects[i].top() > rects[0].bottom());
        // The rest starts at the left edge of a new row and wraps: row-major, same left edge as the pins.
        QCOMPARE(rects[2].left(), rects[0].left());
        int wraps = 0;
        for (int i = 3; i < 11; ++i) {
            if (rects[i].top() > rects[i - 1].top()) {
                ++wraps;
                QCOMPARE(rects[i].left(), rects[2].left());
            } else {
                QCOMPARE(rects[i].top(), rects[i - 1].top());
                QVERIFY(rects[i].left() > rects[i - 1].right());
            }
        }
        QVERIFY(wraps >= 1);
        // The gap between the groups is larger than between two rows of the rest (the separator).
        int firstWrap = 3;
        while (rects[firstWrap].top() == rects[2].top())
            ++firstWrap;
        const int groupGap = rects[2].top() - rects[0].bottom();
        const int rowGap = rects[firstWrap].top() - rects[2].bottom();
        QVERIFY2(groupGap > rowGap, qPrintable(QStringLiteral("%1 vs %2").arg(groupGap).arg(rowGap)));

        // A wider panel fits more per row; the cells grow when the panel grows.
        const QVector<QRect> wide = ImageGallery::imageRects(f, QSize(900, 340));
        QVERIFY(wide[0].width() >= rects[0].width());
        const QVector<QRect> big = ImageGallery::imageRects(f, QSize(900, 700));
        QVERIFY(big[0].width() > rects[0].width());
    }

    void weightBarsAreProportional()
    {
        const GalleryFrame f = frame(6, 1);
        const QSize size(450, 300);
        const QImage img = ImageGallery::render(f, size);
        const QVector<QRect> rects = ImageGallery::imageRects(f, size);
        for (int i = 0; i < 6; ++i) {
            // The bar is the first row of palette::exact() pixels below the image.
            int barY = -1;
            for (int y = rects[i].bottom() + 2; y < rects[i].bottom() + 20 && barY < 0; ++y)
                for (int x = rects[i].left(); x <= rects[i].right(); ++x)
                    if (colorDistance(img.pixel(x, y), palette::exact()) < 12) {
                        barY = y;
                        break;
                    }
            const double bar = (i % 5) / 4.0;
            if (bar == 0) {
                QCOMPARE(barY, -1);
                continue;
            }
            QVERIFY2(barY > 0, qPrintable(QString::number(i)));
            int length = 0;
            for (int x = rects[i].left(); x <= rects[i].right(); ++x)
                length += colorDistance(img.pixel(x, barY), palette::exact()) < 12;
            QVERIFY2(
                std::abs(length - bar * rects[i].width()) <= 1.5,
                qPrintable(QStringLiteral("item %1: %2 of %3").arg(i).arg(length).arg(rects[i].width())));
        }
        // Without bars there is no purple bar under any image.
        const GalleryFrame noBars = frame(6, 0, false);
        const QImage plain = ImageGallery::render(noBars, size);
        const QVector<QRect> plainRects = ImageGallery::imageRects(noBars, size);
        for (const QRect& r : plainRects)
            QCOMPARE(coverage(plain, QRect(r.left(), r.bottom() + 2, r.width(), 12), palette::exact()), 0.0);
    }

    void emptyGalleryShowsText()
    {
        GalleryFrame f;
        f.emptyText = QStringLiteral("Choose a sample");
        const QImage img = ImageGallery::render(f, QSize(300, 200), 2.0);
        QCOMPARE(img.size(), QSize(600, 400));
        QVERIFY(ImageGallery::imageRects(f, QSize(300, 200)).isEmpty());
        int dark = 0;
        for (int y = 0; y < img.height(); ++y)
            for (int x = 0; x < img.width(); ++x)
                dark += qRed(img.pixel(x, y)) < 180;
        QVERIFY(dark > 20); // the text
    }

    void widgetGeometryAndClicks()
    {
        ImageGallery gallery;
        gallery.setFrame(frame(11, 2));
        QCOMPARE(gallery.itemCount(), 11);
        const QSize hint = gallery.sizeHint();
        QVERIFY2(hint.width() >= 400 && hint.width() <= 500 && hint.height() >= 200 && hint.height() <= 420,
                 qPrintable(QStringLiteral("%1 x %2").arg(hint.width()).arg(hint.height())));
        gallery.resize(hint);
        gallery.show();
        QVERIFY(QTest::qWaitForWindowExposed(&gallery));
        QVERIFY(gallery.cellSize() >= 56);
        QSignalSpy spy(&gallery, &ImageGallery::itemClicked);
        const QRect r = gallery.imageRect(4);
        QVERIFY(!r.isEmpty());
        QCOMPARE(gallery.itemAt(r.center()), 4);
        QTest::mouseClick(&gallery, Qt::LeftButton, {}, r.center());
        QCOMPARE(spy.count(), 1);
        QCOMPARE(spy.at(0).at(0).toInt(), 4);
        QCOMPARE(gallery.itemAt(QPoint(1, gallery.height() - 1)), -1);
        const QImage grabbed = gallery.grab().toImage();
        const qreal dpr = grabbed.devicePixelRatio();
        const QRect device(int(r.left() * dpr), int(r.top() * dpr), int(r.width() * dpr),
                           int(r.height() * dpr));
        QVERIFY(coverage(grabbed, device, itemColor(4)) > 0.95);
    }
};

QTEST_MAIN(TestImageGallery)
#include "test_w_image_gallery.moc"
