// PointView: draws points where the data says, the reference only when there is one, clicks pick data.
#include "widgets/paint_helpers.h"
#include "widgets/palette.h"
#include "widgets/point_view.h"

#include <QImage>
#include <QLineF>
#include <QPainter>
#include <QSet>
#include <QSignalSpy>
#include <QTest>

#include <cmath>

using namespace difflens::widgets;

namespace {

PointFrame twoDFrame(bool withReference)
{
    PointFrame f;
    f.dim = 2;
    for (int i = 0; i < 8; ++i)
        f.data.push_back(QPointF(2.5 * std::cos(i * M_PI / 4), 2.5 * std::sin(i * M_PI / 4)));
    for (int i = 0; i < 40; ++i) {
        const QPointF x(-3.0 + 0.15 * i, 0.5 * std::sin(i * 0.7));
        f.xt.push_back(x);
        f.meanModel.push_back(x * 0.9);
        f.x0Pred.push_back(x * 0.8);
    }
    f.selected = 3;
    f.hasReference = withReference;
    f.reference = QPointF(-2.0, 2.0);
    f.posteriorMean = QPointF(-1.5, 1.2);
    return f;
}

int colorDistance(QRgb a, QRgb b)
{
    return std::abs(qRed(a) - qRed(b)) + std::abs(qGreen(a) - qGreen(b)) + std::abs(qBlue(a) - qBlue(b));
}

// Pixels within `radius` of `center` whose colour is within `tolerance` of `color`.
int countNear(const QImage& img, const QPointF& center, int radius, const QColor& color, int tolerance = 30)
{
    int n = 0;
    for (int y = int(center.y()) - radius; y <= int(center.y()) + radius; ++y)
        for (int x = int(center.x()) - radius; x <= int(center.x()) + radius; ++x)
            if (img.rect().contains(x, y) && colorDistance(img.pixel(x, y), color.rgb()) <= tolerance) ++n;
    return n;
}

// The x_t blue (bars and their outline), not the purple of a curve: blue and green both above red.
bool isHistogramBlue(QRgb c)
{
    return qBlue(c) > qRed(c) + 40 && qGreen(c) > qRed(c) + 20;
}

PointView::Options noLegend()
{
    PointView::Options o;
    o.showLegend = false;
    return o;
}

} // namespace

