#include "app/gui/sweep_dialog.h"

#include "widgets/format.h"
#include "widgets/nfe_plot.h"

#include <QCheckBox>
#include <QFormLayout>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QTableWidget>
#include <QVBoxLayout>

#include <cmath>

namespace difflens::gui {

namespace {

const QStringList kDefaultSamplers = {QStringLiteral("ddim"), QStringLiteral("dpmpp-2m"), QStringLiteral("euler"),
                                      QStringLiteral("heun")};

} // namespace

SweepDialog::SweepDialog(const QString& modelSpec, const QList<QPair<QString, QString>>& samplers, bool isImage,
                         QWidget* parent)
    : QDialog(parent), m_model(modelSpec), m_isImage(isImage)
{
    setWindowTitle(tr("Steps versus quality — %1").arg(modelSpec));
    m_job = new SweepJob(this);
    auto* form = new QFormLayout;
    auto* boxes = new QWidget(this);
    auto* grid = new QGridLayout(boxes);
    grid->setContentsMargins(0, 0, 0, 0);
    for (const auto& [name, label] : samplers) {
        if (name == QLatin1String("ddpm")) continue; // DDPM has no step choice below T
        auto* box = new QCheckBox(label, boxes);
        box->setChecked(kDefaultSamplers.contains(name));
        grid->addWidget(box, m_samplerBoxes.size() / 3, m_samplerBoxes.size() % 3);
        m_samplerBoxes.push_back({name, box});
    }
    form->addRow(tr("Samplers"), boxes);
    m_nfes = new QLineEdit(QStringLiteral("5, 10, 20, 50, 100"), this);
    m_nfes->setToolTip(tr("Model calls per sample (NFE): Heun calls the model twice per step"));
    form->addRow(tr("Model calls (NFE)"), m_nfes);
    m_samples = new QSpinBox(this);
    m_samples->setRange(50, 20000);
    m_samples->setValue(isImage ? 200 : 2000);
    m_samples->setToolTip(tr("Samples per run; the data floor is the same distance between two data samples of this size"));
    form->addRow(tr("Samples"), m_samples);
    m_exact = new QCheckBox(tr("beside the exact denoiser of the model's dataset (dashed: the solver's error alone)"), this);
    m_exact->setChecked(!isImage);
    if (isImage) m_exact->setToolTip(tr("The exact denoiser of 60,000 images is slow: off by default"));
    form->addRow(QString(), m_exact);

    m_run = new QPushButton(tr("Run the sweep"), this);
    auto* close = new QPushButton(tr("Close"), this);
    m_progress = new QProgressBar(this);
    m_progress->setVisible(false);
    m_status = new QLabel(this);
    m_status->setWordWrap(true);
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(m_progress, 1);
    buttons->addWidget(m_run);
    buttons->addWidget(close);

    m_plot = new widgets::NfePlot(this);
    m_table = new QTableWidget(this);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    auto* split = new QSplitter(Qt::Vertical, this);
    split->addWidget(m_plot);
    split->addWidget(m_table);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 1);

    auto* layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(split, 1);
    layout->addWidget(m_status);
    layout->addLayout(buttons);
    resize(900, 760);

    connect(m_run, &QPushButton::clicked, this, [this] { isRunning() ? cancel() : (void)run(); });
    connect(close, &QPushButton::clicked, this, &QDialog::reject);
    connect(m_job, &SweepJob::progress, this, [this](int done, int total) {
        m_progress->setRange(0, total);
        m_progress->setValue(done);
    });
    connect(m_job, &SweepJob::finished, this, &SweepDialog::onFinished);
}

SweepDialog::~SweepDialog() = default;

void SweepDialog::setNfes(const QString& list)
{
    m_nfes->setText(list);
}

void SweepDialog::setSamples(int samples)
{
    m_samples->setValue(samples);
}

void SweepDialog::setSamplers(const QStringList& names)
{
    for (auto& [name, box] : m_samplerBoxes) box->setChecked(names.contains(name));
}

bool SweepDialog::isRunning() const
{
    return m_job->isRunning();
}

QString SweepDialog::status() const
{
    return m_status->text();
}

