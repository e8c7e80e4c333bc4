#include "widgets/control_panel.h"

#include "widgets/format.h"
#include "widgets/palette.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QRandomGenerator>
#include <QSlider>
#include <QSpinBox>
#include <QToolButton>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <limits>

namespace difflens::widgets {

namespace {

QWidget* row(QWidget* parent, std::initializer_list<QWidget*> widgets, int stretchIndex = 0)
{
    auto* w = new QWidget(parent);
    auto* layout = new QHBoxLayout(w);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(4);
    int i = 0;
    for (QWidget* child : widgets)
        layout->addWidget(child, i++ == stretchIndex ? 1 : 0);
    return w;
}

void selectData(QComboBox* combo, const QVariant& data)
{
    const int i = combo->findData(data);
    if (i >= 0) combo->setCurrentIndex(i);
}

} // namespace

ControlPanel::ControlPanel(QWidget* parent) : QWidget(parent)
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 6);

    // Model.
    auto* modelBox = new QGroupBox(tr("Model"), this);
    auto* modelForm = new QFormLayout(modelBox);
    m_model = new QComboBox(modelBox);
    m_model->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_model->setMinimumContentsLength(12);
    m_open = new QToolButton(modelBox);
    m_open->setText(tr("Open…"));
    m_open->setToolTip(tr("Open a model package (TorchScript model.pt with scheduler_config.json)"));
    modelForm->addRow(row(modelBox, {m_model, m_open}));
    layout->addWidget(modelBox);

    // Run.
    auto* runBox = new QGroupBox(tr("Run"), this);
    auto* form = new QFormLayout(runBox);
    m_mode = new QComboBox(runBox);
    m_mode->addItem(tr("Sample from noise"), RunSettings::Sample);
    m_mode->addItem(tr("Denoise reference from t₀"), RunSettings::FromReference);
    m_mode->addItem(tr("Forward: noise reference"), RunSettings::Forward);
    m_mode->setItemData(0, tr("Reverse process from pure noise x_T"), Qt::ToolTipRole);
    m_mode->setItemData(1, tr("Noise the reference x₀ to t₀, then run the reverse process from there"),
                        Qt::ToolTipRole);
    m_mode->setItemData(2, tr("Only the forward process: noise the reference step by step up to t₀"),
                        Qt::ToolTipRole);
    m_sampler = new QComboBox(runBox);
    m_sampler->setToolTip(tr("DDPM/DDIM follow the DDPM chain; Euler and Heun solve the probability-flow ODE; "
                             "SDE adds noise of level S along the way (same marginals for every S)"));
    m_sampler->addItem(QStringLiteral("DDPM"), QStringLiteral("ddpm")); // the app offers the model's own list
    m_sampler->addItem(QStringLiteral("DDIM"), QStringLiteral("ddim"));
    m_steps = new QSpinBox(runBox);
    m_steps->setRange(1, m_T);
    m_steps->setValue(m_T);
    m_steps->setToolTip(tr("Number of sampler steps; fewer than T skips timesteps (respacing)"));
    m_eta = new QDoubleSpinBox(runBox);
    m_eta->setRange(0.0, 1.0);
    m_eta->setSingleStep(0.1);
    m_eta->setDecimals(2);
    m_eta->setToolTip(tr("DDIM η: 0 is deterministic, 1 adds as much noise as DDPM"));
    m_sdeNoise = new QDoubleSpinBox(runBox);
    m_sdeNoise->setRange(0.0, 5.0);
    m_sdeNoise->setSingleStep(0.25);
    m_sdeNoise->setDecimals(2);
    m_sdeNoise->setValue(1.0);
    m_sdeNoise->setToolTip(tr("SDE noise S: g_t = S·s_t. 0 is the ODE; every S has the same marginals, only the "
                              "single trajectories change"));
    m_seed = new QSpinBox(runBox);
    m_seed->setRange(0, std::numeric_limits<int>::max());
    m_dice = new QToolButton(runBox);
    m_dice->setText(QStringLiteral("⚄"));
    m_dice->setToolTip(tr("New random seed"));
    m_batch = new QSpinBox(runBox);
    m_batch->setRange(1, 4096);
    m_batch->setValue(16);
    m_t0 = new QSlider(Qt::Horizontal, runBox);
    m_t0->setRange(1, m_T);
    m_t0->setValue(m_T / 2);
    m_t0Label = new QLabel(runBox);
    m_t0Label->setMinimumWidth(m_t0Label->fontMetrics().horizontalAdvance(QStringLiteral("00000")));
    m_t0->setToolTip(tr("The timestep the reference is noised to"));
    form->addRow(tr("Mode"), m_mode);
    form->addRow(tr("Sampler"), m_sampler);
    form->addRow(tr("Steps"), m_steps);
    form->addRow(tr("η (DDIM)"), m_eta);
    form->addRow(tr("SDE noise S"), m_sdeNoise);
    form->addRow(tr("Seed"), row(runBox, {m_seed, m_dice}));
    form->addRow(tr("Batch"), m_batch);
    form->addRow(tr("t₀"), row(runBox, {m_t0, m_t0Label}));
    layout->addWidget(runBox);

    // Class-conditional models: the class and the classifier-free guidance scale.
    auto* guidanceBox = new QGroupBox(tr("Class and guidance"), this);
    auto* guidanceForm = new QFormLayout(guidanceBox);
    m_class = new QComboBox(guidanceBox);
    m_class->setToolTip(tr("The class a class-conditional model samples (none: unconditional)"));
    m_guidance = new QSlider(Qt::Horizontal, guidanceBox);
    m_guidance->setRange(0, 40); // w = 0 .. 10 in steps of 0.25
    m_guidance->setValue(4);
    m_guidance->setToolTip(tr("Classifier-free guidance scale w: out(x, none) + w (out(x, c) − out(x, none)). "
                              "0 unconditional, 1 plain conditional, larger w trades diversity for fidelity"));
    m_guidanceLabel = new QLabel(guidanceBox);
    m_guidanceLabel->setMinimumWidth(m_guidanceLabel->fontMetrics().horizontalAdvance(QStringLiteral("w = 00.00")));
    guidanceForm->addRow(tr("Class"), m_class);
    guidanceForm->addRow(tr("Guidance"), row(guidanceBox, {m_guidance, m_guidanceLabel}));
    m_clippedEps = new QCheckBox(tr("DDIM: ε from the clipped x̂₀"), guidanceBox);
    m_clippedEps->setChecked(true);
    m_clippedEps->setToolTip(
        tr("Guided DDIM re-derives ε̂ = (xₜ − √ᾱ x̂₀)/√(1 − ᾱ) from the clipped x̂₀ (GLIDE; diffusers' "
           "use_clipped_model_output). Off, DDIM keeps the guided ε and large w saturates the images. "
           "DDPM's step uses no ε."));
    guidanceForm->addRow(QString(), m_clippedEps);
    layout->addWidget(guidanceBox);
    m_class->addItem(tr("(unconditional model)"), -1);

    // Reference x_0.
    auto* refBox = new QGroupBox(tr("Reference x₀"), this);
    auto* refForm = new QFormLayout(refBox);
    m_referenceSource = new QComboBox(refBox);
    m_referenceSource->addItem(tr("None"), referenceSourceName(ReferenceSource::None));
    m_referenceSource->addItem(tr("Dataset sample"), referenceSourceName(ReferenceSource::Dataset));
    m_referenceSource->addItem(tr("Image file…"), referenceSourceName(ReferenceSource::File));
    m_referenceSource->addItem(tr("Draw…"), referenceSourceName(ReferenceSource::Draw));
    m_referenceChoose = new QToolButton(refBox);
    m_referenceChoose->setText(tr("…"));
    m_referenceChoose->setToolTip(tr("Choose the file or open the drawing again"));
    m_referenceIndex = new QSpinBox(refBox);
    m_referenceIndex->setRange(0, 0);
    m_referenceFile = new QLabel(refBox);
    m_referenceFile->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_referenceFile->setStyleSheet(QStringLiteral("color: %1").arg(palette::mutedText().name()));
    refForm->addRow(tr("Source"), row(refBox, {m_referenceSource, m_referenceChoose}));
    refForm->addRow(tr("Index"), m_referenceIndex);
    refForm->addRow(tr("File"), m_referenceFile);
    layout->addWidget(refBox);

    // Actions.
    m_warning = new QLabel(this);
    m_warning->setWordWrap(true);
    m_warning->setStyleSheet(QStringLiteral("color: %1").arg(palette::model().name()));
    m_sample = new QPushButton(tr("Sample"), this);
    m_sample->setDefault(true);
    QFont bold = m_sample->font();
    bold.setBold(true);
    m_sample->setFont(bold);
    m_cancel = new QPushButton(tr("Cancel"), this);
    m_progress = new QProgressBar(this);
    m_progress->setTextVisible(true);
    m_progress->setFormat(tr("step %v / %m"));
    layout->addWidget(m_warning);
    layout->addWidget(row(this, {m_sample, m_cancel}));
    layout->addWidget(m_progress);
    layout->addStretch(1);

    auto edited = [this] { onEdited(); };
    connect(m_model, qOverload<int>(&QComboBox::currentIndexChanged), this, edited);
    connect(m_mode, qOverload<int>(&QComboBox::currentIndexChanged), this, edited);
    connect(m_sampler, qOverload<int>(&QComboBox::currentIndexChanged), this, edited);
    connect(m_steps, qOverload<int>(&QSpinBox::valueChanged), this, edited);
    connect(m_eta, qOverload<double>(&QDoubleSpinBox::valueChanged), this, edited);
    connect(m_sdeNoise, qOverload<double>(&QDoubleSpinBox::valueChanged), this, edited);
    connect(m_seed, qOverload<int>(&QSpinBox::valueChanged), this, edited);
    connect(m_batch, qOverload<int>(&QSpinBox::valueChanged), this, edited);
    connect(m_t0, &QSlider::valueChanged, this, edited);
    connect(m_class, qOverload<int>(&QComboBox::currentIndexChanged), this, edited);
    connect(m_guidance, &QSlider::valueChanged, this, edited);
    connect(m_clippedEps, &QCheckBox::toggled, this, edited);
    connect(m_referenceIndex, qOverload<int>(&QSpinBox::valueChanged), this, edited);
    connect(m_referenceSource, qOverload<int>(&QComboBox::currentIndexChanged), this,
            [this] { onReferenceSourceChosen(); });
    connect(m_referenceChoose, &QToolButton::clicked, this, &ControlPanel::requestReference);
    connect(m_dice, &QToolButton::clicked, this, [this] {
        m_seed->setValue(static_cast<int>(QRandomGenerator::global()->bounded(m_seed->maximum())));
    });
    connect(m_open, &QToolButton::clicked, this, &ControlPanel::openModelRequested);
    connect(m_sample, &QPushButton::clicked, this, [this] { Q_EMIT sampleRequested(settings()); });
    connect(m_cancel, &QPushButton::clicked, this, &ControlPanel::cancelRequested);
    setBusy(false);
    updateEnabled();
}

