#pragma once
// The QCustomPlot-based plots share this base: it owns the plot (QCustomPlot stays out of public headers),
// styles axes with the palette, exports PNG / PDF / SVG, throttles replots, and keeps a cheap current-t
// marker.
#include <QImage>
#include <QPair>
#include <QString>
#include <QVector>
#include <QWidget>

class QCustomPlot;
class QCPAxis;
class QCPAxisRect;
class QCPGraph;
class QCPItemStraightLine;
class QCPItemText;
class QCPItemTracer;
class QCPLayer;
class QCPLegend;
class QCPTextElement;
class QTimer;

namespace difflens::widgets {

class PlotWidgetBase : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(PlotWidgetBase)

public:
    ~PlotWidgetBase() override;

    /** Export at width x height logical pixels; scale multiplies the PNG's pixel count (2 for slides). */
    bool savePng(const QString& path, int width, int height, double scale = 1.0) const;
    bool savePdf(const QString& path, int width, int height) const;
    bool saveSvg(const QString& path, int width, int height) const;
    /** The plot rendered offscreen at `size` (independent of the widget's size and its pending replots). */
    QImage renderToImage(const QSize& size, qreal devicePixelRatio = 1.0) const;

    /** Base label size in pixels (ticks, axis labels, legend; titles a little larger). Default 13. */
    void setFontPixelSize(int pixels);
    int fontPixelSize() const { return m_fontPixels; }

    /** The underlying plot, for advanced customisation by the app (include "widgets/qcustomplot_include.h").
     */
    QCustomPlot* customPlot() const { return m_plot; }

    QSize sizeHint() const override { return {560, 380}; }
    QSize minimumSizeHint() const override { return {240, 180}; }

protected:
    explicit PlotWidgetBase(QWidget* parent = nullptr);

    /** The layout most plots use: a title row, a legend row (styled, the plot's legend) and one styled axis rect. */
    struct TitledRect
    {
        QCPTextElement* title = nullptr;
        QCPLegend* legend = nullptr;
        QCPAxisRect* rect = nullptr;
    };
    TitledRect buildTitledRect(const QString& title);
    /** A muted message centred in `rect` (shown while there is no data). */
    QCPItemText* addPlaceholder(QCPAxisRect* rect, const QString& text);

    /** Palette colours, grid and fonts for an axis rect and its four axes. */
    void styleAxisRect(QCPAxisRect* rect);
    /** A legend laid out as one wrapping row (for a layout cell outside the axis rects). */
    void styleLegend(QCPLegend* legend);
    /** Applies the font size to every axis, legend and text element (also after setFontPixelSize). */
    void applyFonts();

    /** A vertical current-t line in `rect`, on the buffered marker layer. */
    QCPItemStraightLine* addTMarker(QCPAxisRect* rect);
    /** A text box that follows `marker` a few pixels beside it (values at the current t). */
    QCPItemText* addMarkerLabel(QCPItemStraightLine* marker);
    /** A dot on `graph` at the current t. */
    QCPItemTracer* addTracer(QCPGraph* graph);
    /** Moves every marker, label anchor and tracer to t; redraws only the marker layer. */
    void moveMarkers(double t);
    double markerT() const { return m_markerT; }
    /** Called by moveMarkers before the redraw: fill in label texts for the new t. */
    virtual void updateMarkerLabels(double t) {}

    /** A full replot at most every 40 ms (streaming data); rescaleBeforeReplot() runs first. */
    void requestReplot();
    virtual void rescaleBeforeReplot() {}
    /** A full replot in the next event-loop pass (several calls coalesce). */
    void replotQueued();

    /**
     * Fits titles and legends to `width` pixels: a title too wide breaks at its "   ·   " separators (then
     * between words) onto more lines, and a legend lays out as many columns as fit (at most its wrap at
     * creation). Runs before every replot at the widget's width and before every export at the export's.
     */
    void fitToWidth(int width) const;

private:
    void flushReplot();

    QCustomPlot* m_plot = nullptr;
    QCPLayer* m_markerLayer = nullptr;
    QVector<QCPItemStraightLine*> m_markers;
    QVector<QCPItemText*> m_markerLabels;
    QVector<QPair<QCPItemTracer*, QCPGraph*>> m_tracers; // attached to their graph only while it has data
    QTimer* m_replotTimer = nullptr;
    QTimer* m_markerTimer = nullptr;
    double m_markerT = -1.0;
    int m_fontPixels = 13;
};

} // namespace difflens::widgets
