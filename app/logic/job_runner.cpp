#include "app/logic/job_runner.h"

#include "app/logic/model_runtime.h"
#include "core/denoiser.h"
#include "core/errors.h"

#include <QMetaObject>

#include <condition_variable>
#include <deque>
#include <thread>

#include <pthread.h>

namespace difflens::gui {

/**
 * Runs the closures posted to it on its own thread, one per call, in order. The closures travel through a
 * std::mutex-guarded queue; what goes through Qt's event queue is a call of runOne() by name, whose event
 * Qt allocates and reads itself. So every hand-over of our data between the threads is one ThreadSanitizer
 * sees (Qt is not instrumented, and its locking is invisible to it: a lambda posted with
 * QMetaObject::invokeMethod, or a QEvent we allocate and read, crosses threads unseen and is reported as a race).
 */
class JobRunner::Mailbox final : public QObject
{
    Q_OBJECT

public:
    using QObject::QObject;
    void post(std::function<void()> f)
    {
        {
            std::lock_guard<std::mutex> lock(m_mutex);
            m_queue.push_back(std::move(f));
        }
        QMetaObject::invokeMethod(this, "runOne", Qt::QueuedConnection);
    }

    Q_INVOKABLE void runOne()
    {
        std::function<void()> f;
        {
            std::lock_guard<std::mutex> lock(m_mutex);
            if (m_queue.empty()) return;
            f = std::move(m_queue.front());
            m_queue.pop_front();
        }
        f();
    }

private:
    std::mutex m_mutex;
    std::deque<std::function<void()>> m_queue;
};

/**
 * The jobs' thread: a plain std::thread with a std::mutex / condition-variable queue (no Qt event loop runs
 * here, and nothing the jobs do needs one), so ThreadSanitizer sees its start, every hand-over and its join.
 */
class JobRunner::Worker
{
public:
    explicit Worker(const QString& name)
    {
        m_thread = std::thread([this, name = name.left(15).toStdString()] {
            pthread_setname_np(pthread_self(), name.c_str());
            run();
        });
    }
    /** Stops taking tasks (the queued ones are dropped) and joins the thread. */
    ~Worker()
    {
        {
            std::lock_guard<std::mutex> lock(m_mutex);
            m_stopping = true;
            m_queue.clear();
        }
        m_wake.notify_all();
        m_thread.join();
    }
    void post(std::function<void()> f)
    {
        {
            std::lock_guard<std::mutex> lock(m_mutex);
            m_queue.push_back(std::move(f));
        }
        m_wake.notify_one();
    }

private:
    void run()
    {
        for (;;) {
            std::function<void()> f;
            {
                std::unique_lock<std::mutex> lock(m_mutex);
                m_wake.wait(lock, [this] { return m_stopping || !m_queue.empty(); });
                if (m_stopping) return;
                f = std::move(m_queue.front());
                m_queue.pop_front();
            }
            f();
        }
    }

