#include "app/gui/side_panels.h"

#include "app/logic/frames.h"
#include "app/logic/schedule_series.h"
#include "widgets/format.h"
#include "widgets/loss_plot.h"
#include "widgets/palette.h"
#include "widgets/schedule_plot.h"
#include "widgets/step_metrics_plot.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFile>
#include <QHBoxLayout>
#include <QLabel>
#include <QStackedWidget>
#include <QTextStream>
#include <QVBoxLayout>

#include <cmath>

namespace difflens::gui {

namespace {

QLabel* mutedLabel(QWidget* parent, bool wrap = true)
{
    auto* label = new QLabel(parent);
    label->setWordWrap(wrap);
    label->setStyleSheet(QStringLiteral("color: %1").arg(widgets::palette::mutedText().name()));
    return label;
}

QLabel* messageLabel(QWidget* parent)
{
    auto* label = mutedLabel(parent);
    label->setAlignment(Qt::AlignCenter);
    label->setMargin(18);
    return label;
}

} // namespace

bool readCsvColumns(const QString& path, QStringList& header, QVector<QVector<double>>& columns)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly | QIODevice::Text)) return false;
    QTextStream in(&file);
    header = in.readLine().trimmed().split(QLatin1Char(','));
    if (header.isEmpty() || header.first().isEmpty()) return false;
    columns = QVector<QVector<double>>(header.size());
    while (!in.atEnd()) {
        const QString line = in.readLine().trimmed();
        if (line.isEmpty()) continue;
        const QStringList parts = line.split(QLatin1Char(','));
        if (parts.size() != header.size()) continue;
        for (int c = 0; c < parts.size(); ++c) {
            bool ok = false;
            const double v = parts[c].toDouble(&ok);
            columns[c].push_back(ok ? v : std::nan(""));
        }
    }
    return !columns.first().isEmpty();
}

// --- SchedulePanel ---------------------------------------------------------------------------------------

SchedulePanel::SchedulePanel(QWidget* parent) : QWidget(parent)
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    auto* row = new QHBoxLayout;
    m_compare = new QComboBox(this);
    m_compare->addItem(tr("nothing"), QString());
    for (const auto& [label, name] : comparisonSchedules())
        m_compare->addItem(label, name);
    m_compare->setToolTip(tr("Draw another schedule with the same T dashed beside the model's"));
    m_logBeta = new QCheckBox(tr("log β axis"), this);
    m_logBeta->setToolTip(
        tr("Cosine schedules end with betas near 1: a log axis keeps the small ones visible"));
    row->addWidget(new QLabel(tr("Compare with"), this));
    row->addWidget(m_compare, 1);
    row->addWidget(m_logBeta);
    layout->addLayout(row);
    m_plot = new widgets::SchedulePlot(this);
    layout->addWidget(m_plot, 1);
    m_warning = new QLabel(this);
    m_warning->setWordWrap(true);
    m_warning->setStyleSheet(QStringLiteral("QLabel { background: #FFF4E0; border: 1px solid #E0A040; "
                                            "border-radius: 3px; padding: 4px; color: #6A4000; }"));
    m_warning->hide();
    layout->addWidget(m_warning);
    auto* note = mutedLabel(this);
    note->setText(tr("βₜ: noise added at step t. ᾱₜ: how much of x₀ survives in xₜ. β̃ₜ: the variance of the "
                     "true reverse step q(xₜ₋₁ | xₜ, x₀). The red line is the t shown."));
    layout->addWidget(note);
    connect(m_compare, qOverload<int>(&QComboBox::currentIndexChanged), this, [this] {
        rebuildComparison();
        Q_EMIT comparisonChanged(comparison());
    });
    connect(m_logBeta, &QCheckBox::toggled, m_plot, &widgets::SchedulePlot::setBetaLogScale);
}

SchedulePanel::~SchedulePanel() = default;

void SchedulePanel::setWarning(const QString& text)
{
    m_warning->setText(text);
    m_warning->setVisible(!text.isEmpty());
}

QString SchedulePanel::warning() const
{
    return m_warning->text();
}

void SchedulePanel::setSchedule(const SchedulerConfig& config)
{
    m_config = config;
    m_hasConfig = true;
    try {
        m_plot->setSchedule(scheduleSeries(config));
    } catch (const std::exception&) {
        m_plot->setSchedule(widgets::ScheduleSeries());
    }
    rebuildComparison();
}

void SchedulePanel::setComparison(const QString& betaSchedule)
{
    const int i = m_compare->findData(betaSchedule);
    m_compare->setCurrentIndex(i >= 0 ? i : 0);
}

QString SchedulePanel::comparison() const
{
    return m_compare->currentData().toString();
}

void SchedulePanel::rebuildComparison()
{
    const QString name = comparison();
    if (!m_hasConfig || name.isEmpty() || name.toStdString() == m_config.betaSchedule) {
        m_plot->setComparison(widgets::ScheduleSeries());
        return;
    }
    try {
        m_plot->setComparison(scheduleSeries(withSchedule(m_config, name), m_compare->currentText()));
    } catch (const std::exception&) {
        m_plot->setComparison(widgets::ScheduleSeries());
    }
}

void SchedulePanel::setCurrentT(long t)
{
    m_plot->setCurrentT(static_cast<double>(t));
}

// --- LossPanel -------------------------------------------------------------------------------------------

