// difflens-cli train / dataset: train a built-in p_theta into a model package; write dataset samples.
#include "app/cli/commands.h"
#include "app/cli/interrupt.h"
#include "core/datasets.h"
#include "core/errors.h"
#include "core/json_util.h"
#include "core/resources.h"
#include "core/runtime.h"
#include "core/tensor_io.h"
#include "core/trainer.h"
#include "models/nets.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <filesystem>

namespace fs = std::filesystem;

namespace difflens::cli {

namespace {

/** --image-size C,H,W (empty: the dataset's own size). */
const std::vector<int64_t>& imageSize(const std::vector<int64_t>& size)
{
    if (!size.empty() && size.size() != 3) throw UsageError("--image-size must be C,H,W, e.g. 1,28,28");
    return size;
}

void writePackage(const std::string& dir, ModelPackage pkg, Trainer& trainer)
{
    saveNetWeights(*trainer.emaNet(), (fs::path(dir) / "model.pt").string());
    trainer.writeLossCsv((fs::path(dir) / "loss.csv").string());
    trainer.writeLossByTCsv((fs::path(dir) / "loss_by_t.csv").string());
    pkg.trainingLog = (fs::path(dir) / "loss.csv").string();
    pkg.training["steps_done"] = trainer.currentStep();
    if (!trainer.log().empty()) pkg.training["final_ema_loss"] = trainer.log().back().emaLoss;
    pkg.writeMetadata(dir);
}

} // namespace

std::vector<LossLogEntry> readLossLog(const std::string& path)
{
    std::vector<LossLogEntry> log;
    FILE* f = std::fopen(path.c_str(), "r");
    if (!f) return log;
    char line[256];
    bool header = true;
    while (std::fgets(line, sizeof line, f)) {
        if (header) {
            header = false;
            continue;
        }
        long long step = 0;
        double loss = 0, ema = 0;
        if (std::sscanf(line, "%lld,%lf,%lf", &step, &loss, &ema) == 3) log.push_back({step, loss, ema});
    }
    std::fclose(f);
    return log;
}

int cmdTrain(const TrainArgs& args)
{
    if (args.out.empty()) throw UsageError("--out DIR is required");
    if (args.threads) torch::set_num_threads(*args.threads);
    const std::string& dir = args.out;
    const auto device = resolveDevice(args.device);
    const std::string checkpoint = (fs::path(dir) / "checkpoint.pt").string();

    ModelPackage pkg;
    TrainOptions opt;
    std::string datasetName;
    const bool initFrom = args.initFrom.has_value();
    if (initFrom && args.resume) throw UsageError("--resume and --init-from exclude each other");
    const bool continuing = initFrom || args.resume;
    const std::string source = initFrom ? *args.initFrom : dir;
    int64_t initStepsDone = 0;
    if (continuing) {
        if (args.resume && !fs::exists(checkpoint))
            throw DataError("nothing to resume: '" + checkpoint + "' does not exist");
        std::error_code same;
        if (initFrom && fs::equivalent(source, dir, same))
            throw UsageError("--init-from writes the continued run to another folder than '" + source +
                             "' (its files are read, not replaced); use --resume to go on in place");
        pkg = ModelPackage::read(source);
        if (pkg.format != "builtin")
            throw ModelError("'" + source + "' is not a built-in net package (format '" + pkg.format + "')");
        const auto& tr = pkg.training;
        const std::string o = source + "/difflens.json training";
        datasetName = json_util::getString(tr, "dataset", pkg.data.dataset, o);
        opt.batch = json_util::getInt(tr, "batch", static_cast<int>(opt.batch), o);
        opt.lr = json_util::getDouble(tr, "lr", opt.lr, o);
        opt.warmupSteps = json_util::getInt(tr, "warmup", static_cast<int>(opt.warmupSteps), o);
        opt.gradClip = json_util::getDouble(tr, "grad_clip", opt.gradClip, o);
        opt.emaDecay = json_util::getDouble(tr, "ema_decay", opt.emaDecay, o);
        opt.seed = static_cast<uint64_t>(json_util::getInt(tr, "seed", 0, o));
        opt.loss = json_util::getString(tr, "loss", opt.loss, o);
        opt.weightDecay = json_util::getDouble(tr, "weight_decay", opt.weightDecay, o);
        opt.steps = json_util::getInt(tr, "steps", static_cast<int>(opt.steps), o);
        opt.checkpointEvery = json_util::getInt(tr, "checkpoint_every", static_cast<int>(opt.checkpointEvery), o);
        opt.conditional = json_util::getBool(tr, "conditional", false, o);
        opt.pUncond = json_util::getDouble(tr, "p_uncond", opt.pUncond, o);
        initStepsDone = json_util::getInt(tr, "steps_done", 0, o);
    } else {
        if (args.dataset.empty()) throw UsageError("--dataset is required");
        datasetName = args.dataset;
    }
    auto dataset = std::shared_ptr<const Dataset>(openDataset(datasetName, imageSize(args.imageSize)));
    const DataSpec spec = dataset->spec();

    if (!continuing) {
        const std::string arch = args.arch.value_or(spec.isImage() ? "unet" : "mlp");
        pkg.format = "builtin";
        pkg.name = fs::path(dir).filename().string();
        pkg.data = spec;
        SchedulerConfig& sc = pkg.scheduler;
        if (args.objective == "flow") {
            // Flow matching: the velocity eps - x_0 on x_t = (1 - t) x_0 + t eps (diffusers' FlowMatchEuler config).
            const std::pair<const char*, bool> chainOnly[] = {
                {"beta-schedule", args.betaSchedule.has_value()},
                {"beta-start", args.betaStart.has_value()},
                {"beta-end", args.betaEnd.has_value()},
                {"prediction", args.prediction.has_value()},
                {"learn-variance", args.learnVariance}};
            for (const auto& [name, given] : chainOnly)
                if (given)
                    throw UsageError(std::string("--") + name +
                                     " is the DDPM chain's; --objective flow has none");
            sc = SchedulerConfig::flowMatching(args.timesteps);
        }
        sc.numTrainTimesteps = args.timesteps;
        sc.betaSchedule = args.betaSchedule.value_or("linear");
        sc.betaStart = args.betaStart.value_or(sc.betaStart);
        sc.betaEnd = args.betaEnd.value_or(sc.betaEnd);
        if (!sc.isFlow()) sc.predictionType = args.prediction.value_or("epsilon");
        // Clip x0^ to the data range: images to [-1, 1]; points to their box (a few DDIM outliers otherwise).
        // Flow models follow diffusers' FlowMatchEuler, which never clips.
        sc.clipSample = !sc.isFlow();
        sc.clipSampleRange = spec.isImage() ? 1.0 : spec.high;
        if (args.learnVariance) sc.varianceType = "learned_range";
        sc.validate();
        if (arch == "mlp") {
            if (spec.isImage()) throw UsageError("--arch mlp is for point datasets; use --arch unet for images");
            MlpConfig c;
            c.dim = static_cast<int>(spec.shape[0]);
            c.hidden = args.hidden.value_or(c.hidden);
            c.blocks = args.blocks.value_or(c.blocks);
            c.learnVariance = args.learnVariance;
            c.xSkip = !args.noXSkip; // new MLPs extrapolate linearly in x_t (MlpConfig::xSkip)
            pkg.architecture = c.toJson();
        } else { // unet: the parser lets no other name through
            if (!spec.isImage()) throw UsageError("--arch unet is for image datasets; use --arch mlp for points");
            UnetConfig c;
            c.channels = static_cast<int>(spec.shape[0]);
            c.size = static_cast<int>(spec.shape[1]);
            c.base = args.base.value_or(c.base);
            if (!args.mults.empty()) c.mults = args.mults;
            c.attention = !args.noAttention;
            c.learnVariance = args.learnVariance;
            pkg.architecture = c.toJson();
        }
        opt.batch = spec.isImage() ? 64 : 512;
        opt.lr = spec.isImage() ? 2e-4 : 1e-3;
        opt.emaDecay = spec.isImage() ? 0.9995 : 0.995;
        opt.loss = args.loss.value_or(args.learnVariance ? "hybrid" : "simple");
        opt.seed = static_cast<uint64_t>(args.seed);
    }
    if (args.conditional && args.resume && !opt.conditional)
        throw UsageError("'" + dir + "' trains an unconditional net: --resume keeps it so; use --init-from to "
                         "continue it as a conditional one in another folder");
    const bool wasConditional = opt.conditional;
    opt.conditional = opt.conditional || args.conditional;
    if (!opt.conditional && args.pUncond) throw UsageError("--p-uncond needs --conditional");
    opt.pUncond = args.pUncond.value_or(opt.pUncond); // in [0, 1]: checked by the parser
    if (opt.conditional) {
        if (dataset->numClasses() == 0)
            throw DataError("the dataset '" + datasetName + "' has no class labels, so it cannot train a conditional "
                            "model (labelled: gmm1d, moons, 8gaussians, checkerboard, spirals, rings, fashion-mnist)");
        pkg.architecture["num_classes"] = dataset->numClasses();
        pkg.numClasses = dataset->numClasses();
        pkg.classNames = dataset->classNames();
    }
    opt.steps = args.steps.value_or(continuing ? opt.steps : (spec.isImage() ? 20000 : 5000));
    opt.batch = args.batch.value_or(opt.batch);
    opt.lr = args.lr.value_or(opt.lr);
    opt.warmupSteps = args.warmup.value_or(opt.warmupSteps);
    opt.gradClip = args.gradClip.value_or(opt.gradClip);
    opt.emaDecay = args.emaDecay.value_or(opt.emaDecay);
    opt.weightDecay = args.weightDecay.value_or(opt.weightDecay);
    opt.checkpointEvery = args.checkpointEvery.value_or(opt.checkpointEvery);
    opt.logEvery = 1;
    pkg.training = {{"dataset", datasetName}, {"batch", opt.batch},         {"lr", opt.lr},
                    {"warmup", opt.warmupSteps}, {"grad_clip", opt.gradClip}, {"ema_decay", opt.emaDecay},
                    {"seed", opt.seed},       {"loss", opt.loss},           {"steps", opt.steps},
                    {"weight_decay", opt.weightDecay}, {"checkpoint_every", opt.checkpointEvery}};
    if (opt.conditional) {
        pkg.training["conditional"] = true;
        pkg.training["p_uncond"] = opt.pUncond;
    }

    // Weights, gradients, Adam's moments, the EMA copy and a batch's activations, before any is allocated.
    const double numel = static_cast<double>(spec.numel());
    checkMemory("training a " + std::to_string(std::llround(architectureParameterCount(pkg.architecture))) +
                    "-parameter net with batch " + std::to_string(opt.batch),
                trainingBytes(architectureParameterCount(pkg.architecture), opt.batch, numel,
                              architectureActivations(pkg.architecture, numel)));
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) throw IoError("cannot create '" + dir + "': " + ec.message());
    // The initial weights come from --seed as well: two runs with the same settings are the same run (the
    // kill-and-resume test compares a resumed run with an uninterrupted one byte for byte).
    torch::manual_seed(opt.seed);
    auto net = makeNet(pkg.architecture), ema = makeNet(pkg.architecture);
    Trainer trainer(net, ema, dataset, pkg.scheduler, opt, device);
    if (args.resume) trainer.resume(checkpoint);
    if (args.initWeights) {
        // A new run (its own objective, schedule and step count) that starts from another package's weights:
        // e.g. a flow-matching UNet fine-tuned from the DDPM one, whose features and time embedding carry over.
        if (continuing) throw UsageError("--init-weights starts a new run: not with --resume or --init-from");
        const auto other = ModelPackage::read(*args.initWeights);
        auto otherArch = other.architecture, ownArch = pkg.architecture;
        otherArch.erase("num_classes");
        ownArch.erase("num_classes");
        if (other.format != "builtin" || otherArch != ownArch)
            throw UsageError("--init-weights '" + *args.initWeights +
                             "' is not a built-in net of the same architecture as this run");
        auto published = makeNet(other.architecture);
        loadNetWeights(*published, other.modelFile);
        copyMatchingWeights(*published, *net);
        copyMatchingWeights(*published, *trainer.emaNet());
        pkg.training["init_weights"] = other.name;
    }
    if (initFrom) {
        const fs::path weights = fs::path(source) / (pkg.modelFile.empty() ? "model.pt" : pkg.modelFile);
        // The published net as it was trained (unconditional when --conditional turns it into a conditional one:
        // its weights fit by name, the new class embedding keeps its zero start).
        auto publishedArch = pkg.architecture;
        if (!wasConditional) publishedArch.erase("num_classes");
        auto published = makeNet(publishedArch);
        loadNetWeights(*published, weights.string());
        copyMatchingWeights(*published, *net);
        copyMatchingWeights(*published, *trainer.emaNet());
        auto log = readLossLog(pkg.trainingLog.empty() ? (fs::path(source) / "loss.csv").string() : pkg.trainingLog);
        // A package without steps_done (written by hand, or by another tool) goes on from its log's last step.
        const int64_t done = initStepsDone > 0 ? initStepsDone : (log.empty() ? 0 : log.back().step);
        if (opt.steps <= done)
            throw UsageError("'" + source + "' has trained " + std::to_string(done) +
                             " steps already: give --steps above that to go on");
        trainer.warmStart(done, std::move(log));
        pkg.name = fs::path(dir).filename().string();
        pkg.training["init_from_step"] = done;
    }
    int64_t params = 0;
    for (const auto& p : net->parameters()) params += p.numel();
    std::fprintf(stderr, "training %s (%lld parameters) on %s, %s, from step %lld to %lld\n",
                 pkg.architecture.value("type", "?").c_str(), static_cast<long long>(params),
                 spec.describe().c_str(), device.str().c_str(), static_cast<long long>(trainer.currentStep()),
                 static_cast<long long>(opt.steps));

