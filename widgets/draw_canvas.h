#pragma once
// A small grayscale canvas (28 x 28 cells by default, shown large) to draw a reference x_0 with the mouse:
// left button paints, right button erases, the wheel changes the brush.
#include "widgets/types.h"

#include <QPointF>
#include <QVector>
#include <QWidget>

namespace difflens::widgets {

class DrawCanvas final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(DrawCanvas)

public:
    explicit DrawCanvas(QWidget* parent = nullptr);
    ~DrawCanvas() override;

    /** Resizes (and clears) the canvas. */
    void setGridSize(int width, int height);
    QSize gridSize() const { return {m_width, m_height}; }
    /** image() maps no ink to low and full ink to high (MNIST-like: black background at low). */
    void setValueRange(double low, double high);
    /** Brush radius in cells (soft edge); default 1.4. */
    void setBrushRadius(double cells);
    double brushRadius() const { return m_brushRadius; }

    /** The drawing as one channel, values in [low, high]. */
    ImageData image() const;
    /** Shows an image (channel 0, mapped from its own [low, high]); resizes the grid to it. */
    void setImage(const ImageData& image);
    bool isBlank() const;

    /** Widget rectangle of cell (x, y) at the current size. */
    QRectF cellRect(int x, int y) const;

    QSize sizeHint() const override { return {336, 336}; }
    QSize minimumSizeHint() const override { return {112, 112}; }

public Q_SLOTS:
    void clear();

Q_SIGNALS:
    /** The drawing changed (after each stroke segment). */
    void changed();

protected:
    void paintEvent(QPaintEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void mouseReleaseEvent(QMouseEvent* event) override;
    void wheelEvent(QWheelEvent* event) override;
    void leaveEvent(QEvent* event) override;

private:
    QRectF canvasRect() const;
    QPointF toCell(const QPointF& widgetPos) const;
    bool stamp(const QPointF& cell, bool erase);
    bool strokeTo(const QPointF& cell, bool erase);

    int m_width = 28;
    int m_height = 28;
    QVector<float> m_ink; // 0 (none) .. 1 (full), row-major
    double m_low = -1.0;
    double m_high = 1.0;
    double m_brushRadius = 1.4;
    Qt::MouseButton m_strokeButton = Qt::NoButton;
    QPointF m_lastCell;
    QPointF m_hover{-1, -1};
};

} // namespace difflens::widgets