ControlPanel::~ControlPanel() = default;

void ControlPanel::setModels(const QStringList& names)
{
    {
        const QSignalBlocker quiet(this); // one settingsChanged below, not one per field
        const QString current = m_model->currentText();
        m_model->clear();
        m_model->addItems(names);
        const int i = m_model->findText(current);
        m_model->setCurrentIndex(i >= 0 ? i : (names.isEmpty() ? -1 : 0));
    }
    onEdited();
}

void ControlPanel::setTimesteps(int T)
{
    {
        const QSignalBlocker quiet(this);
        m_T = std::max(1, T);
        m_steps->setRange(1, m_T);
        m_t0->setRange(1, m_T);
    }
    onEdited();
}

void ControlPanel::setDatasetSize(int n)
{
    {
        const QSignalBlocker quiet(this);
        m_datasetSize = std::max(0, n);
        m_referenceIndex->setRange(0, std::max(0, m_datasetSize - 1));
    }
    updateEnabled();
}

void ControlPanel::setClasses(const QStringList& names)
{
    {
        const QSignalBlocker quiet(this);
        const int current = m_class->currentData().isValid() ? m_class->currentData().toInt() : -1;
        m_class->clear();
        m_class->addItem(names.isEmpty() ? tr("(unconditional model)") : tr("none (unconditional)"), -1);
        for (int i = 0; i < names.size(); ++i)
            m_class->addItem(QStringLiteral("%1  %2").arg(i).arg(names[i]), i);
        selectData(m_class, current < names.size() ? current : -1);
    }
    onEdited();
}

