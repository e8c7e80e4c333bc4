#include "widgets/plot_widget_base.h"

#include "widgets/palette.h"
#include "widgets/qcustomplot_include.h"

#include <QSvgGenerator>
#include <QTimer>
#include <QVBoxLayout>

namespace difflens::widgets {

PlotWidgetBase::PlotWidgetBase(QWidget* parent) : QWidget(parent)
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    m_plot = new QCustomPlot(this);
    layout->addWidget(m_plot);
    m_plot->setBackground(palette::background());
    m_plot->setNoAntialiasingOnDrag(true);
    m_plot->setAntialiasedElements(QCP::aePlottables | QCP::aeItems | QCP::aeLegendItems);

    // The current-t marker lives on its own buffered layer: moving it redraws only that layer.
    m_plot->addLayer(QStringLiteral("marker"), m_plot->layer(QStringLiteral("legend")),
                     QCustomPlot::limAbove);
    m_markerLayer = m_plot->layer(QStringLiteral("marker"));
    m_markerLayer->setMode(QCPLayer::lmBuffered);

    m_replotTimer = new QTimer(this);
    m_replotTimer->setSingleShot(true);
    m_replotTimer->setInterval(40);
    connect(m_replotTimer, &QTimer::timeout, this, &PlotWidgetBase::flushReplot);
    m_markerTimer = new QTimer(this);
    m_markerTimer->setSingleShot(true);
    m_markerTimer->setInterval(0);
    connect(m_markerTimer, &QTimer::timeout, this, [this] { m_markerLayer->replot(); });
    connect(m_plot, &QCustomPlot::beforeReplot, this, [this] { fitToWidth(m_plot->viewport().width()); });
}

PlotWidgetBase::~PlotWidgetBase() = default;

namespace {

/** Lines of `text` no wider than `width`: whole "   ·   " parts where they fit, else broken between words. */
QString wrapText(const QString& text, const QFontMetrics& metrics, int width)
{
    static const QString separator = QStringLiteral("   ·   ");
    QStringList lines;
    for (const QString& paragraph : text.split(QLatin1Char('\n'))) {
        if (metrics.horizontalAdvance(paragraph) <= width) {
            lines << paragraph;
            continue;
        }
        QString line;
        const auto add = [&](const QString& piece, const QString& glue) {
            const QString joined = line.isEmpty() ? piece : line + glue + piece;
            if (line.isEmpty() || metrics.horizontalAdvance(joined) <= width) {
                line = joined;
            } else {
                lines << line;
                line = piece;
            }
        };
        for (const QString& part : paragraph.split(separator)) {
            if (metrics.horizontalAdvance(part) <= width) {
                add(part, separator);
                continue;
            }
            for (const QString& word : part.split(QLatin1Char(' '), Qt::SkipEmptyParts)) add(word, QStringLiteral(" "));
        }
        if (!line.isEmpty()) lines << line;
    }
    return lines.join(QLatin1Char('\n'));
}

/** Columns whose widest items fit in `width` when items fill rows of `columns` (QCPLayoutGrid's wrap). */
int legendColumns(QCPLegend* legend, int width, int maxColumns)
{
    const int count = legend->elementCount();
    for (int columns = std::min(maxColumns, count); columns > 1; --columns) {
        int total = legend->margins().left() + legend->margins().right() + (columns - 1) * legend->columnSpacing();
        for (int c = 0; c < columns; ++c) {
            int widest = 0;
            for (int i = c; i < count; i += columns)
                if (QCPLayoutElement* item = legend->elementAt(i)) widest = std::max(widest, item->minimumOuterSizeHint().width());
            total += widest;
        }
        if (total <= width) return columns;
    }
    return 1;
}

} // namespace

