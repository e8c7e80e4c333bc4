// DrawCanvas: mouse strokes paint and erase cells; image() and setImage() agree.
#include "widgets/draw_canvas.h"

#include <QSignalSpy>
#include <QTest>

using namespace difflens::widgets;

namespace {

float valueAt(const ImageData& img, int x, int y)
{
    return img.values[static_cast<size_t>(y) * img.width + x];
}

} // namespace

class TestDrawCanvas : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void strokePaintsAlongThePath()
    {
        DrawCanvas canvas;
        canvas.resize(280, 280);
        canvas.show();
        QVERIFY(QTest::qWaitForWindowExposed(&canvas));
        QVERIFY(canvas.isBlank());
        const ImageData before = canvas.image();
        QCOMPARE(before.width, 28);
        QCOMPARE(before.height, 28);
        QCOMPARE(valueAt(before, 14, 14), -1.0f);

        QSignalSpy changed(&canvas, &DrawCanvas::changed);
        QTest::mousePress(&canvas, Qt::LeftButton, {}, canvas.cellRect(5, 14).center().toPoint());
        QTest::mouseMove(&canvas, canvas.cellRect(12, 14).center().toPoint());
        QTest::mouseMove(&canvas, canvas.cellRect(20, 14).center().toPoint());
        QTest::mouseRelease(&canvas, Qt::LeftButton, {}, canvas.cellRect(20, 14).center().toPoint());
        QVERIFY(changed.count() >= 2);
        const ImageData after = canvas.image();
        for (int x = 5; x <= 20; ++x)
            QVERIFY2(valueAt(after, x, 14) > 0.9f, qPrintable(QString::number(x)));
        QCOMPARE(valueAt(after, 14, 3), -1.0f);  // far from the stroke
        QCOMPARE(valueAt(after, 25, 14), -1.0f); // past its end
        for (float v : after.values)
            QVERIFY(v >= -1.0f && v <= 1.0f);

        // Right button erases.
        QTest::mousePress(&canvas, Qt::RightButton, {}, canvas.cellRect(12, 14).center().toPoint());
        QTest::mouseRelease(&canvas, Qt::RightButton, {}, canvas.cellRect(12, 14).center().toPoint());
        QCOMPARE(canvas.image().values[14 * 28 + 12], -1.0f);
        QVERIFY(valueAt(canvas.image(), 5, 14) > 0.9f);

        canvas.clear();
        QVERIFY(canvas.isBlank());
    }

    void setImageRoundTripsAndValueRange()
    {
        DrawCanvas canvas;
        canvas.setValueRange(0.0, 1.0);
        ImageData img;
        img.width = 8;
        img.height = 6;
        img.low = -1;
        img.high = 1;
        for (int i = 0; i < 48; ++i)
            img.values.push_back(i % 2 ? 1.0f : -1.0f);
        QSignalSpy changed(&canvas, &DrawCanvas::changed);
        canvas.setImage(img);
        QCOMPARE(changed.count(), 1);
        QCOMPARE(canvas.gridSize(), QSize(8, 6));
        const ImageData out = canvas.image();
        QCOMPARE(out.low, 0.0);
        QCOMPARE(out.high, 1.0);
        for (int i = 0; i < 48; ++i)
            QCOMPARE(out.values[i], i % 2 ? 1.0f : 0.0f);
    }

    void wheelChangesTheBrush()
    {
        DrawCanvas canvas;
        const double before = canvas.brushRadius();
        canvas.setBrushRadius(3.0);
        QCOMPARE(canvas.brushRadius(), 3.0);
        canvas.setBrushRadius(100.0);
        QVERIFY(canvas.brushRadius() <= 8.0);
        canvas.setBrushRadius(before);
    }
};

QTEST_MAIN(TestDrawCanvas)
#include "test_w_draw_canvas.moc"
