// ImagePanelGrid: integer, pixel-exact zoom; one panel per column; long batches fit; export = screen.
#include "widgets/image_panel_grid.h"

#include <QSet>
#include <QSignalSpy>
#include <QTest>

using namespace difflens::widgets;

namespace {

// A 28 x 28 one-pixel checkerboard in two colours.
QImage checkerboard(QRgb a, QRgb b, int size = 28)
{
    QImage img(size, size, QImage::Format_RGB32);
    for (int y = 0; y < size; ++y)
        for (int x = 0; x < size; ++x)
            img.setPixel(x, y, (x + y) % 2 == 0 ? a : b);
    return img;
}

const QRgb kColumnColors[3][2] = {
    {qRgb(255, 0, 0), qRgb(0, 0, 0)}, {qRgb(0, 200, 0), qRgb(0, 0, 0)}, {qRgb(0, 0, 255), qRgb(255, 255, 0)}};

QVector<QVector<QImage>> rowsOfCheckerboards(int rows)
{
    QVector<QVector<QImage>> cells;
    for (int r = 0; r < rows; ++r) {
        QVector<QImage> row;
        for (const auto& c : kColumnColors)
            row.push_back(checkerboard(c[0], c[1]));
        cells.push_back(row);
    }
    return cells;
}

// Every image pixel must appear as a factor x factor block of exactly its colour.
bool blocksAreExact(const QImage& shot, const QRect& cell, const QImage& source, int factor, qreal dpr,
                    QString* why)
{
    const QPoint origin(qRound(cell.left() * dpr), qRound(cell.top() * dpr));
    for (int y = 0; y < source.height(); ++y)
        for (int x = 0; x < source.width(); ++x)
            for (int dy = 0; dy < factor; ++dy)
                for (int dx = 0; dx < factor; ++dx) {
                    const QPoint p = origin + QPoint(x * factor + dx, y * factor + dy);
                    if (shot.pixel(p) != source.pixel(x, y)) {
                        *why = QStringLiteral("pixel (%1,%2) block (%3,%4)").arg(x).arg(y).arg(dx).arg(dy);
                        return false;
                    }
                }
    return true;
}

} // namespace