void PlotWidgetBase::fitToWidth(int width) const
{
    if (width <= 0) return;
    const QMargins outer = m_plot->plotLayout()->margins();
    const int available = width - outer.left() - outer.right();
    for (QCPLayoutElement* element : m_plot->plotLayout()->elements(true)) {
        if (auto* title = qobject_cast<QCPTextElement*>(element)) {
            // The text a subclass set last is the source; what this function set is only its wrapping.
            if (title->text() != title->property("difflensFitted").toString())
                title->setProperty("difflensSource", title->text());
            const QString source = title->property("difflensSource").toString();
            const QString fitted = wrapText(source, QFontMetrics(title->font()),
                                            available - title->margins().left() - title->margins().right());
            title->setText(fitted);
            title->setProperty("difflensFitted", fitted);
        } else if (auto* legend = qobject_cast<QCPLegend*>(element)) {
            if (!legend->property("difflensMaxColumns").isValid()) legend->setProperty("difflensMaxColumns", legend->wrap());
            const int columns = legendColumns(legend, available, legend->property("difflensMaxColumns").toInt());
            if (columns != legend->wrap()) {
                legend->setWrap(columns);
                legend->setFillOrder(legend->fillOrder(), true); // re-flows the items already there
            }
        }
    }
}

bool PlotWidgetBase::savePng(const QString& path, int width, int height, double scale) const
{
    fitToWidth(width > 0 ? width : m_plot->width());
    const bool ok = m_plot->savePng(path, width, height, scale);
    fitToWidth(m_plot->viewport().width());
    return ok;
}

bool PlotWidgetBase::savePdf(const QString& path, int width, int height) const
{
    fitToWidth(width > 0 ? width : m_plot->width());
    const bool ok = m_plot->savePdf(path, width, height);
    fitToWidth(m_plot->viewport().width());
    return ok;
}

bool PlotWidgetBase::saveSvg(const QString& path, int width, int height) const
{
    if (width <= 0 || height <= 0) {
        width = m_plot->width();
        height = m_plot->height();
    }
    QSvgGenerator generator;
    generator.setFileName(path);
    generator.setSize(QSize(width, height));
    generator.setViewBox(QRect(0, 0, width, height));
    generator.setTitle(QStringLiteral("Diffusion Lens plot"));
    QCPPainter painter;
    if (!painter.begin(&generator)) return false;
    fitToWidth(width);
    m_plot->toPainter(&painter, width, height);
    fitToWidth(m_plot->viewport().width());
    return painter.end();
}

QImage PlotWidgetBase::renderToImage(const QSize& size, qreal devicePixelRatio) const
{
    fitToWidth(size.width());
    QImage image = m_plot->toPixmap(size.width(), size.height(), devicePixelRatio).toImage();
    fitToWidth(m_plot->viewport().width());
    // toPixmap restores the viewport but leaves the layout at the export's size until the next replot: lay
    // the plot out again now (QCustomPlot::updateLayout's three passes) so the widget is as it was.
    for (auto pass : {QCPLayoutElement::upPreparation, QCPLayoutElement::upMargins, QCPLayoutElement::upLayout})
        m_plot->plotLayout()->update(pass);
    image.setDevicePixelRatio(devicePixelRatio);
    return image;
}

void PlotWidgetBase::setFontPixelSize(int pixels)
{
    m_fontPixels = std::max(8, pixels);
    applyFonts();
    replotQueued();
}

