#include "app/gui/tour.h"

#include "widgets/palette.h"

#include <QEvent>
#include <QHBoxLayout>
#include <QKeyEvent>
#include <QLabel>
#include <QPainter>
#include <QPainterPath>
#include <QPushButton>
#include <QVBoxLayout>

namespace difflens::gui {

QString nextStepHint(bool isImage, const widgets::RunSettings& run, bool hasReference)
{
    using widgets::RunSettings;
    const QString choose = isImage ? QObject::tr("pick a dataset item, an image file or a drawing under Reference x₀")
                                   : QObject::tr("click a data point");
    if (run.mode == RunSettings::Forward)
        return QObject::tr("Move the timeline to add noise to x₀ step by step; “Denoise reference from t₀” then "
                           "runs the model back.");
    if (!hasReference)
        return QObject::tr("To compare the model with the true step, %1: μ̃ then appears beside μ_θ.").arg(choose);
    if (run.mode == RunSettings::FromReference)
        return QObject::tr("xₜ was made from x₀, so μ̃ is the true step: drag the timeline to see how far the "
                           "model's μ_θ is from it. Next: Sample from pure noise, or %1.")
            .arg(choose);
    return QObject::tr("From pure noise μ̃ only points toward x₀ (xₜ was not made from it). Try “Denoise "
                       "reference from t₀” for the true step, or Help ▸ Tour.");
}

Tour::Tour(QWidget* window, QVector<TourStep> steps) : QWidget(window), m_steps(std::move(steps))
{
    setAttribute(Qt::WA_NoSystemBackground);
    setFocusPolicy(Qt::StrongFocus);
    m_bubble = new QWidget(this);
    m_bubble->setObjectName(QStringLiteral("tourBubble"));
    m_bubble->setAutoFillBackground(true);
    QPalette pal = m_bubble->palette();
    pal.setColor(QPalette::Window, widgets::palette::background());
    pal.setColor(QPalette::WindowText, widgets::palette::text());
    m_bubble->setPalette(pal);
    auto* layout = new QVBoxLayout(m_bubble);
    layout->setContentsMargins(16, 12, 16, 12);
    m_title = new QLabel(m_bubble);
    QFont bold = m_title->font();
    bold.setBold(true);
    bold.setPointSizeF(bold.pointSizeF() * 1.15);
    m_title->setFont(bold);
    m_text = new QLabel(m_bubble);
    m_text->setWordWrap(true);
    m_text->setTextFormat(Qt::RichText);
    m_counter = new QLabel(m_bubble);
    m_counter->setStyleSheet(QStringLiteral("color: %1").arg(widgets::palette::mutedText().name()));
    auto* skip = new QPushButton(tr("Skip tour"), m_bubble);
    m_back = new QPushButton(tr("Back"), m_bubble);
    m_next = new QPushButton(tr("Next"), m_bubble);
    m_next->setDefault(true);
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(m_counter);
    buttons->addStretch(1);
    buttons->addWidget(skip);
    buttons->addWidget(m_back);
    buttons->addWidget(m_next);
    layout->addWidget(m_title);
    layout->addWidget(m_text);
    layout->addLayout(buttons);
    connect(skip, &QPushButton::clicked, this, &Tour::skip);
    connect(m_back, &QPushButton::clicked, this, &Tour::back);
    connect(m_next, &QPushButton::clicked, this, &Tour::next);

    window->installEventFilter(this); // follow the window's size
    setGeometry(window->rect());
    raise();
    QWidget::show();
    setFocus();
    showStep(0);
}

Tour::~Tour()
{
    if (parentWidget()) parentWidget()->removeEventFilter(this);
}

QString Tour::currentTitle() const
{
    return m_current >= 0 && m_current < m_steps.size() ? m_steps[m_current].title : QString();
}

QRect Tour::highlight() const
{
    if (m_current < 0 || m_current >= m_steps.size()) return {};
    const QWidget* target = m_steps[m_current].target;
    if (!target || !target->isVisible()) return {};
    return QRect(target->mapTo(parentWidget(), QPoint(0, 0)), target->size()).adjusted(-4, -4, 4, 4);
}

void Tour::next()
{
    if (m_current + 1 < m_steps.size())
        showStep(m_current + 1);
    else
        finish(true);
}

void Tour::back()
{
    if (m_current > 0) showStep(m_current - 1);
}

void Tour::skip()
{
    finish(false);
}

void Tour::showStep(int step)
{
    m_current = step;
    const TourStep& s = m_steps[step];
    if (s.prepare) s.prepare();
    m_title->setText(s.title);
    m_text->setText(s.text);
    m_counter->setText(tr("%1 of %2").arg(step + 1).arg(m_steps.size()));
    m_back->setEnabled(step > 0);
    m_next->setText(step + 1 < m_steps.size() ? tr("Next") : tr("Done"));
    layoutBubble();
    update();
}

void Tour::finish(bool completed)
{
    if (m_closed) return;
    m_closed = true;
    hide();
    Q_EMIT finished(completed);
    deleteLater();
}

void Tour::layoutBubble()
{
    const int width = std::min(420, std::max(260, this->width() / 3));
    m_bubble->setFixedWidth(width);
    m_bubble->adjustSize();
    const QSize size = m_bubble->size();
    const QRect area = rect().adjusted(12, 12, -12, -12);
    const QRect target = highlight();
    QPoint at;
    if (target.isEmpty()) {
        at = area.center() - QPoint(size.width() / 2, size.height() / 2);
    } else if (target.right() + 16 + size.width() <= area.right()) {
        at = QPoint(target.right() + 16, target.top() + 24); // beside, to the right
    } else if (target.left() - 16 - size.width() >= area.left()) {
        at = QPoint(target.left() - 16 - size.width(), target.top() + 24); // to the left
    } else if (target.bottom() + 16 + size.height() <= area.bottom()) {
        at = QPoint(target.center().x() - size.width() / 2, target.bottom() + 16); // below
    } else {
        at = QPoint(target.center().x() - size.width() / 2, target.top() + 16); // over its top
    }
    at.setX(std::clamp(at.x(), area.left(), std::max(area.left(), area.right() - size.width())));
    at.setY(std::clamp(at.y(), area.top(), std::max(area.top(), area.bottom() - size.height())));
    m_bubble->move(at);
}

void Tour::paintEvent(QPaintEvent*)
{
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing, true);
    QPainterPath dim;
    dim.addRect(rect());
    const QRect target = highlight();
    if (!target.isEmpty()) {
        QPainterPath hole;
        hole.addRoundedRect(target, 6, 6);
        dim = dim.subtracted(hole);
    }
    p.fillPath(dim, QColor(0, 0, 0, 110));
    if (!target.isEmpty()) {
        p.setPen(QPen(widgets::palette::marker(), 3.0));
        p.setBrush(Qt::NoBrush);
        p.drawRoundedRect(target, 6, 6);
    }
    p.setPen(QPen(widgets::palette::frame(), 1.0));
    p.drawRect(m_bubble->geometry().adjusted(-1, -1, 0, 0));
}

bool Tour::eventFilter(QObject* watched, QEvent* event)
{
    if (watched == parentWidget() && (event->type() == QEvent::Resize || event->type() == QEvent::LayoutRequest)) {
        setGeometry(parentWidget()->rect());
        layoutBubble();
        update();
    }
    return QWidget::eventFilter(watched, event);
}

void Tour::keyPressEvent(QKeyEvent* event)
{
    switch (event->key()) {
    case Qt::Key_Escape: skip(); return;
    case Qt::Key_Right:
    case Qt::Key_Return:
    case Qt::Key_Enter: next(); return;
    case Qt::Key_Left: back(); return;
    default: QWidget::keyPressEvent(event);
    }
}

} // namespace difflens::gui
