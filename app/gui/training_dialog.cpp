#include "app/gui/training_dialog.h"

#include "app/logic/app_paths.h"
#include "app/logic/settings.h"
#include "app/logic/training_controller.h"
#include "widgets/format.h"
#include "widgets/loss_plot.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

namespace difflens::gui {

TrainingDialog::TrainingDialog(Settings& settings, const QString& device, QWidget* parent)
    : QDialog(parent), m_settings(settings), m_device(device)
{
    setWindowTitle(tr("Train a point model"));
    m_controller = new TrainingController(this);

    auto* layout = new QHBoxLayout(this);
    auto* left = new QVBoxLayout;
    auto* intro =
        new QLabel(tr("Trains a small MLP p_θ to predict the noise ε from (xₜ, t) — Ho et al. "
                      "Algorithm 1 — on a 2-D or 1-D dataset. A few thousand steps take about a minute."),
                   this);
    intro->setWordWrap(true);
    intro->setMaximumWidth(300);
    left->addWidget(intro);
    auto* form = new QFormLayout;
    m_dataset = new QComboBox(this);
    m_dataset->addItems(TrainingController::pointDatasets());
    m_dataset->setCurrentText(m_settings.value(keys::trainDataset));
    m_steps = new QSpinBox(this);
    m_steps->setRange(50, 200000);
    m_steps->setSingleStep(500);
    m_steps->setValue(m_settings.value(keys::trainSteps));
    m_batch = new QSpinBox(this);
    m_batch->setRange(8, 8192);
    m_batch->setValue(m_settings.value(keys::trainBatch));
    m_lr = new QDoubleSpinBox(this);
    m_lr->setDecimals(5);
    m_lr->setRange(1e-5, 0.1);
    m_lr->setSingleStep(1e-4);
    m_lr->setValue(m_settings.value(keys::trainLr));
    m_hidden = new QSpinBox(this);
    m_hidden->setRange(16, 1024);
    m_hidden->setValue(128);
    m_hidden->setToolTip(tr("Width of the MLP's hidden layers"));
    form->addRow(tr("Dataset"), m_dataset);
    form->addRow(tr("Steps"), m_steps);
    form->addRow(tr("Batch"), m_batch);
    form->addRow(tr("Learning rate"), m_lr);
    form->addRow(tr("Width"), m_hidden);
    left->addLayout(form);
    m_progress = new QProgressBar(this);
    m_progress->setFormat(tr("step %v / %m"));
    m_status = new QLabel(this);
    m_status->setWordWrap(true);
    m_status->setMaximumWidth(300);
    left->addWidget(m_progress);
    left->addWidget(m_status);
    left->addStretch(1);
    auto* buttons = new QDialogButtonBox(this);
    m_train = buttons->addButton(tr("Train"), QDialogButtonBox::AcceptRole);
    m_cancel = buttons->addButton(tr("Cancel training"), QDialogButtonBox::RejectRole);
    m_use = buttons->addButton(tr("Use this model"), QDialogButtonBox::ApplyRole);
    auto* close = buttons->addButton(QDialogButtonBox::Close);
    m_train->setDefault(true);
    left->addWidget(buttons);
    layout->addLayout(left);
    m_plot = new widgets::LossPlot(this);
    m_plot->setLossLabel(QStringLiteral("‖ε − ε̂‖²"));
    m_plot->setMinimumSize(460, 360);
    layout->addWidget(m_plot, 1);

    connect(m_train, &QPushButton::clicked, this, &TrainingDialog::startTraining);
    connect(m_cancel, &QPushButton::clicked, m_controller, &TrainingController::cancel);
    connect(close, &QPushButton::clicked, this, &QDialog::close);
    connect(m_use, &QPushButton::clicked, this, [this] {
        if (!m_lastPackage.isEmpty()) Q_EMIT packageReady(m_lastPackage, true);
        QDialog::close();
    });
    connect(m_controller, &TrainingController::progress, this,
            [this](qint64 step, qint64 total, double loss, double ema, double stepsPerSecond) {
                m_plot->appendPoint(static_cast<double>(step), loss, ema);
                m_progress->setRange(0, static_cast<int>(total));
                m_progress->setValue(static_cast<int>(step));
                m_status->setText(tr("loss %1 (smoothed %2) · %3 steps/s")
                                      .arg(widgets::formatSig(loss, 3), widgets::formatSig(ema, 3))
                                      .arg(stepsPerSecond, 0, 'f', 0));
            });
    connect(m_controller, &TrainingController::finished, this, [this](const QString& dir, double seconds) {
        setRunning(false);
        m_lastPackage = dir;
        m_use->setEnabled(true);
        m_status->setText(tr("Done in %1 s. The package is in %2 and listed as “%3 (trained here)”.")
                              .arg(seconds, 0, 'f', 1)
                              .arg(dir, QFileInfo(dir).fileName()));
        Q_EMIT packageReady(dir, false);
    });
    connect(m_controller, &TrainingController::cancelled, this, [this](qint64 step) {
        setRunning(false);
        m_status->setText(tr("Stopped at step %1; nothing was written.").arg(step));
    });
    connect(m_controller, &TrainingController::failed, this, [this](const QString& message) {
        setRunning(false);
        m_status->setText(tr("<b>Training failed:</b> %1").arg(message.toHtmlEscaped()));
    });
    setRunning(false);
    m_use->setEnabled(false);
}

TrainingDialog::~TrainingDialog() = default;

void TrainingDialog::startTraining()
{
    m_settings.setValue(keys::trainDataset, m_dataset->currentText());
    m_settings.setValue(keys::trainSteps, m_steps->value());
    m_settings.setValue(keys::trainBatch, m_batch->value());
    m_settings.setValue(keys::trainLr, m_lr->value());
    TrainingParams p;
    p.dataset = m_dataset->currentText();
    p.steps = m_steps->value();
    p.batch = m_batch->value();
    p.lr = m_lr->value();
    p.hidden = m_hidden->value();
    p.device = m_device;
    p.outputDir = TrainingController::freshPackageDir(userModelsDir(), p.dataset);
    m_plot->clear();
    m_progress->setRange(0, static_cast<int>(p.steps));
    m_progress->setValue(0);
    m_status->setText(tr("Training on %1…").arg(p.dataset));
    m_use->setEnabled(false);
    setRunning(true);
    m_controller->start(p);
}

void TrainingDialog::setRunning(bool running)
{
    m_train->setEnabled(!running);
    m_cancel->setEnabled(running);
    m_dataset->setEnabled(!running);
    m_steps->setEnabled(!running);
    m_batch->setEnabled(!running);
    m_lr->setEnabled(!running);
    m_hidden->setEnabled(!running);
}

} // namespace difflens::gui
