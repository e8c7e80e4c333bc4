#include "widgets/schedule_plot.h"

#include "widgets/format.h"
#include "widgets/palette.h"
#include "widgets/qcustomplot_include.h"

#include <algorithm>
#include <cmath>

namespace difflens::widgets {

struct SchedulePlot::Private
{
    QCPTextElement* title = nullptr;
    QCPAxisRect* top = nullptr;    // beta, beta~ (left) and abar (right)
    QCPAxisRect* bottom = nullptr; // log SNR
    QCPLegend* legend = nullptr;
    QCPGraph* beta = nullptr;
    QCPGraph* betaTilde = nullptr;
    QCPGraph* alphaBar = nullptr;
    QCPGraph* logSnr = nullptr;
    QCPGraph* cmpBeta = nullptr;
    QCPGraph* cmpBetaTilde = nullptr;
    QCPGraph* cmpAlphaBar = nullptr;
    QCPGraph* cmpLogSnr = nullptr;
    QCPItemText* topLabel = nullptr;
    bool betaLog = false;
};

namespace {

QCPGraph* makeGraph(QCPAxis* key, QCPAxis* value, const QColor& color, bool dashed, double width = 2.2)
{
    QCPGraph* g = key->parentPlot()->addGraph(key, value);
    QPen pen(dashed ? palette::withAlpha(color, 0.8) : color, dashed ? width * 0.8 : width);
    if (dashed) pen.setStyle(Qt::DashLine);
    g->setPen(pen);
    return g;
}

// The value of a series at t by linear interpolation (t is 1-based, series index t - 1).
double valueAt(const QVector<double>& t, const QVector<double>& v, double at)
{
    if (t.isEmpty() || v.size() != t.size()) return std::nan("");
    if (at <= t.first()) return v.first();
    if (at >= t.last()) return v.last();
    const auto it = std::lower_bound(t.begin(), t.end(), at);
    const int i = static_cast<int>(it - t.begin());
    const double f = (at - t[i - 1]) / (t[i] - t[i - 1]);
    return v[i - 1] + f * (v[i] - v[i - 1]);
}

void setSeries(QCPGraph* g, const QVector<double>& t, const QVector<double>& v)
{
    if (v.size() == t.size())
        g->setData(t, v, true);
    else
        g->data()->clear();
}

} // namespace

SchedulePlot::SchedulePlot(QWidget* parent) : PlotWidgetBase(parent), m_d(std::make_unique<Private>())
{
    QCustomPlot* plot = customPlot();
    plot->plotLayout()->clear();
    m_d->title = new QCPTextElement(plot, QStringLiteral("Noise schedule"));
    m_d->title->setTextColor(palette::text());
    m_d->legend = new QCPLegend;
    m_d->top = new QCPAxisRect(plot);
    m_d->bottom = new QCPAxisRect(plot);
    plot->plotLayout()->addElement(0, 0, m_d->title);
    plot->plotLayout()->addElement(1, 0, m_d->legend);
    plot->plotLayout()->addElement(2, 0, m_d->top);
    plot->plotLayout()->addElement(3, 0, m_d->bottom);
    plot->plotLayout()->setRowStretchFactor(0, 0.001);
    plot->plotLayout()->setRowStretchFactor(1, 0.001);
    plot->plotLayout()->setRowStretchFactor(2, 3);
    plot->plotLayout()->setRowStretchFactor(3, 2);
    plot->plotLayout()->setRowSpacing(2);
    plot->setAutoAddPlottableToLegend(true);
    plot->legend = m_d->legend; // so graphs add themselves to it
    m_d->legend->setLayer(QStringLiteral("legend"));
    styleLegend(m_d->legend);

    // Left and right margins aligned so both rects share the t axis visually.
    auto* margins = new QCPMarginGroup(plot);
    m_d->top->setMarginGroup(QCP::msLeft | QCP::msRight, margins);
    m_d->bottom->setMarginGroup(QCP::msLeft | QCP::msRight, margins);
    for (QCPAxisRect* rect : {m_d->top, m_d->bottom}) {
        rect->setupFullAxesBox(false);
        styleAxisRect(rect);
    }
    m_d->top->axis(QCPAxis::atRight)->setVisible(true);
    m_d->top->axis(QCPAxis::atRight)->setTickLabels(true);
    m_d->top->axis(QCPAxis::atTop)->setVisible(false);
    m_d->bottom->axis(QCPAxis::atTop)->setVisible(false);
    m_d->bottom->axis(QCPAxis::atRight)->setVisible(false);
    // The top rect shows t ticks without labels; the bottom rect labels t.
    m_d->top->axis(QCPAxis::atBottom)->setTickLabels(false);
    connect(m_d->bottom->axis(QCPAxis::atBottom), qOverload<const QCPRange&>(&QCPAxis::rangeChanged),
            m_d->top->axis(QCPAxis::atBottom), qOverload<const QCPRange&>(&QCPAxis::setRange));

    QCPAxis* t1 = m_d->top->axis(QCPAxis::atBottom);
    QCPAxis* betaAxis = m_d->top->axis(QCPAxis::atLeft);
    QCPAxis* alphaBarAxis = m_d->top->axis(QCPAxis::atRight);
    QCPAxis* t2 = m_d->bottom->axis(QCPAxis::atBottom);
    QCPAxis* snrAxis = m_d->bottom->axis(QCPAxis::atLeft);
    betaAxis->setLabel(QStringLiteral("βₜ and β̃ₜ"));
    alphaBarAxis->setLabel(QStringLiteral("ᾱₜ"));
    alphaBarAxis->setLabelColor(palette::alphaBar());
    alphaBarAxis->setTickLabelColor(palette::alphaBar());
    alphaBarAxis->setRange(0, 1.02);
    snrAxis->setLabel(QStringLiteral("log SNRₜ"));
    t2->setLabel(QStringLiteral("timestep t"));

    // beta~ <= beta and nearly equal for most t: drawn first and wide, it shows as a green band around beta.
    m_d->betaTilde = makeGraph(t1, betaAxis, palette::withAlpha(palette::betaTilde(), 0.55), false, 6.0);
    m_d->beta = makeGraph(t1, betaAxis, palette::beta(), false, 1.8);
    m_d->alphaBar = makeGraph(t1, alphaBarAxis, palette::alphaBar(), false);
    m_d->logSnr = makeGraph(t2, snrAxis, palette::logSnr(), false);
    m_d->beta->setName(QStringLiteral("βₜ"));
    m_d->betaTilde->setName(QStringLiteral("β̃ₜ (posterior variance)"));
    m_d->alphaBar->setName(QStringLiteral("ᾱₜ (signal kept, right axis)"));
    m_d->logSnr->setName(QStringLiteral("log SNRₜ = log(ᾱₜ / (1 − ᾱₜ))"));

    // The marker and its value box, plus a dot on each curve.
    m_d->topLabel = addMarkerLabel(addTMarker(m_d->top));
    addTMarker(m_d->bottom);
    addTracer(m_d->beta);
    addTracer(m_d->betaTilde);
    addTracer(m_d->alphaBar);
    addTracer(m_d->logSnr);
    applyFonts();
    rebuild();
}

SchedulePlot::~SchedulePlot() = default;

void SchedulePlot::setSchedule(const ScheduleSeries& schedule)
{
    m_schedule = schedule;
    rebuild();
}

void SchedulePlot::setComparison(const ScheduleSeries& schedule)
{
    m_comparison = schedule;
    rebuild();
}

void SchedulePlot::setBetaLogScale(bool on)
{
    m_d->betaLog = on;
    rebuild();
}

void SchedulePlot::rebuild()
{
    QCustomPlot* plot = customPlot();
    QCPAxis* t1 = m_d->top->axis(QCPAxis::atBottom);
    QCPAxis* betaAxis = m_d->top->axis(QCPAxis::atLeft);
    QCPAxis* alphaBarAxis = m_d->top->axis(QCPAxis::atRight);
    QCPAxis* t2 = m_d->bottom->axis(QCPAxis::atBottom);
    QCPAxis* snrAxis = m_d->bottom->axis(QCPAxis::atLeft);

    setSeries(m_d->beta, m_schedule.t, m_schedule.beta);
    setSeries(m_d->betaTilde, m_schedule.t, m_schedule.betaTilde);
    setSeries(m_d->alphaBar, m_schedule.t, m_schedule.alphaBar);
    setSeries(m_d->logSnr, m_schedule.t, m_schedule.logSnr);

    // The comparison graphs exist only while there is a comparison, so the legend lists only what is drawn.
    for (QCPGraph** g : {&m_d->cmpBeta, &m_d->cmpBetaTilde, &m_d->cmpAlphaBar, &m_d->cmpLogSnr})
        if (*g) {
            plot->removeGraph(*g);
            *g = nullptr;
        }
    if (!m_comparison.isEmpty()) {
        const QString suffix = QStringLiteral(" (%1)").arg(
            m_comparison.name.isEmpty() ? QStringLiteral("comparison") : m_comparison.name);
        m_d->cmpBeta = makeGraph(t1, betaAxis, palette::beta(), true);
        m_d->cmpBetaTilde = makeGraph(t1, betaAxis, palette::betaTilde(), true, 1.8);
        m_d->cmpAlphaBar = makeGraph(t1, alphaBarAxis, palette::alphaBar(), true);
        m_d->cmpLogSnr = makeGraph(t2, snrAxis, palette::logSnr(), true);
        m_d->cmpBeta->setName(QStringLiteral("βₜ") + suffix);
        m_d->cmpBetaTilde->setName(QStringLiteral("β̃ₜ") + suffix);
        m_d->cmpAlphaBar->setName(QStringLiteral("ᾱₜ") + suffix);
        m_d->cmpLogSnr->setName(QStringLiteral("log SNRₜ") + suffix);
        setSeries(m_d->cmpBeta, m_comparison.t, m_comparison.beta);
        setSeries(m_d->cmpBetaTilde, m_comparison.t, m_comparison.betaTilde);
        setSeries(m_d->cmpAlphaBar, m_comparison.t, m_comparison.alphaBar);
        setSeries(m_d->cmpLogSnr, m_comparison.t, m_comparison.logSnr);
    }

    // Ranges: t over both schedules; beta axis over every beta and beta~ (positive only in log scale).
    double tMax = 1;
    double betaMin = std::numeric_limits<double>::infinity(), betaMax = 0;
    QVector<double> betas;
    double snrMin = std::numeric_limits<double>::infinity(), snrMax = -snrMin;
    for (const ScheduleSeries* s : {&m_schedule, &m_comparison}) {
        if (!s->t.isEmpty()) tMax = std::max(tMax, s->t.last());
        for (const QVector<double>* v : {&s->beta, &s->betaTilde})
            for (double x : *v)
                if (std::isfinite(x) && (!m_d->betaLog || x > 0)) {
                    betaMin = std::min(betaMin, x);
                    betaMax = std::max(betaMax, x);
                    betas.push_back(x);
                }
        for (double x : s->logSnr)
            if (std::isfinite(x)) {
                snrMin = std::min(snrMin, x);
                snrMax = std::max(snrMax, x);
            }
    }
    t2->setRange(0, tMax);
    t1->setRange(0, tMax);
    if (m_d->betaLog) {
        betaAxis->setScaleType(QCPAxis::stLogarithmic);
        betaAxis->setTicker(QSharedPointer<QCPAxisTickerLog>(new QCPAxisTickerLog));
        betaAxis->setNumberFormat(QStringLiteral("eb"));
        betaAxis->setNumberPrecision(0);
        if (betaMax > 0) betaAxis->setRange(betaMin / 1.5, betaMax * 1.5);
    } else {
        betaAxis->setScaleType(QCPAxis::stLinear);
        betaAxis->setTicker(QSharedPointer<QCPAxisTicker>(new QCPAxisTicker));
        betaAxis->setNumberFormat(QStringLiteral("gb"));
        betaAxis->setNumberPrecision(3);
        // Cosine-like schedules end with betas near 1 that would flatten the rest: the axis stops at
        // 2.5x the 90th percentile and the last few betas leave the top (log scale shows them all).
        double upper = betaMax;
        if (!betas.isEmpty()) {
            std::sort(betas.begin(), betas.end());
            upper = std::min(betaMax, 2.5 * betas[static_cast<int>(0.9 * (betas.size() - 1))]);
        }
        betaAxis->setRange(0, upper > 0 ? upper * 1.05 : 0.02);
    }
    if (std::isfinite(snrMin))
        snrAxis->setRange(snrMin - 0.05 * (snrMax - snrMin + 1), snrMax + 0.05 * (snrMax - snrMin + 1));

    QString title = QStringLiteral("Noise schedule");
    if (!m_schedule.isEmpty())
        title += QStringLiteral(": %1, T = %2").arg(m_schedule.name).arg(m_schedule.size());
    if (!m_comparison.isEmpty())
        title += QStringLiteral("   (dashed: %1, T = %2)").arg(m_comparison.name).arg(m_comparison.size());
    m_d->title->setText(title);
    applyFonts();
    moveMarkers(markerT() >= 1 && !m_schedule.isEmpty() ? markerT() : -1.0);
    replotQueued();
}

void SchedulePlot::setCurrentT(double t)
{
    moveMarkers(!m_schedule.isEmpty() && t >= 1 ? t : -1.0);
}

void SchedulePlot::updateMarkerLabels(double t)
{
    if (t < 1 || m_schedule.isEmpty()) return;
    const ScheduleSeries& s = m_schedule;
    m_d->topLabel->setText(QStringLiteral("t = %1\nβₜ = %2\nβ̃ₜ = %3\nᾱₜ = %4\nlog SNRₜ = %5")
                               .arg(QString::number(std::lround(t)), formatSig(valueAt(s.t, s.beta, t)),
                                    formatSig(valueAt(s.t, s.betaTilde, t)),
                                    formatSig(valueAt(s.t, s.alphaBar, t)),
                                    formatSig(valueAt(s.t, s.logSnr, t))));
}

} // namespace difflens::widgets