void ControlPanel::setReferenceFile(const QString& path)
{
    m_referenceFilePath = path;
    m_referenceFile->setText(path.isEmpty() ? tr("(none)") : QFileInfo(path).fileName());
    m_referenceFile->setToolTip(path);
    if (!path.isEmpty()) {
        const QSignalBlocker quiet(this); // the file is here: nothing to ask for
        selectData(m_referenceSource, referenceSourceName(ReferenceSource::File));
    }
    onEdited();
}

void ControlPanel::setSamplers(const QList<QPair<QString, QString>>& samplers)
{
    int keep = -1;
    {
        const QSignalBlocker quiet(this);
        const QString current = m_sampler->currentData().toString();
        m_sampler->clear();
        for (const auto& [name, label] : samplers) m_sampler->addItem(label, name);
        keep = m_sampler->findData(current);
        m_sampler->setCurrentIndex(keep >= 0 ? keep : 0);
    }
    if (keep < 0) onEdited();
}

RunSettings ControlPanel::settings() const
{
    RunSettings s;
    s.model = m_model->currentText();
    s.mode = static_cast<RunSettings::Mode>(m_mode->currentData().toInt());
    s.sampler = m_sampler->currentData().toString();
    s.steps = m_steps->value();
    s.eta = m_eta->value();
    s.sdeNoise = m_sdeNoise->value();
    s.seed = m_seed->value();
    s.batch = m_batch->value();
    s.t0 = m_t0->value();
    s.referenceSource = m_referenceSource->currentData().toString();
    s.referenceIndex = m_referenceIndex->value();
    s.referenceFile = m_referenceFilePath;
    s.classIndex = m_class->currentData().isValid() ? m_class->currentData().toInt() : -1;
    s.guidance = m_guidance->value() / 4.0;
    s.clippedEps = m_clippedEps->isChecked();
    return s;
}

