#include "widgets/loss_plot.h"

#include "widgets/palette.h"
#include "widgets/qcustomplot_include.h"

#include <cmath>

namespace difflens::widgets {

struct LossPlot::Private
{
    QCPTextElement* title = nullptr;
    QCPLegend* legend = nullptr;
    QCPAxisRect* curveRect = nullptr;
    QCPAxisRect* byTRect = nullptr;
    QCPGraph* loss = nullptr;
    QCPGraph* ema = nullptr;
    QCPGraph* byT = nullptr;
    QCPItemText* byTPlaceholder = nullptr;
};

namespace {

void setLog(QCPAxis* axis, bool on)
{
    if (on) {
        axis->setScaleType(QCPAxis::stLogarithmic);
        axis->setTicker(QSharedPointer<QCPAxisTickerLog>(new QCPAxisTickerLog));
        axis->setNumberFormat(QStringLiteral("gb"));
        axis->setNumberPrecision(3);
    } else {
        axis->setScaleType(QCPAxis::stLinear);
        axis->setTicker(QSharedPointer<QCPAxisTicker>(new QCPAxisTicker));
        axis->setNumberFormat(QStringLiteral("gb"));
        axis->setNumberPrecision(4);
    }
}

// Value range of the graphs' finite (and, in log scale, positive) values, padded.
void fitValues(QCPAxis* axis, const QVector<QCPGraph*>& graphs, bool log)
{
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (QCPGraph* g : graphs)
        for (auto it = g->data()->constBegin(); it != g->data()->constEnd(); ++it) {
            const double v = it->value;
            if (!std::isfinite(v) || (log && v <= 0)) continue;
            lo = std::min(lo, v);
            hi = std::max(hi, v);
        }
    if (!std::isfinite(lo)) return;
    if (log)
        axis->setRange(lo / 1.3, hi * 1.3);
    else
        axis->setRange(std::min(0.0, lo), hi + 0.05 * (hi - std::min(0.0, lo) + 1e-12));
}

} // namespace

LossPlot::LossPlot(QWidget* parent) : PlotWidgetBase(parent), m_d(std::make_unique<Private>())
{
    QCustomPlot* plot = customPlot();
    plot->plotLayout()->clear();
    m_d->title = new QCPTextElement(plot, QStringLiteral("Training loss"));
    m_d->title->setTextColor(palette::text());
    m_d->legend = new QCPLegend;
    m_d->curveRect = new QCPAxisRect(plot);
    m_d->byTRect = new QCPAxisRect(plot);
    plot->plotLayout()->addElement(0, 0, m_d->title);
    plot->plotLayout()->addElement(1, 0, m_d->legend);
    plot->plotLayout()->addElement(2, 0, m_d->curveRect);
    plot->plotLayout()->addElement(3, 0, m_d->byTRect);
    plot->plotLayout()->setRowStretchFactor(0, 0.001);
    plot->plotLayout()->setRowStretchFactor(1, 0.001);
    plot->plotLayout()->setRowStretchFactor(2, 3);
    plot->plotLayout()->setRowStretchFactor(3, 2);
    plot->legend = m_d->legend;
    m_d->legend->setLayer(QStringLiteral("legend"));
    styleLegend(m_d->legend);
    auto* margins = new QCPMarginGroup(plot);
    for (QCPAxisRect* rect : {m_d->curveRect, m_d->byTRect}) {
        rect->setMarginGroup(QCP::msLeft | QCP::msRight, margins);
        styleAxisRect(rect);
    }
    m_d->curveRect->axis(QCPAxis::atBottom)->setLabel(QStringLiteral("training step"));
    m_d->curveRect->axis(QCPAxis::atLeft)->setLabel(QStringLiteral("loss"));
    m_d->byTRect->axis(QCPAxis::atBottom)->setLabel(QStringLiteral("timestep t"));
    m_d->byTRect->axis(QCPAxis::atLeft)->setLabel(QStringLiteral("loss at t"));

    QCPAxis* step = m_d->curveRect->axis(QCPAxis::atBottom);
    QCPAxis* value = m_d->curveRect->axis(QCPAxis::atLeft);
    m_d->loss = plot->addGraph(step, value);
    m_d->loss->setName(QStringLiteral("loss (per batch)"));
    m_d->loss->setPen(QPen(palette::withAlpha(palette::model(), 0.3), 1.0));
    m_d->ema = plot->addGraph(step, value);
    m_d->ema->setName(QStringLiteral("moving average"));
    m_d->ema->setPen(QPen(palette::model(), 2.4));
    m_d->byT = plot->addGraph(m_d->byTRect->axis(QCPAxis::atBottom), m_d->byTRect->axis(QCPAxis::atLeft));
    m_d->byT->setName(QStringLiteral("loss by t"));
    m_d->byT->setPen(QPen(palette::xt(), 1.8));
    m_d->byT->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, palette::xt(), 4));

    m_d->byTPlaceholder = new QCPItemText(plot);
    m_d->byTPlaceholder->setClipAxisRect(m_d->byTRect);
    m_d->byTPlaceholder->position->setAxisRect(m_d->byTRect);
    m_d->byTPlaceholder->position->setType(QCPItemPosition::ptAxisRectRatio);
    m_d->byTPlaceholder->position->setCoords(0.5, 0.5);
    m_d->byTPlaceholder->setText(QStringLiteral("no loss-by-t measured yet"));
    m_d->byTPlaceholder->setColor(palette::mutedText());

    applyFonts();
    rescaleBeforeReplot();
    replotQueued();
}

