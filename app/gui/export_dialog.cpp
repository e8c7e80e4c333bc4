#include "app/gui/export_dialog.h"

#include "app/logic/frame_builder.h"
#include "core/errors.h"
#include "core/export.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPointer>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

namespace difflens::gui {

namespace {
const QVector<ExportFormat> kFormats = {ExportFormat::Gif, ExportFormat::Mp4, ExportFormat::Frames,
                                        ExportFormat::Filmstrip, ExportFormat::Csv};
const QStringList kFormatNames = {QObject::tr("Animated GIF"), QObject::tr("MP4 video"), QObject::tr("PNG frames (folder)"),
                                  QObject::tr("Filmstrip / grid (PNG)"), QObject::tr("Per-step numbers (CSV)")};
const QStringList kExtensions = {QStringLiteral(".gif"), QStringLiteral(".mp4"), QString(), QStringLiteral(".png"),
                                 QStringLiteral(".csv")};
const QStringList kPanelNames = {QStringLiteral("xₜ"), QStringLiteral("x̂₀ (model)"), QStringLiteral("μ_θ"),
                                 QStringLiteral("μ̃ (posterior mean)"), QStringLiteral("x₀ (ref.)"), QStringLiteral("|μ_θ − μ̃|")};
} // namespace

ExportDialog::ExportDialog(ModelHandle model, std::shared_ptr<const Trajectory> trajectory,
                           QVector<StepSummary> summaries, int currentStep, QWidget* parent)
    : ExportDialog(runExportSource(std::move(model), std::move(trajectory), std::move(summaries), currentStep), parent)
{
}

ExportDialog::ExportDialog(ExportSource source, QWidget* parent) : QDialog(parent), m_source(std::move(source))
{
    setWindowTitle(m_source.title);
    connect(m_runner.get(), &JobRunner::progress, this, [this](int done, int total) {
        m_progress->setRange(0, total);
        m_progress->setValue(done);
    });
    connect(m_runner.get(), &JobRunner::finished, this,
            [this](int, JobOutcome outcome, const QString& message) { finishExport(outcome, message); });
    auto* form = new QFormLayout;
    m_format = new QComboBox;
    m_format->addItems(m_source.comparison ? kFormatNames.mid(0, 4) : kFormatNames);
    form->addRow(tr("Format"), m_format);

    auto* panelBox = new QWidget;
    auto* panelLayout = new QGridLayout(panelBox);
    panelLayout->setContentsMargins(0, 0, 0, 0);
    const bool hasReference = m_source.hasReference;
    for (int i = 0; i < kPanelNames.size(); ++i) {
        auto* box = new QCheckBox(kPanelNames[i]);
        box->setChecked(i < 3 || hasReference);
        box->setEnabled(i < 3 || hasReference);
        panelLayout->addWidget(box, i / 3, i % 3);
        m_panels.push_back(box);
        connect(box, &QCheckBox::toggled, this, &ExportDialog::updatePreview);
    }
    form->addRow(tr("Panels"), panelBox);
    m_sample = new QSpinBox;
    m_sample->setRange(0, 64);
    m_sample->setSpecialValueText(tr("first rows of the batch"));
    m_sample->setValue(0);
    form->addRow(tr("Sample"), m_sample);

    auto* frames = new QWidget;
    auto* framesLayout = new QHBoxLayout(frames);
    framesLayout->setContentsMargins(0, 0, 0, 0);
    m_frameMode = new QComboBox;
    m_frameMode->addItem(tr("denser near t = 0 (log-spaced)"), static_cast<int>(FrameSelection::Log));
    m_frameMode->addItem(tr("every k-th step"), static_cast<int>(FrameSelection::Every));
    m_frameMode->addItem(tr("every step"), static_cast<int>(FrameSelection::All));
    m_frameCount = new QSpinBox;
    m_frameCount->setRange(2, 2000);
    m_frameCount->setValue(60);
    framesLayout->addWidget(m_frameMode, 1);
    framesLayout->addWidget(m_frameCount);
    form->addRow(tr("Frames"), frames);
    m_reverse = new QCheckBox(tr("play backwards (clean → noise)"));
    form->addRow(QString(), m_reverse);

    m_fps = new QDoubleSpinBox;
    m_fps->setRange(0.5, 60);
    m_fps->setValue(12);
    form->addRow(tr("Frames per second"), m_fps);
    m_scale = new QSpinBox;
    m_scale->setRange(1, 16);
    m_scale->setValue(4);
    m_scale->setSuffix(tr("× (nearest neighbour)"));
    form->addRow(tr("Image scale"), m_scale);
    m_loop = new QSpinBox;
    m_loop->setRange(0, 100);
    m_loop->setSpecialValueText(tr("forever"));
    form->addRow(tr("Loops (GIF)"), m_loop);
    m_hold = new QDoubleSpinBox;
    m_hold->setRange(0, 10);
    m_hold->setValue(1.5);
    m_hold->setSuffix(tr(" s"));
    form->addRow(tr("Hold last frame"), m_hold);
    m_globalPalette = new QCheckBox(tr("one palette for all frames (smaller file)"));
    form->addRow(tr("GIF palette"), m_globalPalette);
    m_schedule = new QCheckBox(tr("schedule strip with a moving marker"));
    m_schedule->setChecked(true);
    form->addRow(QString(), m_schedule);
    m_columns = new QSpinBox;
    m_columns->setRange(1, 32);
    m_columns->setValue(8);
    form->addRow(tr("Filmstrip columns"), m_columns);

    auto* pathRow = new QWidget;
    auto* pathLayout = new QHBoxLayout(pathRow);
    pathLayout->setContentsMargins(0, 0, 0, 0);
    m_path = new QLineEdit(QDir::home().filePath(QStringLiteral("diffusion.gif")));
    auto* browseButton = new QPushButton(tr("Browse…"));
    pathLayout->addWidget(m_path, 1);
    pathLayout->addWidget(browseButton);
    form->addRow(tr("Save to"), pathRow);
    connect(browseButton, &QPushButton::clicked, this, &ExportDialog::browse);

    m_preview = new QLabel;
    m_preview->setMinimumSize(360, 300);
    m_preview->setAlignment(Qt::AlignCenter);
    m_preview->setFrameShape(QFrame::StyledPanel);
    m_summary = new QLabel;
    m_summary->setWordWrap(true);
    m_progress = new QProgressBar;
    m_progress->setVisible(false);
    auto* buttons = new QDialogButtonBox;
    m_exportButton = buttons->addButton(tr("Export"), QDialogButtonBox::AcceptRole);
    m_cancelButton = buttons->addButton(QDialogButtonBox::Cancel);
    connect(m_exportButton, &QPushButton::clicked, this, &ExportDialog::startExport);
    connect(m_cancelButton, &QPushButton::clicked, this, &ExportDialog::reject);

    auto* left = new QVBoxLayout;
    left->addLayout(form);
    left->addStretch();
    auto* right = new QVBoxLayout;
    right->addWidget(new QLabel(tr("Preview of the current step")));
    right->addWidget(m_preview, 1);
    right->addWidget(m_summary);
    auto* top = new QHBoxLayout;
    top->addLayout(left);
    top->addLayout(right, 1);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(top, 1);
    layout->addWidget(m_progress);
    layout->addWidget(buttons);

    const auto refresh = [this] {
        updateEnabled();
        updatePreview();
    };
    connect(m_format, &QComboBox::currentIndexChanged, this, [this, refresh] {
        const QFileInfo fi(m_path->text());
        const QString ext = kExtensions.value(m_format->currentIndex());
        m_path->setText(fi.absoluteDir().filePath(fi.completeBaseName() + ext));
        refresh();
    });
    connect(m_frameMode, &QComboBox::currentIndexChanged, this, refresh);
    connect(m_frameCount, &QSpinBox::valueChanged, this, refresh);
    connect(m_sample, &QSpinBox::valueChanged, this, refresh);
    connect(m_scale, &QSpinBox::valueChanged, this, refresh);
    connect(m_schedule, &QCheckBox::toggled, this, refresh);
    connect(m_fps, &QDoubleSpinBox::valueChanged, this, refresh);
    if (!m_source.isImage)
        for (auto* box : m_panels) box->setEnabled(false);
    refresh();
}

ExportDialog::~ExportDialog() = default; // m_runner, declared last, cancels and waits first

ExportOptions ExportDialog::options() const
{
    ExportOptions o;
    o.format = exportFormatName(format());
    for (int i = 0; i < m_panels.size(); ++i)
        if (m_panels[i]->isChecked() && m_panels[i]->isEnabled()) o.panels << exportPanelKeys()[i];
    o.sample = m_sample->value() == 0 ? -1 : m_sample->value() - 1;
    o.frames = frameSelectionSpec(frameSelection(), m_frameCount->value());
    o.reverseOrder = m_reverse->isChecked();
    o.fps = m_fps->value();
    o.scale = m_scale->value();
    o.loopCount = m_loop->value();
    o.holdLastSeconds = m_hold->value();
    o.globalPalette = m_globalPalette->isChecked();
    o.scheduleStrip = m_schedule->isChecked();
    o.filmstripColumns = m_columns->value();
    o.path = m_path->text();
    return o;
}

void ExportDialog::setOptions(const ExportOptions& o)
{
    const std::optional<ExportFormat> format = parseExportFormat(o.format);
    m_format->setCurrentIndex(format ? std::max(0, static_cast<int>(kFormats.indexOf(*format))) : 0);
    m_path->setText(o.path);
    m_fps->setValue(o.fps);
    m_scale->setValue(o.scale);
}

ExportFormat ExportDialog::format() const
{
    return kFormats.value(m_format->currentIndex());
}

FrameSelection ExportDialog::frameSelection() const
{
    return static_cast<FrameSelection>(m_frameMode->currentData().toInt());
}

void ExportDialog::updateEnabled()
{
    const ExportFormat f = format();
    m_fps->setEnabled(isAnimation(f));
    m_hold->setEnabled(isAnimation(f));
    m_loop->setEnabled(f == ExportFormat::Gif);
    m_globalPalette->setEnabled(f == ExportFormat::Gif);
    m_columns->setEnabled(f == ExportFormat::Filmstrip);
    m_frameCount->setEnabled(frameSelection() != FrameSelection::All);
}

void ExportDialog::updatePreview()
{
    if (!m_source.preview) return;
    const ExportOptions o = options();
    int frames = 0;
    const QImage image = m_source.preview(o, &frames);
    if (image.isNull()) {
        m_preview->setText(tr("Sample first: there is no recorded run yet."));
        m_exportButton->setEnabled(false);
        return;
    }
    m_exportButton->setEnabled(true);
    m_preview->setPixmap(QPixmap::fromImage(image).scaled(m_preview->size(), Qt::KeepAspectRatio, Qt::FastTransformation));
    m_summary->setText(tr("%1 frames of %2 × %3 pixels%4")
                           .arg(frames)
                           .arg(image.width())
                           .arg(image.height())
                           .arg(isAnimation(format())
                                    ? tr(", %1 s at %2 fps").arg(frames / o.fps + o.holdLastSeconds, 0, 'f', 1).arg(o.fps)
                                    : QString()));
}

void ExportDialog::browse()
{
    const int f = m_format->currentIndex();
    QString path;
    if (format() == ExportFormat::Frames)
        path = QFileDialog::getSaveFileName(this, tr("Folder for the PNG frames"), m_path->text());
    else
        path = QFileDialog::getSaveFileName(this, tr("Export to"), m_path->text(),
                                            tr("%1 (*%2)").arg(kFormatNames.value(f), kExtensions.value(f)));
    if (!path.isEmpty()) m_path->setText(path);
}

void ExportDialog::startExport()
{
    if (m_runner->isRunning()) return;
    const ExportOptions o = options();
    const QString problem = validateExportOptions(o);
    if (!problem.isEmpty()) {
        QMessageBox::warning(this, tr("Cannot export"), problem + tr("\n\nChoose another file or folder."));
        return;
    }
    m_progress->setVisible(true);
    m_progress->setRange(0, 0);
    m_exportButton->setEnabled(false);
    m_cancelButton->setText(tr("Stop"));
    auto run = m_source.run;
    m_runner->start([this, run, o](JobContext& ctx) -> JobRunner::Completion {
        const ExportResult result =
            run(o, [&ctx](int done, int total) { ctx.progress(done, total); }, ctx.cancelFlag());
        ctx.commit(); // the file is written: a Stop pressed now is too late to undo it
        return [this, result] { m_written = result; };
    });
}

void ExportDialog::finishExport(JobOutcome outcome, const QString& error)
{
    m_progress->setVisible(false);
    m_exportButton->setEnabled(true);
    m_cancelButton->setText(tr("Close"));
    if (outcome == JobOutcome::Cancelled) {
        m_summary->setText(tr("Export cancelled: nothing was written."));
        return;
    }
    if (outcome == JobOutcome::Failed) {
        QMessageBox::warning(this, tr("Export failed"), error + tr("\n\nNothing was written; an existing file is unchanged."));
        return;
    }
    const QString path = options().path;
    m_summary->setText(tr("Wrote %1 frames (%2 kB) to %3").arg(m_written.frames).arg(m_written.bytes / 1024).arg(path));
    Q_EMIT exported(path, m_written.frames, m_written.bytes);
}

void ExportDialog::cancelExport()
{
    m_runner->cancel();
}

void ExportDialog::reject()
{
    if (m_runner->isRunning()) {
        cancelExport();
        return; // finishExport closes the loop; the dialog stays for the message
    }
    QDialog::reject();
}

} // namespace difflens::gui
