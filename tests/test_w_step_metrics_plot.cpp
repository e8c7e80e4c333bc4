// StepMetricsPlot: steps arriving in decreasing t, NaNs skipped, KL sum, drawn curve, marker.
#include "widgets/palette.h"
#include "widgets/qcustomplot_include.h"
#include "widgets/step_metrics_plot.h"

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

} // namespace

class TestStepMetricsPlot : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void stepsAccumulateAndNaNsAreSkipped()
    {
        StepMetricsPlot plot;
        plot.setTimesteps(1000);
        const double nan = std::numeric_limits<double>::quiet_NaN();
        plot.appendStep(1000, 0.5, 0.1);
        plot.appendStep(980, 0.25, nan);
        plot.appendStep(960, nan, 0.05);
        QCOMPARE(plot.stepCount(), 2);
        QVERIFY(std::fabs(plot.klSum() - 0.75) < 1e-12);
        plot.clear();
        QCOMPARE(plot.stepCount(), 0);
        QCOMPARE(plot.klSum(), 0.0);
    }

    void curveAndMarkerAreDrawn()
    {
        StepMetricsPlot plot;
        plot.resize(700, 380);
        plot.show();
        QVERIFY(QTest::qWaitForWindowExposed(&plot));
        plot.setTimesteps(1000);
        const QImage empty = (QTest::qWait(80), plot.grab().toImage());
        for (int t = 1000; t >= 100; t -= 20)
            plot.appendStep(t, 0.001 + std::exp(-t / 150.0), 0.01 + 0.2 * std::exp(-t / 300.0));
        plot.setCurrentT(100);
        QTest::qWait(100);
        const QImage img = plot.grab().toImage();
        QVERIFY2(countColor(img, palette::kl()) > countColor(empty, palette::kl()) + 300,
                 qPrintable(QString::number(countColor(img, palette::kl()))));
        QVERIFY(countColor(img, palette::difference()) > countColor(empty, palette::difference()) + 100);
        QCPAxis* t = plot.customPlot()->axisRects().first()->axis(QCPAxis::atBottom);
        QCOMPARE(t->range().lower, 0.0);
        QCOMPARE(t->range().upper, 1000.0);
        // The marker sits at t = 100.
        const int x = int(t->coordToPixel(100));
        int marker = 0;
        for (int dx = -1; dx <= 1; ++dx)
            for (int y = 0; y < img.height(); ++y) {
                const QRgb c = img.pixel(x + dx, y);
                marker += qRed(c) > 170 && qGreen(c) < 80 && qBlue(c) < 80;
            }
        QVERIFY2(marker > 100, qPrintable(QString::number(marker)));
        QCOMPARE(plot.customPlot()->axisRects().first()->axis(QCPAxis::atLeft)->scaleType(),
                 QCPAxis::stLogarithmic);
    }
};

QTEST_MAIN(TestStepMetricsPlot)
#include "test_w_step_metrics_plot.moc"
