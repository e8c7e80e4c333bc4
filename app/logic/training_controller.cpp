#include "app/logic/training_controller.h"

#include "core/datasets.h"
#include "core/errors.h"
#include "core/runtime.h"
#include "core/trainer.h"
#include "models/nets.h"

#include <torch/torch.h>

#include <QDir>

#include <chrono>
#include <filesystem>

namespace difflens::gui {

TrainingController::TrainingController(QObject* parent) : QObject(parent)
{
    connect(&m_runner, &JobRunner::finished, this,
            [this](int job, JobOutcome outcome, const QString& message) {
                if (job != m_runner.currentJob()) return; // superseded by a later start()
                if (outcome == JobOutcome::Cancelled) Q_EMIT cancelled(m_stepReached ? m_stepReached->load() : 0);
                if (outcome == JobOutcome::Failed) Q_EMIT failed(message);
                // Ok: the completion emitted finished(packageDir, seconds).
            });
}

TrainingController::~TrainingController() = default;

QStringList TrainingController::pointDatasets()
{
    QStringList names;
    for (const auto& n : datasetNames())
        if (n.find("mnist") == std::string::npos) names << QString::fromStdString(n);
    return names;
}

QString TrainingController::freshPackageDir(const QString& parent, const QString& dataset)
{
    const QDir dir(parent);
    QString name = dataset + QStringLiteral("-mlp");
    for (int i = 2; dir.exists(name); ++i)
        name = QStringLiteral("%1-mlp-%2").arg(dataset).arg(i);
    return dir.filePath(name);
}

void TrainingController::start(const TrainingParams& params)
{
    auto reached = std::make_shared<std::atomic<qint64>>(0); // this job's step, for cancelled(step)
    m_stepReached = reached;
    m_runner.start([this, params, reached](JobContext& ctx) -> JobRunner::Completion {
        const auto begin = std::chrono::steady_clock::now();
        const torch::Device device = resolveDevice(params.device.toStdString());
        auto dataset = std::shared_ptr<const Dataset>(openDataset(params.dataset.toStdString()));
        const DataSpec spec = dataset->spec();
        if (spec.isImage())
            throw DataError("training in the app is for point datasets; train image models with "
                            "difflens-cli train");
        ModelPackage pkg;
        pkg.format = "builtin";
        const std::string dir = params.outputDir.toStdString();
        pkg.name = std::filesystem::path(dir).filename().string();
        pkg.description = "MLP trained in Diffusion Lens on " + params.dataset.toStdString();
        pkg.data = spec;
        pkg.data.dataset = params.dataset.toStdString();
        SchedulerConfig& sc = pkg.scheduler;
        sc.numTrainTimesteps = params.timesteps;
        sc.betaSchedule = params.betaSchedule.toStdString();
        sc.clipSample = false; // points live outside [-1, 1]
        sc.validate();
        MlpConfig mc;
        mc.dim = static_cast<int>(spec.shape[0]);
        mc.hidden = params.hidden;
        mc.blocks = params.blocks;
        mc.xSkip = true; // as the CLI's train: the per-time linear path from x_t (MlpConfig::xSkip)
        pkg.architecture = mc.toJson();
        TrainOptions opt;
        opt.steps = params.steps;
        opt.batch = params.batch;
        opt.lr = params.lr;
        opt.seed = params.seed;
        opt.emaDecay = 0.995;
        opt.warmupSteps = std::min<int64_t>(100, params.steps / 10);
        opt.checkpointEvery = 0;
        opt.logEvery = 5;
        pkg.training = {{"dataset", pkg.data.dataset}, {"batch", opt.batch}, {"lr", opt.lr},
                        {"steps", opt.steps},          {"seed", opt.seed},   {"ema_decay", opt.emaDecay},
                        {"trained_in", "difflens GUI"}};
        auto net = makeNet(pkg.architecture), ema = makeNet(pkg.architecture);
        Trainer trainer(net, ema, dataset, sc, opt, device);
        const bool done = trainer.run(
            [&](const TrainProgress& p) {
                reached->store(p.step);
                ctx.post(
                    [this, p] { Q_EMIT progress(p.step, p.total, p.loss, p.emaLoss, p.stepsPerSecond); });
            },
            ctx.cancelFlag());
        reached->store(trainer.currentStep());
        if (!done) throw Cancelled();
        std::error_code ec;
        std::filesystem::create_directories(dir, ec);
        if (ec) throw IoError("cannot create '" + dir + "': " + ec.message());
        const auto path = [&](const char* file) { return (std::filesystem::path(dir) / file).string(); };
        saveNetWeights(*trainer.emaNet(), path("model.pt"));
        trainer.writeLossCsv(path("loss.csv"));
        trainer.writeLossByTCsv(path("loss_by_t.csv"));
        pkg.trainingLog = path("loss.csv");
        pkg.training["steps_done"] = trainer.currentStep();
        if (!trainer.log().empty()) pkg.training["final_ema_loss"] = trainer.log().back().emaLoss;
        pkg.writeMetadata(dir);
        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
        const QString out = params.outputDir;
        return [this, out, seconds] { Q_EMIT finished(out, seconds); };
    });
}

} // namespace difflens::gui
