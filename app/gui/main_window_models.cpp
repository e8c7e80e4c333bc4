// MainWindow: models (the catalogue, opening on the loader thread, failures), the reference x_0 and the
// control panel's settings.
#include "app/gui/main_window.h"

#include "app/logic/app_paths.h"
#include "app/gui/central_view.h"
#include "app/gui/exact_panel.h"
#include "app/logic/vlb_controller.h"
#include "app/gui/draw_dialog.h"
#include "app/gui/help.h"
#include "app/logic/model_loader.h"
#include "app/logic/sampling_controller.h"
#include "app/logic/settings.h"
#include "app/gui/side_panels.h"
#include "app/gui/tour.h"
#include "app/gui/training_dialog.h"
#include "core/errors.h"
#include "widgets/control_panel.h"
#include "widgets/explanation_panel.h"
#include "widgets/image_panel_grid.h"
#include "widgets/loss_plot.h"
#include "widgets/plot_widget_base.h"
#include "widgets/schedule_plot.h"
#include "widgets/step_metrics_plot.h"
#include "widgets/point_view.h"
#include "widgets/timeline_bar.h"

#include "app/gui/export_dialog.h"

#include <QAction>
#include <QDir>
#include <QApplication>
#include <QCloseEvent>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QFileSystemWatcher>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QScrollArea>
#include <QSettings>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTabWidget>
#include <QTimer>
#include <QVBoxLayout>

#include <cmath>