void PlotWidgetBase::applyFonts()
{
    QFont base = font();
    base.setPixelSize(m_fontPixels);
    QFont small = base;
    small.setPixelSize(std::max(8, m_fontPixels - 1));
    QFont title = base;
    title.setPixelSize(m_fontPixels + 2);
    title.setBold(true);
    for (QCPAxisRect* rect : m_plot->axisRects())
        for (QCPAxis* axis : rect->axes()) {
            axis->setTickLabelFont(base);
            axis->setLabelFont(base);
        }
    // Legend items copy the legend's font when created, so they are set one by one.
    // QCPLegend draws item text in a box as tall as the icon: the icon must be as tall as the text.
    auto setLegendFont = [&](QCPLegend* legend) {
        legend->setFont(small);
        const int textHeight = QFontMetrics(small).height();
        legend->setIconSize(textHeight * 2, textHeight);
        // Subscripts and combining marks come from fallback fonts that sit lower than the metrics say;
        // the item's clip is its outer rect, so a bottom margin keeps their descenders.
        for (int i = 0; i < legend->itemCount(); ++i) {
            legend->item(i)->setFont(small);
            legend->item(i)->setMargins(QMargins(2, 0, 2, textHeight / 3));
        }
    };
    for (QCPLayoutElement* element : m_plot->plotLayout()->elements(true)) {
        if (auto* legend = qobject_cast<QCPLegend*>(element))
            setLegendFont(legend);
        else if (auto* text = qobject_cast<QCPTextElement*>(element))
            text->setFont(title);
        else if (auto* rect = qobject_cast<QCPAxisRect*>(element))
            for (QCPLayoutElement* inset : rect->insetLayout()->elements(false))
                if (auto* legend = qobject_cast<QCPLegend*>(inset)) setLegendFont(legend);
    }
    for (int i = 0; i < m_plot->itemCount(); ++i)
        if (auto* text = qobject_cast<QCPItemText*>(m_plot->item(i))) text->setFont(small);
}

void PlotWidgetBase::styleAxisRect(QCPAxisRect* rect)
{
    rect->setBackground(QBrush(palette::plotBackground()));
    for (QCPAxis* axis : rect->axes()) {
        const QPen pen(palette::axis(), 1.0);
        axis->setBasePen(pen);
        axis->setTickPen(pen);
        axis->setSubTickPen(pen);
        axis->setTickLabelColor(palette::text());
        axis->setLabelColor(palette::text());
        axis->grid()->setPen(QPen(palette::grid(), 1.0));
        axis->grid()->setZeroLinePen(QPen(palette::grid().darker(115), 1.0));
        axis->grid()->setSubGridVisible(false);
        axis->setPadding(4);
        axis->setLabelPadding(6);
    }
}

void PlotWidgetBase::styleLegend(QCPLegend* legend)
{
    legend->setVisible(true);
    legend->setBorderPen(Qt::NoPen);
    legend->setBrush(Qt::NoBrush);
    legend->setTextColor(palette::text());
    legend->setFillOrder(QCPLayoutGrid::foColumnsFirst);
    legend->setWrap(4);
    legend->setRowSpacing(0);
    legend->setColumnSpacing(14);
    legend->setMargins(QMargins(6, 2, 6, 6));
}

PlotWidgetBase::TitledRect PlotWidgetBase::buildTitledRect(const QString& title)
{
    TitledRect r;
    m_plot->plotLayout()->clear();
    r.title = new QCPTextElement(m_plot, title);
    r.title->setTextColor(palette::text());
    r.legend = new QCPLegend;
    r.rect = new QCPAxisRect(m_plot);
    m_plot->plotLayout()->addElement(0, 0, r.title);
    m_plot->plotLayout()->addElement(1, 0, r.legend);
    m_plot->plotLayout()->addElement(2, 0, r.rect);
    m_plot->plotLayout()->setRowStretchFactor(0, 0.001);
    m_plot->plotLayout()->setRowStretchFactor(1, 0.001);
    m_plot->legend = r.legend;
    r.legend->setLayer(QStringLiteral("legend"));
    styleLegend(r.legend);
    styleAxisRect(r.rect);
    return r;
}

QCPItemText* PlotWidgetBase::addPlaceholder(QCPAxisRect* rect, const QString& text)
{
    auto* item = new QCPItemText(m_plot);
    item->setClipAxisRect(rect);
    item->position->setAxisRect(rect);
    item->position->setType(QCPItemPosition::ptAxisRectRatio);
    item->position->setCoords(0.5, 0.5);
    item->setText(text);
    item->setColor(palette::mutedText());
    return item;
}

