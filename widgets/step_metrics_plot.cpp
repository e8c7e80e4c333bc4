#include "widgets/step_metrics_plot.h"

#include "widgets/format.h"
#include "widgets/palette.h"
#include "widgets/qcustomplot_include.h"

#include <cmath>

namespace difflens::widgets {

struct StepMetricsPlot::Private
{
    QCPTextElement* title = nullptr;
    QCPLegend* legend = nullptr;
    QCPAxisRect* rect = nullptr;
    QCPGraph* kl = nullptr;
    QCPGraph* meanGap = nullptr;
    QCPItemText* label = nullptr;
    QCPItemText* placeholder = nullptr;
};

StepMetricsPlot::StepMetricsPlot(QWidget* parent) : PlotWidgetBase(parent), m_d(std::make_unique<Private>())
{
    QCustomPlot* plot = customPlot();
    const TitledRect layout = buildTitledRect(QStringLiteral("Model vs. true posterior, per step"));
    m_d->title = layout.title;
    m_d->legend = layout.legend;
    m_d->rect = layout.rect;

    QCPAxis* t = m_d->rect->axis(QCPAxis::atBottom);
    QCPAxis* klAxis = m_d->rect->axis(QCPAxis::atLeft);
    QCPAxis* gapAxis = m_d->rect->axis(QCPAxis::atRight);
    gapAxis->setVisible(true);
    t->setLabel(QStringLiteral("timestep t   (sampling runs from right to left)"));
    klAxis->setLabel(QStringLiteral("KL (nats)"));
    klAxis->setLabelColor(palette::kl());
    klAxis->setTickLabelColor(palette::kl());
    klAxis->setScaleType(QCPAxis::stLogarithmic);
    klAxis->setTicker(QSharedPointer<QCPAxisTickerLog>(new QCPAxisTickerLog));
    klAxis->setNumberFormat(QStringLiteral("eb"));
    klAxis->setNumberPrecision(0);
    gapAxis->setLabel(QStringLiteral("rms |μ_θ − μ̃|"));
    gapAxis->setLabelColor(palette::difference());
    gapAxis->setTickLabelColor(palette::difference());
    gapAxis->grid()->setVisible(false);

    m_d->kl = plot->addGraph(t, klAxis);
    m_d->kl->setName(QStringLiteral("KL(q(xₜ₋₁ | xₜ, x₀) ‖ p_θ(xₜ₋₁ | xₜ))"));
    m_d->kl->setPen(QPen(palette::kl(), 2.2));
    m_d->kl->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, palette::kl(), 4));
    m_d->meanGap = plot->addGraph(t, gapAxis);
    m_d->meanGap->setName(QStringLiteral("rms |μ_θ − μ̃| (right axis)"));
    m_d->meanGap->setPen(QPen(palette::difference(), 2.0, Qt::DashLine));

    m_d->placeholder = addPlaceholder(m_d->rect, QStringLiteral("Choose a reference x₀: each step then compares p_θ with q(xₜ₋₁ | xₜ, x₀)"));

    m_d->label = addMarkerLabel(addTMarker(m_d->rect));
    addTracer(m_d->kl);
    addTracer(m_d->meanGap);
    applyFonts();
    rescaleBeforeReplot();
    replotQueued();
}

StepMetricsPlot::~StepMetricsPlot() = default;

void StepMetricsPlot::appendStep(double t, double kl, double meanGap)
{
    // Keys arrive in decreasing t while sampling; addData keeps the container sorted.
    if (std::isfinite(kl) && kl > 0) {
        m_d->kl->addData(t, kl);
        m_klSum += kl;
    } else if (std::isnan(kl)) {
        ++m_klUndefined;
    }
    if (std::isfinite(meanGap)) m_d->meanGap->addData(t, meanGap);
    requestReplot();
}

void StepMetricsPlot::setTimesteps(int T)
{
    m_T = std::max(0, T);
    requestReplot();
}