    const StopOnSignal stop(true); // Ctrl-C and SIGTERM: write the package, then stop
    // A new run's folder is a package before its first checkpoint exists: a kill between that checkpoint and
    // the package written after it would otherwise leave checkpoint.pt without the difflens.json --resume
    // reads the run's settings from (test_crash_safety caught it: "is not a built-in net package").
    if (!args.resume) writePackage(dir, pkg, trainer);
    ProgressBar bar("training", static_cast<int>(opt.steps));
    const int64_t chunk = opt.checkpointEvery > 0 ? opt.checkpointEvery : opt.steps;
    bool finished = trainer.currentStep() >= opt.steps;
    double lastLoss = 0;
    while (!finished && !stop.requested()) {
        trainer.setTotalSteps(std::min(opt.steps, (trainer.currentStep() / chunk + 1) * chunk));
        const bool done = trainer.run(
            [&](const TrainProgress& p) {
                lastLoss = p.emaLoss;
                char extra[96];
                std::snprintf(extra, sizeof extra, "loss %.4f (ema %.4f) %.1f steps/s", p.loss, p.emaLoss,
                              p.stepsPerSecond);
                bar.update(static_cast<int>(p.step), extra);
            },
            stop.flag(), checkpoint);
        trainer.setTotalSteps(opt.steps);
        writePackage(dir, pkg, trainer);
        finished = done && trainer.currentStep() >= opt.steps;
    }
    if (finished) writePackage(dir, pkg, trainer);
    bar.finish();
    std::printf("%s at step %lld of %lld, ema loss %.5f; package in %s\n", finished ? "finished" : "stopped",
                static_cast<long long>(trainer.currentStep()), static_cast<long long>(opt.steps), lastLoss,
                dir.c_str());
    return finished ? 0 : 130;
}

