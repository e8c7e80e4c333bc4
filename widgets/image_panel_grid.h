#pragma once
// A grid of images: columns are the quantities of one step (x_t, x0^, mu_theta, mu~, x_0, |mu_theta - mu~|),
// rows are the samples of a batch. Pixel-exact: every image is shown at the largest integer zoom that fits.
#include <QColor>
#include <QImage>
#include <QStringList>
#include <QVector>
#include <QWidget>

#include <memory>

class QScrollArea;

namespace difflens::widgets {

class ImagePanelGridCanvas;

class ImagePanelGrid final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ImagePanelGrid)

public:
    explicit ImagePanelGrid(QWidget* parent = nullptr);
    ~ImagePanelGrid() override;

    /** Column titles, e.g. "xₜ", "x̂₀ (model)"; colours (optional, one per column) tint the titles. */
    void setColumns(const QStringList& titles, const QVector<QColor>& titleColors = {});
    /** A smaller line under each title, e.g. the value range or "‖·‖ = 0.31"; empty strings allowed. */
    void setColumnSubtitles(const QStringList& subtitles);
    /** rows x columns already coloured images; a null QImage leaves its cell empty. */
    void setCells(const QVector<QVector<QImage>>& rows);
    /** Optional labels left of each row, e.g. "#1" .. "#16". */
    void setRowLabels(const QStringList& labels);
    /** The line above the grid, e.g. "t = 734 / 1000 · step 266 of 1000". */
    void setCaption(const QString& caption);
    /** Shown centred while there are no cells. */
    void setPlaceholderText(const QString& text);
    void clear();

    QStringList columns() const;
    int columnCount() const;
    int rowCount() const;
    QString caption() const;

    /** The integer zoom (device pixels per image pixel) used at the current size. */
    int scaleFactor() const;
    /** Where image (row, column) is drawn, in this widget's coordinates (empty if out of range). */
    QRect cellRect(int row, int column) const;
    /** The same painting as on screen, into an image of `size` logical pixels (for export). */
    QImage renderToImage(const QSize& size, qreal devicePixelRatio = 1.0) const;
    /**
     * The same painting without a widget: usable from any thread (export jobs). Arguments as the setters;
     * returns an image of `size` logical pixels.
     */
    static QImage render(const QStringList& titles, const QVector<QColor>& titleColors, const QStringList& subtitles,
                         const QStringList& rowLabels, const QVector<QVector<QImage>>& cells, const QString& caption,
                         const QSize& size, qreal devicePixelRatio = 1.0);

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

Q_SIGNALS:
    void cellClicked(int row, int column);

private:
    QScrollArea* m_scroll = nullptr;
    ImagePanelGridCanvas* m_canvas = nullptr;
};

} // namespace difflens::widgets
