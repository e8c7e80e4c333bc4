// CompareWindow's widgets: the toolbar that starts run B (what to change and its value), the three columns
// (A, B, their difference), the curve of how far apart they are, the timeline.
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

namespace {

QLabel* header(const QColor& color, QWidget* parent)
{
    auto* label = new QLabel(parent);
    label->setStyleSheet(QStringLiteral("QLabel { color: %1; font-weight: bold; padding: 2px 6px; }").arg(color.name()));
    label->setWordWrap(true);
    return label;
}

QWidget* column(QLabel* title, CentralView* view, QWidget* parent)
{
    auto* w = new QWidget(parent);
    auto* layout = new QVBoxLayout(w);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(2);
    layout->addWidget(title);
    layout->addWidget(view, 1);
    return w;
}

} // namespace

void CompareWindow::buildUi()
{
    m_toolbar = addToolBar(tr("Compare"));
    m_toolbar->setMovable(false);
    m_toolbar->addWidget(new QLabel(tr(" Run B: A's x_T with another "), this));
    m_change = new QComboBox(this);
    m_change->addItem(tr("sampler"), static_cast<int>(CompareChange::Sampler));
    m_change->addItem(tr("step count"), static_cast<int>(CompareChange::Steps));
    m_change->addItem(tr("schedule"), static_cast<int>(CompareChange::Schedule));
    m_change->addItem(tr("model"), static_cast<int>(CompareChange::Model));
    m_change->addItem(tr("guidance"), static_cast<int>(CompareChange::Guidance));
    m_toolbar->addWidget(m_change);
    m_valueStack = new QStackedWidget(this);
    m_samplerBox = new QComboBox(this);
    m_stepsBox = new QSpinBox(this);
    m_stepsBox->setRange(1, 1000);
    m_stepsBox->setValue(20);
    m_scheduleBox = new QComboBox(this);
    for (const auto& [label, name] : comparisonSchedules())
        m_scheduleBox->addItem(label, name);
    m_modelBox = new QComboBox(this);
    m_modelBox->setMinimumContentsLength(24);
    for (const QString& spec : m_options.models)
        m_modelBox->addItem(QFileInfo(spec).fileName().isEmpty() || spec.startsWith(QLatin1String("exact:"))
                                ? spec
                                : QFileInfo(spec).fileName(),
                            spec);
    m_guidanceBox = new QDoubleSpinBox(this);
    m_guidanceBox->setRange(0, 50);
    m_guidanceBox->setValue(3.0);
    m_guidanceBox->setPrefix(QStringLiteral("w = "));
    for (QWidget* w : {static_cast<QWidget*>(m_samplerBox), static_cast<QWidget*>(m_stepsBox),
                       static_cast<QWidget*>(m_scheduleBox), static_cast<QWidget*>(m_modelBox),
                       static_cast<QWidget*>(m_guidanceBox)})
        m_valueStack->addWidget(w);
    m_toolbar->addWidget(m_valueStack);
    m_runButton = new QPushButton(tr("Run B"), this);
    m_runButton->setToolTip(tr("Sample run B from the same x_T as run A with this one setting changed"));
    m_toolbar->addWidget(m_runButton);
    m_toolbar->addAction(tr("Open run as B…"), this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Open a run as B"), QString(), runFileFilter());
        if (!path.isEmpty()) openRunB(path);
    });
    m_toolbar->addSeparator();
    m_toolbar->addWidget(new QLabel(tr(" Align by "), this));
    m_alignBox = new QComboBox(this);
    m_alignBox->addItem(tr("step index"), static_cast<int>(CompareAlign::Step));
    m_alignBox->addItem(tr("same t (nearest)"), static_cast<int>(CompareAlign::Time));
    m_alignBox->setToolTip(tr("When the runs have different step plans, 'same t' shows each run at the step nearest "
                              "in time t/T (0 = data, 1 = noise)"));
    m_toolbar->addWidget(m_alignBox);
    m_toolbar->addSeparator();
    m_toolbar->addAction(tr("Export…"), this, &CompareWindow::showExport);
    m_toolbar->addAction(tr("Presentation (F5)"), this, [this] { setPresentationMode(!m_presentationMode.isOn()); });
    m_progress = new QProgressBar(this);
    m_progress->setMaximumWidth(160);
    m_progress->setVisible(false);
    m_toolbar->addWidget(m_progress);

    connect(m_change, qOverload<int>(&QComboBox::currentIndexChanged), this, &CompareWindow::updateChangeEditor);
    connect(m_runButton, &QPushButton::clicked, this, [this] {
        CompareRequest r;
        r.change = static_cast<CompareChange>(m_change->currentData().toInt());
        r.text = r.change == CompareChange::Sampler    ? m_samplerBox->currentData().toString()
                 : r.change == CompareChange::Schedule ? m_scheduleBox->currentData().toString()
                                                       : m_modelBox->currentData().toString();
        r.steps = m_stepsBox->value();
        r.guidance = m_guidanceBox->value();
        compareWith(r);
    });
    connect(m_alignBox, qOverload<int>(&QComboBox::currentIndexChanged), this,
            [this] { setAlign(static_cast<CompareAlign>(m_alignBox->currentData().toInt())); });

    m_headerA = header(widgets::palette::xt(), this);
    m_headerB = header(widgets::palette::pairedRun(), this);
    m_headerDiff = header(widgets::palette::difference(), this);
    m_viewA = new CentralView(this);
    m_viewB = new CentralView(this);
    m_viewDiff = new CentralView(this);
    m_columns = new QSplitter(Qt::Horizontal, this);
    m_columns->addWidget(column(m_headerA, m_viewA, this));
    m_columns->addWidget(column(m_headerB, m_viewB, this));
    m_columns->addWidget(column(m_headerDiff, m_viewDiff, this));
    m_plot = new widgets::ComparePlot(this);
    m_rows = new QSplitter(Qt::Vertical, this);
    m_rows->addWidget(m_columns);
    m_rows->addWidget(m_plot);
    m_rows->setStretchFactor(0, 3);
    m_rows->setStretchFactor(1, 1);
    m_rows->setSizes({620, 240});
    m_timeline = new widgets::TimelineBar(this);
    auto* centre = new QWidget(this);
    auto* layout = new QVBoxLayout(centre);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(m_rows, 1);
    layout->addWidget(m_timeline);
    setCentralWidget(centre);
    connect(m_timeline, &widgets::TimelineBar::currentStepChanged, this, [this](int) { scheduleShow(); });
    m_valueStack->setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Fixed);
    m_valueStack->setMaximumWidth(260);
    resize(1500, 900);
}

void CompareWindow::updateChangeEditor()
{
    const auto change = static_cast<CompareChange>(m_change->currentData().toInt());
    m_valueStack->setCurrentIndex(m_change->currentIndex());
    QString why;
    if (m_a.model) {
        const ModelInfo& info = m_a.model->info;
        if (change == CompareChange::Schedule && (!info.isExact() || info.scheduler.isFlow()))
            why = tr("Only exact denoisers change schedule: a network knows the schedule it was trained with");
        if (change == CompareChange::Guidance && info.numClasses < 1) why = tr("This model is not class-conditional");
    }
    m_runButton->setEnabled(why.isEmpty() && !m_progress->isVisible());
    m_runButton->setToolTip(why.isEmpty() ? tr("Sample run B from the same x_T as run A with this one setting changed") : why);
}

} // namespace difflens::gui
