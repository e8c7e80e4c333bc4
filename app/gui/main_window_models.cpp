// MainWindow: the model part and the reference part meet the control panel and the views (a model opened or
// refused, the panel edited, a data point clicked, a reference image or drawing chosen).
#include "app/gui/main_window.h"

#include "app/gui/central_view.h"
#include "app/gui/draw_dialog.h"
#include "app/gui/exact_panel.h"
#include "app/gui/side_panels.h"
#include "app/gui/tour.h"
#include "app/gui/training_dialog.h"
#include "app/logic/app_paths.h"
#include "app/logic/sampling_controller.h"
#include "app/logic/settings.h"
#include "widgets/control_panel.h"
#include "widgets/explanation_panel.h"

#include <QAction>
#include <QFileDialog>
#include <QFileInfo>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTimer>

namespace difflens::gui {

namespace {

using widgets::ReferenceSource;
using widgets::RunSettings;

QString modelHint(const QString& current)
{
    QString hint =
        QObject::tr("A model is a folder holding model.pt (TorchScript, or a built-in net saved by "
                    "difflens-cli train), scheduler_config.json and difflens.json; or a single TorchScript "
                    ".pt file with those files beside it. Exact models (exact:8gaussians, …) need no file.");
    if (!current.isEmpty())
        hint = QObject::tr("The app keeps using %1.").arg(current) + QStringLiteral("\n\n") + hint;
    return hint;
}

} // namespace

// --- models ----------------------------------------------------------------------------------------------

void MainWindow::onCatalogChanged()
{
    {
        const QSignalBlocker quiet(m_controls);
        m_controls->setModels(m_models->catalog().names());
    }
    if (model()) selectModelName(m_models->currentName());
}

void MainWindow::selectModelName(const QString& name)
{
    if (name.isEmpty()) return;
    RunSettings s = m_controls->settings();
    s.model = name;
    showSettings(s);
}

void MainWindow::onModelChanged(const QString& spec, const QString& name)
{
    const ModelHandle model = m_models->model();
    const ModelInfo& info = model->info;
    m_run->setModel(model);
    m_run->frames().setFieldEnabled(m_fieldAction->isChecked());

    RunSettings s;
    {
        const QSignalBlocker quiet(m_controls);
        m_controls->setTimesteps(info.T());
        m_controls->setDatasetSize(info.referenceCount);
        m_controls->setSamplers(samplerChoices(info.scheduler));
        m_controls->setClasses(info.classNames);
        s = m_controls->settings();
    }
    s.model = name;
    s.batch = m_settings->value(info.isImage ? keys::samplerBatchImages : keys::samplerBatchPoints);
    if (info.isImage && !m_settings->isSet(keys::samplerSteps) && !info.isExact()) {
        // First start on a network for images: 1000 DDPM steps of a UNet take minutes on a CPU; 100 DDIM
        // steps show the same picture in seconds.
        s.sampler = info.scheduler.isFlow() ? QStringLiteral("euler") : QStringLiteral("ddim");
        s.steps = info.scheduler.isFlow() ? 50 : 100;
    }
    if (!info.isImage && widgets::isImageSource(ReferenceSelection::choiceOf(s).source))
        s.referenceSource = widgets::referenceSourceName(ReferenceSource::None);
    if (m_options.firstScreen && !m_settings->isSet(keys::referenceSource) && info.referenceCount > 0) {
        // The first screen shows the app's point at once: a dataset item as x_0, noised halfway and denoised,
        // so mu~ is the true step and sits beside the model's mu_theta.
        s.referenceSource = widgets::referenceSourceName(ReferenceSource::Dataset);
        s.referenceIndex = 0;
        s.mode = RunSettings::FromReference;
        s.t0 = std::max(1, info.T() / 2);
    }
    showSettings(s);

    // A model opened behind an opened run (it attaches to the run) keeps the run's name in the title.
    const QString& runPath = m_run->path();
    setWindowTitle(runPath.isEmpty()
                       ? tr("Diffusion Lens — %1").arg(info.name)
                       : tr("Diffusion Lens — %1 (%2)").arg(QFileInfo(runPath).fileName(), info.name));
    m_central->setModel(info);
    m_central->showMessage(tr("<h2>%1</h2><p>%2</p><p>Press <b>Sample</b> to watch it denoise.</p>")
                               .arg(info.name.toHtmlEscaped(), info.dataText.toHtmlEscaped()));
    m_explanation->clearNumbers();
    m_schedule->setSchedule(info.scheduler);
    m_loss->showLog(info.trainingLog, info.lossByTLog,
                    info.isExact()
                        ? tr("An exact model is not trained: it computes E[x₀ | xₜ] from the data itself, "
                             "so there is no loss curve. Open a trained package to see one.")
                        : tr("This model has no training log (loss.csv beside model.pt)."));
    m_metrics->reset(info.T(), false);
    m_exact->setModel(info); // cancels its bound job
    m_schedule->setWarning(priorWarningText(info));
    m_referenceImageAction->setEnabled(info.isImage);
    m_fieldAction->setEnabled(!info.isImage && info.dim == 2);
    m_references->setModel(model);
    m_references->select(ReferenceSelection::choiceOf(m_controls->settings()));
    updateStatus();
    statusBar()->showMessage(tr("Opened %1").arg(info.name), 4000);
    Q_EMIT modelReady(spec);
    if (m_options.autoSample) sample(m_controls->settings());
    updateHint();
    if (m_options.firstScreen && m_options.interactive && !m_settings->value(keys::tourShown) && !m_tour)
        QTimer::singleShot(1200, this, [this] {
            if (!m_settings->value(keys::tourShown)) startTour();
        });
}

void MainWindow::onLoadFailed(const QString& spec, const QString& message)
{
    if (!model()) {
        // Nothing to keep: fall back to the default model, then to the exact model that needs no file.
        const QString next = m_models->fallbackAfter(spec);
        if (!next.isEmpty()) {
            statusBar()->showMessage(tr("Could not open %1 (%2); opening %3").arg(spec, message, next), 8000);
            openModel(next);
            if (spec == m_options.model) // asked for on the command line: say so
                showError(tr("Cannot open the model"), tr("Could not open %1:\n%2").arg(spec, message),
                          tr("Opening %1 instead.").arg(next) + QStringLiteral("\n\n") +
                              modelHint(QString()));
            return;
        }
        m_central->showMessage(
            tr("<h2>No model</h2><p>%1</p><p>Use File ▸ Open model…</p>").arg(message.toHtmlEscaped()));
    }
    showError(tr("Cannot open the model"), tr("Could not open %1:\n%2").arg(spec, message),
              modelHint(model() ? model()->info.name : QString()));
    if (model()) selectModelName(m_models->currentName());
    statusBar()->showMessage(tr("Could not open %1").arg(spec), 6000);
}

void MainWindow::onRunModelLoaded(const ModelHandle& loaded)
{
    if (!m_run->canAttach(loaded)) return;
    m_models->setModel(loaded);
    m_run->attachModel(loaded, m_fieldAction->isChecked());
    m_exact->setModel(loaded->info);
    updateStatus();
    statusBar()->showMessage(tr("The run's model %1 is loaded: sampling is back").arg(loaded->info.name),
                             6000);
}

void MainWindow::openModelDialog()
{
    if (!m_options.interactive) return;
    const QString start = QFileInfo(model() ? model()->info.spec : QString()).absolutePath();
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Open a model package or TorchScript file"), start,
        tr("Models (model.pt *.pt *.pth difflens.json scheduler_config.json);;All files (*)"));
    if (path.isEmpty()) return;
    const QFileInfo info(path);
    // A file inside a package folder opens the package.
    const bool packageFile = info.fileName() == QLatin1String("model.pt") ||
                             info.fileName() == QLatin1String("difflens.json") ||
                             info.fileName() == QLatin1String("scheduler_config.json");
    openModel(packageFile && isPackageDir(info.absolutePath()) ? info.absolutePath()
                                                               : info.absoluteFilePath());
}

