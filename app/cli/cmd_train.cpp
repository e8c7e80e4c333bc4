// difflens-cli train / dataset: train a built-in p_theta into a model package; write dataset samples.
#include "app/cli/args.h"
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

const char* kTrainHelp =
    "usage: difflens-cli train --dataset NAME|PATH --arch mlp|unet --out DIR [--resume] [--steps N]\n"
    "         [--batch B] [--lr LR] [--warmup N] [--grad-clip C] [--ema-decay D] [--seed S]\n"
    "         [--timesteps T] [--beta-schedule NAME] [--beta-start B0] [--beta-end B1]\n"
    "         [--objective ddpm|flow] [--prediction epsilon|sample|v_prediction] [--learn-variance]\n"
    "         [--loss simple|hybrid]\n"
    "         [--hidden H] [--blocks K] [--base C] [--mults 1,2,2] [--no-attention] [--image-size C,H,W]\n"
    "         [--checkpoint-every N] [--device auto|cpu|cuda[:i]] [--threads N] [--init-from PACKAGE]\n"
    "         [--init-weights PACKAGE]\n"
    "         [--conditional [--p-uncond P]]\n"
    "\n"
    "Writes a model package to DIR: model.pt (EMA weights), difflens.json, scheduler_config.json,\n"
    "loss.csv, loss_by_t.csv and checkpoint.pt (atomically, every --checkpoint-every steps and on Ctrl-C).\n"
    "--resume continues DIR's checkpoint exactly where it stopped (architecture and schedule from DIR).\n"
    "--objective flow trains flow matching (the velocity eps - x_0 on x_t = (1 - t) x_0 + t eps).\n"
    "--init-weights PACKAGE starts a new run from another package's weights (same architecture).\n"
    "--init-from PACKAGE continues a published package whose checkpoint is gone: its weights, schedule,\n"
    "architecture, training settings, step count and loss log; a fresh optimizer (not bitwise --resume).\n"
    "--conditional trains a class-conditional net (a class embedding plus a null class) on a labelled dataset,\n"
    "dropping each label with probability --p-uncond (default 0.1) so that one net also serves classifier-free\n"
    "guidance. With --init-from an unconditional package it starts from that net (the class embedding at 0).\n"
    "Datasets: gmm1d, moons, 8gaussians, swissroll, checkerboard, spirals, rings, fashion-mnist,\n"
    "a folder of images, an image file, or points:IMAGE (dark pixels as a 2-D density).\n";

const char* kDatasetHelp =
    "usage: difflens-cli dataset NAME|PATH --num N [--seed S] [--image-size C,H,W] --out FILE.pt [--labels L.pt]\n"
    "Writes N samples ([N, d] points or [N, C, H, W] images, in the models' value range) for torch.load.\n"
    "Labelled datasets also write the class of each sample, int64 [N], to --labels (default: FILE.labels.pt\n"
    "beside FILE.pt): 8gaussians/gmm1d the component, moons the moon, rings the ring, spirals the arm,\n"
    "checkerboard the square, fashion-mnist its 10 classes.\n";

