#include "widgets/nfe_plot.h"

#include "widgets/palette.h"
#include "widgets/qcustomplot_include.h"

#include <cmath>

namespace difflens::widgets {

struct NfePlot::Private
{
    QCPTextElement* title = nullptr;
    QCPLegend* legend = nullptr;
    QCPAxisRect* rect = nullptr;
    QVector<QCPGraph*> graphs;
    QCPItemStraightLine* floor = nullptr;
    QCPItemText* placeholder = nullptr;
};

NfePlot::NfePlot(QWidget* parent) : PlotWidgetBase(parent), m_d(std::make_unique<Private>())
{
    const TitledRect layout = buildTitledRect(QStringLiteral("Steps versus quality"));
    m_d->title = layout.title;
    m_d->legend = layout.legend;
    m_d->rect = layout.rect;
    for (QCPAxis* axis : {m_d->rect->axis(QCPAxis::atBottom), m_d->rect->axis(QCPAxis::atLeft)}) {
        axis->setScaleType(QCPAxis::stLogarithmic);
        axis->setTicker(QSharedPointer<QCPAxisTickerLog>(new QCPAxisTickerLog));
    }
    m_d->rect->axis(QCPAxis::atBottom)->setLabel(QStringLiteral("model calls (NFE)"));
    m_d->rect->axis(QCPAxis::atLeft)->setLabel(QStringLiteral("distance to the data ÷ data floor"));
    m_d->floor = new QCPItemStraightLine(customPlot());
    m_d->floor->setClipAxisRect(m_d->rect);
    m_d->floor->point1->setAxes(m_d->rect->axis(QCPAxis::atBottom), m_d->rect->axis(QCPAxis::atLeft));
    m_d->floor->point2->setAxes(m_d->rect->axis(QCPAxis::atBottom), m_d->rect->axis(QCPAxis::atLeft));
    m_d->floor->point1->setCoords(1, 1);
    m_d->floor->point2->setCoords(10, 1);
    m_d->floor->setPen(QPen(palette::data().darker(150), 1.5, Qt::DashDotLine));
    m_d->placeholder = addPlaceholder(m_d->rect, QStringLiteral("Run the sweep: each sampler at each number of model calls"));
    applyFonts();
    requestReplot(); // rescaleBeforeReplot sets the empty plot's ranges
}

NfePlot::~NfePlot() = default;

void NfePlot::setCurves(const QVector<NfeCurve>& curves, const QString& metric)
{
    QCustomPlot* plot = customPlot();
    for (QCPGraph* g : m_d->graphs) plot->removeGraph(g);
    m_d->graphs.clear();
    int colorIndex = 0;
    QHash<QString, QColor> bySampler; // a model's curve and its exact twin share a colour
    for (const NfeCurve& c : curves) {
        QCPGraph* g = plot->addGraph(m_d->rect->axis(QCPAxis::atBottom), m_d->rect->axis(QCPAxis::atLeft));
        const QString key = c.name.section(QLatin1Char('('), 0, 0).trimmed();
        QColor color = c.color;
        if (!color.isValid()) {
            if (!bySampler.contains(key)) bySampler[key] = palette::cycle(colorIndex++);
            color = bySampler[key];
        }
        g->setName(c.name);
        g->setPen(QPen(color, c.dashed ? 1.8 : 2.4, c.dashed ? Qt::DashLine : Qt::SolidLine));
        g->setScatterStyle(QCPScatterStyle(c.dashed ? QCPScatterStyle::ssCircle : QCPScatterStyle::ssDisc, color, 6));
        for (int i = 0; i < c.nfe.size() && i < c.ratio.size(); ++i)
            if (std::isfinite(c.ratio[i]) && c.ratio[i] > 0) g->addData(c.nfe[i], c.ratio[i]);
        m_d->graphs.push_back(g);
    }
    m_d->title->setText(QStringLiteral("Steps versus quality: %1 ÷ data floor   ·   dashed: exact denoiser (solver "
                                       "error only)")
                            .arg(metric));
    requestReplot();
}

void NfePlot::setPlaceholder(const QString& text)
{
    m_d->placeholder->setText(text);
    requestReplot();
}

int NfePlot::curveCount() const
{
    return m_d->graphs.size();
}

int NfePlot::pointCount(int i) const
{
    return i >= 0 && i < m_d->graphs.size() ? m_d->graphs[i]->dataCount() : 0;
}

void NfePlot::rescaleBeforeReplot()
{
    bool any = false;
    double x0 = 1e300, x1 = 0, y0 = 1e300, y1 = 0;
    for (QCPGraph* g : m_d->graphs) {
        bool found = false;
        const QCPRange k = g->getKeyRange(found, QCP::sdPositive);
        if (!found) continue;
        const QCPRange v = g->getValueRange(found, QCP::sdPositive);
        if (!found) continue;
        any = true;
        x0 = std::min(x0, k.lower), x1 = std::max(x1, k.upper);
        y0 = std::min(y0, v.lower), y1 = std::max(y1, v.upper);
    }
    m_d->placeholder->setVisible(!any);
    if (!any) x0 = 1, x1 = 1000, y0 = 0.5, y1 = 10;
    y0 = std::min(y0, 1.0), y1 = std::max(y1, 1.0); // the floor stays in view
    m_d->rect->axis(QCPAxis::atBottom)->setRange(x0 / 1.3, x1 * 1.3);
    m_d->rect->axis(QCPAxis::atLeft)->setRange(y0 / 1.3, y1 * 1.3);
    m_d->floor->point1->setCoords(x0 / 2, 1);
    m_d->floor->point2->setCoords(x1 * 2, 1);
}

} // namespace difflens::widgets
