#include "app/gui/exact_panel.h"

#include "widgets/format.h"
#include "widgets/image_gallery.h"
#include "widgets/palette.h"
#include "widgets/step_density_view.h"
#include "widgets/vlb_plot.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QSplitter>
#include <QStackedWidget>
#include <QVBoxLayout>

namespace difflens::gui {

QString priorWarningText(const ModelInfo& info)
{
    if (!info.priorWarning()) return {};
    QString text =
        QObject::tr("⚠ ᾱ_T = %1 is far from 0: x_T = √ᾱ_T x₀ + √(1−ᾱ_T) ε keeps %2 of the signal, so "
                    "x_T is not N(0, I) and sampling from pure noise starts from the wrong distribution.")
            .arg(widgets::formatSig(info.alphaBarT, 3), widgets::formatSig(std::sqrt(info.alphaBarT), 2));
    if (std::isfinite(info.priorBitsPerDim))
        text += QObject::tr(" The prior term L_T = KL(q(x_T | x₀) ‖ N(0, I)) is %1 bits/dim on the data.")
                    .arg(widgets::formatSig(info.priorBitsPerDim, 3));
    return text;
}

ExactPanel::ExactPanel(QWidget* parent) : QWidget(parent)
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 6);
    m_intro = new QLabel;
    m_intro->setWordWrap(true);
    m_intro->setTextFormat(Qt::RichText);
    layout->addWidget(m_intro);

    auto* split = m_split = new QSplitter(Qt::Vertical);
    split->setChildrenCollapsible(false);
    m_stack = new QStackedWidget;
    m_message = new QLabel;
    m_message->setAlignment(Qt::AlignCenter);
    m_message->setWordWrap(true);
    m_message->setStyleSheet(QStringLiteral("color: %1").arg(widgets::palette::mutedText().name()));
    m_step = new widgets::StepDensityView;
    m_gallery = new widgets::ImageGallery;
    m_stack->addWidget(m_message);
    m_stack->addWidget(m_step);
    m_stack->addWidget(m_gallery);
    split->addWidget(m_stack);

    auto* bound = new QWidget;
    auto* bl = new QVBoxLayout(bound);
    bl->setContentsMargins(0, 0, 0, 0);
    m_warning = new QLabel;
    m_warning->setWordWrap(true);
    m_warning->setStyleSheet(QStringLiteral("QLabel { background: #FFF4E0; border: 1px solid #E0A040; "
                                            "border-radius: 3px; padding: 4px; color: #6A4000; }"));
    m_warning->hide();
    bl->addWidget(m_warning);
    m_vlb = new widgets::VlbPlot;
    bl->addWidget(m_vlb, 1);
    auto* row = new QHBoxLayout;
    m_compute = new QPushButton(tr("Compute the bound"));
    m_compute->setToolTip(tr("Every term L₀ … L_{T−1}, L_T of the variational bound on a few dataset items "
                             "(T model calls), and the same for the exact denoiser"));
    m_cancel = new QPushButton(tr("Cancel"));
    m_cancel->setEnabled(false);
    m_progress = new QProgressBar;
    m_progress->setTextVisible(true);
    m_progress->setRange(0, 1);
    m_progress->setValue(0);
    row->addWidget(m_compute);
    row->addWidget(m_cancel);
    row->addWidget(m_progress, 1);
    bl->addLayout(row);
    m_boundSummary = new QLabel;
    m_boundSummary->setWordWrap(true);
    m_boundSummary->setTextFormat(Qt::RichText);
    m_boundSummary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    bl->addWidget(m_boundSummary);
    split->addWidget(bound);
    split->setStretchFactor(0, 1);
    split->setStretchFactor(1, 1);
    layout->addWidget(split, 1);

    m_bound = new VlbController(this);
    connect(m_compute, &QPushButton::clicked, this, &ExactPanel::boundRequested);
    connect(m_cancel, &QPushButton::clicked, m_bound, &VlbController::cancel);
    connect(m_bound, &VlbController::progress, this, &ExactPanel::setBoundProgress);
    connect(m_bound, &VlbController::finished, this,
            [this](const QVector<widgets::VlbSeries>& series, const QString& summary) {
                setBounds(series, summary);
                Q_EMIT boundComputed();
            });
    connect(m_bound, &VlbController::cancelled, this, [this] {
        // A bound cancelled by a model switch reports after setModel reset the panel: nothing to say then.
        if (!m_boundOfOldModel) setBoundMessage(tr("Cancelled."));
    });
    connect(m_bound, &VlbController::failed, this, [this](const QString& message) {
        setBoundMessage(tr("The bound failed: %1").arg(message));
        Q_EMIT boundFailed(message);
    });
    m_message->setText(tr("Open a model and press Sample."));
}

ExactPanel::~ExactPanel() = default;

