#pragma once
// The run the main window shows, one part of the window: the sampling job and its recording, the forward
// process, a run opened from a file, the frames built from them, and the timeline that scrubs them. It paces
// the frames (many step changes in one event-loop pass draw one frame; a live run takes at most about a tenth
// of this thread) and hands each built frame to the window (frameReady), which passes it to the views.
#include "app/logic/frame_builder.h"
#include "app/logic/model.h"
#include "widgets/types.h"

#include <QElapsedTimer>
#include <QObject>

class QTimer;

namespace difflens::widgets {
class TimelineBar;
}

namespace difflens::gui {

struct OpenedRun;
struct SamplingParams;
class SamplingController;

class RunState final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RunState)

public:
    /** timeline: the window's bar under the views; this part sets its steps and follows its position. */
    explicit RunState(widgets::TimelineBar* timeline, QObject* parent = nullptr);
    ~RunState() override;

    SamplingController* sampler() const { return m_sampler; }
    FrameBuilder& frames() { return m_frames; }
    const FrameBuilder& frames() const { return m_frames; }

    /** A model was opened: the run under way stops and nothing is shown until the next run. */
    void setModel(const ModelHandle& model);
    /** Stops the run under way and a pending rerun. */
    void stop();
    /** A run from the panel is coming: the run file shown is left behind and a pending rerun dropped. */
    void prepareRun();

    /** Starts a reverse run of `params` (made from `settings`, which the views then describe). */
    void startReverse(const SamplingParams& params, const widgets::RunSettings& settings);
    /** Shows the forward process of `reference` (the step shown stays where it was, within t0). */
    void startForward(const Reference& reference, const widgets::RunSettings& settings);
    /**
     * Shows an opened run with `model` (its facts-only model, or the loaded one when it is the run's own)
     * from its first step; fieldOn: the score field is wanted (it is drawn only when the model can run).
     */
    void showOpenedRun(const OpenedRun& run, const ModelHandle& model, bool fieldOn);
    /** Whether `model`, loaded behind an opened run, can take over its frames (a reverse run, same shape). */
    bool canAttach(const ModelHandle& model) const;
    /** The opened run's own model has loaded: the frames are made with it, at the step shown. */
    void attachModel(const ModelHandle& model, bool fieldOn);
    /** Writes the reverse run shown to a run file; throws core's errors. */
    void save(const QString& path) const;

    /** Whether a run (or the forward process) is shown, and with what settings. */
    bool hasRun() const { return m_hasRun; }
    const widgets::RunSettings& lastRun() const { return m_lastRun; }
    /** x_T was the noised reference (mu~ is the true step). */
    bool trueStep() const { return m_trueStep; }
    /** The run file shown ("" for a live run). */
    const QString& path() const { return m_path; }
    /** The recorded reverse run shown (null for the forward process or none). */
    std::shared_ptr<const Trajectory> reverseRun() const;

    /** A reverse run is shown: a new reference runs it again (the forward process follows at once). */
    bool rerunsWithReference() const { return m_hasRun && m_lastRun.mode != widgets::RunSettings::Forward; }
    /** The reference changed under a reverse run: run it again in 250 ms (rerunDue), unless more follows. */
    void scheduleRerun();
    void setFieldEnabled(bool on);
    /** The Exact q parts of a frame (a few ms each): only while the tab can be seen. */
    void setExactEnabled(bool on);

    void setCurrentStep(int step);
    int currentStep() const;
    /** Moves the timeline to the step whose t is nearest to `t` (a click on a plot's t axis). */
    void showTimestep(int t);
    /** Shows the timeline's step soon (once for many changes in one pass). */
    void scheduleFrame();
    /** Shows the timeline's step now. */
    void showCurrentFrame();
    const Frame& shownFrame() const { return m_shownFrame; }
    /** Milliseconds from the start of the last reverse run to its first frame on screen (< 0: not yet). */
    double firstFrameMs() const { return m_firstFrameMs; }

Q_SIGNALS:
    /** Steps the sampling job recorded since the last report (the frames have them already). */
    void stepsRecorded(const QVector<difflens::gui::StepSummary>& fresh);
    /** The reverse run ended: finished (ok), cancelled or failed (error is not empty). */
    void runEnded(bool ok, const QString& status, const QString& error);
    /** A frame is ready for the views. */
    void frameReady(const difflens::gui::Frame& frame);
    /** The frame of `step` reached the views (after frameReady). */
    void frameShown(int step);
    void rerunDue();
    /** What the status bar says of the run changed (steps recorded, the first frame on screen). */
    void statusChanged();
    void statusMessage(const QString& text, int timeoutMs);

private:
    void onStepsAvailable(int recorded);
    void resetTimeline(int step);

    widgets::TimelineBar* m_timeline;
    SamplingController* m_sampler = nullptr;
    FrameBuilder m_frames;
    QTimer* m_rerunTimer = nullptr;

    widgets::RunSettings m_lastRun; ///< what the views show
    bool m_hasRun = false;
    bool m_trueStep = false;
    QString m_path;
    int m_summaryCount = 0;
    bool m_followLive = true;
    Frame m_shownFrame;

    bool m_framePending = false;
    QElapsedTimer m_lastFrameClock; ///< since the last frame was shown
    /** What showing it took on this thread (built, views updated; twice that for the paint). */
    qint64 m_lastFrameCostMs = 0;
    QElapsedTimer m_runClock;
    double m_firstFrameMs = -1;
};

} // namespace difflens::gui
