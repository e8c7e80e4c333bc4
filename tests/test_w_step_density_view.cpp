// StepDensityView: the 2-D heat map sits where the density is, Gaussian circles at radius sd, x_t (or an
// arrow towards it), the 1-D curves peak at their data x, near-delta marks are clipped, empty frames.
#include "widgets/palette.h"
#include "widgets/step_density_view.h"

#include <QTest>

#include <cmath>

using namespace difflens::widgets;

namespace {

int colorDistance(QRgb a, const QColor& b)
{
    return std::abs(qRed(a) - b.red()) + std::abs(qGreen(a) - b.green()) + std::abs(qBlue(a) - b.blue());
}

// The heat map's purple (any strength): red and blue well above green.
bool isPurple(QRgb c)
{
    return qRed(c) > qGreen(c) + 25 && qBlue(c) > qGreen(c) + 45;
}

int countIn(const QImage& img, const QRectF& area, bool (*test)(QRgb))
{
    int n = 0;
    for (int y = int(area.top()); y <= int(area.bottom()); ++y)
        for (int x = int(area.left()); x <= int(area.right()); ++x)
            if (img.rect().contains(x, y) && test(img.pixel(x, y))) ++n;
    return n;
}

int countNear(const QImage& img, const QPointF& center, int radius, const QColor& color, int tolerance = 40)
{
    int n = 0;
    for (int y = int(center.y()) - radius; y <= int(center.y()) + radius; ++y)
        for (int x = int(center.x()) - radius; x <= int(center.x()) + radius; ++x)
            if (img.rect().contains(x, y) && colorDistance(img.pixel(x, y), color) <= tolerance) ++n;
    return n;
}

// A 2-D frame over [-1, 1]^2 whose exact density is one bump near (0.6, 0.6) (top right).
StepDensityFrame bumpFrame()
{
    StepDensityFrame f;
    f.dim = 2;
    f.caption = QStringLiteral("t = 500 → 499");
    f.window = QRectF(-1, -1, 2, 2);
    f.densityColumns = 40;
    f.densityRows = 40;
    for (int row = 0; row < 40; ++row)
        for (int col = 0; col < 40; ++col) {
            const double x = -1 + (col + 0.5) * 2.0 / 40, y = 1 - (row + 0.5) * 2.0 / 40; // row 0 at the top
            f.exactDensity.push_back(std::exp(-((x - 0.6) * (x - 0.6) + (y - 0.6) * (y - 0.6)) / (2 * 0.02)));
        }
    f.xt = QPointF(-0.5, 0.5);
    return f;
}

} // namespace

