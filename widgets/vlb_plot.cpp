#include "widgets/vlb_plot.h"

#include "widgets/format.h"
#include "widgets/palette.h"
#include "widgets/qcustomplot_include.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace difflens::widgets {

namespace {

const QString kTitle = QStringLiteral("Bound term by term  ·  ● L₀ at t = 1");

bool isPlottable(double v)
{
    return std::isfinite(v) && v > 0;
}

} // namespace

struct VlbPlot::Private
{
    QCPTextElement* title = nullptr;
    QCPLegend* legend = nullptr;
    QCPAxisRect* rect = nullptr;
    QVector<QCPGraph*> terms;    // L_{t-1} against t, one per series
    QVector<QCPGraph*> decoders; // L_0 at t = 1, one point per series
    QCPItemText* label = nullptr;
    QCPItemText* placeholder = nullptr;
};

VlbPlot::VlbPlot(QWidget* parent) : PlotWidgetBase(parent), m_d(std::make_unique<Private>())
{
    const TitledRect layout = buildTitledRect(kTitle);
    m_d->title = layout.title;
    m_d->legend = layout.legend;
    m_d->rect = layout.rect;
    // One bound per legend row: the entries are long ("name: 3.66 bits/dim (L_T ...)").
    m_d->legend->setWrap(1);

    QCPAxis* t = m_d->rect->axis(QCPAxis::atBottom);
    QCPAxis* bits = m_d->rect->axis(QCPAxis::atLeft);
    t->setLabel(QStringLiteral("t"));
    bits->setLabel(QStringLiteral("bits per dim (log)"));
    bits->setScaleType(QCPAxis::stLogarithmic);
    bits->setTicker(QSharedPointer<QCPAxisTickerLog>(new QCPAxisTickerLog));
    bits->setNumberFormat(QStringLiteral("eb"));
    bits->setNumberPrecision(0);

    m_d->placeholder = addPlaceholder(m_d->rect, QStringLiteral("Compute the bound to see L₀ … L_T"));

    m_d->label = addMarkerLabel(addTMarker(m_d->rect));
    applyFonts();
    rescaleBeforeReplot();
    replotQueued();
}

VlbPlot::~VlbPlot() = default;

QColor VlbPlot::seriesColor(int index) const
{
    if (index < 0 || index >= m_series.size()) return {};
    const QColor& c = m_series[index].color;
    return c.isValid() ? c : palette::cycle(index);
}

QString VlbPlot::legendText(int index) const
{
    if (index < 0 || index >= m_series.size()) return {};
    const VlbSeries& s = m_series[index];
    return QStringLiteral("%1: %2 bits/dim (L_T %3)")
        .arg(s.name.isEmpty() ? QStringLiteral("bound") : s.name, formatSig(s.totalBits, 3),
             formatSig(s.priorBits, 2));
}

void VlbPlot::addBound(const VlbSeries& series)
{
    m_series.push_back(series);
    const int index = static_cast<int>(m_series.size()) - 1;
    const QColor color = seriesColor(index);
    QCustomPlot* plot = customPlot();
    QCPAxis* t = m_d->rect->axis(QCPAxis::atBottom);
    QCPAxis* bits = m_d->rect->axis(QCPAxis::atLeft);

    QVector<double> keys, values;
    double decoder = std::numeric_limits<double>::quiet_NaN();
    const int n = static_cast<int>(std::min(series.t.size(), series.termBits.size()));
    for (int i = 0; i < n; ++i) {
        if (!std::isfinite(series.t[i]) || !isPlottable(series.termBits[i])) continue;
        keys.push_back(series.t[i]);
        values.push_back(series.termBits[i]);
        if (std::lround(series.t[i]) == 1) decoder = series.termBits[i];
    }

    QCPGraph* terms = plot->addGraph(t, bits);
    terms->setName(legendText(index));
    terms->setPen(QPen(color, 2.0));
    terms->setData(keys, values);
    m_d->terms.push_back(terms);

    QCPGraph* l0 = plot->addGraph(t, bits);
    l0->removeFromLegend();
    l0->setLineStyle(QCPGraph::lsNone);
    // ssCircle, not ssDisc: QCustomPlot fills a disc with its pen colour, and the pen is the white halo.
    l0->setScatterStyle(
        QCPScatterStyle(QCPScatterStyle::ssCircle, QPen(palette::background(), 1.5), color, 11));
    if (isPlottable(decoder)) l0->setData({1.0}, {decoder});
    m_d->decoders.push_back(l0);

    applyFonts();
    requestReplot();
}

void VlbPlot::clear()
{
    QCustomPlot* plot = customPlot();
    for (QCPGraph* g : std::as_const(m_d->terms))
        plot->removeGraph(g);
    for (QCPGraph* g : std::as_const(m_d->decoders))
        plot->removeGraph(g);
    m_d->terms.clear();
    m_d->decoders.clear();
    m_series.clear();
    requestReplot();
}

void VlbPlot::setTimesteps(int T)
{
    m_T = std::max(0, T);
    requestReplot();
}

void VlbPlot::setCurrentT(double t)
{
    moveMarkers(t >= 0 ? t : -1.0);
}

void VlbPlot::rescaleBeforeReplot()
{
    double lowest = std::numeric_limits<double>::infinity(), highest = 0, lastT = 0;
    for (QCPGraph* g : std::as_const(m_d->terms))
        for (auto it = g->data()->constBegin(); it != g->data()->constEnd(); ++it) {
            lowest = std::min(lowest, it->value);
            highest = std::max(highest, it->value);
            lastT = std::max(lastT, it->key);
        }
    const bool empty = !(highest > 0);
    m_d->placeholder->setVisible(empty);
    QCPAxis* t = m_d->rect->axis(QCPAxis::atBottom);
    // A little room left of t = 0 so the L_0 disc at t = 1 is not cut by the axis.
    const double upper = m_T > 0 ? m_T : (empty ? 1000.0 : std::max(1.0, lastT * 1.02));
    t->setRange(-0.012 * upper, upper);
    // At least two decades, so the log axis always carries a few labelled ticks.
    QCPAxis* bits = m_d->rect->axis(QCPAxis::atLeft);
    if (empty)
        bits->setRange(1e-4, 1);
    else
        bits->setRange(std::min(lowest / 2.0, highest / 100.0), highest * 2.0);
    if (markerT() >= 0) updateMarkerLabels(markerT());
}

void VlbPlot::updateMarkerLabels(double t)
{
    QString text = QStringLiteral("t = %1").arg(std::lround(t));
    for (int s = 0; s < m_series.size(); ++s) {
        const VlbSeries& series = m_series[s];
        int best = -1;
        double bestDistance = std::numeric_limits<double>::infinity();
        const int n = static_cast<int>(std::min(series.t.size(), series.termBits.size()));
        for (int i = 0; i < n; ++i)
            if (std::fabs(series.t[i] - t) < bestDistance) {
                bestDistance = std::fabs(series.t[i] - t);
                best = i;
            }
        if (best < 0) continue;
        // The name up to its parenthesis: the label sits inside the plot and must stay narrow.
        QString name = series.name.isEmpty() ? QStringLiteral("bound") : series.name;
        if (const int cut = name.indexOf(QLatin1Char('(')); cut > 0) name = name.left(cut).trimmed();
        text += QStringLiteral("\n%1: %2").arg(name, formatSig(series.termBits[best], 3));
    }
    m_d->label->setText(text);
}

} // namespace difflens::widgets
