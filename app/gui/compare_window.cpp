#include "app/gui/compare_window.h"

#include "app/gui/central_view.h"
#include "app/gui/export_dialog.h"
#include "app/logic/model_loader.h"
#include "app/logic/run_files.h"
#include "app/logic/sampling_controller.h"
#include "app/logic/schedule_series.h"
#include "core/errors.h"
#include "core/export.h"
#include "widgets/compare_plot.h"
#include "widgets/density_time_view.h"
#include "widgets/palette.h"
#include "widgets/timeline_bar.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QKeyEvent>
#include <QLabel>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QStackedWidget>
#include <QStatusBar>
#include <QTimer>
#include <QToolBar>
#include <QVBoxLayout>

namespace difflens::gui {


CompareWindow::CompareWindow(CompareSide a, Options options, QWidget* parent)
    : QMainWindow(parent), m_options(std::move(options)), m_a(std::move(a))
{
    setAttribute(Qt::WA_DeleteOnClose, false);
    setWindowTitle(tr("Compare runs — Diffusion Lens"));
    m_a.name = QStringLiteral("A");
    m_sampler = new SamplingController(this);
    m_loader = new ModelLoader(this);
    buildUi();
    setRunA(m_a);

    connect(m_sampler, &SamplingController::stepsAvailable, this, &CompareWindow::onStepsAvailable);
    connect(m_sampler, &SamplingController::progress, this, [this](int done, int total) {
        m_progress->setRange(0, total);
        m_progress->setValue(done);
    });
    connect(m_sampler, &SamplingController::finished, this, [this](double seconds) {
        m_progress->setVisible(false);
        m_runButton->setEnabled(true);
        statusBar()->showMessage(tr("Run B: %1 steps in %2 s").arg(m_b.steps()).arg(seconds, 0, 'f', 2), 8000);
        updateCurve();
        Q_EMIT runBFinished(true, QString());
    });
    connect(m_sampler, &SamplingController::cancelled, this, [this](int) {
        m_progress->setVisible(false);
        m_runButton->setEnabled(true);
    });
    connect(m_sampler, &SamplingController::failed, this, [this](const QString& message) {
        m_progress->setVisible(false);
        m_runButton->setEnabled(true);
        showError(tr("Run B failed: %1").arg(message));
        Q_EMIT runBFinished(false, message);
    });
    connect(m_loader, &ModelLoader::loaded, this,
            [this](int request, const QString&, const ModelHandle& model) { onModelLoaded(request, model); });
    connect(m_loader, &ModelLoader::failed, this, [this](int request, const QString& spec, const QString& message) {
        if (request != m_loadRequest) return;
        m_loadRequest = -1;
        m_progress->setVisible(false);
        m_runButton->setEnabled(true);
        showError(tr("Could not open %1 for run B: %2").arg(spec, message));
        Q_EMIT runBFinished(false, message);
    });
}

CompareWindow::~CompareWindow() = default;

void CompareWindow::setRunA(CompareSide a)
{
    m_sampler->cancel();
    m_a = std::move(a);
    m_a.name = QStringLiteral("A");
    m_b = CompareSide();
    m_b.name = QStringLiteral("B");
    m_framesA.setModel(m_a.model);
    m_framesA.setExactEnabled(false);
    if (m_a.trajectory) {
        m_framesA.setReverse(m_a.trajectory, m_a.trueStep);
        m_framesA.appendSummaries(m_a.summaries);
    }
    m_viewB->setDensity(FrameBuilder::DensityMap());
    m_framesB.clear();
    if (m_a.model) {
        m_viewA->setModel(m_a.model->info);
        m_viewDiff->setModel(m_a.model->info);
        m_viewDiff->densityView()->setVisible(false); // 1-D: the (t, x) density belongs to each run
        m_viewA->setDensity(m_framesA.densityMap());
        // Image grids: the difference has 2 columns beside the sides' 6; point plots are squares alike.
        const int side = m_a.model->info.isImage ? 3 : 1;
        m_columns->setSizes({side * 100, side * 100, 100});
        m_plot->setTimesteps(0); // the t of the runs (a run from the noised reference starts at t0)
        m_samplerBox->clear();
        for (const auto& [name, label] : samplerChoices(m_a.model->info.scheduler))
            if (name.compare(m_a.settings.sampler, Qt::CaseInsensitive) != 0) m_samplerBox->addItem(label, name);
        m_stepsBox->setMaximum(m_a.model->info.T());
    }
    m_viewB->showMessage(tr("<h3>Run B</h3><p>Choose what to change above and press <b>Run B</b>: it starts from "
                            "the same x_T as run A. Or open a saved run as B.</p>"));
    m_viewDiff->showMessage(tr("The difference of the two runs shows here."));
    m_plot->clear();
    m_plot->setPlaceholder(tr("Start run B: this curve shows where the two runs part"));
    updateChangeEditor();
    resetTimeline();
}

void CompareWindow::showError(const QString& message)
{
    m_lastError = message;
    statusBar()->showMessage(message, 10000);
    Q_EMIT errorShown(message);
    if (m_options.interactive) QMessageBox::warning(this, tr("Compare"), message);
}

bool CompareWindow::compareWith(const CompareRequest& request)
{
    QString error;
    const ComparePlan plan = planComparison(m_a, request, &error);
    if (!error.isEmpty()) {
        showError(error);
        return false;
    }
    if (plan.modelSpec == m_a.modelSpec && m_a.model && hasDenoiser(*m_a.model)) {
        startB(plan, m_a.model);
        return true;
    }
    m_pending = plan;
    m_loadRequest = m_loader->load(plan.modelSpec, m_options.device);
    m_runButton->setEnabled(false);
    m_progress->setRange(0, 0);
    m_progress->setVisible(true);
    m_viewB->showMessage(tr("<h3>Opening %1…</h3>").arg(plan.modelSpec.toHtmlEscaped()));
    return true;
}

void CompareWindow::onModelLoaded(int request, const ModelHandle& model)
{
    if (request != m_loadRequest) return;
    m_loadRequest = -1;
    const QString problem = sameDataShape(m_a.model->info, model->info);
    if (!problem.isEmpty()) {
        m_progress->setVisible(false);
        m_runButton->setEnabled(true);
        showError(problem);
        Q_EMIT runBFinished(false, problem);
        return;
    }
    startB(m_pending, model);
}

void CompareWindow::startB(const ComparePlan& plan, const ModelHandle& model)
{
    m_b = CompareSide();
    m_b.name = QStringLiteral("B");
    m_b.model = model;
    m_b.modelSpec = plan.modelSpec;
    m_b.settings = plan.settings;
    m_b.reference = m_a.reference;
    m_b.trueStep = m_a.trueStep;
    m_sampler->start(samplingParams(plan.settings, model, m_a.reference));
    m_b.trajectory = m_sampler->trajectory();
    if (!m_b.trajectory) return; // failed() said why
    m_framesB.setModel(model);
    m_framesB.setExactEnabled(false);
    m_framesB.setReverse(m_b.trajectory, m_b.trueStep);
    m_viewB->setModel(model->info);
    m_runButton->setEnabled(false);
    m_progress->setRange(0, m_b.steps());
    m_progress->setValue(0);
    m_progress->setVisible(true);
    m_plot->clear();
    m_plot->setPlaceholder(tr("Run B is sampling: the curve follows when it ends"));
    statusBar()->showMessage(tr("Run B (%1): sampling %2 steps…").arg(plan.change).arg(m_b.steps()));
    if (m_b.steps() != m_a.steps() && m_align == CompareAlign::Step)
        setAlign(CompareAlign::Time); // different step plans: the same t is what a viewer expects
    else
        resetTimeline();
}

bool CompareWindow::openRunB(const QString& path)
{
    OpenedRun run;
    try {
        run = openRunFile(path);
    } catch (const std::exception& e) {
        showError(tr("Could not open the run %1: %2").arg(QFileInfo(path).fileName(), QString::fromStdString(e.what())));
        return false;
    }
    if (m_a.model) {
        const QString problem = sameDataShape(m_a.model->info, run.model->info);
        if (!problem.isEmpty()) {
            showError(problem);
            return false;
        }
    }
    m_sampler->cancel();
    m_b = compareSide(run, QStringLiteral("B"));
    m_framesB.setModel(run.model);
    m_framesB.setExactEnabled(false);
    m_framesB.setReverse(run.trajectory, run.trueStep);
    m_framesB.appendSummaries(run.summaries);
    m_viewB->setModel(run.model->info);
    m_viewB->setDensity(m_framesB.densityMap());
    m_progress->setVisible(false);
    m_runButton->setEnabled(true);
    resetTimeline();
    updateCurve();
    return true;
}

void CompareWindow::onStepsAvailable(int recorded)
{
    const QVector<StepSummary> fresh = m_sampler->summaries(m_b.summaries.size());
    m_b.summaries += fresh;
    m_framesB.appendSummaries(fresh);
    if (m_b.model && !m_b.model->info.isImage && m_b.model->info.dim == 1) m_viewB->setDensity(m_framesB.densityMap());
    Q_UNUSED(recorded);
    m_timeline->setAvailableSteps(availablePositions(m_plan, m_a, m_b));
    scheduleShow();
}

void CompareWindow::setAlign(CompareAlign align)
{
    m_align = align;
    const int i = m_alignBox->findData(static_cast<int>(align));
    if (i != m_alignBox->currentIndex()) {
        QSignalBlocker block(m_alignBox);
        m_alignBox->setCurrentIndex(i);
    }
    resetTimeline();
    if (m_b.isValid() && !m_progress->isVisible()) updateCurve();
}

void CompareWindow::resetTimeline()
{
    const int previous = m_timeline->currentStep();
    m_plan = alignRuns(m_a, m_b, m_align);
    m_alignBox->setEnabled(m_b.isValid());
    m_timeline->setStepCount(m_plan.size());
    m_timeline->setTimestepLabels(m_plan.labels);
    const int available = availablePositions(m_plan, m_a, m_b);
    m_timeline->setAvailableSteps(available);
    m_timeline->setCurrentStep(std::clamp(previous, 0, std::max(0, m_plan.size() - 1)));
    updateHeaders();
    scheduleShow();
}

void CompareWindow::setPosition(int position)
{
    m_timeline->setCurrentStep(position);
    scheduleShow();
}

int CompareWindow::position() const
{
    return m_timeline->currentStep();
}

void CompareWindow::scheduleShow()
{
    if (m_showPending) return;
    m_showPending = true;
    QTimer::singleShot(0, this, [this] {
        m_showPending = false;
        showPosition();
    });
}

void CompareWindow::showPosition()
{
    const int pos = m_timeline->currentStep();
    if (pos < 0 || pos >= m_plan.size() || !m_a.isValid()) return;
    const Frame fa = m_framesA.frame(m_plan.stepA[pos]);
    if (fa.isValid()) {
        m_viewA->showFrame(fa);
        m_viewA->setCurrentT(fa.t);
    }
    if (m_b.isValid() && m_b.recorded() > 0) {
        const Frame fb = m_framesB.frame(m_plan.stepB[pos]);
        if (fb.isValid()) {
            m_viewB->showFrame(fb);
            m_viewB->setCurrentT(fb.t);
        }
        try {
            const Frame diff = differenceFrame(m_a, m_plan.stepA[pos], m_b, m_plan.stepB[pos], 16, fa, &m_numbers);
            if (diff.isValid()) m_viewDiff->showFrame(diff);
        } catch (const std::exception& e) {
            m_viewDiff->showMessage(tr("The difference cannot be shown: %1").arg(QString::fromStdString(e.what())));
        }
    }
    m_plot->setCurrentT(m_plan.labels.value(pos, -1));
    updateHeaders();
    Q_EMIT positionShown(pos);
}

void CompareWindow::updateCurve()
{
    try {
        const CompareCurve c = compareCurve(m_a, m_b, m_plan);
        m_plot->setCurves(c.t, c.xt, c.x0);
    } catch (const std::exception& e) {
        m_plot->setPlaceholder(tr("The curve cannot be computed: %1").arg(QString::fromStdString(e.what())));
    }
}

void CompareWindow::updateHeaders()
{
    m_headerA->setText(m_a.isValid() ? tr("A · %1").arg(describeSide(m_a, true)) : tr("A · no run"));
    m_headerB->setText(m_b.isValid() ? tr("B · %1").arg(describeSide(m_b, true)) : tr("B · not started"));
    m_headerDiff->setText(m_b.isValid() ? tr("A − B (one x_T: each sample of B is its twin in A)") : tr("Difference"));
}

void CompareWindow::setPresentationMode(bool on)
{
    m_presentationMode.setChrome({m_toolbar, statusBar()});
    m_presentationMode.setLargeText({m_headerA, m_headerB, m_headerDiff}, 1.4);
    m_presentationMode.set(on);
}

void CompareWindow::keyPressEvent(QKeyEvent* event)
{
    if (event->key() == Qt::Key_F5 || (event->key() == Qt::Key_Escape && m_presentationMode.isOn())) {
        setPresentationMode(event->key() == Qt::Key_F5 ? !m_presentationMode.isOn() : false);
        return;
    }
    // The timeline's keys work wherever the focus is (presentation mode has no buttons to click).
    switch (event->key()) {
    case Qt::Key_Space: m_timeline->togglePlay(); return;
    case Qt::Key_Left: m_timeline->stepBack(); return;
    case Qt::Key_Right: m_timeline->stepForward(); return;
    case Qt::Key_Home: m_timeline->jumpToStart(); return;
    case Qt::Key_End: m_timeline->jumpToEnd(); return;
    default: break;
    }
    QMainWindow::keyPressEvent(event);
}

void CompareWindow::showExport()
{
    if (!m_a.isValid() || !m_b.isValid()) {
        showError(tr("Start or open run B first: the export shows both runs side by side"));
        return;
    }
    const ExportSource source = compareExportSource(m_a, m_b, m_align, position());
    auto* dialog = new ExportDialog(source, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->show();
}

} // namespace difflens::gui
