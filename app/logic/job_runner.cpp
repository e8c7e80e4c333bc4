#include "app/logic/job_runner.h"

#include "app/logic/model_runtime.h"
#include "core/denoiser.h"
#include "core/errors.h"

#include <QMetaObject>

#include <deque>

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
    m_thread.setObjectName(name);
    m_toOwner = new Mailbox(this);
    m_toWorker = new Mailbox;
    m_toWorker->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_toWorker, &QObject::deleteLater);
    m_thread.start();
}

JobRunner::~JobRunner()
{
    if (m_cancel) m_cancel->store(true);
    m_thread.requestInterruption();
    m_thread.quit();
    m_thread.wait();
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
    if (m_cancel) m_cancel->store(true); // the current job stops at its next check and reports cancelled
    auto cancel = std::make_shared<std::atomic_bool>(false);
    m_cancel = cancel;
    const int job = ++m_current;
    ++m_pending;
    Q_EMIT started(job);
    m_toWorker->post(
        [this, job, body = std::move(body), cancel, model = std::move(model)] { execute(job, body, cancel, model); });
    return job;
}

void JobRunner::cancel()
{
    if (m_cancel) m_cancel->store(true);
}

void JobRunner::execute(int job, const Body& body, const std::shared_ptr<std::atomic_bool>& cancel,
                        const ModelHandle& model)
{
    // Worker thread.
    JobOutcome outcome = JobOutcome::Ok;
    QString message;
    Completion done;
    if (cancel->load() || m_thread.isInterruptionRequested()) {
        outcome = JobOutcome::Cancelled; // superseded before it began
    } else {
        try {
            JobContext context(this, job, cancel, model);
            done = body(context);
            if (cancel->load()) outcome = JobOutcome::Cancelled;
        } catch (const Cancelled&) {
            outcome = JobOutcome::Cancelled;
        } catch (...) {
            outcome = JobOutcome::Failed;
            message = jobFailureMessage(std::current_exception());
        }
    }
    if (outcome != JobOutcome::Ok) done = nullptr;
    postToOwner(
        job, [this, job, outcome, message, done] { onEnded(job, outcome, message, done); }, false);
}

void JobRunner::onEnded(int job, JobOutcome outcome, QString message, const Completion& done)
{
    // Owner's thread.
    --m_pending;
    if (done && job == m_current) {
        try {
            done();
        } catch (...) {
            outcome = JobOutcome::Failed;
            message = jobFailureMessage(std::current_exception());
        }
    } else if (outcome == JobOutcome::Ok && job != m_current) {
        outcome = JobOutcome::Cancelled; // finished, but a later start() superseded it: its result is not used
    }
    Q_EMIT finished(job, outcome, message);
}

} // namespace difflens::gui

#include "job_runner.moc"
