#include "app/logic/sweep_job.h"

#include "app/logic/app_paths.h"
#include "core/errors.h"
#include "core/runtime.h"
#include "models/nfe_sweep.h"

#include <QDir>
#include <QFileInfo>

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
    connect(&m_runner, &JobRunner::progress, this, &SweepJob::progress);
    connect(&m_runner, &JobRunner::finished, this, [this](int, JobOutcome outcome, const QString& message) {
        // Every start ends here once; Ok already delivered its result through the completion.
        if (outcome != JobOutcome::Ok) Q_EMIT finished(false, outcome == JobOutcome::Cancelled, message, {});
    });
}

SweepJob::~SweepJob() = default;

void SweepJob::start(const SweepParams& p)
{
    m_runner.start([this, p](JobContext& ctx) -> JobRunner::Completion {
        NfeSweepOptions o;
        o.model = p.model.toStdString();
        for (int n : p.nfes) o.nfes.push_back(n);
        for (const QString& s : p.samplers) o.samplers.push_back(s.toStdString());
        o.numSamples = p.samples;
        o.seed = p.seed;
        o.exactRows = p.exactRows;
        o.classifierPath = classifierFor;
        o.device = resolveDevice(p.device.toStdString());
        SweepResult result =
            toResult(runNfeSweep(o, [&ctx](int done, int total) { ctx.progress(done, total); }, ctx.cancelFlag()));
        return [this, result] { Q_EMIT finished(true, false, QString(), result); };
    });
}

} // namespace difflens::gui