void ExactPanel::setModel(const ModelInfo& info)
{
    // A bound of the previous model is of no use now: cancelled, and its report (which follows once) ignored.
    m_boundOfOldModel = m_bound->isRunning();
    m_bound->cancel();
    m_isImage = info.isImage;
    // Images need height for the gallery's rows; points share it evenly with the bound.
    m_split->setSizes(info.isImage ? QList<int>{620, 380} : QList<int>{500, 500});
    m_hasExact = !info.exactText.isEmpty();
    if (m_hasExact) {
        m_intro->setText(
            tr("<b>Why learn p<sub>θ</sub>?</b> q(xₜ₋₁ | xₜ) = Σᵢ wᵢ(xₜ) q(xₜ₋₁ | xₜ, x⁽ⁱ⁾) needs "
               "<i>every</i> "
               "training item x⁽ⁱ⁾ at every step. Here it is computed exactly from %1. %2")
                .arg(
                    info.exactText.toHtmlEscaped(),
                    info.isImage ? tr("Near t = 0 one training image takes all the weight wᵢ: the exact "
                                      "process only reproduces its training set.")
                    : info.trainingSetSize > 0 && info.exactText.contains(QStringLiteral("mixture"))
                        ? tr("For a mixture the exact q is the true one; over a finite set (the weights wᵢ "
                             "of "
                             "the data points in the main view) a model that matched it would only reproduce "
                             "its training points.")
                        : tr("A model that matched it would only reproduce its training points.")));
    } else {
        m_intro->setText(tr("<b>Why learn p<sub>θ</sub>?</b> This model has no dataset to compute the exact "
                            "q(xₜ₋₁ | xₜ) from."));
    }
    const QString warning = priorWarningText(info);
    m_warning->setText(warning);
    m_warning->setVisible(!warning.isEmpty());
    m_vlb->clear();
    m_vlb->setTimesteps(info.T());
    m_boundSummary->setText(info.scheduler.isFlow()
                                ? tr("The variational bound belongs to the DDPM chain; this flow-matching model "
                                     "has none here. The main view shows its velocity against the conditional "
                                     "one, and View ▸ Score field its velocity field against the exact one.")
                            : info.referenceCount > 0
                                ? tr("The bound −log p(x₀) ≤ L_T + Σ L_{t−1} + L₀, in bits per dimension "
                                     "(improved DDPM reports 2.94 on "
                                     "CIFAR-10).")
                                : tr("This model has no dataset items to evaluate the bound on."));
    m_hasItems = info.referenceCount > 0 && !info.scheduler.isFlow();
    setBoundRunning(false);
    m_progress->setRange(0, 1);
    m_progress->setValue(0);
    clearFrame();
}

void ExactPanel::clearFrame()
{
    m_message->setText(m_hasExact
                           ? tr("Press Sample: each step of the run shows its exact reverse step here.")
                           : tr("No exact q(xₜ₋₁ | xₜ) for this model: it has no dataset."));
    m_stack->setCurrentWidget(m_message);
}

void ExactPanel::showFrame(const Frame& frame)
{
    if (frame.isImage && !frame.gallery.items.isEmpty()) {
        m_gallery->setFrame(frame.gallery);
        m_stack->setCurrentWidget(m_gallery);
    } else if (!frame.isImage && !frame.exactStep.isEmpty()) {
        m_step->setFrame(frame.exactStep);
        m_stack->setCurrentWidget(m_step);
    } else {
        m_message->setText(!m_hasExact ? tr("No exact q(xₜ₋₁ | xₜ) for this model: it has no dataset.")
                           : frame.t == 0 ? tr("t = 0: the clean x₀, no step to take.")
                                          : tr("No exact step at this frame."));
        m_stack->setCurrentWidget(m_message);
    }
}

void ExactPanel::setCurrentT(long t)
{
    m_vlb->setCurrentT(static_cast<double>(t));
}

void ExactPanel::setBoundRunning(bool running)
{
    m_compute->setEnabled(!running && m_hasItems);
    m_cancel->setEnabled(running);
    if (running) {
        m_progress->setRange(0, 0);
        m_boundSummary->setText(tr("Computing the bound…"));
    }
}

void ExactPanel::startBound(const ModelHandle& model)
{
    if (!model) return;
    m_boundOfOldModel = false;
    setBoundRunning(true);
    m_bound->start(model, VlbController::defaultItems(model->info));
}

void ExactPanel::setBoundProgress(int done, int total)
{
    m_progress->setRange(0, std::max(1, total));
    m_progress->setValue(done);
}

void ExactPanel::setBounds(const QVector<widgets::VlbSeries>& series, const QString& summary)
{
    setBoundRunning(false);
    m_vlb->clear();
    for (const auto& s : series)
        m_vlb->addBound(s);
    m_progress->setValue(m_progress->maximum());
    m_boundSummary->setText(summary);
}

void ExactPanel::setBoundMessage(const QString& message)
{
    setBoundRunning(false);
    m_progress->setRange(0, 1);
    m_progress->setValue(0);
    m_boundSummary->setText(message);
}

QWidget* ExactPanel::currentStepWidget() const
{
    return m_stack->currentWidget();
}

} // namespace difflens::gui