void MainWindow::showTraining()
{
    if (!m_training) {
        m_training = new TrainingDialog(*m_settings, m_options.device, this);
        connect(m_training, &TrainingDialog::packageReady, this, [this](const QString& dir, bool useIt) {
            m_models->refreshCatalog();
            if (useIt) openModel(dir);
        });
    }
    m_training->show();
    m_training->raise();
}

// --- the panel's settings and the reference --------------------------------------------------------------

void MainWindow::onSettingsChanged(const RunSettings& s)
{
    const RunSettings previous = m_panelSettings;
    m_panelSettings = s;
    m_settings->setRunSettings(s);
    if (model())
        m_settings->setValue(model()->info.isImage ? keys::samplerBatchImages : keys::samplerBatchPoints,
                             s.batch);
    if (!s.model.isEmpty() && (!model() || s.model != m_models->currentName())) {
        const QString spec = m_models->catalog().specFor(s.model);
        if (!spec.isEmpty() && !m_models->isOpening(spec)) openModel(spec);
        return;
    }
    const bool newReference = ReferenceSelection::choiceOf(previous) != ReferenceSelection::choiceOf(s);
    if (newReference) {
        m_references->select(ReferenceSelection::choiceOf(m_controls->settings()));
        m_run->scheduleRerun();
    }
    // The forward process is cheap: it follows the form as it is edited.
    if (s.mode == RunSettings::Forward && model() &&
        (newReference || previous.mode != s.mode || previous.seed != s.seed || previous.batch != s.batch ||
         previous.t0 != s.t0))
        startForward(s);
}

void MainWindow::onDataPointClicked(int index)
{
    if (!model() || model()->info.isImage) return;
    RunSettings s = m_controls->settings();
    s.referenceSource = widgets::referenceSourceName(ReferenceSource::Dataset);
    s.referenceIndex = index;
    m_controls->setSettings(s); // emits settingsChanged: the reference follows, the run is repeated
}

void MainWindow::chooseReferenceFile()
{
    if (!model() || !m_options.interactive) return;
    if (!model()->info.isImage) {
        statusBar()->showMessage(
            tr("Image files are references for image models: click a data point instead"), 6000);
        return;
    }
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Open a reference image"),
        QStandardPaths::writableLocation(QStandardPaths::PicturesLocation),
        tr("Images (*.png *.jpg *.jpeg *.bmp *.pgm *.ppm *.tif *.tiff *.webp);;All files (*)"));
    if (path.isEmpty()) return;
    m_controls->setReferenceFile(path);
}

void MainWindow::drawReference()
{
    if (!model() || !m_options.interactive) return;
    const ModelInfo& info = model()->info;
    if (!info.isImage) {
        statusBar()->showMessage(tr("Drawings are references for image models: click a data point instead"),
                                 6000);
        return;
    }
    DrawDialog dialog(info.width, info.height, info.low, info.high, m_references->drawingStart(), this);
    if (dialog.exec() != QDialog::Accepted) return;
    m_references->setDrawing(dialog.image());
    m_references->select(ReferenceSelection::choiceOf(m_controls->settings()));
    if (m_run->rerunsWithReference())
        m_run->scheduleRerun();
    else if (m_controls->settings().mode == RunSettings::Forward)
        startForward(m_controls->settings());
}

} // namespace difflens::gui