LossPlot::~LossPlot() = default;

void LossPlot::setCurve(const QVector<double>& steps, const QVector<double>& loss,
                        const QVector<double>& emaLoss)
{
    m_d->loss->setData(steps, loss);
    if (emaLoss.size() == steps.size())
        m_d->ema->setData(steps, emaLoss);
    else
        m_d->ema->data()->clear();
    requestReplot();
}

void LossPlot::appendPoint(double step, double loss, double ema)
{
    m_d->loss->addData(step, loss);
    if (std::isfinite(ema)) m_d->ema->addData(step, ema);
    requestReplot();
}

void LossPlot::setLossByT(const QVector<double>& t, const QVector<double>& loss)
{
    if (t.size() == loss.size())
        m_d->byT->setData(t, loss);
    else
        m_d->byT->data()->clear();
    m_d->byTPlaceholder->setVisible(m_d->byT->data()->isEmpty());
    requestReplot();
}

void LossPlot::setLogScale(bool on)
{
    m_logScale = on;
    setLog(m_d->curveRect->axis(QCPAxis::atLeft), on);
    setLog(m_d->byTRect->axis(QCPAxis::atLeft), on);
    requestReplot();
}

void LossPlot::setLossLabel(const QString& label)
{
    m_d->curveRect->axis(QCPAxis::atLeft)->setLabel(label);
    m_d->byTRect->axis(QCPAxis::atLeft)->setLabel(label + QStringLiteral(" at t"));
    requestReplot();
}

void LossPlot::clear()
{
    m_d->loss->data()->clear();
    m_d->ema->data()->clear();
    m_d->byT->data()->clear();
    m_d->byTPlaceholder->setVisible(true);
    requestReplot();
}

int LossPlot::pointCount() const
{
    return m_d->loss->dataCount();
}

void LossPlot::rescaleBeforeReplot()
{
    bool found = false;
    QCPRange steps = m_d->loss->getKeyRange(found);
    if (found)
        m_d->curveRect->axis(QCPAxis::atBottom)
            ->setRange(steps.lower, std::max(steps.upper, steps.lower + 1));
    else
        m_d->curveRect->axis(QCPAxis::atBottom)->setRange(0, 1000);
    fitValues(m_d->curveRect->axis(QCPAxis::atLeft), {m_d->loss, m_d->ema}, m_logScale);
    QCPRange t = m_d->byT->getKeyRange(found);
    m_d->byTRect->axis(QCPAxis::atBottom)
        ->setRange(found ? QCPRange(0, std::max(1.0, t.upper)) : QCPRange(0, 1000));
    fitValues(m_d->byTRect->axis(QCPAxis::atLeft), {m_d->byT}, m_logScale);
}

} // namespace difflens::widgets