void ControlPanel::setSettings(const RunSettings& s)
{
    {
        const QSignalBlocker quiet(this); // one settingsChanged below, not one per field
        if (!s.model.isEmpty()) {
            if (m_model->findText(s.model) < 0) m_model->addItem(s.model);
            m_model->setCurrentIndex(m_model->findText(s.model));
        }
        selectData(m_mode, static_cast<int>(s.mode));
        selectData(m_sampler, s.sampler.toLower());
        m_steps->setValue(s.steps);
        m_eta->setValue(s.eta);
        m_sdeNoise->setValue(s.sdeNoise);
        m_seed->setValue(static_cast<int>(std::clamp<qint64>(s.seed, 0, m_seed->maximum())));
        m_batch->setValue(s.batch);
        m_t0->setValue(s.t0);
        if (s.referenceIndex > m_referenceIndex->maximum()) m_referenceIndex->setMaximum(s.referenceIndex);
        m_referenceIndex->setValue(s.referenceIndex);
        m_referenceFilePath = s.referenceFile;
        m_referenceFile->setText(s.referenceFile.isEmpty() ? tr("(none)")
                                                           : QFileInfo(s.referenceFile).fileName());
        m_referenceFile->setToolTip(s.referenceFile);
        selectData(m_referenceSource, s.referenceSource);
        selectData(m_class, s.classIndex);
        m_guidance->setValue(static_cast<int>(std::lround(s.guidance * 4.0)));
        m_clippedEps->setChecked(s.clippedEps);
    }
    onEdited();
}

