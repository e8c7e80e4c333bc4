// MainWindow: presentation mode, the hint line and the tour, errors, the status bar, export and plots.
#include "app/gui/main_window.h"

#include "app/gui/central_view.h"
#include "app/gui/export_dialog.h"
#include "app/gui/side_panels.h"
#include "app/gui/sweep_dialog.h"
#include "app/gui/tour.h"
#include "app/logic/sampling_controller.h"
#include "app/logic/settings.h"
#include "widgets/control_panel.h"
#include "widgets/explanation_panel.h"
#include "widgets/loss_plot.h"
#include "widgets/plot_widget_base.h"
#include "widgets/schedule_plot.h"
#include "widgets/step_metrics_plot.h"
#include "widgets/timeline_bar.h"

#include <QAction>
#include <QDir>
#include <QDockWidget>
#include <QFileDialog>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QStatusBar>
#include <QTabWidget>

namespace difflens::gui {

using widgets::RunSettings;

// --- chrome ------------------------------------------------------------------------------------------------

void MainWindow::setPresentationMode(bool on)
{
    if (on == m_presentationMode.isOn()) return;
    {
        const QSignalBlocker block(m_presentationAction);
        m_presentationAction->setChecked(on);
    }
    for (QAction* a : m_presentationKeys)
        a->setEnabled(on);
    m_presentationMode.setChrome({menuBar(), statusBar(), m_controlsDock, m_sideDock});
    m_presentationMode.setLargeText({m_timeline}, m_settings->value(keys::presentationFontScale));
    m_presentationMode.set(on);
    if (on) m_timeline->setFocus();
}

void MainWindow::updateHint()
{
    if (!model()) return;
    const RunSettings run = m_run->hasRun() ? m_run->lastRun() : m_controls->settings();
    m_central->setHint(nextStepHint(model()->info.isImage, run, reference().isValid()));
}

Tour* MainWindow::tour() const
{
    return m_tour;
}

void MainWindow::startTour()
{
    if (m_tour) return;
    if (m_presentationMode.isOn()) setPresentationMode(false);
    m_controlsDock->show();
    m_sideDock->show();
    const auto tab = [this](QWidget* page) { return [this, page] { m_tabs->setCurrentWidget(page); }; };
    QVector<TourStep> steps{
        {m_controlsDock, tr("1 · Choose what runs"),
         tr("A model, a sampler and its steps, the seed, and the reference x₀. “Denoise reference from t₀” "
            "starts from x₀ noised to t₀; Sample starts from pure noise."),
         {}},
        {m_central, tr("2 · One reverse step"),
         tr("xₜ, the model's guess x̂₀ and its step μ_θ; with a reference, the step μ̃ computed from x₀ (Ho et "
            "al. Eq. 7) and the difference |μ_θ − μ̃|."),
         {}},
        {m_timeline, tr("3 · The timeline"),
         tr("Play, pause and scrub: every step is recorded, so moving back and forth never samples again. "
            "Space plays, ← and → step, F11 is presentation mode."),
         {}},
        {m_sideDock, tr("4 · The step explained"),
         tr("The numbers behind the step shown: how xₜ was made, what the model predicts, and the Gaussian "
            "q(xₜ₋₁ | xₜ, x₀) it stands in for."),
         tab(m_explanation)},
        {m_sideDock, tr("5 · Model against truth"),
         tr("Step metrics: the KL and the distance between μ_θ and μ̃ at every step. Exact q shows the true "
            "q(xₜ₋₁ | xₜ) for data small enough to compute it. Help ▸ Tour shows this again."),
         tab(m_metrics)},
    };
    m_tour = new Tour(this, steps);
    connect(m_tour, &Tour::finished, this, [this](bool) { m_settings->setValue(keys::tourShown, true); });
}

void MainWindow::showError(const QString& title, const QString& message, const QString& hint)
{
    m_lastError = message;
    Q_EMIT errorShown(title, message);
    if (!m_options.interactive) return;
    QMessageBox box(QMessageBox::Warning, title, QStringLiteral("<b>%1</b>").arg(title.toHtmlEscaped()),
                    QMessageBox::Ok, this);
    box.setInformativeText(hint.isEmpty() ? message : message + QStringLiteral("\n\n") + hint);
    box.exec();
}

void MainWindow::updateStatus()
{
    if (!model()) {
        m_statusModel->setText(tr("no model"));
        m_statusDevice->clear();
        m_statusTiming->clear();
        return;
    }
    const ModelInfo& info = model()->info;
    const QString kind =
        info.isImage ? tr("%1×%2 images").arg(info.height).arg(info.width) : tr("%1-D points").arg(info.dim);
    QString name = info.name;
    if (name.size() > 40) name = QStringLiteral("…") + name.right(39);
    m_statusModel->setText(QStringLiteral("%1 · %2").arg(name, kind));
    m_statusModel->setToolTip(info.description + QStringLiteral("\n") + info.dataText);
    m_statusDevice->setText(info.device);
    QString timing;
    const SamplingController* sampler = m_run->sampler();
    const int n = sampler->recordedSteps();
    if (m_run->frames().mode() == FrameBuilder::Mode::Reverse && n > 0) {
        timing = tr("%1 ms/step").arg(1000.0 * sampler->elapsedSeconds() / n, 0, 'f', 1);
        m_statusTiming->setToolTip(tr("first step on screen after %1 ms · %2 MB recorded")
                                       .arg(m_run->firstFrameMs(), 0, 'f', 0)
                                       .arg(sampler->trajectoryBytes() / 1.0e6, 0, 'f', 1));
    }
    if (reference().isValid())
        timing +=
            (timing.isEmpty() ? QString() : QStringLiteral(" · ")) + tr("x₀: %1").arg(reference().label);
    m_statusTiming->setText(timing);
}

void MainWindow::showExport()
{
    const SamplingController* sampler = m_run->sampler();
    if (!sampler->trajectory() || sampler->recordedSteps() < 1) {
        QMessageBox::information(this, tr("Nothing to export yet"),
                                 tr("Export uses the recorded run: press Sample first, then export."));
        return;
    }
    // The dialog reads the recording as it is now; a run still under way exports the steps recorded so far.
    ExportDialog dialog(m_run->frames().model(), sampler->trajectory(), sampler->summaries(), currentStep(),
                        this);
    connect(&dialog, &ExportDialog::exported, this, [this](const QString& path, int frames, qint64 bytes) {
        statusBar()->showMessage(tr("Exported %1 frames (%2 kB) to %3").arg(frames).arg(bytes / 1024).arg(path), 8000);
    });
    dialog.exec();
}

void MainWindow::savePlots()
{
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Folder for the plots"), QDir::homePath());
    if (dir.isEmpty()) return;
    // Figures for slides and papers: each plot as PNG (2x for sharpness), PDF and SVG, at a fixed size.
    const QVector<QPair<QString, widgets::PlotWidgetBase*>> plots = {
        {QStringLiteral("schedule"), m_schedule->plot()},
        {QStringLiteral("loss"), m_loss->plot()},
        {QStringLiteral("step_metrics"), m_metrics->plot()}};
    QStringList failed;
    for (const auto& [name, plot] : plots) {
        const QString base = QDir(dir).filePath(name);
        if (!plot->savePng(base + QStringLiteral(".png"), 900, 600, 2.0)) failed << name + QStringLiteral(".png");
        if (!plot->savePdf(base + QStringLiteral(".pdf"), 900, 600)) failed << name + QStringLiteral(".pdf");
        if (!plot->saveSvg(base + QStringLiteral(".svg"), 900, 600)) failed << name + QStringLiteral(".svg");
    }
    if (!failed.isEmpty())
        showError(tr("Some plots were not saved"), tr("Could not write %1 in %2: is the folder writable?")
                                                       .arg(failed.join(QStringLiteral(", ")), dir));
    else
        statusBar()->showMessage(tr("Saved the schedule, loss and step-metric plots to %1").arg(dir), 8000);
}

SweepDialog* MainWindow::openSweep()
{
    if (!model()) return nullptr;
    if (refuseWithoutModel(tr("The sweep"))) return nullptr;
    const ModelInfo& info = model()->info;
    auto* dialog = new SweepDialog(info.spec, samplerChoices(info.scheduler), info.isImage, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    if (m_options.interactive) dialog->show();
    return dialog;
}

} // namespace difflens::gui
