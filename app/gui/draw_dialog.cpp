#include "app/gui/draw_dialog.h"

#include "widgets/draw_canvas.h"

#include <QDialogButtonBox>
#include <QLabel>
#include <QPushButton>
#include <QVBoxLayout>

namespace difflens::gui {

DrawDialog::DrawDialog(int width, int height, double low, double high, const widgets::ImageData& start,
                       QWidget* parent)
    : QDialog(parent)
{
    setWindowTitle(tr("Draw the reference x₀"));
    auto* layout = new QVBoxLayout(this);
    auto* hint =
        new QLabel(tr("Left button draws, right button erases, the wheel changes the brush. Fashion-MNIST "
                      "items are light on a black background."),
                   this);
    hint->setWordWrap(true);
    layout->addWidget(hint);
    m_canvas = new widgets::DrawCanvas(this);
    m_canvas->setGridSize(width, height);
    m_canvas->setValueRange(low, high);
    if (start.isValid() && start.width == width && start.height == height) m_canvas->setImage(start);
    m_canvas->setMinimumSize(336, 336);
    layout->addWidget(m_canvas, 1);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    auto* clear = buttons->addButton(tr("Clear"), QDialogButtonBox::ResetRole);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("Use as x₀"));
    connect(clear, &QPushButton::clicked, m_canvas, &widgets::DrawCanvas::clear);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(buttons);
}

DrawDialog::~DrawDialog() = default;

widgets::ImageData DrawDialog::image() const
{
    return m_canvas->image();
}

} // namespace difflens::gui
