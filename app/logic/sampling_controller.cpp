#include "app/logic/sampling_controller.h"

#include "app/logic/model_runtime.h"
#include "core/denoiser.h"
#include "core/guidance.h"
#include "core/diffusion.h"
#include "core/errors.h"
#include "core/resources.h"
#include "core/sampler.h"
#include "core/trajectory.h"

#include <torch/torch.h>

#include <QScopeGuard>


#include <atomic>
#include <chrono>
#include <cmath>
#include <mutex>
#include <optional>

namespace difflens::gui {

namespace {

using Clock = std::chrono::steady_clock;

/** Above this many stored values (states + outputs, float32) the trajectory keeps float16: half the memory.
 */
constexpr double kFloat16Threshold = 16.0e6;

/** The first n samples of a step record: what a capped recording keeps. */
StepRecord firstSamples(const StepRecord& r, int64_t n)
{
    StepRecord out = r;
    for (torch::Tensor* t :
         {&out.xt, &out.rawOutput, &out.modelOutput, &out.modelLogVariance, &out.eps, &out.x0Pred,
          &out.meanModel, &out.xPrev, &out.posteriorMean, &out.kl, &out.meanGap})
        if (t->defined() && t->dim() > 0 && t->size(0) > n) *t = t->narrow(0, 0, n);
    return out;
}

} // namespace

struct SamplingController::Job
{
    int id = 0;
    SamplingParams params;
    std::shared_ptr<const ReverseProcess> process;
    std::shared_ptr<Trajectory> trajectory;
    torch::Tensor reference;
    Clock::time_point begin = Clock::now();
    std::atomic<double> seconds{0.0};
    int64_t recordBatch = 0; // samples kept in the trajectory (the first ones of the batch)
    QString note;            // why fewer were kept, for notice()

