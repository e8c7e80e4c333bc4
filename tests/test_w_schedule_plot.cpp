// SchedulePlot: curves are drawn where the schedule says, the marker moves cheaply, comparison and export
// work.
#include "widgets/palette.h"
#include "widgets/qcustomplot_include.h"
#include "widgets/schedule_plot.h"

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>

using namespace difflens::widgets;

namespace {

ScheduleSeries linear(int T, const QString& name = QStringLiteral("linear"))
{
    ScheduleSeries s;
    s.name = name;
    double alphaBarPrev = 1.0;
    for (int i = 0; i < T; ++i) {
        const double beta = 1e-4 + (0.02 - 1e-4) * i / (T - 1);
        const double alphaBar = alphaBarPrev * (1 - beta);
        s.t << i + 1;
        s.beta << beta;
        s.alphaBar << alphaBar;
        s.betaTilde << (i == 0 ? 0.0 : beta * (1 - alphaBarPrev) / (1 - alphaBar));
        s.logSnr << std::log(alphaBar / (1 - alphaBar));
        alphaBarPrev = alphaBar;
    }
    return s;
}

QCPGraph* graphNamed(QCustomPlot* plot, const QString& prefix)
{
    for (int i = 0; i < plot->graphCount(); ++i)
        if (plot->graph(i)->name().startsWith(prefix) && plot->graph(i)->pen().style() == Qt::SolidLine)
            return plot->graph(i);
    return nullptr;
}

int colorDistance(QRgb a, QRgb b)
{
    return std::abs(qRed(a) - qRed(b)) + std::abs(qGreen(a) - qGreen(b)) + std::abs(qBlue(a) - qBlue(b));
}

bool colorNear(const QImage& img, const QPoint& p, int radius, const QColor& color, int tolerance = 60)
{
    for (int y = p.y() - radius; y <= p.y() + radius; ++y)
        for (int x = p.x() - radius; x <= p.x() + radius; ++x)
            if (img.rect().contains(x, y) && colorDistance(img.pixel(x, y), color.rgb()) <= tolerance)
                return true;
    return false;
}

int markerPixelsInColumn(const QImage& img, int x)
{
    int n = 0;
    for (int dx = -1; dx <= 1; ++dx)
        for (int y = 0; y < img.height(); ++y)
            n += colorDistance(img.pixel(x + dx, y), palette::marker().rgb()) < 60;
    return n;
}

QImage shot(QWidget& w)
{
    QTest::qWait(80); // queued replots and the marker layer's zero-timer
    return w.grab().toImage().convertToFormat(QImage::Format_RGB32);
}

} // namespace