std::vector<int64_t> parseSize(const std::string& s)
{
    std::vector<int64_t> out;
    for (const auto& p : splitList(s)) out.push_back(std::stoll(p));
    if (out.size() != 3) throw UsageError("--image-size must be C,H,W, e.g. 1,28,28");
    return out;
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

int cmdTrain(const Argv& argv)
{
    const Args args(argv,
                    {"dataset", "arch", "out", "steps", "batch", "lr", "warmup", "grad-clip", "ema-decay", "seed",
                     "timesteps", "beta-schedule", "beta-start", "beta-end", "prediction", "objective", "loss", "hidden", "blocks",
                     "base", "mults", "image-size", "checkpoint-every", "device", "threads", "weight-decay", "init-from",
                     "init-weights", "p-uncond"},
                    {"help", "resume", "learn-variance", "no-attention", "conditional"});
    if (args.flag("help")) {
        std::fputs(kTrainHelp, stdout);
        return 0;
    }
    if (!args.has("out")) throw UsageError("--out DIR is required");
    if (args.has("threads")) torch::set_num_threads(args.integer("threads", 1));
    const std::string dir = args.str("out");
    const auto device = resolveDevice(args.str("device", "auto"));
    const std::string checkpoint = (fs::path(dir) / "checkpoint.pt").string();

    ModelPackage pkg;
    TrainOptions opt;
    std::string datasetName;
    const bool initFrom = args.has("init-from");
    if (initFrom && args.flag("resume")) throw UsageError("--resume and --init-from exclude each other");
    const bool continuing = initFrom || args.flag("resume");
    const std::string source = initFrom ? args.str("init-from") : dir;
    int64_t initStepsDone = 0;
    if (continuing) {
        if (args.flag("resume") && !fs::exists(checkpoint))
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
        if (!args.has("dataset")) throw UsageError("--dataset is required");
        datasetName = args.str("dataset");
    }
    auto dataset = std::shared_ptr<const Dataset>(
        openDataset(datasetName, args.has("image-size") ? parseSize(args.str("image-size")) : std::vector<int64_t>{}));
    const DataSpec spec = dataset->spec();

    if (!continuing) {
        const std::string arch = args.str("arch", spec.isImage() ? "unet" : "mlp");
        pkg.format = "builtin";
        pkg.name = fs::path(dir).filename().string();
        pkg.data = spec;
        SchedulerConfig& sc = pkg.scheduler;
        const std::string objective = args.str("objective", "ddpm");
        if (objective != "ddpm" && objective != "flow")
            throw UsageError("--objective must be ddpm or flow, got '" + objective + "'");
        if (objective == "flow") {
            // Flow matching: the velocity eps - x_0 on x_t = (1 - t) x_0 + t eps (diffusers' FlowMatchEuler config).
            for (const char* k : {"beta-schedule", "beta-start", "beta-end", "prediction", "learn-variance"})
                if (args.has(k)) throw UsageError(std::string("--") + k + " is the DDPM chain's; --objective flow has none");
            sc = SchedulerConfig::flowMatching(args.integer("timesteps", 1000));
        }
        sc.numTrainTimesteps = args.integer("timesteps", 1000);
        sc.betaSchedule = args.str("beta-schedule", "linear");
        sc.betaStart = args.real("beta-start", sc.betaStart);
        sc.betaEnd = args.real("beta-end", sc.betaEnd);
        if (!sc.isFlow()) sc.predictionType = args.str("prediction", "epsilon");
        // Clip x0^ to the data range: images to [-1, 1]; points to their box (a few DDIM outliers otherwise).
        // Flow models follow diffusers' FlowMatchEuler, which never clips.
        sc.clipSample = !sc.isFlow();
        sc.clipSampleRange = spec.isImage() ? 1.0 : spec.high;
        if (args.flag("learn-variance")) sc.varianceType = "learned_range";
        sc.validate();
        if (arch == "mlp") {
            if (spec.isImage()) throw UsageError("--arch mlp is for point datasets; use --arch unet for images");
            MlpConfig c;
            c.dim = static_cast<int>(spec.shape[0]);
            c.hidden = args.integer("hidden", c.hidden);
            c.blocks = args.integer("blocks", c.blocks);
            c.learnVariance = args.flag("learn-variance");
            pkg.architecture = c.toJson();
        } else if (arch == "unet") {
            if (!spec.isImage()) throw UsageError("--arch unet is for image datasets; use --arch mlp for points");
            UnetConfig c;
            c.channels = static_cast<int>(spec.shape[0]);
            c.size = static_cast<int>(spec.shape[1]);
            c.base = args.integer("base", c.base);
            if (args.has("mults")) {
                c.mults.clear();
                for (const auto& m : splitList(args.str("mults"))) c.mults.push_back(std::stoi(m));
            }
            c.attention = !args.flag("no-attention");
            c.learnVariance = args.flag("learn-variance");
            pkg.architecture = c.toJson();
        } else {
            throw UsageError("--arch must be mlp or unet");
        }
        opt.batch = spec.isImage() ? 64 : 512;
        opt.lr = spec.isImage() ? 2e-4 : 1e-3;
        opt.emaDecay = spec.isImage() ? 0.9995 : 0.995;
        opt.loss = args.str("loss", args.flag("learn-variance") ? "hybrid" : "simple");
        opt.seed = static_cast<uint64_t>(args.int64("seed", 0));
    }
    if (args.flag("conditional") && args.flag("resume") && !opt.conditional)
        throw UsageError("'" + dir + "' trains an unconditional net: --resume keeps it so; use --init-from to "
                         "continue it as a conditional one in another folder");
    const bool wasConditional = opt.conditional;
    opt.conditional = opt.conditional || args.flag("conditional");
    if (!opt.conditional && args.has("p-uncond")) throw UsageError("--p-uncond needs --conditional");
    opt.pUncond = args.real("p-uncond", opt.pUncond);
    if (!(opt.pUncond >= 0 && opt.pUncond <= 1)) throw UsageError("--p-uncond must lie in [0, 1]");
    if (opt.conditional) {
        if (dataset->numClasses() == 0)
            throw DataError("the dataset '" + datasetName + "' has no class labels, so it cannot train a conditional "
                            "model (labelled: gmm1d, moons, 8gaussians, checkerboard, spirals, rings, fashion-mnist)");
        pkg.architecture["num_classes"] = dataset->numClasses();
        pkg.numClasses = dataset->numClasses();
        pkg.classNames = dataset->classNames();
    }
    opt.steps = args.int64("steps", continuing ? opt.steps : (spec.isImage() ? 20000 : 5000));
    opt.batch = args.int64("batch", opt.batch);
    opt.lr = args.real("lr", opt.lr);
    opt.warmupSteps = args.int64("warmup", opt.warmupSteps);
    opt.gradClip = args.real("grad-clip", opt.gradClip);
    opt.emaDecay = args.real("ema-decay", opt.emaDecay);
    opt.weightDecay = args.real("weight-decay", opt.weightDecay);
    opt.checkpointEvery = args.int64("checkpoint-every", opt.checkpointEvery);
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
    if (args.flag("resume")) trainer.resume(checkpoint);
    if (args.has("init-weights")) {
        // A new run (its own objective, schedule and step count) that starts from another package's weights:
        // e.g. a flow-matching UNet fine-tuned from the DDPM one, whose features and time embedding carry over.
        if (continuing) throw UsageError("--init-weights starts a new run: not with --resume or --init-from");
        const auto other = ModelPackage::read(args.str("init-weights"));
        auto otherArch = other.architecture, ownArch = pkg.architecture;
        otherArch.erase("num_classes");
        ownArch.erase("num_classes");
        if (other.format != "builtin" || otherArch != ownArch)
            throw UsageError("--init-weights '" + args.str("init-weights") +
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

int cmdDataset(const Argv& argv)
{
    const Args args(argv, {"num", "seed", "out", "image-size", "labels"}, {"help"});
    if (args.flag("help")) {
        std::fputs(kDatasetHelp, stdout);
        return 0;
    }
    if (args.positional().size() != 1) throw UsageError("name one dataset (or path)");
    if (!args.has("out")) throw UsageError("--out FILE.pt is required");
    const int64_t n = args.int64("num", 1000);
    if (n < 1) throw UsageError("--num must be at least 1");
    auto ds = openDataset(args.positional()[0],
                          args.has("image-size") ? parseSize(args.str("image-size")) : std::vector<int64_t>{});
    // The samples and their serialized copy.
    checkMemory(std::to_string(n) + " samples of " + ds->name(),
                2.0 * 4.0 * static_cast<double>(n) * static_cast<double>(ds->spec().numel()));
    auto gen = at::make_generator<at::CPUGeneratorImpl>(static_cast<uint64_t>(args.int64("seed", 0)));
    torch::Tensor labels;
    const bool labelled = ds->numClasses() > 0;
    if (!labelled && args.has("labels"))
        throw DataError("the dataset '" + ds->name() + "' has no class labels to write to --labels");
    const auto samples = ds->sample(n, gen, labelled ? &labels : nullptr);
    saveTensor(args.str("out"), samples);
    std::printf("%lld samples of %s (%s) -> %s\n", static_cast<long long>(n), ds->name().c_str(),
                ds->spec().describe().c_str(), args.str("out").c_str());
    if (labelled) {
        std::string labelsPath = args.str("labels");
        if (labelsPath.empty()) {
            fs::path p(args.str("out"));
            labelsPath = (p.parent_path() / (p.stem().string() + ".labels.pt")).string();
        }
        saveTensor(labelsPath, labels);
        std::printf("%d classes, labels int64 [%lld] -> %s\n", ds->numClasses(), static_cast<long long>(n),
                    labelsPath.c_str());
    }
    return 0;
}

} // namespace difflens::cli
