#include "app/gui/central_view.h"

#include "widgets/density_time_view.h"
#include "widgets/image_panel_grid.h"
#include "widgets/palette.h"
#include "widgets/point_view.h"

#include <QLabel>
#include <QSplitter>
#include <QStackedWidget>
#include <QVBoxLayout>

namespace difflens::gui {

CentralView::CentralView(QWidget* parent) : QWidget(parent)
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    m_hint = new QLabel(this);
    m_hint->setObjectName(QStringLiteral("nextStepHint"));
    m_hint->setWordWrap(true);
    m_hint->setMargin(6);
    m_hint->setAutoFillBackground(true);
    QPalette hintPalette = m_hint->palette();
    hintPalette.setColor(QPalette::Window, widgets::palette::plotBackground());
    hintPalette.setColor(QPalette::WindowText, widgets::palette::text());
    m_hint->setPalette(hintPalette);
    m_hint->hide();
    layout->addWidget(m_hint);
    m_stack = new QStackedWidget(this);
    layout->addWidget(m_stack);

    m_message = new QLabel(m_stack);
    m_message->setAlignment(Qt::AlignCenter);
    m_message->setWordWrap(true);
    m_message->setTextFormat(Qt::RichText);
    m_message->setAutoFillBackground(true);
    QPalette pal = m_message->palette();
    pal.setColor(QPalette::Window, widgets::palette::background());
    pal.setColor(QPalette::WindowText, widgets::palette::mutedText());
    m_message->setPalette(pal);
    m_message->setMargin(24);
    m_stack->addWidget(m_message);

    m_grid = new widgets::ImagePanelGrid(m_stack);
    m_grid->setPlaceholderText(tr("Press Sample to run the reverse process"));
    m_stack->addWidget(m_grid);

    m_pointPage = new QSplitter(Qt::Vertical, m_stack);
    m_points = new widgets::PointView(m_pointPage);
    m_density = new widgets::DensityTimeView(m_pointPage);
    m_pointPage->addWidget(m_points);
    m_pointPage->addWidget(m_density);
    m_pointPage->setStretchFactor(0, 3);
    m_pointPage->setStretchFactor(1, 2);
    m_pointPage->setChildrenCollapsible(false);
    m_stack->addWidget(m_pointPage);

    connect(m_points, &widgets::PointView::dataPointClicked, this, &CentralView::dataPointClicked);
    connect(m_density, &widgets::DensityTimeView::timestepClicked, this, &CentralView::timestepClicked);
    showMessage(tr("Loading…"));
}

CentralView::~CentralView() = default;

void CentralView::showMessage(const QString& text)
{
    m_message->setText(text);
    m_stack->setCurrentWidget(m_message);
}

void CentralView::setModel(const ModelInfo& info)
{
    m_isImage = info.isImage;
    clearFrame();
    if (info.isImage) {
        m_stack->setCurrentWidget(m_grid);
        return;
    }
    m_points->setViewRange(FrameBuilder::viewRange(info));
    m_density->setVisible(info.dim == 1);
    m_stack->setCurrentWidget(m_pointPage);
}

void CentralView::clearFrame()
{
    m_grid->clear();
    m_points->setFrame(widgets::PointFrame());
    m_density->clear();
}

void CentralView::showFrame(const Frame& frame)
{
    if (!frame.isValid()) return;
    if (frame.isImage) {
        const ImageGridFrame& g = frame.grid;
        if (m_grid->columns() != g.titles) m_grid->setColumns(g.titles, g.colors);
        m_grid->setColumnSubtitles(g.subtitles);
        m_grid->setRowLabels(g.rowLabels);
        m_grid->setCaption(g.caption);
        m_grid->setCells(g.cells);
        if (m_stack->currentWidget() != m_grid) m_stack->setCurrentWidget(m_grid);
    } else {
        m_points->setFrame(frame.points);
        if (m_stack->currentWidget() != m_pointPage) m_stack->setCurrentWidget(m_pointPage);
    }
    setCurrentT(frame.t);
}

void CentralView::setDensity(const FrameBuilder::DensityMap& map)
{
    if (map.isEmpty()) {
        m_density->clear();
        return;
    }
    m_density->setDensity(map.T, map.bins, map.xmin, map.xmax, map.values);
    m_density->setTrajectories(map.paths);
}

void CentralView::setCurrentT(long t)
{
    if (!m_density->isHidden()) m_density->setCurrentT(static_cast<int>(t));
}

void CentralView::setHint(const QString& text)
{
    m_hint->setText(text);
    m_hint->setVisible(!text.isEmpty());
}

QString CentralView::hint() const
{
    return m_hint->isVisible() ? m_hint->text() : QString();
}

QWidget* CentralView::currentView() const
{
    return m_stack->currentWidget();
}

} // namespace difflens::gui
