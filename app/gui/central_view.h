#pragma once
// The centre of the window: the image grid for image models, the point view (with the (t, x) density under
// it for 1-D models) for point models, or a message while there is nothing to show.
#include "app/logic/frame_builder.h"
#include "app/logic/frames.h"

#include <QWidget>

class QLabel;
class QSplitter;
class QStackedWidget;

namespace difflens::widgets {
class DensityTimeView;
class ImagePanelGrid;
class PointView;
} // namespace difflens::widgets

namespace difflens::gui {

class CentralView final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(CentralView)

public:
    explicit CentralView(QWidget* parent = nullptr);
    ~CentralView() override;

    /** A centred message instead of the views (loading, errors, "press Sample"). */
    void showMessage(const QString& text);
    /** Picks the view for a model's data (and the point view's fixed range). */
    void setModel(const ModelInfo& info);
    void showFrame(const Frame& frame);
    void setDensity(const FrameBuilder::DensityMap& map);
    void setCurrentT(long t);
    void clearFrame();

    widgets::ImagePanelGrid* imageGrid() const { return m_grid; }
    widgets::PointView* pointView() const { return m_points; }
    widgets::DensityTimeView* densityView() const { return m_density; }
    /** The view showing frames now (grid or point page), or the message. */
    QWidget* currentView() const;
    /** One line above the views on what to try next (empty: hidden). */
    void setHint(const QString& text);
    QString hint() const;

Q_SIGNALS:
    void dataPointClicked(int index, QPointF point);
    void timestepClicked(int t);

private:
    QStackedWidget* m_stack = nullptr;
    QLabel* m_message = nullptr;
    QLabel* m_hint = nullptr;
    widgets::ImagePanelGrid* m_grid = nullptr;
    QSplitter* m_pointPage = nullptr;
    widgets::PointView* m_points = nullptr;
    widgets::DensityTimeView* m_density = nullptr;
    bool m_isImage = false;
};

} // namespace difflens::gui
