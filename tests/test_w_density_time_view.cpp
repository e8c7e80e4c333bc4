// DensityTimeView: the heat map puts density where the values say; the marker and trajectories follow.
#include "widgets/density_time_view.h"
#include "widgets/palette.h"

#include <QSignalSpy>
#include <QTest>

#include <cmath>

using namespace difflens::widgets;

namespace {

constexpr int kT = 200;
constexpr int kBins = 80;

// All mass in a bump at x = +2 for every t.
QVector<double> bumpAtPlusTwo()
{
    QVector<double> v;
    for (int t = 0; t < kT; ++t)
        for (int b = 0; b < kBins; ++b) {
            const double x = -4 + (b + 0.5) * 8.0 / kBins;
            v.push_back(std::exp(-(x - 2) * (x - 2) * 8));
        }
    return v;
}

double brightness(QRgb c)
{
    return 0.2126 * qRed(c) + 0.7152 * qGreen(c) + 0.0722 * qBlue(c);
}

int markerPixelsInColumn(const QImage& img, int x)
{
    int n = 0;
    for (int dx = -1; dx <= 1; ++dx)
        for (int y = 0; y < img.height(); ++y) {
            const QRgb c = img.pixel(x + dx, y);
            n += qRed(c) > 170 && qGreen(c) < 80 && qBlue(c) < 80;
        }
    return n;
}

} // namespace

class TestDensityTimeView : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void heatIsWhereTheDensityIs()
    {
        DensityTimeView view;
        view.resize(600, 400);
        view.setDensity(kT, kBins, -4, 4, bumpAtPlusTwo());
        const QImage img = view.renderToImage(view.size());
        // Bright (viridis yellow) at x = +2, dark at x = -2 and x = 0, for early and late t alike.
        for (int t : {20, kT / 2, kT - 20}) {
            const double atPeak = brightness(img.pixel(view.positionOf(t, 2.0).toPoint()));
            const double atZero = brightness(img.pixel(view.positionOf(t, 0.0).toPoint()));
            const double atMinus2 = brightness(img.pixel(view.positionOf(t, -2.0).toPoint()));
            QVERIFY2(atPeak > 180, qPrintable(QString::number(atPeak)));
            QVERIFY2(atZero < 80, qPrintable(QString::number(atZero)));
            QVERIFY2(atMinus2 < 80, qPrintable(QString::number(atMinus2)));
        }
        QCOMPARE(view.timesteps(), kT);
    }

    void wrongSizesClearTheMap()
    {
        DensityTimeView view;
        view.setDensity(kT, kBins, -4, 4, QVector<double>(10, 1.0));
        QCOMPARE(view.timesteps(), 0);
    }

    void markerMovesWithCurrentT()
    {
        DensityTimeView view;
        view.resize(600, 400);
        view.setDensity(kT, kBins, -4, 4, bumpAtPlusTwo());
        view.setCurrentT(40);
        const QImage a = view.renderToImage(view.size());
        view.setCurrentT(160);
        const QImage b = view.renderToImage(view.size());
        const int x40 = int(view.xForTimestep(40)), x160 = int(view.xForTimestep(160));
        QVERIFY(markerPixelsInColumn(a, x40) > 100);
        QVERIFY(markerPixelsInColumn(a, x160) < 20);
        QVERIFY(markerPixelsInColumn(b, x160) > 100);
        QVERIFY(markerPixelsInColumn(b, x40) < 20);
    }

    void trajectoriesAreDrawnOverTheMap()
    {
        DensityTimeView view;
        view.resize(600, 400);
        view.setDensity(kT, kBins, -4, 4, bumpAtPlusTwo());
        const QImage before = view.renderToImage(view.size());
        view.setTrajectories({{QPointF(200, -2.5), QPointF(100, -2.5), QPointF(1, -2.5)}});
        const QImage after = view.renderToImage(view.size());
        int changed = 0;
        for (int y = 0; y < after.height(); ++y)
            for (int x = 0; x < after.width(); ++x)
                changed += before.pixel(x, y) != after.pixel(x, y);
        QVERIFY2(changed > 400, qPrintable(QString::number(changed)));
    }

    void clickReportsTimestep()
    {
        DensityTimeView view;
        view.resize(600, 400);
        view.setDensity(kT, kBins, -4, 4, bumpAtPlusTwo());
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        QSignalSpy spy(&view, &DensityTimeView::timestepClicked);
        QTest::mouseClick(&view, Qt::LeftButton, {}, QPoint(int(view.xForTimestep(120)), view.height() / 2));
        QCOMPARE(spy.count(), 1);
        QVERIFY(std::abs(spy.at(0).at(0).toInt() - 120) <= 1);
    }
};

QTEST_MAIN(TestDensityTimeView)
#include "test_w_density_time_view.moc"