class TestSchedulePlot : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void curvesAreWhereTheScheduleSays()
    {
        SchedulePlot plot;
        plot.resize(760, 520);
        plot.show();
        QVERIFY(QTest::qWaitForWindowExposed(&plot));
        const ScheduleSeries s = linear(1000);
        plot.setSchedule(s);
        const QImage img = shot(plot);
        QCustomPlot* qcp = plot.customPlot();
        QCPGraph* alphaBar = graphNamed(qcp, QStringLiteral("ᾱ"));
        QCPGraph* logSnr = graphNamed(qcp, QStringLiteral("log SNR"));
        QVERIFY(alphaBar && logSnr);
        for (int t : {50, 250, 400, 700}) {
            const QPoint pa(int(alphaBar->keyAxis()->coordToPixel(t)),
                            int(alphaBar->valueAxis()->coordToPixel(s.alphaBar[t - 1])));
            QVERIFY2(colorNear(img, pa, 3, palette::alphaBar()),
                     qPrintable(QStringLiteral("abar at t=%1").arg(t)));
            const QPoint ps(int(logSnr->keyAxis()->coordToPixel(t)),
                            int(logSnr->valueAxis()->coordToPixel(s.logSnr[t - 1])));
            QVERIFY2(colorNear(img, ps, 3, palette::logSnr()),
                     qPrintable(QStringLiteral("log SNR at t=%1").arg(t)));
        }
        // ...and not where it is not: abar at t = 50 is near 1, so the bottom of the top plot there is free
        // of it.
        const QPoint wrong(int(alphaBar->keyAxis()->coordToPixel(50)),
                           int(alphaBar->valueAxis()->coordToPixel(0.3)));
        QVERIFY(!colorNear(img, wrong, 3, palette::alphaBar()));
    }

    void markerMovesWithCurrentT()
    {
        SchedulePlot plot;
        plot.resize(760, 520);
        plot.show();
        QVERIFY(QTest::qWaitForWindowExposed(&plot));
        plot.setSchedule(linear(1000));
        QCPAxis* t = graphNamed(plot.customPlot(), QStringLiteral("log SNR"))->keyAxis();
        plot.setCurrentT(200);
        const QImage a = shot(plot);
        plot.setCurrentT(800);
        const QImage b = shot(plot);
        const int x200 = int(t->coordToPixel(200)), x800 = int(t->coordToPixel(800));
        QVERIFY2(markerPixelsInColumn(a, x200) > 150,
                 qPrintable(QString::number(markerPixelsInColumn(a, x200))));
        QVERIFY(markerPixelsInColumn(a, x800) < 20);
        QVERIFY(markerPixelsInColumn(b, x800) > 150);
        QVERIFY(markerPixelsInColumn(b, x200) < 20);
    }

    void movingTheMarkerDoesNotReplotEverything()
    {
        SchedulePlot plot;
        plot.resize(600, 400);
        plot.show();
        QVERIFY(QTest::qWaitForWindowExposed(&plot));
        plot.setSchedule(linear(1000));
        QTest::qWait(50);
        QSignalSpy replots(plot.customPlot(), &QCustomPlot::afterReplot);
        for (int t = 1; t <= 1000; t += 10)
            plot.setCurrentT(t);
        QTest::qWait(50);
        QCOMPARE(replots.count(), 0); // only the marker layer was redrawn
    }

    void comparisonAddsAndRemovesDashedCurves()
    {
        SchedulePlot plot;
        plot.setSchedule(linear(1000));
        const int alone = plot.customPlot()->graphCount();
        QCOMPARE(alone, 4);
        plot.setComparison(linear(500, QStringLiteral("short")));
        QCOMPARE(plot.customPlot()->graphCount(), 8);
        int dashed = 0;
        for (int i = 0; i < plot.customPlot()->graphCount(); ++i)
            dashed += plot.customPlot()->graph(i)->pen().style() == Qt::DashLine;
        QCOMPARE(dashed, 4);
        plot.setComparison(ScheduleSeries{});
        QCOMPARE(plot.customPlot()->graphCount(), 4);
    }

    void exportsPngPdfSvg()
    {
        SchedulePlot plot;
        plot.setSchedule(linear(1000));
        plot.setCurrentT(500);
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        QVERIFY(plot.savePng(dir.filePath(QStringLiteral("s.png")), 640, 400));
        QVERIFY(plot.savePdf(dir.filePath(QStringLiteral("s.pdf")), 640, 400));
        QVERIFY(plot.saveSvg(dir.filePath(QStringLiteral("s.svg")), 640, 400));
        QCOMPARE(QImage(dir.filePath(QStringLiteral("s.png"))).size(), QSize(640, 400));
        QFile pdf(dir.filePath(QStringLiteral("s.pdf")));
        QVERIFY(pdf.open(QIODevice::ReadOnly));
        QVERIFY(pdf.read(5).startsWith("%PDF"));
        QFile svg(dir.filePath(QStringLiteral("s.svg")));
        QVERIFY(svg.open(QIODevice::ReadOnly));
        const QByteArray text = svg.readAll();
        QVERIFY(text.contains("<svg"));
        QVERIFY(text.count("<path") + text.count("<polyline") > 10);
        const QImage image = plot.renderToImage(QSize(500, 300), 2.0);
        QCOMPARE(image.size(), QSize(1000, 600));
    }
};

QTEST_MAIN(TestSchedulePlot)
#include "test_w_schedule_plot.moc"
