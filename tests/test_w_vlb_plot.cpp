// VlbPlot: several bounds at once, their legend text, log axis, non-positive / NaN terms skipped, curves
// drawn in their colours, the L_0 marker and the current-t marker.
#include "widgets/palette.h"
#include "widgets/qcustomplot_include.h"
#include "widgets/vlb_plot.h"

#include <QTest>

#include <cmath>
#include <limits>

using namespace difflens::widgets;

namespace {

int countColor(const QImage& img, const QColor& color, int tolerance = 40)
{
    int n = 0;
    for (int y = 0; y < img.height(); ++y)
        for (int x = 0; x < img.width(); ++x) {
            const QRgb c = img.pixel(x, y);
            n += std::abs(qRed(c) - color.red()) + std::abs(qGreen(c) - color.green()) +
                     std::abs(qBlue(c) - color.blue()) <
                 tolerance;
        }
    return n;
}

VlbSeries bound(const QString& name, double scale, const QColor& color = {})
{
    VlbSeries s;
    s.name = name;
    s.color = color;
    for (int t = 1; t <= 1000; t += 9) {
        s.t.push_back(t);
        s.termBits.push_back(t == 1 ? 2.0 * scale : scale * 0.05 * std::exp(-t / 200.0) + 1e-5);
    }
    s.priorBits = 2e-5;
    s.totalBits = 3.66 * scale;
    return s;
}

} // namespace

class TestVlbPlot : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void seriesAddAndClear()
    {
        VlbPlot plot;
        QCOMPARE(plot.seriesCount(), 0);
        plot.addBound(bound(QStringLiteral("p_θ"), 1.0));
        plot.addBound(bound(QStringLiteral("exact denoiser"), 0.5, palette::exact()));
        QCOMPARE(plot.seriesCount(), 2);
        QCOMPARE(plot.series(1).name, QStringLiteral("exact denoiser"));
        QVERIFY2(plot.legendText(0).startsWith(QStringLiteral("p_θ: 3.66 bits/dim (L_T ")),
                 qPrintable(plot.legendText(0)));
        QCOMPARE(plot.seriesColor(1), palette::exact());
        QVERIFY(plot.seriesColor(0).isValid());
        QVERIFY(plot.seriesColor(0) != plot.seriesColor(1));
        // The legend carries one entry per bound (the L_0 points are not listed).
        QCOMPARE(plot.customPlot()->legend->itemCount(), 2);
        // Each bound is its terms and its L_0 point.
        QCOMPARE(plot.customPlot()->graphCount(), 4);
        QCOMPARE(plot.customPlot()->graph(1)->dataCount(), 1);
        QCOMPARE(plot.customPlot()->graph(1)->data()->constBegin()->key, 1.0);
        QCOMPARE(plot.customPlot()->graph(1)->data()->constBegin()->value, 2.0);
        plot.clear();
        QCOMPARE(plot.seriesCount(), 0);
        QCOMPARE(plot.customPlot()->legend->itemCount(), 0);
        QCOMPARE(plot.customPlot()->graphCount(), 0);
    }

    void nanAndZeroTermsAreSkipped()
    {
        VlbPlot plot;
        VlbSeries s;
        s.name = QStringLiteral("broken");
        const double nan = std::numeric_limits<double>::quiet_NaN();
        s.t = {1, 2, 3, 4, 5, 6};
        s.termBits = {nan, 0.0, -1.0, 0.01, std::numeric_limits<double>::infinity(), 0.002};
        s.totalBits = nan;
        plot.addBound(s);
        plot.addBound(VlbSeries{}); // empty: no crash
        QCOMPARE(plot.seriesCount(), 2);
        QCPGraph* terms = plot.customPlot()->graph(0);
        QCOMPARE(terms->dataCount(), 2);
        plot.setCurrentT(3);
        plot.resize(500, 320);
        const QImage img = plot.renderToImage(QSize(500, 320));
        QCOMPARE(img.size(), QSize(500, 320));
        QTest::qWait(60);
        QCPAxis* y = plot.customPlot()->axisRects().first()->axis(QCPAxis::atLeft);
        QVERIFY(y->range().lower > 0);
        QVERIFY(y->range().upper >= 0.01);
    }

    void curvesAndMarkersAreDrawn()
    {
        VlbPlot plot;
        plot.resize(700, 420);
        plot.show();
        QVERIFY(QTest::qWaitForWindowExposed(&plot));
        plot.setTimesteps(1000);
        const QImage empty = (QTest::qWait(80), plot.grab().toImage());
        plot.addBound(bound(QStringLiteral("p_θ"), 1.0, palette::model()));
        plot.addBound(bound(QStringLiteral("exact"), 0.3, palette::exact()));
        plot.setCurrentT(500);
        QTest::qWait(100);
        const QImage img = plot.grab().toImage();
        QVERIFY2(countColor(img, palette::model()) > countColor(empty, palette::model()) + 300,
                 qPrintable(QString::number(countColor(img, palette::model()))));
        QVERIFY(countColor(img, palette::exact()) > countColor(empty, palette::exact()) + 300);
        QCPAxisRect* rect = plot.customPlot()->axisRects().first();
        QCOMPARE(rect->axis(QCPAxis::atLeft)->scaleType(), QCPAxis::stLogarithmic);
        QCOMPARE(rect->axis(QCPAxis::atBottom)->range().upper, 1000.0);
        QCOMPARE(rect->axis(QCPAxis::atBottom)->label(), QStringLiteral("t"));
        QCOMPARE(rect->axis(QCPAxis::atLeft)->label(), QStringLiteral("bits per dim (log)"));
        // L_0 is a disc at t = 1 in the series colour.
        const qreal dpr = img.devicePixelRatio();
        const QPointF l0(rect->axis(QCPAxis::atBottom)->coordToPixel(1),
                         rect->axis(QCPAxis::atLeft)->coordToPixel(2.0));
        int disc = 0;
        for (int dy = -3; dy <= 3; ++dy)
            for (int dx = -3; dx <= 3; ++dx) {
                const QRgb c = img.pixel(int((l0.x() + dx) * dpr), int((l0.y() + dy) * dpr));
                disc += std::abs(qRed(c) - palette::model().red()) +
                            std::abs(qGreen(c) - palette::model().green()) +
                            std::abs(qBlue(c) - palette::model().blue()) <
                        40;
            }
        QVERIFY2(disc > 20,
                 qPrintable(QStringLiteral("%1 at %2,%3 dpr %4").arg(disc).arg(l0.x()).arg(l0.y()).arg(dpr)));
        // The current-t marker at t = 500.
        const int x = int(rect->axis(QCPAxis::atBottom)->coordToPixel(500) * dpr);
        int marker = 0;
        for (int dx = -1; dx <= 1; ++dx)
            for (int y = 0; y < img.height(); ++y) {
                const QRgb c = img.pixel(x + dx, y);
                marker += qRed(c) > 170 && qGreen(c) < 80 && qBlue(c) < 80;
            }
        QVERIFY2(marker > 100, qPrintable(QString::number(marker)));
    }
};

QTEST_MAIN(TestVlbPlot)
#include "test_w_vlb_plot.moc"