class TestImagePanelGrid : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void checkerboardIsPixelExactAtIntegerZoom()
    {
        ImagePanelGrid grid;
        grid.setColumns({QStringLiteral("xₜ"), QStringLiteral("μ_θ"), QStringLiteral("μ̃")});
        grid.setCells(rowsOfCheckerboards(2));
        grid.setCaption(QStringLiteral("t = 734 / 1000"));
        grid.resize(800, 520);
        grid.show();
        QVERIFY(QTest::qWaitForWindowExposed(&grid));
        const int factor = grid.scaleFactor();
        QVERIFY2(factor >= 4, qPrintable(QString::number(factor)));
        const QImage shot = grid.grab().toImage().convertToFormat(QImage::Format_RGB32);
        for (int r = 0; r < 2; ++r)
            for (int c = 0; c < 3; ++c) {
                const QRect cell = grid.cellRect(r, c);
                QCOMPARE(cell.size(), QSize(28 * factor, 28 * factor));
                QString why;
                QVERIFY2(blocksAreExact(shot, cell, checkerboard(kColumnColors[c][0], kColumnColors[c][1]),
                                        factor, 1.0, &why),
                         qPrintable(QStringLiteral("row %1 col %2: %3").arg(r).arg(c).arg(why)));
            }
    }

    void oneDrawnPanelPerColumn()
    {
        ImagePanelGrid grid;
        grid.setColumns({QStringLiteral("a"), QStringLiteral("b"), QStringLiteral("c")});
        grid.setCells(rowsOfCheckerboards(1));
        grid.resize(700, 300);
        grid.show();
        QVERIFY(QTest::qWaitForWindowExposed(&grid));
        const QImage shot = grid.grab().toImage().convertToFormat(QImage::Format_RGB32);
        // Scan a horizontal line through the images: the first colour of each column appears in its own,
        // disjoint, left-to-right interval, and there are exactly three such intervals.
        const int y = grid.cellRect(0, 0).center().y();
        QVector<int> firstColorColumns;
        int previousColumn = -1;
        for (int x = 0; x < shot.width(); ++x) {
            int column = -1;
            for (int c = 0; c < 3; ++c)
                if (shot.pixel(x, y) == kColumnColors[c][0]) column = c;
            if (column >= 0 && column != previousColumn) {
                firstColorColumns.push_back(column);
                previousColumn = column;
            }
        }
        QCOMPARE(firstColorColumns, (QVector<int>{0, 1, 2}));
        QVERIFY(grid.cellRect(0, 0).right() < grid.cellRect(0, 1).left());
        QVERIFY(grid.cellRect(0, 1).right() < grid.cellRect(0, 2).left());
        QVERIFY(grid.cellRect(0, 3).isEmpty());
        QCOMPARE(grid.columnCount(), 3);
    }

    void exportPaintsExactlyLikeTheScreen()
    {
        ImagePanelGrid grid;
        grid.setColumns({QStringLiteral("xₜ"), QStringLiteral("x̂₀"), QStringLiteral("|μ_θ − μ̃|")});
        grid.setCells(rowsOfCheckerboards(3));
        grid.setCaption(QStringLiteral("step 1 of 10"));
        grid.resize(640, 480);
        grid.show();
        QVERIFY(QTest::qWaitForWindowExposed(&grid));
        const QImage shot = grid.grab().toImage().convertToFormat(QImage::Format_RGB32);
        const QImage exported = grid.renderToImage(grid.size()).convertToFormat(QImage::Format_RGB32);
        QCOMPARE(exported.size(), shot.size());
        QVERIFY(exported == shot);
    }

    void sixteenRowsFitWithoutOverlap()
    {
        ImagePanelGrid grid;
        grid.setColumns({QStringLiteral("a"), QStringLiteral("b"), QStringLiteral("c")});
        grid.setCells(rowsOfCheckerboards(16));
        grid.resize(900, 700);
        grid.show();
        QVERIFY(QTest::qWaitForWindowExposed(&grid));
        QVERIFY(grid.scaleFactor() >= 1);
        QVector<QRect> cells;
        for (int r = 0; r < 16; ++r)
            for (int c = 0; c < 3; ++c) {
                const QRect cell = grid.cellRect(r, c);
                QVERIFY(!cell.isEmpty());
                QVERIFY2(grid.rect().contains(cell),
                         qPrintable(QStringLiteral("row %1 col %2").arg(r).arg(c)));
                for (const QRect& other : cells)
                    QVERIFY(!other.intersects(cell));
                cells.push_back(cell);
            }
        // Long batches wrap into side-by-side groups rather than shrink to a tiny zoom.
        QVERIFY(grid.scaleFactor() >= 2);
    }

    void highDpiExportStaysPixelExact()
    {
        ImagePanelGrid grid;
        grid.setColumns({QStringLiteral("a"), QStringLiteral("b"), QStringLiteral("c")});
        grid.setCells(rowsOfCheckerboards(1));
        grid.resize(600, 260);
        const QImage image = grid.renderToImage(QSize(600, 260), 2.0).convertToFormat(QImage::Format_RGB32);
        QCOMPARE(image.size(), QSize(1200, 520));
        // Find the top-left red pixel of column 0 and check the blocks from there.
        QPoint first(-1, -1);
        for (int y = 0; y < image.height() && first.x() < 0; ++y)
            for (int x = 0; x < image.width(); ++x)
                if (image.pixel(x, y) == kColumnColors[0][0]) {
                    first = QPoint(x, y);
                    break;
                }
        QVERIFY(first.x() >= 0);
        int factor = 0;
        while (image.pixel(first.x() + factor, first.y()) == kColumnColors[0][0])
            ++factor;
        QVERIFY2(factor >= 4, qPrintable(QString::number(factor)));
        QString why;
        QVERIFY2(blocksAreExact(image, QRect(first, QSize(1, 1)),
                                checkerboard(kColumnColors[0][0], kColumnColors[0][1]), factor, 1.0, &why),
                 qPrintable(why));
    }

    void captionAndPlaceholderAreDrawn()
    {
        ImagePanelGrid grid;
        grid.resize(400, 300);
        const QImage empty = grid.renderToImage(QSize(400, 300));
        QSet<QRgb> colors;
        for (int y = 0; y < empty.height(); ++y)
            for (int x = 0; x < empty.width(); ++x)
                colors.insert(empty.pixel(x, y));
        QVERIFY(colors.size() > 2); // the placeholder text
        grid.setColumns({QStringLiteral("a")});
        grid.setCells({{checkerboard(qRgb(255, 0, 0), qRgb(0, 0, 0))}});
        const QImage without = grid.renderToImage(QSize(400, 300));
        grid.setCaption(QStringLiteral("t = 500 / 1000"));
        QCOMPARE(grid.caption(), QStringLiteral("t = 500 / 1000"));
        const QImage with = grid.renderToImage(QSize(400, 300));
        QVERIFY(with != without);
    }

    void clickReportsTheCell()
    {
        ImagePanelGrid grid;
        grid.setColumns({QStringLiteral("a"), QStringLiteral("b"), QStringLiteral("c")});
        grid.setCells(rowsOfCheckerboards(2));
        grid.resize(600, 400);
        grid.show();
        QVERIFY(QTest::qWaitForWindowExposed(&grid));
        QSignalSpy spy(&grid, &ImagePanelGrid::cellClicked);
        QWidget* canvas = grid.childAt(grid.cellRect(1, 2).center());
        QVERIFY(canvas);
        QTest::mouseClick(canvas, Qt::LeftButton, {}, canvas->mapFrom(&grid, grid.cellRect(1, 2).center()));
        QCOMPARE(spy.count(), 1);
        QCOMPARE(spy.at(0).at(0).toInt(), 1);
        QCOMPARE(spy.at(0).at(1).toInt(), 2);
    }
};

QTEST_MAIN(TestImagePanelGrid)
#include "test_w_image_panel_grid.moc"