    std::mutex m_mutex;
    std::condition_variable m_wake;
    std::deque<std::function<void()>> m_queue;
    bool m_stopping = false;
    std::thread m_thread;
};

namespace {

/** Turns an exception into the one sentence a failed job reports. */
QString jobFailureMessage(std::exception_ptr error)
{
    try {
        std::rethrow_exception(error);
    } catch (const std::exception& e) {
        return QString::fromStdString(describeException(e));
    } catch (...) {
        return QStringLiteral("the job stopped with an unknown error");
    }
}

} // namespace

void JobContext::checkCancelled() const
{
    if (isCancelled()) throw Cancelled();
}

void JobContext::progress(int done, int total) const
{
    JobRunner* runner = m_runner;
    m_runner->postToOwner(m_id, [runner, done, total] { Q_EMIT runner->progress(done, total); }, true);
}

void JobContext::post(std::function<void()> f) const
{
    m_runner->postToOwner(m_id, std::move(f), true);
}

std::shared_ptr<Denoiser> JobContext::model() const
{
    if (!m_model || !m_model->runtime || !m_model->runtime->loaded.denoiser) throw Error("no model is open");
    ModelRuntime& rt = *m_model->runtime;
    // The handle rides along in the deleter so the model outlives every copy of this pointer.
    auto* serialized = new SerializedDenoiser(*rt.loaded.denoiser, rt.forwardMutex);
    return std::shared_ptr<Denoiser>(serialized, [keep = m_model](Denoiser* d) { delete d; });
}

std::unique_lock<std::mutex> JobContext::lockModel() const
{
    if (!m_model || !m_model->runtime) throw Error("no model is open");
    return std::unique_lock<std::mutex>(m_model->runtime->forwardMutex);
}

JobRunner::JobRunner(const QString& name, QObject* parent) : QObject(parent)
{
    qRegisterMetaType<JobOutcome>();
    m_toOwner = new Mailbox(this);
    m_worker = std::make_unique<Worker>(name);
}

JobRunner::~JobRunner()
{
    if (m_state) m_state->cancel.store(true);
    // The latest job is cancelled above, every earlier one by the start() after it: the job under way stops
    // at its next check, and the worker drops the queued ones and joins.
    m_worker.reset();
    // Reports the worker posted and the event loop has not delivered die with m_toOwner (a child: QObject
    // removes its posted events); no one is left to hear them.
}

void JobRunner::postToOwner(int job, std::function<void()> f, bool onlyIfCurrent)
{
    // Worker thread. `this` outlives the worker (the destructor waits for it), and the closure runs only
    // while m_toOwner, a child of this, exists.
    m_toOwner->post([this, job, onlyIfCurrent, f = std::move(f)] {
        if (onlyIfCurrent && job != m_current) return;
        f();
    });
}

int JobRunner::start(Body body, ModelHandle model)
{
    if (m_state) m_state->cancel.store(true); // the current job stops at its next check and reports cancelled
    auto state = std::make_shared<JobState>();
    m_state = state;
    const int job = ++m_current;
    ++m_pending;
    Q_EMIT started(job);
    m_worker->post(
        [this, job, body = std::move(body), state, model = std::move(model)] { execute(job, body, state, model); });
    return job;
}

void JobRunner::cancel()
{
    if (m_state) m_state->cancel.store(true);
}

void JobRunner::execute(int job, const Body& body, const std::shared_ptr<JobState>& state, const ModelHandle& model)
{
    // Worker thread.
    JobOutcome outcome = JobOutcome::Ok;
    QString message;
    Completion done;
    if (state->cancel.load()) {
        outcome = JobOutcome::Cancelled; // superseded before it began
    } else {
        try {
            JobContext context(this, job, state, model);
            done = body(context);
            if (state->cancel.load() && !state->committed.load()) outcome = JobOutcome::Cancelled;
        } catch (const Cancelled&) {
            outcome = JobOutcome::Cancelled;
        } catch (...) {
            outcome = JobOutcome::Failed;
            message = jobFailureMessage(std::current_exception());
        }
    }
    if (outcome != JobOutcome::Ok) done = nullptr;
    postToOwner(
        job, [this, job, outcome, message, done, state] { onEnded(job, outcome, message, done, state); }, false);
}

void JobRunner::onEnded(int job, JobOutcome outcome, QString message, Completion done,
                        const std::shared_ptr<JobState>& state)
{
    // Owner's thread. Decided here, not on the worker: a cancel asked for after the body returned but before
    // this report is handled still wins, unless the job committed.
    --m_pending;
    if (outcome == JobOutcome::Ok && !state->committed.load() && (state->cancel.load() || job != m_current)) {
        outcome = JobOutcome::Cancelled;
        done = nullptr;
    }
    if (done && job == m_current) {
        try {
            done();
        } catch (...) {
            outcome = JobOutcome::Failed;
            message = jobFailureMessage(std::current_exception());
        }
    }
    // A committed job superseded by a later start() stays ok (its file is written) but delivers nothing.
    Q_EMIT finished(job, outcome, message);
}

} // namespace difflens::gui

#include "job_runner.moc"