bool SweepDialog::run()
{
    SweepParams p;
    p.model = m_model;
    for (const auto& [name, box] : m_samplerBoxes)
        if (box->isChecked()) p.samplers << name;
    for (const QString& part : m_nfes->text().split(QRegularExpression(QStringLiteral("[,;\\s]+")), Qt::SkipEmptyParts)) {
        bool ok = false;
        const int n = part.toInt(&ok);
        if (!ok || n < 1) {
            m_status->setText(tr("Model calls must be whole numbers of at least 1, like 5, 10, 20 ('%1' is not)").arg(part));
            return false;
        }
        p.nfes << n;
    }
    if (p.nfes.isEmpty() || p.samplers.isEmpty()) {
        m_status->setText(tr("Choose at least one sampler and one number of model calls"));
        return false;
    }
    p.samples = m_samples->value();
    p.exactRows = m_exact->isChecked();
    m_job->start(p);
    m_run->setText(tr("Stop"));
    m_progress->setRange(0, 0);
    m_progress->setVisible(true);
    m_status->setText(tr("Sampling %1 samplers × %2 budgets%3…")
                          .arg(p.samplers.size())
                          .arg(p.nfes.size())
                          .arg(p.exactRows ? tr(", with the exact denoiser") : QString()));
    return true;
}

void SweepDialog::cancel()
{
    m_job->cancel();
}

void SweepDialog::onFinished(bool ok, bool cancelled, const QString& message, const SweepResult& result)
{
    if (m_job->isRunning()) return; // a superseded sweep
    m_run->setText(tr("Run the sweep"));
    m_progress->setVisible(false);
    if (cancelled) {
        m_status->setText(tr("Stopped: the sweep was cancelled"));
    } else if (!ok) {
        m_status->setText(tr("The sweep failed: %1").arg(message));
    } else {
        m_result = result;
        showResult();
    }
    Q_EMIT sweepFinished(ok);
}

void SweepDialog::showResult()
{
    const SweepResult& r = m_result;
    QVector<widgets::NfeCurve> curves;
    m_table->clear();
    m_table->setRowCount(r.curves.size());
    m_table->setColumnCount(r.curves.isEmpty() ? 0 : r.curves.first().nfe.size() + 1);
    QStringList header{tr("denoiser · sampler")};
    if (!r.curves.isEmpty())
        for (double n : r.curves.first().nfe) header << tr("NFE %1").arg(n);
    m_table->setHorizontalHeaderLabels(header);
    QStringList notes;
    for (int i = 0; i < r.curves.size(); ++i) {
        const SweepCurveData& c = r.curves[i];
        widgets::NfeCurve curve;
        curve.name = QStringLiteral("%1 (%2)").arg(c.sampler, c.exact ? tr("exact") : tr("model"));
        curve.dashed = c.exact && r.curves.size() > 1 && !r.curves.first().exact;
        m_table->setItem(i, 0, new QTableWidgetItem(curve.name));
        for (int k = 0; k < c.nfe.size(); ++k) {
            const bool ran = c.calls.value(k, -1) >= 0;
            curve.nfe << (ran ? c.calls[k] : c.nfe[k]);
            curve.ratio << (ran ? c.value[k] / r.floor : std::nan(""));
            m_table->setItem(i, k + 1, new QTableWidgetItem(ran ? QStringLiteral("%1×").arg(widgets::formatSig(c.value[k] / r.floor, 3))
                                                                : QStringLiteral("–")));
            if (!c.notes.value(k).isEmpty()) notes << tr("%1 at NFE %2: %3").arg(curve.name).arg(c.nfe[k]).arg(c.notes[k]);
        }
        curves << curve;
    }
    m_plot->setCurves(curves, r.metric == QLatin1String("sliced_wasserstein") ? tr("sliced Wasserstein")
                                                                              : tr("classifier Fréchet distance"));
    QString text = tr("%1 on %2, %3 samples per run; data floor %4 (the same distance between two data samples).")
                       .arg(r.model, r.dataset)
                       .arg(r.samples)
                       .arg(widgets::formatSig(r.floor, 3));
    if (!r.note.isEmpty()) text += QStringLiteral(" ") + r.note + QStringLiteral(".");
    if (!notes.isEmpty()) text += QStringLiteral("\n") + notes.join(QStringLiteral("\n"));
    m_status->setText(text);
}

} // namespace difflens::gui