LossPanel::LossPanel(QWidget* parent) : QWidget(parent)
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    m_stack = new QStackedWidget(this);
    m_message = messageLabel(m_stack);
    auto* page = new QWidget(m_stack);
    auto* pageLayout = new QVBoxLayout(page);
    pageLayout->setContentsMargins(0, 0, 0, 0);
    m_plot = new widgets::LossPlot(page);
    m_plot->setLossLabel(QStringLiteral("‖ε − ε̂‖²"));
    m_summary = mutedLabel(page);
    pageLayout->addWidget(m_plot, 1);
    pageLayout->addWidget(m_summary);
    m_stack->addWidget(m_message);
    m_stack->addWidget(page);
    layout->addWidget(m_stack);
}

LossPanel::~LossPanel() = default;

bool LossPanel::showLog(const QString& lossCsv, const QString& lossByTCsv, const QString& noLogText)
{
    m_plot->clear();
    QStringList header;
    QVector<QVector<double>> cols;
    if (lossCsv.isEmpty() || !readCsvColumns(lossCsv, header, cols)) {
        m_message->setText(noLogText);
        m_stack->setCurrentWidget(m_message);
        return false;
    }
    const int step = header.indexOf(QStringLiteral("step")), loss = header.indexOf(QStringLiteral("loss"));
    const int ema = header.indexOf(QStringLiteral("ema_loss"));
    if (step < 0 || loss < 0) {
        m_message->setText(tr("The training log %1 has no step and loss columns.").arg(lossCsv));
        m_stack->setCurrentWidget(m_message);
        return false;
    }
    m_plot->setCurve(cols[step], cols[loss], ema >= 0 ? cols[ema] : QVector<double>());
    QString summary = tr("%1 training steps").arg(static_cast<qint64>(cols[step].last()));
    if (ema >= 0) summary += tr(", final smoothed loss %1").arg(widgets::formatSig(cols[ema].last(), 3));
    QStringList byTHeader;
    QVector<QVector<double>> byT;
    if (!lossByTCsv.isEmpty() && readCsvColumns(lossByTCsv, byTHeader, byT)) {
        const int t = byTHeader.indexOf(QStringLiteral("t")), l = byTHeader.indexOf(QStringLiteral("loss"));
        if (t >= 0 && l >= 0) {
            QVector<double> tt = byT[t];
            for (double& v : tt)
                v += 0.5; // bin centres over core's k = t - 1 in [0, T): the same bins over t in [1, T]
            m_plot->setLossByT(tt, byT[l]);
            summary += tr(". Below: the loss against t");
        }
    }
    m_summary->setText(summary + QLatin1Char('.'));
    m_stack->setCurrentIndex(1);
    return true;
}

// --- MetricsPanel ----------------------------------------------------------------------------------------

MetricsPanel::MetricsPanel(QWidget* parent) : QWidget(parent)
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    m_stack = new QStackedWidget(this);
    m_message = messageLabel(m_stack);
    m_message->setText(
        tr("Choose a reference x₀ and sample: this plot then shows, for every step, how far the "
           "model's step p_θ(xₜ₋₁ | xₜ) is from the true step q(xₜ₋₁ | xₜ, x₀): their KL "
           "divergence and the distance between their means."));
    auto* page = new QWidget(m_stack);
    auto* pageLayout = new QVBoxLayout(page);
    pageLayout->setContentsMargins(0, 0, 0, 0);
    m_plot = new widgets::StepMetricsPlot(page);
    m_summary = mutedLabel(page);
    pageLayout->addWidget(m_plot, 1);
    pageLayout->addWidget(m_summary);
    m_stack->addWidget(m_message);
    m_stack->addWidget(page);
    layout->addWidget(m_stack);
}

MetricsPanel::~MetricsPanel() = default;

void MetricsPanel::reset(int T, bool withReference, bool trueStep)
{
    m_plot->clear();
    m_plot->setTimesteps(T);
    m_plot->setTrueStep(trueStep);
    m_steps = 0;
    m_stack->setCurrentIndex(withReference ? 1 : 0);
    updateSummary();
}

void MetricsPanel::append(const QVector<StepSummary>& steps)
{
    for (const StepSummary& s : steps)
        m_plot->appendStep(static_cast<double>(s.t), s.meanKl, s.meanGap);
    m_steps += steps.size();
    updateSummary();
}

void MetricsPanel::setCurrentT(long t)
{
    m_plot->setCurrentT(static_cast<double>(t));
}

QString MetricsPanel::summaryText() const
{
    return m_summary->text();
}

void MetricsPanel::updateSummary()
{
    const int undefined = m_plot->klUndefinedCount();
    const QString toward = m_plot->trueStep()
                               ? QString()
                               : tr(" (xₜ was not made from x₀, so q(xₜ₋₁ | xₜ, x₀) is the step toward the "
                                    "reference, not the true step)");
    if (m_steps == 0) {
        m_summary->clear();
    } else if (undefined > 0 && m_plot->klSum() == 0.0) {
        // A deterministic step (DDIM, eta = 0) makes p_theta(x_{t-1} | x_t) a point mass: no KL to sum.
        m_summary->setText(tr("The sampler adds no noise (deterministic, e.g. DDIM with η = 0): p_θ(xₜ₋₁ | xₜ) "
                              "is a point mass, so the KL per step is undefined and has no sum. The dashed "
                              "curve still shows how far μ_θ is from μ̃%1.")
                               .arg(toward));
    } else {
        m_summary->setText(tr("Σ KL over %1 steps = %2 nats: the reverse-process part of the variational bound "
                              "(mean over the batch)%3%4.")
                               .arg(m_steps - undefined)
                               .arg(widgets::formatSig(m_plot->klSum(), 3))
                               .arg(undefined > 0 ? tr("; undefined at %1 steps that add no noise").arg(undefined)
                                                  : QString())
                               .arg(toward));
    }
}

} // namespace difflens::gui
