#pragma once
// The one shape of every long job in the app (sampling, the score field, training, the variational bound,
// the steps-versus-quality sweep, export): a body runs on the runner's worker thread with a JobContext
// (progress, an atomic cancel checked between steps, the model behind the shared lock); every exception
// becomes one failure message; each start() ends in exactly one finished(job, ok | cancelled | failed,
// message), also when a later start() supersedes it or the runner is destroyed before the event loop
// delivers it (then nothing is emitted, since no one can listen). The body may hand back a completion that
// runs on the runner's thread just before finished(ok): that is how a job delivers its Result.
//
// Jobs of one runner run one after another on its thread (a new start() cancels the current one and queues
// behind it). Jobs of different runners run concurrently; the model they share is guarded by the runner:
// JobContext::model() is the model's denoiser behind its forward mutex, and lockModel() holds that mutex for
// a block of calls (core/denoiser.h: a Denoiser need only be usable from one thread at a time).
#include "app/logic/model.h"

#include <QObject>
#include <QString>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>

namespace difflens {
class Denoiser;
}

namespace difflens::gui {

enum class JobOutcome
{
    Ok,
    Cancelled,
    Failed
};

class JobRunner;

/** One job's flags, shared by the runner (owner's thread) and the body (worker). */
struct JobState
{
    std::atomic_bool cancel{false};
    /** Set by JobContext::commit(): the job's effect is done (a file written), a late cancel cannot undo it. */
    std::atomic_bool committed{false};
};

/** What a job body sees on the worker thread. */
class JobContext
{
public:
    int id() const { return m_id; }
    bool isCancelled() const { return m_state->cancel.load(); }
    /** Throws Cancelled (core/errors.h) when cancel was asked for: call it between steps. */
    void checkCancelled() const;
    /** The flag itself, for core loops that take an `const std::atomic_bool*`. */
    const std::atomic_bool* cancelFlag() const { return &m_state->cancel; }
    /**
     * Marks what the job did as done for good (a package or a file written): from here a cancel that arrives
     * before the report no longer turns it into "cancelled". Without it, a cancel asked for at any time
     * before the owner handles the report wins and the result is dropped.
     */
    void commit() const { m_state->committed.store(true); }
    /** Reports progress; the runner emits progress(done, total) if this is still its current job. */
    void progress(int done, int total) const;
    /** Runs f on the runner's thread if this job is still the current one when it gets there. */
    void post(std::function<void()> f) const;
    /** The model the job was started with (null when none). */
    const ModelHandle& modelHandle() const { return m_model; }
    /**
     * The model's denoiser behind the shared forward lock: one forward at a time across every job that uses
     * the same model. Valid while the job runs. Throws Error when the job has no model.
     */
    std::shared_ptr<Denoiser> model() const;
    /**
     * Holds the model's forward lock for a block of work on the raw runtime. The lock is not recursive:
     * never call model()->forward while holding it (use the runtime's denoiser directly).
     */
    std::unique_lock<std::mutex> lockModel() const;

private:
    friend class JobRunner;
    JobContext(JobRunner* runner, int id, std::shared_ptr<JobState> state, ModelHandle model)
        : m_runner(runner), m_id(id), m_state(std::move(state)), m_model(std::move(model))
    {
    }
    JobRunner* m_runner;
    int m_id;
    std::shared_ptr<JobState> m_state;
    ModelHandle m_model;
};

class JobRunner final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(JobRunner)

public:
    /** What a body hands back: run on the runner's thread before finished(ok), or empty. */
    using Completion = std::function<void()>;
    using Body = std::function<Completion(JobContext&)>;

    /** `name` names the worker thread (seen in debuggers and ThreadSanitizer reports; 15 characters). */
    explicit JobRunner(const QString& name, QObject* parent = nullptr);
    /** Cancels every job and waits for the worker: nothing runs after this. */
    ~JobRunner() override;

    /**
     * Queues `body` on the worker and returns its job id (> 0); the current job, if any, is cancelled first
     * and still gets its own finished(). `model`, when given, is what JobContext::model() serves and is kept
     * alive until the job ends.
     */
    int start(Body body, ModelHandle model = {});
    /**
     * Asks the current job to stop at its next check; its finished(cancelled) follows, also when the job had
     * already ended but its report was not handled yet (unless it committed: JobContext::commit()).
     */
    void cancel();
    bool isRunning() const { return m_pending > 0; }
    /** The id of the latest start() (0 before the first). */
    int currentJob() const { return m_current; }
    /** Jobs started and not yet finished (queued ones included). */
    int pendingJobs() const { return m_pending; }

Q_SIGNALS:
    void started(int job);
    void progress(int done, int total);
    /** Exactly once per start(), in start order. message: why it failed ("" otherwise). */
    void finished(int job, difflens::gui::JobOutcome outcome, const QString& message);

private:
    friend class JobContext;
    class Mailbox;
    void postToOwner(int job, std::function<void()> f, bool onlyIfCurrent);
    void execute(int job, const Body& body, const std::shared_ptr<JobState>& state, const ModelHandle& model);
    void onEnded(int job, JobOutcome outcome, QString message, Completion done, const std::shared_ptr<JobState>& state);

    class Worker;
    std::unique_ptr<Worker> m_worker; // a std::thread running the jobs in order
    Mailbox* m_toOwner = nullptr;     // a child, in the owner's thread: runs the reports
    std::shared_ptr<JobState> m_state; ///< of the latest start()
    int m_current = 0;
    int m_pending = 0;
};

} // namespace difflens::gui

Q_DECLARE_METATYPE(difflens::gui::JobOutcome)