namespace difflens::gui {

namespace {

using widgets::RunSettings;

bool sameReference(const RunSettings& a, const RunSettings& b)
{
    return a.referenceSource == b.referenceSource && a.referenceIndex == b.referenceIndex &&
           a.referenceFile == b.referenceFile;
}

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

void MainWindow::refreshCatalog()
{
    m_catalog.refresh(m_settings->value(keys::modelRecent));
    ++m_applying;
    m_controls->setModels(m_catalog.names());
    if (m_model) selectModelName(m_catalog.nameFor(m_model->info.spec));
    --m_applying;
}

void MainWindow::selectModelName(const QString& name)
{
    if (name.isEmpty()) return;
    ++m_applying;
    RunSettings s = m_controls->settings();
    s.model = name;
    m_controls->setSettings(s);
    m_runSettings = m_controls->settings();
    --m_applying;
}

void MainWindow::openModel(const QString& spec)
{
    if (spec.isEmpty()) return;
    m_loadingSpec = spec;
    m_loadRequest = m_loader->load(spec, m_options.device);
    statusBar()->showMessage(tr("Opening %1…").arg(spec));
    if (!m_model) m_central->showMessage(tr("<h2>Opening %1…</h2>").arg(spec.toHtmlEscaped()));
}

void MainWindow::onModelLoaded(int request, const QString& spec, const ModelHandle& model)
{
    if (request != m_loadRequest) return;
    if (!m_attachSpec.isEmpty() && spec == m_attachSpec) {
        attachRunModel(model);
        return;
    }
    m_loadingSpec.clear();
    m_sampler->cancel();
    m_rerunTimer->stop();
    m_model = model;
    const ModelInfo& info = model->info;
    m_frames.setModel(model);
    m_frames.setFieldEnabled(m_fieldAction->isChecked());
    m_hasRun = false;

    QString name = m_catalog.nameFor(spec);
    if (name.isEmpty()) {
        name = m_catalog.add(spec);
        ++m_applying;
        m_controls->setModels(m_catalog.names());
        --m_applying;
    }
    for (const CatalogEntry& e : m_catalog.entries())
        if (e.name == name && e.source == CatalogEntry::Source::Opened) m_settings->addRecentModel(e.spec);
    m_settings->setValue(keys::modelLast, spec);

    ++m_applying;
    m_controls->setTimesteps(info.T());
    m_controls->setDatasetSize(info.referenceCount);
    m_controls->setSamplers(samplerChoices(info.scheduler));
    m_controls->setClasses(info.classNames);
    RunSettings s = m_controls->settings();
    s.model = name;
    s.batch = m_settings->value(info.isImage ? keys::samplerBatchImages : keys::samplerBatchPoints);
    if (info.isImage && !m_settings->isSet(keys::samplerSteps) && !info.isExact()) {
        // First start on a network for images: 1000 DDPM steps of a UNet take minutes on a CPU; 100 DDIM
        // steps show the same picture in seconds.
        s.sampler = info.scheduler.isFlow() ? QStringLiteral("euler") : QStringLiteral("ddim");
        s.steps = info.scheduler.isFlow() ? 50 : 100;
    }
    if (!info.isImage &&
        (s.referenceSource == QLatin1String("file") || s.referenceSource == QLatin1String("draw")))
        s.referenceSource = QStringLiteral("none");
    if (m_options.firstScreen && !m_settings->isSet(keys::referenceSource) && info.referenceCount > 0) {
        // The first screen shows the app's point at once: a dataset item as x_0, noised halfway and denoised,
        // so mu~ is the true step and sits beside the model's mu_theta.
        s.referenceSource = QStringLiteral("dataset");
        s.referenceIndex = 0;
        s.mode = RunSettings::FromReference;
        s.t0 = std::max(1, info.T() / 2);
    }
    m_controls->setSettings(s);
    m_runSettings = m_controls->settings();
    --m_applying;

    // A model opened behind an opened run (it attaches to the run) keeps the run's name in the title.
    setWindowTitle(m_runPath.isEmpty()
                       ? tr("Diffusion Lens — %1").arg(info.name)
                       : tr("Diffusion Lens — %1 (%2)").arg(QFileInfo(m_runPath).fileName(), info.name));
    m_central->setModel(info);
    m_central->showMessage(tr("<h2>%1</h2><p>%2</p><p>Press <b>Sample</b> to watch it denoise.</p>")
                               .arg(info.name.toHtmlEscaped(), info.dataText.toHtmlEscaped()));
    m_explanation->clearNumbers();
    m_shownFrame = Frame();
    m_schedule->setSchedule(info.scheduler);
    m_loss->showLog(info.trainingLog, info.lossByTLog,
                    info.isExact()
                        ? tr("An exact model is not trained: it computes E[x₀ | xₜ] from the data itself, "
                             "so there is no loss curve. Open a trained package to see one.")
                        : tr("This model has no training log (loss.csv beside model.pt)."));
    m_metrics->reset(info.T(), false);
    m_exact->setModel(info); // cancels its bound job
    m_schedule->setWarning(priorWarningText(info));
    m_timeline->pause();
    m_timeline->setStepCount(0);
    m_referenceImageAction->setEnabled(info.isImage);
    m_fieldAction->setEnabled(!info.isImage && info.dim == 2);
    m_fileReferencePath.clear();
    if (m_drawing.width != info.width || m_drawing.height != info.height) m_drawing = widgets::ImageData();
    updateReference();
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

void MainWindow::onModelFailed(int request, const QString& spec, const QString& message)
{
    if (request != m_loadRequest) return;
    m_loadingSpec.clear();
    if (!m_attachSpec.isEmpty() && spec == m_attachSpec) { // the opened run stays, without its model
        m_attachSpec.clear();
        statusBar()->showMessage(tr("The run's model %1 could not be opened (%2): the run scrubs without it")
                                     .arg(spec, message),
                                 10000);
        return;
    }
    if (!m_model) {
        // Nothing to keep: fall back to the default model (the last one may have been deleted or moved), and
        // to the exact model that needs no file when the default itself fails.
        const QString exact = QStringLiteral("exact:8gaussians");
        const QString next = spec != m_catalog.defaultSpec() ? m_catalog.defaultSpec()
                             : spec != exact                 ? exact
                                                             : QString();
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
              modelHint(m_model ? m_model->info.name : QString()));
    if (m_model) selectModelName(m_catalog.nameFor(m_model->info.spec));
    statusBar()->showMessage(tr("Could not open %1").arg(spec), 6000);
}

void MainWindow::openModelDialog()
{
    if (!m_options.interactive) return;
    const QString start = QFileInfo(m_model ? m_model->info.spec : QString()).absolutePath();
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
            refreshCatalog();
            if (useIt) openModel(dir);
        });
    }
    m_training->show();
    m_training->raise();
}

