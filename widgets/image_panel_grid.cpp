#include "widgets/image_panel_grid.h"

#include "widgets/image_grid_paint.h"
#include "widgets/palette.h"

#include <QFontMetricsF>
#include <QMouseEvent>
#include <QPainter>
#include <QScrollArea>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <functional>

namespace difflens::widgets {


// The painted surface inside the scroll area.
class ImagePanelGridCanvas final : public QWidget
{
public:
    explicit ImagePanelGridCanvas(QWidget* parent) : QWidget(parent)
    {
        setAttribute(Qt::WA_OpaquePaintEvent);
        setMouseTracking(false);
    }

    GridContent content;
    ScaledCache cache;
    std::function<void(int, int)> onCellClicked;

    void contentChanged(bool cellsChanged)
    {
        if (cellsChanged) cache = ScaledCache{};
        const GridLayout minimum = computeLayout(content, QSizeF(1, 1), devicePixelRatioF(), 1);
        setMinimumSize(minimum.contentSize.toSize());
        update();
    }

    GridLayout layout() const { return computeLayout(content, QSizeF(size()), devicePixelRatioF()); }

protected:
    void paintEvent(QPaintEvent*) override
    {
        QPainter p(this);
        paintGrid(p, QSizeF(size()), content, devicePixelRatioF(), &cache);
    }

    void mousePressEvent(QMouseEvent* event) override
    {
        const GridLayout L = layout();
        if (L.empty || !onCellClicked) return;
        for (int row = 0; row < content.cells.size(); ++row)
            for (int col = 0; col < content.cells[row].size(); ++col)
                if (L.cellRect(row, col).contains(event->position())) {
                    onCellClicked(row, col);
                    return;
                }
    }
};

ImagePanelGrid::ImagePanelGrid(QWidget* parent) : QWidget(parent)
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    m_scroll = new QScrollArea(this);
    layout->addWidget(m_scroll);
    m_scroll->setFrameShape(QFrame::NoFrame);
    m_scroll->setWidgetResizable(true);
    m_scroll->setAlignment(Qt::AlignCenter);
    QPalette pal = m_scroll->palette();
    pal.setColor(QPalette::Window, palette::background());
    m_scroll->setPalette(pal);
    m_canvas = new ImagePanelGridCanvas(m_scroll);
    m_canvas->onCellClicked = [this](int row, int col) { Q_EMIT cellClicked(row, col); };
    m_scroll->setWidget(m_canvas);
    m_canvas->contentChanged(true);
}

ImagePanelGrid::~ImagePanelGrid() = default;

void ImagePanelGrid::setColumns(const QStringList& titles, const QVector<QColor>& titleColors)
{
    m_canvas->content.titles = titles;
    m_canvas->content.titleColors = titleColors;
    m_canvas->contentChanged(false);
}

void ImagePanelGrid::setColumnSubtitles(const QStringList& subtitles)
{
    m_canvas->content.subtitles = subtitles;
    m_canvas->contentChanged(false);
}

void ImagePanelGrid::setCells(const QVector<QVector<QImage>>& rows)
{
    m_canvas->content.cells = rows;
    m_canvas->contentChanged(true);
}

void ImagePanelGrid::setRowLabels(const QStringList& labels)
{
    m_canvas->content.rowLabels = labels;
    m_canvas->contentChanged(false);
}

void ImagePanelGrid::setCaption(const QString& caption)
{
    if (m_canvas->content.caption == caption) return;
    m_canvas->content.caption = caption;
    m_canvas->contentChanged(false);
}

void ImagePanelGrid::setPlaceholderText(const QString& text)
{
    m_canvas->content.placeholder = text;
    m_canvas->update();
}

void ImagePanelGrid::clear()
{
    m_canvas->content.cells.clear();
    m_canvas->content.caption.clear();
    m_canvas->content.rowLabels.clear();
    m_canvas->contentChanged(true);
}

QStringList ImagePanelGrid::columns() const
{
    return m_canvas->content.titles;
}
int ImagePanelGrid::columnCount() const
{
    return m_canvas->content.titles.size();
}
int ImagePanelGrid::rowCount() const
{
    return m_canvas->content.cells.size();
}
QString ImagePanelGrid::caption() const
{
    return m_canvas->content.caption;
}
int ImagePanelGrid::scaleFactor() const
{
    return m_canvas->layout().factor;
}

QRect ImagePanelGrid::cellRect(int row, int column) const
{
    const GridLayout L = m_canvas->layout();
    if (L.empty || row < 0 || row >= L.rows || column < 0 || column >= L.cols) return {};
    const QRectF r = L.cellRect(row, column);
    return QRect(m_canvas->mapTo(this, r.topLeft().toPoint()), r.size().toSize());
}

QImage ImagePanelGrid::renderToImage(const QSize& size, qreal devicePixelRatio) const
{
    QImage image(size * devicePixelRatio, QImage::Format_RGB32);
    image.setDevicePixelRatio(devicePixelRatio);
    QPainter p(&image);
    paintGrid(p, QSizeF(size), m_canvas->content, devicePixelRatio, nullptr);
    return image;
}

QImage ImagePanelGrid::render(const QStringList& titles, const QVector<QColor>& titleColors,
                              const QStringList& subtitles, const QStringList& rowLabels,
                              const QVector<QVector<QImage>>& cells, const QString& caption, const QSize& size,
                              qreal devicePixelRatio)
{
    GridContent c;
    c.titles = titles;
    c.titleColors = titleColors;
    c.subtitles = subtitles;
    c.rowLabels = rowLabels;
    c.cells = cells;
    c.caption = caption;
    return renderImageGrid(c, size, devicePixelRatio);
}

QSize ImagePanelGrid::sizeHint() const
{
    return m_canvas->minimumSize().expandedTo(QSize(640, 420));
}
QSize ImagePanelGrid::minimumSizeHint() const
{
    return QSize(160, 120);
}

} // namespace difflens::widgets
