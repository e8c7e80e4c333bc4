// LossPlot: live points are throttled into few replots; log scale; loss by t; export.
#include "widgets/loss_plot.h"
#include "widgets/palette.h"
#include "widgets/qcustomplot_include.h"

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>

using namespace difflens::widgets;

class TestLossPlot : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void liveAppendIsThrottled()
    {
        LossPlot plot;
        plot.resize(600, 400);
        plot.show();
        QVERIFY(QTest::qWaitForWindowExposed(&plot));
        QTest::qWait(60);
        QSignalSpy replots(plot.customPlot(), &QCustomPlot::afterReplot);
        for (int step = 1; step <= 500; ++step)
            plot.appendPoint(step, 1.0 / step, 1.2 / step);
        QCOMPARE(plot.pointCount(), 500);
        QVERIFY(replots.wait(500));
        QTest::qWait(60);
        QVERIFY2(replots.count() <= 2, qPrintable(QString::number(replots.count())));
        // The step axis covers the data after the throttled replot.
        QCPAxis* steps = plot.customPlot()->axisRects().first()->axis(QCPAxis::atBottom);
        QVERIFY(steps->range().lower <= 1 && steps->range().upper >= 500);
    }

    void curveIsDrawnAndLogScaleSwitches()
    {
        LossPlot plot;
        plot.resize(600, 400);
        plot.show();
        QVERIFY(QTest::qWaitForWindowExposed(&plot));
        QVector<double> steps, loss, ema;
        for (int i = 1; i <= 300; ++i) {
            steps << i;
            loss << 0.05 + std::exp(-i / 50.0);
            ema << 0.05 + std::exp(-i / 50.0);
        }
        plot.setCurve(steps, loss, ema);
        QTest::qWait(80);
        const QImage linear = plot.grab().toImage();
        int modelPixels = 0;
        for (int y = 0; y < linear.height(); ++y)
            for (int x = 0; x < linear.width(); ++x) {
                const QRgb c = linear.pixel(x, y);
                modelPixels += std::abs(qRed(c) - palette::model().red()) +
                                   std::abs(qGreen(c) - palette::model().green()) +
                                   std::abs(qBlue(c) - palette::model().blue()) <
                               40;
            }
        QVERIFY2(modelPixels > 200, qPrintable(QString::number(modelPixels)));
        QCPAxis* value = plot.customPlot()->axisRects().first()->axis(QCPAxis::atLeft);
        QCOMPARE(value->scaleType(), QCPAxis::stLinear);
        plot.setLogScale(true);
        QTest::qWait(80);
        QCOMPARE(value->scaleType(), QCPAxis::stLogarithmic);
        QVERIFY(value->range().lower > 0);
        QVERIFY(plot.grab().toImage() != linear);
    }

    void lossByTAndClear()
    {
        LossPlot plot;
        plot.setLossByT({1, 250, 500, 750, 1000}, {0.9, 0.2, 0.1, 0.08, 0.07});
        QCPGraph* byT = nullptr;
        for (int i = 0; i < plot.customPlot()->graphCount(); ++i)
            if (plot.customPlot()->graph(i)->name() == QStringLiteral("loss by t"))
                byT = plot.customPlot()->graph(i);
        QVERIFY(byT);
        QCOMPARE(byT->dataCount(), 5);
        plot.appendPoint(1, 1, 1);
        plot.clear();
        QCOMPARE(plot.pointCount(), 0);
        QCOMPARE(byT->dataCount(), 0);
    }

    void exports()
    {
        LossPlot plot;
        plot.setCurve({1, 2, 3}, {3, 2, 1}, {});
        QTemporaryDir dir;
        QVERIFY(plot.savePng(dir.filePath(QStringLiteral("l.png")), 400, 300, 2.0));
        QCOMPARE(QImage(dir.filePath(QStringLiteral("l.png"))).size(), QSize(800, 600));
        QVERIFY(plot.saveSvg(dir.filePath(QStringLiteral("l.svg")), 400, 300));
        QVERIFY(QFileInfo(dir.filePath(QStringLiteral("l.svg"))).size() > 1000);
    }
};

QTEST_MAIN(TestLossPlot)
#include "test_w_loss_plot.moc"