void StepMetricsPlot::clear()
{
    m_d->kl->data()->clear();
    m_d->meanGap->data()->clear();
    m_klSum = 0.0;
    m_klUndefined = 0;
    requestReplot();
}

void StepMetricsPlot::setTrueStep(bool trueStep)
{
    m_trueStep = trueStep;
    m_d->kl->setName(trueStep ? QStringLiteral("KL(q(xₜ₋₁ | xₜ, x₀) ‖ p_θ(xₜ₋₁ | xₜ))")
                              : QStringLiteral("KL(step toward x₀ ‖ p_θ(xₜ₋₁ | xₜ))"));
    requestReplot();
}

QString StepMetricsPlot::titleText() const
{
    return m_d->title->property("difflensSource").isValid() ? m_d->title->property("difflensSource").toString()
                                                             : m_d->title->text();
}

int StepMetricsPlot::stepCount() const
{
    return std::max(m_d->kl->dataCount(), m_d->meanGap->dataCount());
}

void StepMetricsPlot::setCurrentT(double t)
{
    moveMarkers(t >= 0 ? t : -1.0);
}

void StepMetricsPlot::rescaleBeforeReplot()
{
    const bool empty = m_d->kl->data()->isEmpty() && m_d->meanGap->data()->isEmpty();
    m_d->placeholder->setVisible(empty);
    bool found = false;
    QCPAxis* t = m_d->rect->axis(QCPAxis::atBottom);
    if (m_T > 0) {
        t->setRange(0, m_T);
    } else {
        const QCPRange keys = m_d->kl->getKeyRange(found);
        t->setRange(found ? QCPRange(0, std::max(1.0, keys.upper * 1.02)) : QCPRange(0, 1000));
    }
    const QCPRange kl = m_d->kl->getValueRange(found, QCP::sdPositive);
    // At least two decades, so the log axis always carries a few labelled ticks.
    if (found)
        m_d->rect->axis(QCPAxis::atLeft)
            ->setRange(std::min(kl.lower / 2.0, kl.upper / 100.0), kl.upper * 2.0);
    else
        m_d->rect->axis(QCPAxis::atLeft)->setRange(1e-4, 1);
    const QCPRange gap = m_d->meanGap->getValueRange(found);
    m_d->rect->axis(QCPAxis::atRight)->setRange(0, found && gap.upper > 0 ? gap.upper * 1.1 : 1.0);
    const QString title = m_trueStep ? QStringLiteral("Model vs. true posterior, per step")
                                     : QStringLiteral("Model vs. the step toward x₀, per step");
    QString summary;
    if (m_klUndefined > 0 && m_d->kl->data()->isEmpty())
        summary = QStringLiteral("   ·   KL undefined: the sampler adds no noise");
    else if (!empty)
        summary = QStringLiteral("   ·   Σ KL so far = %1 nats").arg(formatSig(m_klSum));
    m_d->title->setText(title + summary);
    // The marker label follows new data too.
    if (markerT() >= 0) updateMarkerLabels(markerT());
}

void StepMetricsPlot::updateMarkerLabels(double t)
{
    auto valueAtKey = [](QCPGraph* g, double key) {
        if (g->data()->isEmpty()) return std::nan("");
        auto it = g->data()->findBegin(key, true);
        double best = std::nan(""), bestDistance = std::numeric_limits<double>::infinity();
        for (int k = 0; k < 2 && it != g->data()->constEnd(); ++k, ++it)
            if (std::fabs(it->key - key) < bestDistance) {
                bestDistance = std::fabs(it->key - key);
                best = it->value;
            }
        return best;
    };
    m_d->label->setText(QStringLiteral("t = %1\nKL = %2 nats\nrms |μ_θ − μ̃| = %3")
                            .arg(QString::number(std::lround(t)), formatSig(valueAtKey(m_d->kl, t)),
                                 formatSig(valueAtKey(m_d->meanGap, t))));
}

} // namespace difflens::widgets