class TestStepDensityView : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void heatMapIsPurpleWhereTheDensityIs()
    {
        const StepDensityFrame f = bumpFrame();
        const QSize size(420, 380);
        const QImage img = StepDensityView::render(f, size);
        const QRectF plot = StepDensityView::plotRect(f, size);
        // Equal aspect: the square window is drawn square.
        QVERIFY2(std::fabs(plot.width() - plot.height()) < 1.0,
                 qPrintable(QStringLiteral("%1 x %2").arg(plot.width()).arg(plot.height())));
        const QPointF bump = StepDensityView::mapFromData(f, size, QPointF(0.6, 0.6));
        const QPointF opposite = StepDensityView::mapFromData(f, size, QPointF(-0.6, -0.6));
        QVERIFY(bump.x() > plot.center().x() && bump.y() < plot.center().y()); // top right
        const QRectF around(bump - QPointF(6, 6), QSizeF(12, 12));
        const QRectF far(opposite - QPointF(6, 6), QSizeF(12, 12));
        QVERIFY2(countIn(img, around, isPurple) > 120,
                 qPrintable(QString::number(countIn(img, around, isPurple))));
        QCOMPARE(countIn(img, far, isPurple), 0);
        // The peak is the strong purple itself (normalised to its max).
        QVERIFY(colorDistance(img.pixel(bump.toPoint()), palette::exact()) < 60);
    }

    void gaussianCircleAtRadiusSd()
    {
        StepDensityFrame f = bumpFrame();
        f.exactDensity.fill(0.0);
        GaussianMark g;
        g.name = QStringLiteral("p_θ");
        g.mean = QPointF(-0.2, -0.3);
        g.sd = 0.3;
        g.color = palette::model();
        f.gaussians.push_back(g);
        const QSize size(420, 380);
        const QImage img = StepDensityView::render(f, size);
        const QPointF centre = StepDensityView::mapFromData(f, size, g.mean);
        const double pixelsPerUnit = StepDensityView::plotRect(f, size).width() / f.window.width();
        const double expected = g.sd * pixelsPerUnit;
        // Scan the row through the mean to the right: the first strong orange after the cross is the
        // 1-sigma circle, then the lighter 2-sigma circle at twice the radius.
        const int y = int(std::round(centre.y()));
        int first = -1;
        for (int x = int(centre.x()) + 8; x < img.width(); ++x)
            if (colorDistance(img.pixel(x, y), palette::model()) < 60) {
                first = x;
                break;
            }
        QVERIFY(first > 0);
        QVERIFY2(std::fabs(first - centre.x() - expected) <= 2.5,
                 qPrintable(QStringLiteral("found %1, expected %2").arg(first - centre.x()).arg(expected)));
        int second = -1;
        for (int x = int(centre.x() + expected) + 4; x < img.width(); ++x) {
            const QRgb c = img.pixel(x, y);
            if (qRed(c) > qBlue(c) + 40 && qRed(c) > qGreen(c) + 20) { // orange, light or strong
                second = x;
                break;
            }
        }
        QVERIFY(second > 0);
        QVERIFY2(
            std::fabs(second - centre.x() - 2 * expected) <= 2.5,
            qPrintable(QStringLiteral("found %1, expected %2").arg(second - centre.x()).arg(2 * expected)));
        // The mean's cross is drawn too.
        QVERIFY(countNear(img, centre, 2, palette::model(), 60) > 0);
    }

    void xtInsideIsADotOutsideAnArrow()
    {
        StepDensityFrame f = bumpFrame();
        f.exactDensity.fill(0.0);
        const QSize size(420, 380);
        const QImage inside = StepDensityView::render(f, size);
        QVERIFY(countNear(inside, StepDensityView::mapFromData(f, size, f.xt), 2, palette::xt(), 30) >= 9);

        const QRectF plot = StepDensityView::plotRect(f, size);
        const QRectF rightBorder(plot.right() - 40, plot.top(), 40, plot.height());
        auto isBlue = [](QRgb c) { return qBlue(c) > qRed(c) + 80 && qBlue(c) > qGreen(c) + 30; };
        QCOMPARE(countIn(inside, rightBorder, isBlue), 0);
        f.xt = QPointF(5.0, 0.0); // far to the right of the window
        const QImage outside = StepDensityView::render(f, size);
        QVERIFY2(countIn(outside, rightBorder, isBlue) > 40,
                 qPrintable(QString::number(countIn(outside, rightBorder, isBlue))));
        // No dot where x_t used to be.
        QCOMPARE(countNear(outside, StepDensityView::mapFromData(f, size, QPointF(-0.5, 0.5)), 2,
                           palette::xt(), 30),
                 0);
    }

    void oneDCurvesPeakAtTheirDataX()
    {
        StepDensityFrame f;
        f.dim = 1;
        f.window = QRectF(-2, 0, 4, 1);
        for (int i = 0; i <= 400; ++i) {
            const double x = -2 + 4.0 * i / 400;
            f.exactCurve.push_back(
                QPointF(x, std::exp(-(x - 0.8) * (x - 0.8) / (2 * 0.09)) / (0.3 * std::sqrt(2 * M_PI))));
        }
        GaussianMark model;
        model.name = QStringLiteral("p_θ");
        model.mean = QPointF(-1.0, 0);
        model.sd = 0.4;
        model.color = palette::model();
        f.gaussians.push_back(model);
        f.xt = QPointF(0.2, 0);
        const QSize size(480, 360);
        const QImage img = StepDensityView::render(f, size);
        const QRectF plot = StepDensityView::plotRect(f, size);
        // The topmost purple pixel of the exact curve is above x = 0.8.
        int bestY = img.height(), bestX = -1;
        for (int x = int(plot.left()) + 2; x < int(plot.right()) - 2; ++x)
            for (int y = int(plot.top()) + 1; y < int(plot.bottom()); ++y)
                if (colorDistance(img.pixel(x, y), palette::exact()) < 50) {
                    if (y < bestY) {
                        bestY = y;
                        bestX = x;
                    }
                    break;
                }
        const double expectedX = StepDensityView::mapFromData(f, size, QPointF(0.8, 0)).x();
        QVERIFY2(std::fabs(bestX - expectedX) <= 3,
                 qPrintable(QStringLiteral("%1 vs %2").arg(bestX).arg(expectedX)));
        // Its peak height maps to the right y.
        const double peakY =
            StepDensityView::mapFromData(f, size, QPointF(0.8, 1.0 / (0.3 * std::sqrt(2 * M_PI)))).y();
        QVERIFY2(std::fabs(bestY - peakY) <= 3, qPrintable(QStringLiteral("%1 vs %2").arg(bestY).arg(peakY)));
        // The model's curve peaks above x = -1 at its density 1 / (sd sqrt(2 pi)).
        const QPointF modelPeak =
            StepDensityView::mapFromData(f, size, QPointF(-1.0, 1.0 / (0.4 * std::sqrt(2 * M_PI))));
        QVERIFY(countNear(img, modelPeak, 2, palette::model(), 60) > 0);
        // x_t is a vertical line.
        const int xtX = int(std::round(StepDensityView::mapFromData(f, size, f.xt).x()));
        int blue = 0;
        for (int y = int(plot.top()); y < int(plot.bottom()); ++y) {
            bool any = false;
            for (int dx = -1; dx <= 1; ++dx)
                any = any || qBlue(img.pixel(xtX + dx, y)) > qRed(img.pixel(xtX + dx, y)) + 60;
            blue += any;
        }
        QVERIFY2(blue > plot.height() * 0.5, qPrintable(QString::number(blue)));
    }

    void oneDNarrowMarkIsClippedNotFlattening()
    {
        StepDensityFrame f;
        f.dim = 1;
        f.window = QRectF(-2, 0, 4, 1);
        for (int i = 0; i <= 200; ++i) {
            const double x = -2 + 4.0 * i / 200;
            f.exactCurve.push_back(QPointF(x, 0.4 * std::exp(-x * x / 2)));
        }
        GaussianMark posterior;
        posterior.name = QStringLiteral("q(xₜ₋₁ | xₜ, x₀)");
        posterior.mean = QPointF(0.5, 0);
        posterior.sd = 0.001; // peak ~ 400, 1000x the exact curve
        posterior.color = palette::posterior();
        f.gaussians.push_back(posterior);
        const QSize size(480, 360);
        const QRectF plot = StepDensityView::plotRect(f, size);
        // The exact curve's peak (0.4) still uses a good part of the plot's height.
        const double peakY = StepDensityView::mapFromData(f, size, QPointF(0.0, 0.4)).y();
        QVERIFY2(plot.bottom() - peakY > plot.height() * 0.2,
                 qPrintable(QString::number(plot.bottom() - peakY)));
        // The narrow peak reaches the top of the plot: it is drawn, clipped.
        const QImage img = StepDensityView::render(f, size);
        const int px = int(std::round(StepDensityView::mapFromData(f, size, posterior.mean).x()));
        int green = 0;
        for (int dx = -1; dx <= 1; ++dx)
            for (int y = int(plot.top()) + 2; y < int(plot.top() + plot.height() * 0.3); ++y)
                green += colorDistance(img.pixel(px + dx, y), palette::posterior()) < 80;
        QVERIFY2(green > 20, qPrintable(QString::number(green)));
    }

    void pointMassIsACross()
    {
        StepDensityFrame f = bumpFrame();
        f.exactDensity.fill(0.0);
        GaussianMark g;
        g.mean = QPointF(0.3, -0.4);
        g.sd = 0;
        g.color = palette::posterior();
        f.gaussians.push_back(g);
        const QSize size(420, 380);
        const QImage img = StepDensityView::render(f, size);
        const QPointF c = StepDensityView::mapFromData(f, size, g.mean);
        QVERIFY(countNear(img, c, 3, palette::posterior(), 60) > 4);
        // A cross, not a circle: nothing green 20 px away.
        QCOMPARE(countNear(img, c + QPointF(20, 0), 2, palette::posterior(), 60), 0);
    }

    void emptyFrameShowsHintNoPurple()
    {
        StepDensityView view;
        view.resize(420, 380);
        view.setEmptyText(QStringLiteral("Pick a sample"));
        QCOMPARE(view.emptyText(), QStringLiteral("Pick a sample"));
        const QImage img = view.renderToImage(view.size(), 2.0);
        QCOMPARE(img.size(), QSize(840, 760));
        QCOMPARE(countIn(img, img.rect(), isPurple), 0);
        // Some grey text in the middle.
        int grey = 0;
        for (int x = 0; x < img.width(); ++x) {
            const QRgb c = img.pixel(x, img.height() / 2);
            grey += qRed(c) < 200;
        }
        QVERIFY(grey > 0);
        const QImage staticImg = StepDensityView::render(StepDensityFrame{}, QSize(200, 150));
        QCOMPARE(staticImg.size(), QSize(200, 150));
        QCOMPARE(countIn(staticImg, staticImg.rect(), isPurple), 0);
    }

    void widgetPaintsLikeRender()
    {
        StepDensityView view;
        view.resize(420, 380);
        StepDensityFrame f = bumpFrame();
        f.notes = QStringList{QStringLiteral("KL = 0.31 nats"), QStringLiteral("|μ_θ − μ̃| = 0.02")};
        view.setFrame(f);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        const QImage grabbed = view.grab().toImage().convertToFormat(QImage::Format_RGB32);
        const QImage rendered = StepDensityView::render(f, view.size(), grabbed.devicePixelRatio());
        QCOMPARE(grabbed.size(), rendered.size());
        const QPointF bump = view.mapFromData(QPointF(0.6, 0.6));
        QVERIFY(colorDistance(grabbed.pixel(bump.toPoint()), palette::exact()) < 60);
        QCOMPARE(view.plotRect(), StepDensityView::plotRect(f, view.size()));
    }
};

QTEST_MAIN(TestStepDensityView)
#include "test_w_step_density_view.moc"
