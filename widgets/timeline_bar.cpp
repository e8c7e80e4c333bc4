#include "widgets/timeline_bar.h"

#include "widgets/palette.h"

#include <QHBoxLayout>
#include <QKeyEvent>
#include <QLabel>
#include <QPainter>
#include <QSignalBlocker>
#include <QSlider>
#include <QSpinBox>
#include <QStyle>
#include <QStyleOptionSlider>
#include <QTimer>
#include <QToolButton>

#include <algorithm>

namespace difflens::widgets {

namespace {

// A slider that shades the part of the groove not yet recorded.
class RecordedSlider final : public QSlider
{
public:
    explicit RecordedSlider(QWidget* parent) : QSlider(Qt::Horizontal, parent) {}
    void setRecordedFraction(double fraction)
    {
        fraction = std::clamp(fraction, 0.0, 1.0);
        if (fraction != m_recorded) {
            m_recorded = fraction;
            update();
        }
    }

protected:
    void paintEvent(QPaintEvent* event) override
    {
        QSlider::paintEvent(event);
        if (m_recorded >= 1.0) return;
        QStyleOptionSlider option;
        initStyleOption(&option);
        const QRect groove =
            style()->subControlRect(QStyle::CC_Slider, &option, QStyle::SC_SliderGroove, this);
        QPainter p(this);
        const int y = groove.bottom() + 2;
        const int split = groove.left() + static_cast<int>(groove.width() * m_recorded);
        p.fillRect(QRect(groove.left(), y, split - groove.left(), 3), palette::xt());
        p.fillRect(QRect(split, y, groove.right() - split, 3), palette::grid());
    }

private:
    double m_recorded = 1.0;
};

QToolButton* transportButton(QWidget* parent, QStyle::StandardPixmap icon, const QString& tip)
{
    auto* b = new QToolButton(parent);
    b->setIcon(parent->style()->standardIcon(icon));
    b->setToolTip(tip);
    b->setAutoRaise(true);
    b->setFocusPolicy(Qt::NoFocus); // keys go to the bar, not to a focused button
    b->setIconSize(QSize(22, 22));
    return b;
}

} // namespace

TimelineBar::TimelineBar(QWidget* parent) : QWidget(parent)
{
    setFocusPolicy(Qt::StrongFocus);
    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(6, 2, 6, 2);
    layout->setSpacing(4);
    m_startButton = transportButton(this, QStyle::SP_MediaSkipBackward, tr("First step (Home)"));
    m_backButton = transportButton(this, QStyle::SP_MediaSeekBackward, tr("Step back (Left)"));
    m_playButton = transportButton(this, QStyle::SP_MediaPlay, tr("Play / pause (Space)"));
    m_forwardButton = transportButton(this, QStyle::SP_MediaSeekForward, tr("Step forward (Right)"));
    m_endButton = transportButton(this, QStyle::SP_MediaSkipForward, tr("Last recorded step (End)"));
    auto* slider = new RecordedSlider(this);
    m_slider = slider;
    m_slider->setFocusPolicy(Qt::NoFocus);
    m_slider->setMinimumWidth(160);
    m_label = new QLabel(this);
    m_label->setMinimumWidth(
        m_label->fontMetrics().horizontalAdvance(QStringLiteral("step 0000 / 0000 · t = 0000  ")));
    m_fps = new QSpinBox(this);
    m_fps->setRange(1, 120);
    m_fps->setValue(12);
    m_fps->setSuffix(tr(" fps"));
    m_fps->setToolTip(tr("Playback speed"));
    m_fps->setFocusPolicy(Qt::ClickFocus);

    layout->addWidget(m_startButton);
    layout->addWidget(m_backButton);
    layout->addWidget(m_playButton);
    layout->addWidget(m_forwardButton);
    layout->addWidget(m_endButton);
    layout->addWidget(m_slider, 1);
    layout->addWidget(m_label);
    layout->addWidget(m_fps);

    m_timer = new QTimer(this);
    m_timer->setTimerType(Qt::PreciseTimer);
    m_timer->setInterval(1000 / m_fps->value());
    connect(m_timer, &QTimer::timeout, this, &TimelineBar::advance);
    connect(m_startButton, &QToolButton::clicked, this, &TimelineBar::jumpToStart);
    connect(m_backButton, &QToolButton::clicked, this, &TimelineBar::stepBack);
    connect(m_playButton, &QToolButton::clicked, this, &TimelineBar::togglePlay);
    connect(m_forwardButton, &QToolButton::clicked, this, &TimelineBar::stepForward);
    connect(m_endButton, &QToolButton::clicked, this, &TimelineBar::jumpToEnd);
    connect(m_slider, &QSlider::valueChanged, this, &TimelineBar::setCurrentStep);
    connect(m_fps, qOverload<int>(&QSpinBox::valueChanged), this, [this](int fps) {
        m_timer->setInterval(std::max(1, 1000 / fps));
        Q_EMIT fpsChanged(fps);
    });
    updateControls();
}

TimelineBar::~TimelineBar() = default;

void TimelineBar::setStepCount(int n)
{
    m_stepCount = std::max(0, n);
    m_available = m_stepCount;
    {
        const QSignalBlocker block(m_slider);
        m_slider->setRange(0, std::max(0, m_stepCount - 1));
    }
    if (m_current > lastAvailable()) setCurrentStep(lastAvailable());
    updateControls();
}

void TimelineBar::setAvailableSteps(int k)
{
    m_available = std::clamp(k, 0, m_stepCount);
    if (m_current > lastAvailable()) setCurrentStep(lastAvailable());
    updateControls();
}

void TimelineBar::setTimestepLabels(const QVector<long>& t)
{
    m_timesteps = t;
    updateControls();
}

bool TimelineBar::isPlaying() const
{
    return m_timer->isActive();
}

void TimelineBar::setFps(int fps)
{
    m_fps->setValue(fps);
}

int TimelineBar::fps() const
{
    return m_fps->value();
}

void TimelineBar::setCurrentStep(int step)
{
    step = std::clamp(step, 0, lastAvailable());
    if (step != m_current) {
        m_current = step;
        updateControls();
        Q_EMIT currentStepChanged(m_current);
    } else {
        updateControls(); // a slider dragged past the recorded steps snaps back
    }
}

void TimelineBar::play()
{
    if (isPlaying() || m_stepCount <= 1) return;
    // Play at the end starts over.
    if (m_current >= m_stepCount - 1) setCurrentStep(0);
    m_timer->start();
    updateControls();
    Q_EMIT playingChanged(true);
}

void TimelineBar::pause()
{
    if (!isPlaying()) return;
    m_timer->stop();
    updateControls();
    Q_EMIT playingChanged(false);
}

void TimelineBar::togglePlay()
{
    isPlaying() ? pause() : play();
}
void TimelineBar::stepForward()
{
    setCurrentStep(m_current + 1);
}
void TimelineBar::stepBack()
{
    setCurrentStep(m_current - 1);
}
void TimelineBar::jumpToStart()
{
    setCurrentStep(0);
}
void TimelineBar::jumpToEnd()
{
    setCurrentStep(lastAvailable());
}

void TimelineBar::advance()
{
    if (m_current < lastAvailable()) {
        setCurrentStep(m_current + 1);
    } else if (m_available < m_stepCount) {
        // Still recording: wait for the next step.
    } else if (m_loop) {
        setCurrentStep(0);
    } else {
        pause();
    }
}

void TimelineBar::keyPressEvent(QKeyEvent* event)
{
    switch (event->key()) {
    case Qt::Key_Space:
        togglePlay();
        break;
    case Qt::Key_Left:
        stepBack();
        break;
    case Qt::Key_Right:
        stepForward();
        break;
    case Qt::Key_Home:
        jumpToStart();
        break;
    case Qt::Key_End:
        jumpToEnd();
        break;
    default:
        QWidget::keyPressEvent(event);
        return;
    }
    event->accept();
}

void TimelineBar::updateControls()
{
    {
        const QSignalBlocker block(m_slider);
        m_slider->setValue(m_current);
    }
    static_cast<RecordedSlider*>(m_slider)->setRecordedFraction(
        m_stepCount > 1 ? double(lastAvailable()) / (m_stepCount - 1) : 1.0);
    const bool any = m_stepCount > 0 && m_available > 0;
    m_slider->setEnabled(any);
    m_startButton->setEnabled(any && m_current > 0);
    m_backButton->setEnabled(any && m_current > 0);
    m_forwardButton->setEnabled(any && m_current < lastAvailable());
    m_endButton->setEnabled(any && m_current < lastAvailable());
    m_playButton->setEnabled(m_stepCount > 1);
    m_playButton->setIcon(style()->standardIcon(isPlaying() ? QStyle::SP_MediaPause : QStyle::SP_MediaPlay));

    QString text = m_stepCount > 0 ? tr("step %1 / %2").arg(m_current + 1).arg(m_stepCount) : tr("no steps");
    if (m_current >= 0 && m_current < m_timesteps.size()) text += tr(" · t = %1").arg(m_timesteps[m_current]);
    if (m_available < m_stepCount) text += tr(" · %1 recorded").arg(m_available);
    m_label->setText(text);
}

} // namespace difflens::widgets