int cmdDataset(const DatasetArgs& args)
{
    if (args.names.size() != 1) throw UsageError("name one dataset (or path)");
    if (args.out.empty()) throw UsageError("--out FILE.pt is required");
    const int64_t n = args.num; // >= 1: checked by the parser
    auto ds = openDataset(args.names[0], imageSize(args.imageSize));
    // The samples and their serialized copy.
    checkMemory(std::to_string(n) + " samples of " + ds->name(),
                2.0 * 4.0 * static_cast<double>(n) * static_cast<double>(ds->spec().numel()));
    auto gen = at::make_generator<at::CPUGeneratorImpl>(static_cast<uint64_t>(args.seed));
    torch::Tensor labels;
    const bool labelled = ds->numClasses() > 0;
    if (!labelled && !args.labels.empty())
        throw DataError("the dataset '" + ds->name() + "' has no class labels to write to --labels");
    const auto samples = ds->sample(n, gen, labelled ? &labels : nullptr);
    saveTensor(args.out, samples);
    std::printf("%lld samples of %s (%s) -> %s\n", static_cast<long long>(n), ds->name().c_str(),
                ds->spec().describe().c_str(), args.out.c_str());
    if (labelled) {
        std::string labelsPath = args.labels;
        if (labelsPath.empty()) {
            fs::path p(args.out);
            labelsPath = (p.parent_path() / (p.stem().string() + ".labels.pt")).string();
        }
        saveTensor(labelsPath, labels);
        std::printf("%d classes, labels int64 [%lld] -> %s\n", ds->numClasses(), static_cast<long long>(n),
                    labelsPath.c_str());
    }
    return 0;
}

} // namespace difflens::cli
