#include "widgets/compare_plot.h"

#include "widgets/format.h"
#include "widgets/palette.h"
#include "widgets/qcustomplot_include.h"

#include <cmath>

namespace difflens::widgets {

struct ComparePlot::Private
{
    QCPTextElement* title = nullptr;
    QCPLegend* legend = nullptr;
    QCPAxisRect* rect = nullptr;
    QCPGraph* xt = nullptr;
    QCPGraph* x0 = nullptr;
    QCPItemText* label = nullptr;
    QCPItemText* placeholder = nullptr;
};

ComparePlot::ComparePlot(QWidget* parent) : PlotWidgetBase(parent), m_d(std::make_unique<Private>())
{
    QCustomPlot* plot = customPlot();
    const TitledRect layout = buildTitledRect(QStringLiteral("How far apart the runs are"));
    m_d->title = layout.title;
    m_d->legend = layout.legend;
    m_d->rect = layout.rect;
    m_d->rect->axis(QCPAxis::atBottom)->setLabel(QStringLiteral("timestep t   (sampling runs from right to left)"));
    m_d->rect->axis(QCPAxis::atLeft)->setLabel(QStringLiteral("rms difference"));

    m_d->xt = plot->addGraph(m_d->rect->axis(QCPAxis::atBottom), m_d->rect->axis(QCPAxis::atLeft));
    m_d->xt->setPen(QPen(palette::xt(), 2.2));
    m_d->x0 = plot->addGraph(m_d->rect->axis(QCPAxis::atBottom), m_d->rect->axis(QCPAxis::atLeft));
    m_d->x0->setPen(QPen(palette::model(), 2.0, Qt::DashLine));

    m_d->placeholder = addPlaceholder(m_d->rect, QStringLiteral("Start run B: this curve shows where the two runs part"));

    m_d->label = addMarkerLabel(addTMarker(m_d->rect));
    addTracer(m_d->xt);
    addTracer(m_d->x0);
    setCurves({}, {}, {});
    applyFonts();
}

ComparePlot::~ComparePlot() = default;

void ComparePlot::setCurves(const QVector<double>& t, const QVector<double>& xt, const QVector<double>& x0,
                            const QString& nameA, const QString& nameB)
{
    m_d->xt->data()->clear();
    m_d->x0->data()->clear();
    for (int i = 0; i < t.size(); ++i) {
        if (i < xt.size() && std::isfinite(xt[i])) m_d->xt->addData(t[i], xt[i]);
        if (i < x0.size() && std::isfinite(x0[i])) m_d->x0->addData(t[i], x0[i]);
    }
    m_d->xt->setName(QStringLiteral("rms |xₜ(%1) − xₜ(%2)|").arg(nameA, nameB));
    m_d->x0->setName(QStringLiteral("rms |x̂₀(%1) − x̂₀(%2)|").arg(nameA, nameB));
    requestReplot();
}

void ComparePlot::setPlaceholder(const QString& text)
{
    m_d->placeholder->setText(text);
    requestReplot();
}

void ComparePlot::clear()
{
    setCurves({}, {}, {});
}

void ComparePlot::setTimesteps(int T)
{
    m_T = std::max(0, T);
    requestReplot();
}

int ComparePlot::pointCount() const
{
    return m_d->xt->dataCount();
}

void ComparePlot::setCurrentT(double t)
{
    moveMarkers(t >= 0 ? t : -1.0);
}

void ComparePlot::rescaleBeforeReplot()
{
    const bool empty = m_d->xt->data()->isEmpty();
    m_d->placeholder->setVisible(empty);
    bool found = false;
    QCPAxis* t = m_d->rect->axis(QCPAxis::atBottom);
    if (m_T > 0) {
        t->setRange(0, m_T);
    } else {
        const QCPRange keys = m_d->xt->getKeyRange(found);
        t->setRange(found ? QCPRange(0, std::max(1.0, keys.upper * 1.02)) : QCPRange(0, 1000));
    }
    double top = 0;
    for (QCPGraph* g : {m_d->xt, m_d->x0}) {
        const QCPRange r = g->getValueRange(found);
        if (found) top = std::max(top, r.upper);
    }
    m_d->rect->axis(QCPAxis::atLeft)->setRange(0, top > 0 ? top * 1.1 : 1.0);
    if (markerT() >= 0) updateMarkerLabels(markerT());
}

void ComparePlot::updateMarkerLabels(double t)
{
    auto nearest = [](QCPGraph* g, double key) {
        double best = std::nan(""), distance = std::numeric_limits<double>::infinity();
        for (auto it = g->data()->constBegin(); it != g->data()->constEnd(); ++it)
            if (std::fabs(it->key - key) < distance) distance = std::fabs(it->key - key), best = it->value;
        return best;
    };
    m_d->label->setText(QStringLiteral("t = %1\nrms |Δxₜ| = %2\nrms |Δx̂₀| = %3")
                            .arg(QString::number(std::lround(t)), formatSig(nearest(m_d->xt, t)),
                                 formatSig(nearest(m_d->x0, t))));
}

} // namespace difflens::widgets