    mutable std::mutex mutex;
    QVector<StepSummary> summaries;
};

struct FieldRequest
{
    ModelHandle model;
    long t = 1;
    QRectF range;
    int n = 21;
    int classIndex = -1; // >= 0: the guided field toward this class
    double guidance = 1.0;
};

namespace {

StepSummary summarise(const StepRecord& r, const ModelInfo& info, double seconds)
{
    StepSummary s;
    s.t = r.paperT();
    s.seconds = seconds;
    if (r.kl.defined() && !r.klIsDecoderNll) s.meanKl = r.kl.mean().item<double>();
    if (r.meanGap.defined()) s.meanGap = r.meanGap.mean().item<double>();
    if (!info.isImage) {
        const auto xt = r.xt.detach().to(torch::kCPU, torch::kFloat32).contiguous();
        const int64_t n = std::min<int64_t>(xt.size(0), kTrackedSamples);
        const auto acc = xt.accessor<float, 2>();
        for (int64_t j = 0; j < n; ++j)
            s.tracked.push_back(QPointF(acc[j][0], info.dim == 2 ? acc[j][1] : 0.0));
        if (info.dim == 1) {
            const auto h = torch::histc(xt.flatten(), kHistogramBins, info.low, info.high)
                               .to(torch::kFloat64)
                               .contiguous();
            s.histogram = QVector<double>(h.data_ptr<double>(), h.data_ptr<double>() + h.numel());
        }
    }
    return s;
}

/** The model's score on a grid; runs on the field worker, calling the model through `model` (the shared lock). */
void computeField(const FieldRequest& f, const std::shared_ptr<Denoiser>& model, QVector<QPointF>& origins,
                  QVector<QPointF>& vectors, QVector<QPointF>& exactVectors)
{
    c10::InferenceMode guard;
    const ModelInfo& info = f.model->info;
    auto& rt = *f.model->runtime;
    const int n = std::max(2, f.n);
    std::vector<float> grid;
    grid.reserve(static_cast<size_t>(n) * n * 2);
    for (int iy = 0; iy < n; ++iy)
        for (int ix = 0; ix < n; ++ix) {
            const double x = f.range.left() + (ix + 0.5) * f.range.width() / n;
            const double y = f.range.top() + (iy + 0.5) * f.range.height() / n;
            grid.push_back(static_cast<float>(x));
            grid.push_back(static_cast<float>(y));
            origins.push_back(QPointF(x, y));
        }
    const long k = std::clamp<long>(f.t - 1, 0, info.T() - 1);
    const auto x =
        torch::from_blob(grid.data(), {static_cast<int64_t>(n) * n, 2}, torch::kFloat32).to(rt.device);
    if (info.scheduler.isFlow()) {
        // Flow models: the velocity field. The model's u_theta at t = (k + 1) / T (model time sigma T = k + 1), and
        // the exact marginal u_t(x) = E[eps - x_0 | x_t = x] of the data beside it (core/MATH.md, "Gaussian paths").
        const PathPoint pt = ProbabilityPath::flowPoint(static_cast<double>(k + 1) / info.T());
        const auto tf = torch::full({x.size(0)}, static_cast<float>(k + 1),
                                    torch::TensorOptions().dtype(torch::kFloat32).device(rt.device));
        const auto u = model->forward(x, tf)
                           .to(torch::kCPU, torch::kFloat32)
                           .contiguous();
        const auto ua = u.accessor<float, 2>();
        for (int64_t i = 0; i < ua.size(0); ++i) vectors.push_back(QPointF(ua[i][0], ua[i][1]));
        if (rt.exactData) {
            const auto e = rt.exactData->velocity(x.to(torch::kCPU), pt).to(torch::kFloat32).contiguous();
            const auto ea = e.accessor<float, 2>();
            for (int64_t i = 0; i < ea.size(0); ++i) exactVectors.push_back(QPointF(ea[i][0], ea[i][1]));
        }
        return;
    }
    const auto t = torch::full({x.size(0)}, k, torch::TensorOptions().dtype(torch::kInt64).device(rt.device));
    const bool guided = f.classIndex >= 0 && model->numClasses() > f.classIndex;
    auto out = guided ? GuidedDenoiser(model, f.classIndex, f.guidance).forward(x, t) : model->forward(x, t);
    if (out.dim() == 2 && out.size(1) == 4) out = out.slice(1, 0, 2); // learned variance: the prediction part
    const NoiseSchedule schedule = NoiseSchedule::fromConfig(info.scheduler);
    const double abar = schedule.alphaBars()[static_cast<size_t>(k)];
    const auto eps =
        diffusion::fromModelOutput(parsePrediction(info.scheduler.predictionType), x, out, abar).eps;
    // Score of the model's marginal: grad log p_t(x) = -eps_theta / sqrt(1 - abar_t) (core/MATH.md).
    const auto score = (-eps / std::sqrt(1.0 - abar)).to(torch::kCPU, torch::kFloat32).contiguous();
    const auto acc = score.accessor<float, 2>();
    for (int64_t i = 0; i < acc.size(0); ++i)
        vectors.push_back(QPointF(acc[i][0], acc[i][1]));
    if (guided && rt.exactConditional) {
        // The exact guided score (1 - w) grad log q_t(x) + w grad log q_t(x | c) (core/MATH.md, "Guidance").
        const auto xc = x.to(torch::kCPU);
        const auto exact = ((1.0 - f.guidance) * rt.exactConditional->all()->score(xc, abar) +
                            f.guidance * rt.exactConditional->ofClass(f.classIndex).score(xc, abar))
                               .to(torch::kFloat32)
                               .contiguous();
        const auto e = exact.accessor<float, 2>();
        for (int64_t i = 0; i < e.size(0); ++i)
            exactVectors.push_back(QPointF(e[i][0], e[i][1]));
    } else if (rt.exactData && !guided) {
        // The score of the data itself, grad log q_t = -eps* / sqrt(1 - abar_t): what the model learns.
        const auto exact = rt.exactData->score(x.to(torch::kCPU), abar).to(torch::kFloat32).contiguous();
        const auto e = exact.accessor<float, 2>();
        for (int64_t i = 0; i < e.size(0); ++i)
            exactVectors.push_back(QPointF(e[i][0], e[i][1]));
    }
}

} // namespace

QList<QPair<QString, QString>> samplerChoices(const SchedulerConfig& scheduler)
{
    QList<QPair<QString, QString>> out;
    const PathKind path = scheduler.isFlow() ? PathKind::Flow : PathKind::Vp;
    for (const auto& name : samplerNames()) {
        const SamplerKind k = parseSamplerKind(name);
        if (!samplerServesPath(k, path)) continue;
        QString label = QString::fromStdString(samplerLabel(k));
        if (const int order = solverOrderOfName(name); order > 0) label = QStringLiteral("DPM-Solver++ %1M").arg(order);
        if (path == PathKind::Vp && (k == SamplerKind::Euler || k == SamplerKind::Heun))
            label = k == SamplerKind::Euler ? QStringLiteral("Euler (diffusers)") : QStringLiteral("Heun (diffusers)");
        out.append({QString::fromStdString(name), label});
    }
    return out;
}

SamplingController::SamplingController(QObject* parent) : QObject(parent)
{
    connect(&m_runner, &JobRunner::finished, this, &SamplingController::onEnded);
    // The field is decoration: a model that fails here fails the run too, with its message. When one ends,
    // the latest request made meanwhile starts.
    connect(&m_fieldRunner, &JobRunner::finished, this, [this](int, JobOutcome, const QString&) { startField(); });
}

SamplingController::~SamplingController() = default;

void SamplingController::start(const SamplingParams& params)
{
    auto job = std::make_shared<Job>();
    job->params = params;
    m_params = params;
    m_job = job;
    m_running = true;

    QString error;
    try {
        if (!params.model) throw Error("no model is loaded");
        const ModelInfo& info = params.model->info;
        if (params.batch < 1) throw ConfigError("the batch size must be at least 1");
        if (params.classIndex >= 0) validateGuidance(info.numClasses, params.classIndex, params.guidance);
        const std::string samplerName = params.sampler.toLower().toStdString();
        SamplerSettings settings;
        settings.kind = parseSamplerKind(samplerName);
        if (params.fromReference && !params.reference.isValid())
            throw DataError(
                "denoising from t0 starts at the reference x0: choose one first (a dataset item, a file, "
                "a drawing, or click a data point)");
        const long startT = params.fromReference ? std::clamp(params.t0, 1, info.T()) - 1 : -1;
        settings.steps = std::max(0, params.steps);
        settings.eta = params.eta;
        settings.startT = startT;
        settings.sdeNoise = params.sdeNoise;
        settings.clippedModelOutput = params.clippedEps && settings.kind == SamplerKind::Ddim;
        settings.solverOrder = solverOrderOfName(samplerName);
        job->process = std::make_shared<ReverseProcess>(info.scheduler, settings);
        job->reference = referenceTensor(info, params.reference);
        const double stored =
            2.0 * static_cast<double>(params.batch) * info.numel() * (job->process->stepCount() + 1);
        const auto storage = stored > kFloat16Threshold ? torch::kFloat16 : torch::kFloat32;
        // The whole batch is sampled (refused when even that does not fit); the recording is capped.
        const double numel = static_cast<double>(info.numel());
        checkMemory("sampling " + std::to_string(params.batch) + " samples",
                    samplingBytes(params.batch, numel));
        const int steps = job->process->stepCount();
        const double outputs = info.scheduler.variance() == VarianceType::LearnedRange ? 2 * numel : numel;
        const double perSample =
            difflens::trajectoryBytes(steps, 1, numel, outputs, storage == torch::kFloat16 ? 2 : 4);
        const double budget = recordingBudget();
        job->recordBatch = params.batch;
        if (perSample * params.batch > budget) {
            job->recordBatch = std::max<int64_t>(1, static_cast<int64_t>(budget / perSample));
            job->note =
                tr("Recording the first %1 of %2 samples for scrubbing: all %2 over %3 steps would take "
                   "%4, more than the %5 a run may keep. The summaries cover the whole batch.")
                    .arg(job->recordBatch)
                    .arg(params.batch)
                    .arg(steps)
                    .arg(QString::fromStdString(formatBytes(perSample * params.batch)))
                    .arg(QString::fromStdString(formatBytes(budget)));
        }
        job->trajectory = std::make_shared<Trajectory>(job->process, job->reference, info.isImage, storage);
    } catch (const std::exception& e) {
        error = QString::fromStdString(describeException(e));
    }
    if (!error.isEmpty()) {
        job->trajectory.reset();
        job->id = m_runner.start([error](JobContext&) -> JobRunner::Completion { throw Error(error.toStdString()); });
        return;
    }

    Q_EMIT started(job->process->stepCount());
    if (!job->note.isEmpty()) Q_EMIT notice(job->note);
    const int throttleMs = m_throttleMs;
    job->id = m_runner.start(
        [this, job, throttleMs](JobContext& ctx) -> JobRunner::Completion {
            // Runs on the worker thread.
            const ModelInfo& info = job->params.model->info;
            auto& rt = *job->params.model->runtime;
            job->begin = Clock::now();
            auto lastReport = Clock::time_point::min();
            auto lastStep = job->begin;
            // Whatever ends the run, its seconds are set before the runner reports it.
            const auto ended = qScopeGuard([&job] {
                job->seconds.store(std::chrono::duration<double>(Clock::now() - job->begin).count());
            });
            SamplerOptions o;
            o.seed = job->params.seed;
            o.batch = job->params.batch;
            o.sampleShape = info.shape;
            o.reference = job->reference;
            o.noiseReference = job->params.fromReference;
            o.discreteData = info.isImage;
            o.device = rt.device;
            const int count = job->process->stepCount();
            // A class: classifier-free guidance around the model (guidance.h), in its own output space.
            std::shared_ptr<Denoiser> model = ctx.model();
            if (job->params.classIndex >= 0)
                model = std::make_shared<GuidedDenoiser>(model, job->params.classIndex, job->params.guidance);
            runSampler(
                *model, *job->process, o,
                [&](const StepRecord& r) {
                    if (job->recordBatch < job->params.batch)
                        job->trajectory->record(firstSamples(r, job->recordBatch));
                    else
                        job->trajectory->record(r);
                    const auto now = Clock::now();
                    StepSummary s = summarise(r, info, std::chrono::duration<double>(now - lastStep).count());
                    lastStep = now;
                    {
                        std::lock_guard<std::mutex> lock(job->mutex);
                        job->summaries.push_back(std::move(s));
                    }
                    job->seconds.store(std::chrono::duration<double>(now - job->begin).count());
                    const int recorded = r.index + 1;
                    if (recorded == 1 || recorded == count ||
                        now - lastReport >= std::chrono::milliseconds(throttleMs)) {
                        lastReport = now;
                        ctx.post([this, recorded] { onRecorded(recorded); });
                    }
                },
                ctx.cancelFlag());
            return nullptr; // the recording is the result; a cancelled run keeps what it recorded
        },
        job->params.model);
}

double SamplingController::recordingBudget() const
{
    return m_recordingBudget > 0 ? m_recordingBudget
                                 : std::min(memoryLimitBytes() / 4.0, 2.0 * 1024 * 1024 * 1024);
}

int SamplingController::recordedBatch() const
{
    return m_job ? static_cast<int>(m_job->recordBatch) : 0;
}

void SamplingController::onRecorded(int recorded)
{
    if (!m_job) return;
    Q_EMIT stepsAvailable(recorded);
    Q_EMIT progress(recorded, totalSteps());
}

void SamplingController::onEnded(int job, JobOutcome outcome, const QString& message)
{
    if (!m_job || job != m_job->id) return; // a superseded run: its successor reports
    m_running = false;
    const int recorded = recordedSteps();
    if (outcome != JobOutcome::Failed && recorded > 0) {
        Q_EMIT stepsAvailable(recorded);
        Q_EMIT progress(recorded, totalSteps());
    }
    if (outcome == JobOutcome::Ok)
        Q_EMIT finished(m_job->seconds.load());
    else if (outcome == JobOutcome::Cancelled)
        Q_EMIT cancelled(recorded);
    else
        Q_EMIT failed(message);
}

void SamplingController::cancel()
{
    m_runner.cancel();
}

std::shared_ptr<const Trajectory> SamplingController::trajectory() const
{
    return m_job ? m_job->trajectory : nullptr;
}

int SamplingController::totalSteps() const
{
    return m_job && m_job->process ? m_job->process->stepCount() : 0;
}

int SamplingController::recordedSteps() const
{
    return m_job && m_job->trajectory ? m_job->trajectory->recordedSteps() : 0;
}

QVector<long> SamplingController::timesteps() const
{
    QVector<long> t;
    if (!m_job || !m_job->process) return t;
    for (long k : m_job->process->timesteps())
        t.push_back(k + 1);
    return t;
}

QVector<StepSummary> SamplingController::summaries(int from) const
{
    if (!m_job) return {};
    std::lock_guard<std::mutex> lock(m_job->mutex);
    from = std::clamp(from, 0, static_cast<int>(m_job->summaries.size()));
    return m_job->summaries.mid(from);
}

void SamplingController::saveTrajectory(const QString& path) const
{
    if (!m_job || !m_job->trajectory) throw Error("there is no run to save: sample first");
    m_job->trajectory->save(path.toStdString());
}

qint64 SamplingController::trajectoryBytes() const
{
    return m_job && m_job->trajectory ? static_cast<qint64>(m_job->trajectory->bytes()) : 0;
}

double SamplingController::elapsedSeconds() const
{
    return m_job ? m_job->seconds.load() : 0.0;
}

void SamplingController::requestField(const ModelHandle& model, long t, const QRectF& range, int n)
{
    requestGuidedField(model, t, range, -1, 1.0, n);
}

void SamplingController::requestGuidedField(const ModelHandle& model, long t, const QRectF& range, int classIndex,
                                            double guidance, int n)
{
    if (!model || model->info.isImage || model->info.dim != 2) return;
    // One field in flight; of the requests made meanwhile only the latest is kept, and started when that one
    // is delivered. (Superseding the one in flight instead would starve the field while the timeline is
    // dragged faster than one field takes.)
    m_fieldPending = std::make_shared<FieldRequest>(FieldRequest{model, t, range, n, classIndex, guidance});
    if (!m_fieldRunner.isRunning()) startField();
}

void SamplingController::startField()
{
    if (!m_fieldPending) return;
    const std::shared_ptr<const FieldRequest> f = std::move(m_fieldPending);
    m_fieldPending.reset();
    m_fieldRunner.start(
        [this, f](JobContext& ctx) -> JobRunner::Completion {
            QVector<QPointF> origins, vectors, exactVectors;
            computeField(*f, ctx.model(), origins, vectors, exactVectors);
            const long t = f->t;
            return [this, t, origins, vectors, exactVectors] { Q_EMIT fieldReady(t, origins, vectors, exactVectors); };
        },
        f->model);
}

} // namespace difflens::gui
