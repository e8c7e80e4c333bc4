#include "app/logic/sweep_job.h"

#include "app/logic/app_paths.h"
#include "core/errors.h"
#include "core/runtime.h"
#include "models/nfe_sweep.h"

#include <QDir>
#include <QFileInfo>
#include <QPointer>
#include <QThread>

#include <filesystem>

namespace difflens::gui {

namespace {

/** The Fashion-MNIST classifier beside the package, else in the catalogue's pretrained folders. */
std::string classifierFor(const ModelPackage& pkg)
{
    namespace fs = std::filesystem;
    const fs::path beside = fs::path(pkg.root) / ".." / "classifier" / "fashion_classifier.pt";
    if (!pkg.root.empty() && fs::exists(beside)) return beside.string();
    for (const QString& dir : pretrainedDirs()) {
        const QString path = QDir(dir).filePath(QStringLiteral("classifier/fashion_classifier.pt"));
        if (QFileInfo::exists(path)) return path.toStdString();
    }
    throw ModelError("the Fashion-MNIST classifier (models/pretrained/classifier) that judges images is not there");
}

SweepResult toResult(const NfeSweepResult& r)
{
    SweepResult out;
    out.model = QString::fromStdString(r.model);
    out.dataset = QString::fromStdString(r.dataset);
    out.metric = QString::fromStdString(r.metric);
    out.samples = r.numSamples;
    out.floor = r.floor;
    out.note = QString::fromStdString(r.note);
    for (const auto& row : r.rows) {
        SweepCurveData c;
        c.denoiser = QString::fromStdString(row.denoiser);
        c.sampler = QString::fromStdString(row.sampler);
        c.exact = row.exact;
        for (size_t k = 0; k < r.nfes.size(); ++k) {
            c.nfe << r.nfes[k];
            c.value << row.value[k];
            c.calls << row.modelCalls[k];
            c.notes << QString::fromStdString(row.notes[k]);
        }
        out.curves << c;
    }
    return out;
}

} // namespace

SweepJob::SweepJob(QObject* parent) : QObject(parent)
{
    qRegisterMetaType<SweepResult>();
}

SweepJob::~SweepJob()
{
    if (m_cancel) m_cancel->store(true);
    if (m_thread) {
        m_thread->wait();
        delete m_thread;
    }
}

void SweepJob::reap()
{
    if (!m_thread) return;
    m_thread->wait();
    delete m_thread;
    m_thread = nullptr;
}

void SweepJob::cancel()
{
    if (m_cancel) m_cancel->store(true);
}

void SweepJob::start(const SweepParams& p)
{
    cancel();
    reap();
    m_cancel = std::make_shared<std::atomic_bool>(false);
    const int job = ++m_job;
    QPointer<SweepJob> self(this);
    auto cancelFlag = m_cancel;
    m_thread = QThread::create([self, job, cancelFlag, p] {
        NfeSweepOptions o;
        o.model = p.model.toStdString();
        for (int n : p.nfes) o.nfes.push_back(n);
        for (const QString& s : p.samplers) o.samplers.push_back(s.toStdString());
        o.numSamples = p.samples;
        o.seed = p.seed;
        o.exactRows = p.exactRows;
        o.classifierPath = classifierFor;
        bool ok = false, cancelled = false;
        QString message;
        SweepResult result;
        try {
            o.device = resolveDevice(p.device.toStdString());
            const auto progress = [self, job](int done, int total) {
                QMetaObject::invokeMethod(
                    self, [self, job, done, total] {
                        if (self && self->m_job == job) Q_EMIT self->progress(done, total);
                    },
                    Qt::QueuedConnection);
            };
            result = toResult(runNfeSweep(o, progress, cancelFlag.get()));
            ok = true;
        } catch (const Cancelled&) {
            cancelled = true;
        } catch (const std::exception& e) {
            message = QString::fromStdString(describeException(e));
        } catch (...) {
            message = QStringLiteral("the sweep failed for an unknown reason");
        }
        QMetaObject::invokeMethod(
            self, [self, job, ok, cancelled, message, result] {
                if (!self) return;
                if (self->m_job == job) self->reap();
                Q_EMIT self->finished(ok, cancelled, message, result);
            },
            Qt::QueuedConnection);
    });
    m_thread->start();
}

} // namespace difflens::gui
