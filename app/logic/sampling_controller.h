#pragma once
// Runs the reverse process on a worker thread and records it into a Trajectory the GUI reads while it grows.
// A job of the app's one job shape (job_runner.h): SamplingParams in; stepsAvailable (throttled), progress,
// finished / cancelled / failed out; the atomic cancel checked between steps; every exception turned into a
// message. A second runner answers the one other model call the GUI makes: the score field at the shown t
// (both call the model through the runner's shared lock).
#include "app/logic/frames.h"
#include "app/logic/job_runner.h"
#include "app/logic/model.h"

#include <QList>
#include <QObject>
#include <QPair>
#include <QRectF>

#include <functional>
#include <memory>

namespace difflens {
class Trajectory;
}

namespace difflens::gui {

struct FieldRequest; // a score field asked for (sampling_controller.cpp)

struct SamplingParams
{
    ModelHandle model;
    QString sampler = QStringLiteral("ddpm"); ///< a --sampler name (any case): ddpm, ddim, euler, heun, sde, ...
    int steps = 0;                            ///< 0: every timestep (DDPM) or 50
    double eta = 0.0;                         ///< DDIM
    double sdeNoise = 1.0;                    ///< SDE: g_t = S s_t
    bool clippedEps = false;                  ///< DDIM: eps re-derived from the clipped x0^ (use_clipped_model_output)
    quint64 seed = 0;
    int batch = 16;
    bool fromReference = false; ///< noise the reference to t0, then denoise from there
    int t0 = 500;               ///< 1..T
    Reference reference;        ///< x_0 for mu~ and the KL (and the start when fromReference)
    int classIndex = -1;        ///< class-conditional models: the class (-1: none)
    double guidance = 1.0;      ///< classifier-free guidance scale w (with a class)
};

/** A reverse run of the panel's `settings` on `model`, with `reference` as x_0 (sampling_params.cpp). */
SamplingParams samplingParams(const widgets::RunSettings& settings, const ModelHandle& model,
                              const Reference& reference);

/** The samplers a model of this scheduler config can use, as (--sampler name, menu label) pairs. */
QList<QPair<QString, QString>> samplerChoices(const SchedulerConfig& scheduler);

class SamplingController final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SamplingController)

public:
    explicit SamplingController(QObject* parent = nullptr);
    ~SamplingController() override;

    /**
     * Starts a run, cancelling the one under way. The trajectory (with its step count) exists when this
     * returns; invalid parameters are reported through failed().
     */
    void start(const SamplingParams& params);
    /** Asks the run to stop after the step it is computing. */
    void cancel();
    bool isRunning() const { return m_running; }
    /** The workers: the run, and the score field (tests count their jobs). */
    const JobRunner& runner() const { return m_runner; }
    const JobRunner& fieldRunner() const { return m_fieldRunner; }

    /** The current run's recording (null before the first run). Safe to read while it grows. */
    std::shared_ptr<const Trajectory> trajectory() const;
    const SamplingParams& params() const { return m_params; }
    int totalSteps() const;
    int recordedSteps() const;
    /** The timestep t (1..T) of each step of the current run. */
    QVector<long> timesteps() const;
    /** Summaries of steps from..recorded-1 of the current run (thread-safe copy). */
    QVector<StepSummary> summaries(int from = 0) const;
    /** Writes the recorded steps for torch.load (Trajectory::save); throws with a readable message. */
    void saveTrajectory(const QString& path) const;
    /** Bytes the current recording holds. */
    qint64 trajectoryBytes() const;
    /** Seconds the current (or last) run has taken so far. */
    double elapsedSeconds() const;

    /** Minimum time between two stepsAvailable signals (the first and last step are always reported). */
    void setThrottleMs(int ms) { m_throttleMs = ms; }

    /**
     * Most bytes one run's recording may hold (default: a quarter of the memory limit of core/resources.h, at
     * most 2 GiB). A larger run still samples its whole batch, but records only its first samples for
     * scrubbing, and says so with notice(). 0 restores the default.
     */
    void setRecordingBudget(double bytes) { m_recordingBudget = bytes; }
    double recordingBudget() const;
    /** How many samples of the current run are recorded (the batch, unless the budget capped it). */
    int recordedBatch() const;

    /**
     * The model's score -eps_theta(x, t) / sqrt(1 - abar_t) on an n x n grid over `range` (2-D models),
     * computed on the field worker (beside a run under way: the model lock takes turns). Only the latest
     * request is served.
     */
    void requestField(const ModelHandle& model, long t, const QRectF& range, int n = 21);
    /**
     * The same with classifier-free guidance toward classIndex (>= 0) at scale w: the learned guided score
     * (1 - w) s(x) + w s(x | c) and, with labelled exact data, the exact guided score beside it.
     */
    void requestGuidedField(const ModelHandle& model, long t, const QRectF& range, int classIndex, double guidance,
                            int n = 21);

Q_SIGNALS:
    void started(int totalSteps);
    void stepsAvailable(int recorded);
    void progress(int done, int total);
    void finished(double seconds);
    void cancelled(int recorded);
    void failed(const QString& message);
    /** Something the user should know about the run that is not an error (the recording was capped). */
    void notice(const QString& message);
    /** The model's score and (when the model has exact data) the exact score at the same origins. */
    void fieldReady(long t, const QVector<QPointF>& origins, const QVector<QPointF>& vectors,
                    const QVector<QPointF>& exactVectors);

private:
    struct Job;
    void onRecorded(int recorded);
    void onEnded(int job, JobOutcome outcome, const QString& message);
    void startField();

    std::shared_ptr<Job> m_job;
    SamplingParams m_params;
    int m_throttleMs = 30;
    double m_recordingBudget = 0;
    bool m_running = false;
    std::shared_ptr<const FieldRequest> m_fieldPending; ///< the latest field asked for, not started yet
    // Last, so they are destroyed (cancelled, waited for) first, while what their jobs use is still there.
    JobRunner m_runner{QStringLiteral("difflens sampler")};
    JobRunner m_fieldRunner{QStringLiteral("difflens field")};
};

} // namespace difflens::gui