// --- reference and settings ------------------------------------------------------------------------------

void MainWindow::onSettingsChanged(const RunSettings& s)
{
    if (m_applying > 0) return;
    const RunSettings previous = m_runSettings;
    m_runSettings = s;
    m_settings->setRunSettings(s);
    if (m_model)
        m_settings->setValue(m_model->info.isImage ? keys::samplerBatchImages : keys::samplerBatchPoints,
                             s.batch);
    if (!s.model.isEmpty() && (!m_model || s.model != m_catalog.nameFor(m_model->info.spec))) {
        const QString spec = m_catalog.specFor(s.model);
        if (!spec.isEmpty() && spec != m_loadingSpec) openModel(spec);
        return;
    }
    if (!sameReference(previous, s)) {
        updateReference();
        if (m_hasRun && m_lastRun.mode != RunSettings::Forward) m_rerunTimer->start();
    }
    // The forward process is cheap: it follows the form as it is edited.
    if (s.mode == RunSettings::Forward && m_model &&
        (!sameReference(previous, s) || previous.mode != s.mode || previous.seed != s.seed ||
         previous.batch != s.batch || previous.t0 != s.t0))
        startForward(s);
}

void MainWindow::updateReference()
{
    m_reference = Reference();
    if (!m_model) return;
    const RunSettings s = m_controls->settings();
    const ModelInfo& info = m_model->info;
    try {
        if (s.referenceSource == QLatin1String("dataset")) {
            if (info.referenceCount > 0) m_reference = datasetReference(*m_model, s.referenceIndex);
        } else if (s.referenceSource == QLatin1String("file") && !s.referenceFile.isEmpty()) {
            if (s.referenceFile != m_fileReferencePath) {
                m_fileReference = imageFileReference(*m_model, s.referenceFile);
                m_fileReferencePath = s.referenceFile;
            }
            m_reference = m_fileReference;
        } else if (s.referenceSource == QLatin1String("draw")) {
            m_reference = drawingReference(*m_model, m_drawing);
        }
    } catch (const std::exception& e) {
        showError(tr("Cannot use this reference"), QString::fromStdString(describeException(e)),
                  tr("Choose a dataset item, another image file, or draw the reference."));
    }
    if (!info.isImage &&
        (s.referenceSource == QLatin1String("file") || s.referenceSource == QLatin1String("draw")))
        statusBar()->showMessage(
            tr("Image files and drawings are references for image models: click a data point "
               "to choose x₀"),
            6000);
    updateStatus();
    updateHint();
}

void MainWindow::onDataPointClicked(int index)
{
    if (!m_model || m_model->info.isImage) return;
    RunSettings s = m_controls->settings();
    s.referenceSource = QStringLiteral("dataset");
    s.referenceIndex = index;
    m_controls->setSettings(s); // emits settingsChanged: the reference follows, the run is repeated
}

void MainWindow::chooseReferenceFile()
{
    if (!m_model || !m_options.interactive) return;
    if (!m_model->info.isImage) {
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
    if (!m_model || !m_options.interactive) return;
    const ModelInfo& info = m_model->info;
    if (!info.isImage) {
        statusBar()->showMessage(tr("Drawings are references for image models: click a data point instead"),
                                 6000);
        return;
    }
    widgets::ImageData start = m_drawing;
    if (!start.isValid() && m_reference.isValid()) start = referenceImage(*m_model, m_reference);
    DrawDialog dialog(info.width, info.height, info.low, info.high, start, this);
    if (dialog.exec() != QDialog::Accepted) return;
    m_drawing = dialog.image();
    updateReference();
    if (m_hasRun && m_lastRun.mode != RunSettings::Forward)
        m_rerunTimer->start();
    else if (m_controls->settings().mode == RunSettings::Forward)
        startForward(m_controls->settings());
}

} // namespace difflens::gui