QCPItemStraightLine* PlotWidgetBase::addTMarker(QCPAxisRect* rect)
{
    auto* line = new QCPItemStraightLine(m_plot);
    line->setLayer(m_markerLayer);
    line->setClipAxisRect(rect);
    for (QCPItemPosition* p : {line->point1, line->point2}) {
        p->setAxisRect(rect);
        p->setAxes(rect->axis(QCPAxis::atBottom), rect->axis(QCPAxis::atLeft));
        p->setTypeX(QCPItemPosition::ptPlotCoords);
        p->setTypeY(QCPItemPosition::ptAxisRectRatio);
    }
    line->point1->setCoords(0, 0);
    line->point2->setCoords(0, 1);
    line->setPen(QPen(palette::marker(), 2.0));
    line->setVisible(false);
    m_markers.push_back(line);
    return line;
}

QCPItemText* PlotWidgetBase::addMarkerLabel(QCPItemStraightLine* marker)
{
    QCPAxisRect* rect = marker->clipAxisRect();
    auto* text = new QCPItemText(m_plot);
    text->setLayer(m_markerLayer);
    text->setClipAxisRect(rect);
    text->setClipToAxisRect(true);
    text->position->setAxisRect(rect);
    text->position->setAxes(rect->axis(QCPAxis::atBottom), rect->axis(QCPAxis::atLeft));
    // x: pixels from the marker line; y: a fraction of the axis rect's height.
    text->position->setParentAnchorX(marker->point1);
    text->position->setTypeX(QCPItemPosition::ptAbsolute);
    text->position->setTypeY(QCPItemPosition::ptAxisRectRatio);
    text->setPadding(QMargins(6, 4, 6, 4));
    text->setBrush(QBrush(palette::withAlpha(palette::background(), 0.92)));
    text->setPen(QPen(palette::frame()));
    text->setColor(palette::text());
    text->setTextAlignment(Qt::AlignLeft);
    text->setVisible(false);
    m_markerLabels.push_back(text);
    return text;
}

QCPItemTracer* PlotWidgetBase::addTracer(QCPGraph* graph)
{
    auto* tracer = new QCPItemTracer(m_plot);
    tracer->setLayer(m_markerLayer);
    tracer->setInterpolating(true);
    tracer->setStyle(QCPItemTracer::tsCircle);
    tracer->setSize(8);
    tracer->setPen(QPen(graph->pen().color(), 2.0));
    tracer->setBrush(palette::background());
    tracer->setVisible(false);
    m_tracers.push_back({tracer, graph});
    return tracer;
}

void PlotWidgetBase::moveMarkers(double t)
{
    m_markerT = t;
    const bool visible = t >= 0;
    for (QCPItemStraightLine* line : m_markers) {
        line->point1->setCoords(t, 0);
        line->point2->setCoords(t, 1);
        line->setVisible(visible);
    }
    for (QCPItemText* text : std::as_const(m_markerLabels)) {
        // The label sits a few pixels beside the line, on the side with more room.
        const QCPRange range = text->position->keyAxis()->range();
        const bool flip = t > range.lower + 0.6 * range.size();
        text->position->setCoords(flip ? -8.0 : 8.0, 0.03);
        text->setPositionAlignment(Qt::AlignTop | (flip ? Qt::AlignRight : Qt::AlignLeft));
        text->setVisible(visible);
    }
    for (const auto& [tracer, graph] : m_tracers) {
        const bool hasData = !graph->data()->isEmpty();
        tracer->setGraph(hasData ? graph : nullptr);
        tracer->setClipAxisRect(graph->keyAxis()->axisRect());
        if (hasData) tracer->setGraphKey(t);
        tracer->setVisible(visible && hasData);
    }
    updateMarkerLabels(t);
    if (!m_markerTimer->isActive()) m_markerTimer->start();
}

void PlotWidgetBase::requestReplot()
{
    if (!m_replotTimer->isActive()) m_replotTimer->start();
}

void PlotWidgetBase::replotQueued()
{
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void PlotWidgetBase::flushReplot()
{
    rescaleBeforeReplot();
    m_plot->replot();
}

} // namespace difflens::widgets