void ControlPanel::setBusy(bool busy)
{
    m_busy = busy;
    m_progress->setVisible(busy);
    if (!busy) m_progress->reset();
    updateEnabled();
}

void ControlPanel::setProgress(int done, int total)
{
    m_progress->setRange(0, std::max(1, total));
    m_progress->setValue(std::clamp(done, 0, std::max(1, total)));
}

void ControlPanel::onEdited()
{
    updateEnabled();
    Q_EMIT settingsChanged(settings()); // blocked while the fields are set programmatically
}

void ControlPanel::onReferenceSourceChosen()
{
    // Choosing "Image file…" or "Draw…" asks the app for the file or the drawing right away (not when the
    // fields are set programmatically: the signals are blocked then).
    requestReference();
    onEdited();
}

ReferenceSource ControlPanel::referenceSource() const
{
    // The items' data are the names (what settings() reports); every item's name parses.
    return parseReferenceSource(m_referenceSource->currentData().toString()).value_or(ReferenceSource::None);
}

void ControlPanel::requestReference()
{
    if (referenceSource() == ReferenceSource::File)
        Q_EMIT referenceFileRequested();
    else if (referenceSource() == ReferenceSource::Draw)
        Q_EMIT drawReferenceRequested();
}

void ControlPanel::updateEnabled()
{
    const RunSettings s = settings();
    const ReferenceSource source = referenceSource();
    m_t0Label->setText(QString::number(m_t0->value()));
    m_guidanceLabel->setText(QStringLiteral("w = %1").arg(m_guidance->value() / 4.0, 0, 'g', 4));
    const bool conditional = m_class->count() > 1;
    const bool idle = !m_busy;
    for (QWidget* w : std::initializer_list<QWidget*>{m_model, m_open, m_mode, m_sampler, m_steps, m_seed,
                                                      m_dice, m_batch, m_referenceSource})
        w->setEnabled(idle);
    m_eta->setEnabled(idle && s.sampler == QLatin1String("ddim"));
    m_sdeNoise->setEnabled(idle && s.sampler == QLatin1String("sde"));
    // Unconditional models take no class and no guidance; the scale matters only with a class.
    m_class->setEnabled(idle && conditional);
    m_guidance->setEnabled(idle && conditional && s.classIndex >= 0);
    m_clippedEps->setEnabled(idle && conditional && s.classIndex >= 0 && s.sampler == QLatin1String("ddim"));
    m_t0->setEnabled(idle && s.mode != RunSettings::Sample);
    m_referenceIndex->setEnabled(idle && source == ReferenceSource::Dataset && m_datasetSize > 0);
    m_referenceChoose->setEnabled(idle && isImageSource(source));

    QString warning;
    if (s.model.isEmpty())
        warning = tr("Choose or open a model.");
    else if (s.needsReference() && source == ReferenceSource::None)
        warning = tr("This mode starts from a reference x₀: choose one below.");
    else if (source == ReferenceSource::File && s.referenceFile.isEmpty())
        warning = tr("No image file chosen yet.");
    else if (source == ReferenceSource::Dataset && m_datasetSize == 0)
        warning = tr("This model has no dataset to pick a reference from.");
    m_warning->setText(warning);
    m_warning->setVisible(!warning.isEmpty());
    m_sample->setEnabled(idle && warning.isEmpty());
    m_cancel->setEnabled(m_busy);
}

} // namespace difflens::widgets
