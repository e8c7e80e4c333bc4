#pragma once
// Transport controls for the steps of a run: start, back, play/pause, forward, end, a slider over the steps,
// "step i / n · t = …" and the playback speed. While a run is still recording, the slider stops at the last
// recorded step and playback follows the recording.
#include <QVector>
#include <QWidget>

class QLabel;
class QSlider;
class QSpinBox;
class QTimer;
class QToolButton;

namespace difflens::widgets {

class TimelineBar final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TimelineBar)

public:
    explicit TimelineBar(QWidget* parent = nullptr);
    ~TimelineBar() override;

    /** Number of steps (frames) 0..n-1; also makes all of them available. */
    void setStepCount(int n);
    int stepCount() const { return m_stepCount; }
    /** Steps recorded so far (0..n); the current step never passes k - 1. */
    void setAvailableSteps(int k);
    int availableSteps() const { return m_available; }
    /** The timestep t of each step, for the label; may be empty. */
    void setTimestepLabels(const QVector<long>& t);
    int currentStep() const { return m_current; }
    bool isPlaying() const;
    void setFps(int fps);
    int fps() const;
    /** At the end, start again from the first step instead of stopping. Default off. */
    void setLoop(bool loop) { m_loop = loop; }
    bool loop() const { return m_loop; }

public Q_SLOTS:
    void setCurrentStep(int step);
    void play();
    void pause();
    void togglePlay();
    void stepForward();
    void stepBack();
    void jumpToStart();
    void jumpToEnd();

Q_SIGNALS:
    void currentStepChanged(int step);
    void playingChanged(bool playing);
    void fpsChanged(int fps);

protected:
    void keyPressEvent(QKeyEvent* event) override;

private:
    void advance();
    void updateControls();
    int lastAvailable() const { return std::max(0, std::min(m_available, m_stepCount) - 1); }

    int m_stepCount = 0;
    int m_available = 0;
    int m_current = 0;
    bool m_loop = false;
    QVector<long> m_timesteps;
    QToolButton* m_startButton = nullptr;
    QToolButton* m_backButton = nullptr;
    QToolButton* m_playButton = nullptr;
    QToolButton* m_forwardButton = nullptr;
    QToolButton* m_endButton = nullptr;
    QSlider* m_slider = nullptr;
    QLabel* m_label = nullptr;
    QSpinBox* m_fps = nullptr;
    QTimer* m_timer = nullptr;
};

} // namespace difflens::widgets
