// ImageData -> QImage: value mapping, clamping, channels, NaN, heat maps, nearest-neighbour scaling.
#include "widgets/image_utils.h"

#include <QTest>

#include <cmath>
#include <limits>

using namespace difflens::widgets;

namespace {

ImageData gray(int w, int h, std::vector<float> values, double low = -1, double high = 1)
{
    ImageData d;
    d.channels = 1;
    d.width = w;
    d.height = h;
    d.values = std::move(values);
    d.low = low;
    d.high = high;
    return d;
}

double luminance(QRgb c)
{
    return 0.2126 * qRed(c) + 0.7152 * qGreen(c) + 0.0722 * qBlue(c);
}

} // namespace

class TestImageUtils : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void grayMapsLowToBlackHighToWhiteAndClamps()
    {
        const QImage img = toImage(gray(5, 1, {-1.0f, 0.0f, 1.0f, -3.0f, 7.0f}));
        QCOMPARE(img.size(), QSize(5, 1));
        QCOMPARE(img.pixel(0, 0), qRgb(0, 0, 0));
        QCOMPARE(qGray(img.pixel(1, 0)), 128);
        QCOMPARE(img.pixel(2, 0), qRgb(255, 255, 255));
        QCOMPARE(img.pixel(3, 0), qRgb(0, 0, 0));       // clamped below
        QCOMPARE(img.pixel(4, 0), qRgb(255, 255, 255)); // clamped above
    }

    void rgbUsesChannelMajorLayout()
    {
        ImageData d;
        d.channels = 3;
        d.width = 2;
        d.height = 1;
        d.low = 0;
        d.high = 1;
        // CHW: R plane, G plane, B plane.
        d.values = {1, 0, /*G*/ 0, 1, /*B*/ 0, 0};
        const QImage img = toImage(d);
        QCOMPARE(img.pixel(0, 0), qRgb(255, 0, 0));
        QCOMPARE(img.pixel(1, 0), qRgb(0, 255, 0));
    }

    void nanIsVisibleAndInvalidIsNull()
    {
        const QImage img = toImage(gray(1, 1, {std::numeric_limits<float>::quiet_NaN()}));
        QCOMPARE(img.pixel(0, 0), qRgb(255, 0, 255));
        QVERIFY(toImage(gray(2, 2, {0.0f})).isNull()); // wrong value count
    }

    void heatMapUsesTheColormapEnds()
    {
        const QImage img = heatMap(gray(3, 1, {0.0f, -0.5f, 2.0f}), 1.0, Colormap::Magma);
        const QVector<QRgb>& table = colormapTable(Colormap::Magma);
        QCOMPARE(img.pixel(0, 0), table.first());
        QCOMPARE(img.pixel(1, 0), table[128]);   // |v| / vmax = 0.5
        QCOMPARE(img.pixel(2, 0), table.last()); // clamped
        // vmax <= 0: the image's own maximum is white-end.
        QCOMPARE(heatMap(gray(2, 1, {0.25f, 0.5f}), 0.0, Colormap::Viridis).pixel(1, 0),
                 colormapTable(Colormap::Viridis).last());
    }

    void colormapsHaveMonotoneLightness()
    {
        for (Colormap map : {Colormap::Viridis, Colormap::Magma}) {
            const QVector<QRgb>& t = colormapTable(map);
            QCOMPARE(t.size(), 256);
            for (int i = 8; i < 256; i += 8)
                QVERIFY2(luminance(t[i]) > luminance(t[i - 8]), qPrintable(QString::number(i)));
        }
        QCOMPARE(colormapTable(Colormap::Viridis).first() & 0xFFFFFF, 0x440154u);
        QCOMPARE(colormapTable(Colormap::Viridis).last() & 0xFFFFFF, 0xFDE725u);
    }

    void scaledNearestRepeatsPixelsExactly()
    {
        QImage src(2, 2, QImage::Format_RGB32);
        src.setPixel(0, 0, qRgb(255, 0, 0));
        src.setPixel(1, 0, qRgb(0, 255, 0));
        src.setPixel(0, 1, qRgb(0, 0, 255));
        src.setPixel(1, 1, qRgb(9, 9, 9));
        const QImage big = scaledNearest(src, 3);
        QCOMPARE(big.size(), QSize(6, 6));
        for (int y = 0; y < 6; ++y)
            for (int x = 0; x < 6; ++x)
                QCOMPARE(big.pixel(x, y), src.pixel(x / 3, y / 3));
        QCOMPARE(scaledNearest(src, 0).size(), QSize(2, 2));
    }

    void colorbarRunsLowToHigh()
    {
        const QImage bar = colorbar(Colormap::Viridis, 4, 100);
        QCOMPARE(bar.pixel(0, 99), colormapTable(Colormap::Viridis).first()); // bottom = low
        QCOMPARE(bar.pixel(0, 0), colormapTable(Colormap::Viridis).last());
        const QImage wide = colorbar(Colormap::Magma, 100, 4, Qt::Horizontal);
        QCOMPARE(wide.pixel(0, 0), colormapTable(Colormap::Magma).first());
    }

    void toImageDataRoundTrips()
    {
        const ImageData d = gray(3, 2, {-1.0f, 0.0f, 1.0f, 0.5f, -0.5f, 1.0f});
        const ImageData back = toImageData(toImage(d), 1, -1, 1);
        QCOMPARE(back.width, 3);
        QCOMPARE(back.height, 2);
        QVERIFY(back.isValid());
        for (size_t i = 0; i < d.values.size(); ++i)
            QVERIFY(std::fabs(back.values[i] - d.values[i]) < 2.0 / 255 + 1e-6);
    }
};

QTEST_MAIN(TestImageUtils)
#include "test_w_image_utils.moc"
