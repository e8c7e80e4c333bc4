#pragma once
// Draw a reference x_0 with the mouse (image models).
#include "widgets/types.h"

#include <QDialog>

namespace difflens::widgets {
class DrawCanvas;
}

namespace difflens::gui {

class DrawDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(DrawDialog)

public:
    /** A canvas of width x height cells in the model's value range, starting from `start` when given. */
    DrawDialog(int width, int height, double low, double high, const widgets::ImageData& start,
               QWidget* parent = nullptr);
    ~DrawDialog() override;

    widgets::ImageData image() const;

private:
    widgets::DrawCanvas* m_canvas = nullptr;
};

} // namespace difflens::gui