class TestPointView : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void twoDIsDrawnWhereTheDataIs()
    {
        PointView view;
        view.setOptions(noLegend());
        view.resize(500, 500);
        view.setFrame(twoDFrame(false));
        const QImage img = view.renderToImage(view.size());
        QSet<QRgb> colors;
        for (int y = 0; y < img.height(); y += 2)
            for (int x = 0; x < img.width(); x += 2)
                colors.insert(img.pixel(x, y));
        QVERIFY2(colors.size() > 30, qPrintable(QString::number(colors.size())));
        // Every x_t dot is blue at its mapped position; an empty spot far from all points is not.
        for (int i = 0; i < 40; i += 7)
            QVERIFY2(countNear(img, view.mapFromData(view.frame().xt[i]), 2, palette::xt()) > 0,
                     qPrintable(QString::number(i)));
        QCOMPARE(countNear(img, view.mapFromData(QPointF(3.5, -3.5)), 4, palette::xt()), 0);
        // Data dots in their grey.
        QVERIFY(countNear(img, view.mapFromData(view.frame().data[2]), 2, palette::data(), 60) > 0);
    }

    void referenceMarkerOnlyWithReference()
    {
        PointView view;
        view.setOptions(noLegend());
        view.resize(500, 500);
        view.setFrame(twoDFrame(false));
        const QPointF ref = view.mapFromData(QPointF(-2.0, 2.0));
        const QPointF mu = view.mapFromData(QPointF(-1.5, 1.2));
        const QImage without = view.renderToImage(view.size());
        QCOMPARE(countNear(without, ref, 6, palette::reference(), 20), 0);
        QCOMPARE(countNear(without, mu, 8, palette::posterior(), 20), 0);
        view.setFrame(twoDFrame(true));
        const QImage with = view.renderToImage(view.size());
        QVERIFY(countNear(with, ref, 6, palette::reference(), 20) > 15);
        QVERIFY(countNear(with, mu, 8, palette::posterior(), 20) > 5);
        // The gap mu_theta - mu~ of the selected sample is drawn in the difference colour.
        QVERIFY(countNear(with, (mu + view.mapFromData(view.frame().meanModel[3])) / 2, 4,
                          palette::difference(), 40) > 0);
    }

    void labelsNeverOverlap_data()
    {
        QTest::addColumn<double>("spread"); // distance between the four markers, in data units
        QTest::addColumn<QSize>("size");
        QTest::newRow("coincide (small t)") << 0.0 << QSize(500, 500);
        QTest::newRow("almost coincide") << 0.02 << QSize(500, 500);
        QTest::newRow("close") << 0.15 << QSize(400, 380);
        QTest::newRow("apart") << 1.0 << QSize(500, 500);
        QTest::newRow("presentation") << 0.01 << QSize(1900, 1000);
    }

    void labelsNeverOverlap()
    {
        QFETCH(double, spread);
        QFETCH(QSize, size);
        PointView view;
        PointFrame f = twoDFrame(true);
        const QPointF x = f.xt[f.selected];
        f.meanModel[f.selected] = x + QPointF(spread, 0);
        f.posteriorMean = x + QPointF(0, spread);
        f.reference = x + QPointF(-spread, -spread);
        view.setFrame(f);
        view.resize(size);
        const QVector<QRectF> labels = view.labelRects(size);
        QCOMPARE(labels.size(), 4); // x_0, mu~, mu_theta, x_t
        for (int i = 0; i < labels.size(); ++i)
            for (int j = i + 1; j < labels.size(); ++j)
                QVERIFY2(!labels[i].intersects(labels[j]),
                         qPrintable(QStringLiteral("labels %1 and %2 overlap").arg(i).arg(j)));
        const QString dir = qEnvironmentVariable("DIFFLENS_SHOTS_DIR");
        if (!dir.isEmpty())
            view.renderToImage(size).save(dir + QStringLiteral("/labels_%1.png").arg(QTest::currentDataTag()).replace(' ', '_'));
        // Each stays near its marker (within a few label heights).
        for (const QRectF& box : labels) QVERIFY(QLineF(box.center(), view.mapFromData(x)).length() < 150);
    }

    void twoDFillsAWideWidget()
    {
        // A projector's screen is much wider than tall: the plot spans it with the data centred, not a square
        // at the left with empty space beside it. Scales stay equal on both axes.
        PointView view;
        view.setFrame(twoDFrame(true));
        view.resize(1900, 1000);
        const QString dir = qEnvironmentVariable("DIFFLENS_SHOTS_DIR");
        if (!dir.isEmpty()) view.renderToImage(view.size()).save(dir + QStringLiteral("/points_wide.png"));
        const QPointF centre = view.mapFromData(QPointF(0, 0));
        QVERIFY2(centre.x() > 0.4 * 1900 && centre.x() < 0.6 * 1900, qPrintable(QString::number(centre.x())));
        const QPointF one = view.mapFromData(QPointF(1, 1));
        QVERIFY(std::fabs((one.x() - centre.x()) + (one.y() - centre.y())) < 1e-6);
        // Data far outside the default range but inside the wide plot is drawn.
        PointFrame f = twoDFrame(false);
        f.xt = {QPointF(5.5, 0.0)};
        f.meanModel = {QPointF(5.5, 0.0)};
        f.x0Pred = {QPointF(5.5, 0.0)};
        f.selected = -1;
        view.setFrame(f);
        const QImage img = view.renderToImage(view.size());
        QVERIFY(countNear(img, view.mapFromData(QPointF(5.5, 0.0)), 3, palette::xt()) > 0);
    }

    void viewRangeChangesTheMapping()
    {
        PointView view;
        view.resize(400, 400);
        view.setFrame(twoDFrame(false));
        const QPointF before = view.mapFromData(QPointF(1, 1));
        view.setViewRange(QRectF(-2, -2, 4, 4));
        const QPointF after = view.mapFromData(QPointF(1, 1));
        QVERIFY(after.x() > before.x() + 10);
        QVERIFY(after.y() < before.y() - 10);
        const QPointF back = view.mapToData(after);
        QVERIFY(std::fabs(back.x() - 1) < 1e-9 && std::fabs(back.y() - 1) < 1e-9);
    }

    void clickNearDataPointEmitsIt()
    {
        PointView view;
        view.resize(500, 500);
        view.setFrame(twoDFrame(false));
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        QSignalSpy spy(&view, &PointView::dataPointClicked);
        const QPointF target = view.mapFromData(view.frame().data[5]);
        QTest::mouseClick(&view, Qt::LeftButton, {}, (target + QPointF(3, -2)).toPoint());
        QCOMPARE(spy.count(), 1);
        QCOMPARE(spy.at(0).at(0).toInt(), 5);
        QCOMPARE(spy.at(0).at(1).toPointF(), view.frame().data[5]);
        // Far from every point: nothing.
        QTest::mouseClick(&view, Qt::LeftButton, {}, view.mapFromData(QPointF(0, 3.6)).toPoint());
        QCOMPARE(spy.count(), 1);
    }

    void oneDHistogramAndCurves()
    {
        PointView view;
        view.setOptions(noLegend());
        view.resize(600, 400);
        PointFrame f;
        f.dim = 1;
        for (int i = 0; i < 500; ++i)
            f.xt.push_back(QPointF(1.0 + 0.2 * std::sin(i * 1.3), 0)); // all x_t near 1
        Curve c;
        c.name = QStringLiteral("q(xₜ₋₁ | xₜ)");
        c.color = palette::exact();
        for (double x = -4; x <= 4; x += 0.05)
            c.points.push_back(QPointF(x, 0.3 * std::exp(-(x + 2) * (x + 2) * 4)));
        f.curves.push_back(c);
        view.setFrame(f);
        const QImage img = view.renderToImage(view.size());
        // Histogram bars rise above x = 1, not above x = -3.
        int blueAt1 = 0, blueAtMinus3 = 0;
        for (int y = 0; y < img.height(); ++y) {
            const QRgb a = img.pixel(int(view.mapFromData(QPointF(1.0, 0)).x()), y);
            const QRgb b = img.pixel(int(view.mapFromData(QPointF(-3.0, 0)).x()), y);
            blueAt1 += isHistogramBlue(a);
            blueAtMinus3 += isHistogramBlue(b);
        }
        QVERIFY2(blueAt1 > 50, qPrintable(QString::number(blueAt1)));
        QCOMPARE(blueAtMinus3, 0);
        // The named curve is drawn in its colour, peaking above x = -2.
        QVERIFY(countNear(img, view.mapFromData(QPointF(-2.0, 0.3)), 6, palette::exact(), 40) > 0);
    }

    void pairedRunIsDrawnBesideItsTwins()
    {
        // Compare's difference: B's x_t in its own colour, each joined to its twin in A; only when given.
        PointView view;
        view.setOptions(noLegend());
        view.resize(500, 500);
        PointFrame f = twoDFrame(false);
        f.meanModel.clear();
        f.x0Pred.clear();
        view.setFrame(f);
        const QPointF twin = view.mapFromData(f.xt[10] + QPointF(0.0, 2.0));
        QCOMPARE(countNear(view.renderToImage(view.size()), twin, 3, palette::pairedRun(), 30), 0);
        for (const QPointF& x : f.xt)
            f.paired.push_back(x + QPointF(0.0, 2.0));
        f.pairedName = QStringLiteral("xₜ of B");
        view.setFrame(f);
        const QImage img = view.renderToImage(view.size());
        QVERIFY(countNear(img, twin, 3, palette::pairedRun(), 30) > 5);
        // The twin line (the difference colour, half transparent: red and blue over green) between them.
        const QPointF middle = view.mapFromData(f.xt[10] + QPointF(0.0, 1.0));
        int pink = 0;
        for (int dy = -3; dy <= 3; ++dy)
            for (int dx = -3; dx <= 3; ++dx) {
                const QRgb c = img.pixel(int(middle.x()) + dx, int(middle.y()) + dy);
                pink += qRed(c) > qGreen(c) + 40 && qBlue(c) > qGreen(c) + 20;
            }
        QVERIFY2(pink > 0, "no twin line");

        // 1-D: B's histogram is an outline over the same bins, where B's points are.
        PointFrame one;
        one.dim = 1;
        for (int i = 0; i < 300; ++i) {
            one.xt.push_back(QPointF(-2.0 + 0.1 * std::sin(i), 0));
            one.paired.push_back(QPointF(2.0 + 0.1 * std::sin(i), 0));
        }
        one.pairedName = QStringLiteral("xₜ of B");
        view.resize(600, 400);
        view.setFrame(one);
        const QImage hist = view.renderToImage(view.size());
        int atB = 0, atA = 0;
        for (int y = 0; y < hist.height(); ++y) {
            atB += colorDistance(hist.pixel(int(view.mapFromData(QPointF(2.0, 0)).x()), y), palette::pairedRun().rgb()) < 40;
            atA += colorDistance(hist.pixel(int(view.mapFromData(QPointF(-2.0, 0)).x()), y), palette::pairedRun().rgb()) < 40;
        }
        QVERIFY2(atB > 0, qPrintable(QString::number(atB)));
        QCOMPARE(atA, 0);
    }

    void exactFieldOnlyWhenGiven()
    {
        PointView view;
        view.setOptions(noLegend());
        view.resize(500, 500);
        PointFrame f;
        f.dim = 2;
        for (int i = 0; i < 8; ++i)
            for (int j = 0; j < 8; ++j) {
                const QPointF origin(-3.5 + i, -3.5 + j);
                f.fieldOrigins.push_back(origin);
                f.fieldVectors.push_back(-origin * 0.5);                         // model: towards 0
                f.exactFieldVectors.push_back(QPointF(origin.y(), -origin.x())); // exact: a rotation
            }
        f.fieldName = QStringLiteral("model score");
        PointFrame without = f;
        without.exactFieldVectors.clear();
        auto isExactPurple = [](QRgb c) { return colorDistance(c, palette::exact().rgb()) < 70; };
        auto countPurple = [&](const QImage& img) {
            int n = 0;
            for (int y = 0; y < img.height(); ++y)
                for (int x = 0; x < img.width(); ++x)
                    n += isExactPurple(img.pixel(x, y));
            return n;
        };
        view.setFrame(without);
        const QImage modelOnly = view.renderToImage(view.size());
        QCOMPARE(countPurple(modelOnly), 0);
        view.setFrame(f);
        const QImage both = view.renderToImage(view.size());
        QVERIFY2(countPurple(both) > 150, qPrintable(QString::number(countPurple(both))));
        // The exact arrow at origin (1.5, 1.5) points along (1.5, -1.5): purple there, not on the opposite
        // side.
        const QPointF along = view.mapFromData(QPointF(1.5, 1.5) + QPointF(1.5, -1.5) * 0.12);
        const QPointF opposite = view.mapFromData(QPointF(1.5, 1.5) - QPointF(1.5, -1.5) * 0.12);
        QVERIFY(countNear(both, along, 3, palette::exact(), 70) > 0);
        QCOMPARE(countNear(both, opposite, 3, palette::exact(), 70), 0);
        // One scale for both fields: the exact field (longest |v| = 4.95) is longer than the model's
        // (|v| <= 2.47), so the model's arrows shrink when the exact field is added.
        auto greyTip = [&](const QImage& img) {
            // How far the model arrow at origin (3.5, 3.5) reaches towards 0, along the diagonal.
            int reach = 0;
            const QPointF o = view.mapFromData(QPointF(3.5, 3.5));
            for (int k = 1; k < 60; ++k) {
                const QPointF q = o + QPointF(-k * 0.7071, k * 0.7071);
                const QRgb c = img.pixel(q.toPoint());
                if (qRed(c) < 215 && qBlue(c) - qRed(c) < 45 && qBlue(c) >= qRed(c))
                    reach = k; // the field's grey
            }
            return reach;
        };
        const int longReach = greyTip(modelOnly), shortReach = greyTip(both);
        QVERIFY2(shortReach < longReach - 5,
                 qPrintable(QStringLiteral("%1 vs %2").arg(shortReach).arg(longReach)));
        // Hidden with the field.
        PointView::Options o = noLegend();
        o.showField = false;
        view.setOptions(o);
        QCOMPARE(countPurple(view.renderToImage(view.size())), 0);
    }

    void dotStampMatchesTheEllipseItStandsFor()
    {
        // The stamped disc (pre-rendered, quarter-pixel copies) against drawEllipse at the same centres, for a
        // filled dot with an outline and an outline-only ring, at device pixel ratio 1 and 2: the images may
        // differ only by the quarter-pixel rounding of the position along the discs' edges.
        struct Mark
        {
            QColor fill;
            QPen pen;
        };
        const Mark marks[] = {{QColor(40, 120, 220), QPen(Qt::white, 0.6)}, {QColor(), QPen(QColor(200, 60, 30), 1.0)}};
        for (const qreal dpr : {1.0, 2.0}) {
            for (const Mark& m : marks) {
                auto canvas = [&] {
                    QImage img(QSize(120, 60) * dpr, QImage::Format_ARGB32_Premultiplied);
                    img.setDevicePixelRatio(dpr);
                    img.fill(Qt::black);
                    return img;
                };
                QImage stamped = canvas(), drawn = canvas();
                paint::DotStamp stamp(4.5, m.fill, m.pen);
                QPainter ps(&stamped), pd(&drawn);
                pd.setRenderHint(QPainter::Antialiasing, true);
                pd.setPen(m.pen);
                pd.setBrush(m.fill.isValid() ? QBrush(m.fill) : QBrush(Qt::NoBrush));
                for (int i = 0; i < 9; ++i) {
                    const QPointF c(10.0 + 11.37 * i, 20.0 + 2.61 * i); // fractional positions
                    stamp.draw(ps, c);
                    pd.drawEllipse(c, 4.5, 4.5);
                }
                ps.end();
                pd.end();
                double sum = 0, diffSum = 0;
                for (int y = 0; y < drawn.height(); ++y)
                    for (int x = 0; x < drawn.width(); ++x) {
                        const QRgb a = drawn.pixel(x, y), b = stamped.pixel(x, y);
                        const int d = std::abs(qRed(a) - qRed(b)) + std::abs(qGreen(a) - qGreen(b)) +
                                      std::abs(qBlue(a) - qBlue(b));
                        sum += qRed(a) + qGreen(a) + qBlue(a);
                        diffSum += d;
                    }
                QVERIFY(sum > 0); // something was drawn
                // Relative L1 difference: a quarter pixel of edge offset moves well under 15% of the ink.
                QVERIFY2(diffSum / sum < 0.15, qPrintable(QString("dpr %1: relative difference %2").arg(dpr).arg(diffSum / sum)));
                // And a stamp one pixel off would differ by far more (the test can fail).
                QImage shifted = canvas();
                QPainter pshift(&shifted);
                for (int i = 0; i < 9; ++i) stamp.draw(pshift, QPointF(11.0 + 11.37 * i, 20.0 + 2.61 * i));
                pshift.end();
                double shiftSum = 0;
                for (int y = 0; y < drawn.height(); ++y)
                    for (int x = 0; x < drawn.width(); ++x) {
                        const QRgb a = drawn.pixel(x, y), b = shifted.pixel(x, y);
                        shiftSum += std::abs(qRed(a) - qRed(b)) + std::abs(qGreen(a) - qGreen(b)) + std::abs(qBlue(a) - qBlue(b));
                    }
                QVERIFY2(shiftSum > 2 * diffSum, qPrintable(QString("shifted %1 vs stamped %2").arg(shiftSum).arg(diffSum)));
            }
        }
    }

    void emptyFrameShowsPlaceholderNotCrash()
    {
        PointView view;
        view.resize(300, 300);
        const QImage img = view.renderToImage(QSize(300, 300), 2.0);
        QCOMPARE(img.size(), QSize(600, 600));
    }
};

QTEST_MAIN(TestPointView)
#include "test_w_point_view.moc"
