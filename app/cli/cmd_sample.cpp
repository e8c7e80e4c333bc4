// difflens-cli sample / info: run a reverse process with any model and report what happened.
#include "app/cli/commands.h"
#include "app/cli/interrupt.h"
#include "app/cli/guidance_cli.h"
#include "core/errors.h"
#include "core/exact.h"
#include "core/resources.h"
#include "core/run_file.h"
#include "core/runtime.h"
#include "core/sampler.h"
#include "core/tensor_io.h"
#include "core/trajectory.h"
#include "models/nets.h"
#include "models/registry.h"

#include <torch/torch.h>

#include <atomic>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

namespace difflens::cli {

namespace {

/** `info --run`: the run file's header, as JSON or as a few lines. */
int describeRunFile(const std::string& path, bool json)
{
    const auto h = runFileHeader(path);
    if (json) {
        std::cout << h.dump(2) << "\n";
        return 0;
    }
    const auto& model = h.value("model", nlohmann::json::object());
    const auto& sampler = h.value("sampler", nlohmann::json::object());
    std::printf("run file:    %s (format version %d, %.1f MB)\n", path.c_str(), h.value("version", 0),
                h.value("file_bytes", 0.0) / 1e6);
    std::printf("model:       %s (%s)\n", model.value("name", std::string("?")).c_str(),
                model.value("spec", std::string("?")).c_str());
    std::printf("sampler:     %s, %d of %d steps recorded, eta %g, seed %llu\n",
                sampler.value("kind", std::string("?")).c_str(), h.value("steps_recorded", 0), h.value("steps_planned", 0),
                sampler.value("eta", 0.0), static_cast<unsigned long long>(h.value("seed", uint64_t(0))));
    std::printf("batch:       %lld samples, stored as %s, x_T from %s\n", static_cast<long long>(h.value("batch", int64_t(0))),
                h.value("storage", std::string("?")).c_str(),
                h.value("init", std::string("noise")) == "noised_reference" ? "the noised reference" : "noise");
    std::printf("reference:   %s\n", h.value("has_reference", false) ? "yes (mu~ and the KL per step)" : "none");
    return 0;
}

/**
 * Refuses a run this machine cannot hold before anything is allocated (core/resources.h): the sampler's
 * working tensors and the network's activations, the [B, items] matrices of an exact denoiser, and the
 * recorded trajectory when one is asked for.
 */
void checkSamplingMemory(const LoadedModel& model, const SamplerOptions& options, int steps, bool recording)
{
    const double numel = options.init.defined() ? elementCount(options.init.sizes().slice(1).vec())
                                                : elementCount(options.sampleShape);
    // Without gradients only a few layers' activations are alive at once: a quarter of training's.
    const double activations = model.package.format == "builtin"
                                   ? architectureActivations(model.package.architecture, numel) / 4.0
                                   : 0.0;
    double bytes = samplingBytes(options.batch, numel, activations);
    if (const auto* exact = dynamic_cast<const GaussianMixtureDenoiser*>(model.denoiser.get()))
        bytes += exactDenoiserBytes(exact->components(), numel, options.batch) -
                 exactDenoiserBytes(exact->components(), numel, 0); // the set itself is already held
    const std::string what = "sampling " + std::to_string(options.batch) + " samples of " +
                             std::to_string(std::llround(numel)) + " values";
    checkMemory(what, bytes);
    if (recording) {
        const double outputs = model.package.scheduler.variance() == VarianceType::LearnedRange ? 2 * numel : numel;
        checkMemory(what + " with a trajectory of " + std::to_string(steps) + " steps",
                    bytes + trajectoryBytes(steps, options.batch, numel, outputs));
    }
}

double mean(const std::vector<double>& v)
{
    double s = 0;
    int n = 0;
    for (double x : v)
        if (std::isfinite(x)) s += x, ++n;
    return n ? s / n : std::nan("");
}

} // namespace

int cmdInfo(const InfoArgs& args)
{
    if (!args.run.empty()) {
        if (!args.model.empty()) throw UsageError("give --model or --run, not both");
        return describeRunFile(args.run, args.json);
    }
    if (args.model.empty()) throw UsageError("--model (or --run) is required");
    const auto model = openModel(args.model, resolveDevice(args.device));
    if (args.json) {
        nlohmann::ordered_json j;
        j["name"] = model.package.name;
        j["kind"] = model.denoiser->kind();
        j["format"] = model.package.format;
        j["data"] = model.package.data.toJson();
        j["parameters"] = model.denoiser->parameterCount();
        j["scheduler"] = nlohmann::json::parse(model.package.scheduler.toJsonText());
        std::cout << j.dump(2) << "\n";
    } else {
        std::cout << describeModel(model);
        const NoiseSchedule s = NoiseSchedule::fromConfig(model.package.scheduler);
        std::printf("alpha_bar_T: %.4g (prior term large when far from 0)\n", s.alphaBars().back());
    }
    return 0;
}

SchedulerConfig schedulerFromArgs(const SamplerArgs& args, SchedulerConfig config)
{
    if (args.karras) config.useKarrasSigmas = true;
    if (args.spacing) config.timestepSpacing = *args.spacing;
    if (args.solverType) config.solverType = *args.solverType;
    try {
        config.validate();
    } catch (const ConfigError& e) {
        throw UsageError(e.what());
    }
    return config;
}

SamplerSettings samplerSettingsFromArgs(const SamplerArgs& args, const SchedulerConfig& config, bool guided)
{
    SamplerSettings s;
    s.kind = args.sampler ? parseSamplerKind(*args.sampler) : defaultSamplerFor(config);
    s.solverOrder = solverOrderOfName(args.sampler.value_or(""));
    if (args.solverOrder) {
        if (s.kind != SamplerKind::DpmSolver)
            throw UsageError("--solver-order is DPM-Solver++'s: use it with --sampler dpmpp-2m (or the model's dpmpp)");
        s.solverOrder = *args.solverOrder; // 1..3: checked by the parser
    }
    s.steps = args.steps.value_or(0);
    s.eta = args.eta.value_or(0.0);
    if (args.eta && s.kind != SamplerKind::Ddim)
        throw UsageError("--eta is DDIM's: use it with --sampler ddim");
    s.sdeNoise = args.sdeNoise.value_or(1.0);
    if (args.sdeNoise && s.kind != SamplerKind::Sde)
        throw UsageError("--sde-noise sets the SDE sampler's noise: use it with --sampler sde");
    // --clipped-eps auto (default): DDIM re-derives eps from the clipped x0^ when a class is given (guided
    // sampling overshoots with the kept eps: core/MATH.md, "Guidance"); on/off force it.
    const std::string clipped = args.clippedEps.value_or("auto"); // auto, on or off: checked by the parser
    if (clipped == "on" && s.kind != SamplerKind::Ddim)
        throw UsageError("--clipped-eps is DDIM's (the DDPM step uses no eps): use it with --sampler ddim");
    s.clippedModelOutput = s.kind == SamplerKind::Ddim && (clipped == "on" || (clipped == "auto" && guided));
    if (!samplerServesPath(s.kind, config.isFlow() ? PathKind::Flow : PathKind::Vp))
        throw UsageError("--sampler " + samplerName(s.kind) + " follows the DDPM chain; this is a flow-matching "
                         "model: use euler, heun or sde");
    return s;
}

int cmdSample(const SampleArgs& args)
{
    if (args.model.empty()) throw UsageError("--model is required");
    const auto device = resolveDevice(args.device);
    auto model = openModel(args.model, device, args.schedulerConfig);
    const GuidanceChoice guidance = applyGuidance(args.classLabel, args.guidance, model);
    const auto& pkg = model.package;
    const SchedulerConfig scheduler = schedulerFromArgs(args.sampler, pkg.scheduler);
    SamplerSettings settings = samplerSettingsFromArgs(args.sampler, scheduler, guidance.active());
    settings.startT = args.t0.value_or(-1);
    const SamplerKind kind = settings.kind;
    const double eta = settings.eta;
    auto process = std::make_shared<ReverseProcess>(scheduler, settings);

    SamplerOptions options;
    options.seed = static_cast<uint64_t>(args.seed);
    options.batch = args.numSamples; // >= 1: checked by the parser
    options.device = device;
    options.discreteData = pkg.data.isImage();
    options.sampleShape = args.shape.empty() ? pkg.data.shape : args.shape;
    if (!args.init.empty()) options.init = loadTensor(args.init);
    if (!args.reference.empty()) options.reference = loadTensor(args.reference);
    if (settings.startT >= 0) {
        if (!options.reference.defined()) throw UsageError("--t0 needs --reference (the x_0 to noise)");
        options.noiseReference = !options.init.defined();
    }
    if (!options.init.defined() && options.sampleShape.empty())
        throw DataError("the model's data shape is unknown (no difflens.json beside it): give --shape, e.g. "
                        "--shape 2 or --shape 1,28,28, or an initial sample with --init");
    if (options.init.defined() && !options.sampleShape.empty()) {
        std::vector<int64_t> tail(options.init.sizes().begin() + 1, options.init.sizes().end());
        if (options.init.dim() < 2 || tail != options.sampleShape)
            throw DataError("--init has shape " + std::string(c10::str(options.init.sizes())) +
                            " but the model's samples have shape [B, " +
                            std::string(c10::str(c10::IntArrayRef(options.sampleShape))).substr(1));
    }

    checkSamplingMemory(model, options, process->stepCount(),
                        !args.trajectory.empty() || !args.saveRun.empty());

    std::unique_ptr<Trajectory> trajectory;
    if (!args.trajectory.empty())
        trajectory = std::make_unique<Trajectory>(process, options.reference, options.discreteData);
    // A run file keeps x_t in float16, as the app holds a run in memory.
    std::shared_ptr<Trajectory> runTrajectory;
    if (!args.saveRun.empty())
        runTrajectory = std::make_shared<Trajectory>(process, options.reference, options.discreteData, torch::kFloat16);
    std::vector<double> klPerStep, gapPerStep;
    std::vector<long> tPerStep;
    ProgressBar bar("sampling", process->stepCount());
    const auto onStep = [&](const StepRecord& r) {
        if (trajectory) trajectory->record(r);
        if (runTrajectory) runTrajectory->record(r);
        tPerStep.push_back(r.t);
        if (r.kl.defined()) {
            klPerStep.push_back(r.kl.mean().item<double>());
            gapPerStep.push_back(r.meanGap.mean().item<double>());
        }
        bar.update(r.index + 1, "t=" + std::to_string(r.t));
    };
    const SampleResult result = [&] {
        const StopOnSignal stop;
        return runSampler(*model.denoiser, *process, options, onStep, stop.flag());
    }();
    bar.finish();

    if (!args.out.empty()) saveTensor(args.out, result.sample);
    if (trajectory) trajectory->save(args.trajectory);
    if (runTrajectory) {
        RunRecord run;
        run.modelSpec = args.model;
        run.modelName = pkg.name;
        run.data = pkg.data;
        run.scheduler = pkg.scheduler;
        run.architecture = pkg.architecture;
        run.seed = options.seed;
        run.noiseReference = options.noiseReference;
        run.trajectory = runTrajectory;
        run.settings = {{"source", "difflens-cli sample"}};
        const auto n = static_cast<int64_t>(tPerStep.size());
        run.summaries["t"] = torch::tensor(std::vector<int64_t>(tPerStep.begin(), tPerStep.end()), torch::kInt64);
        if (static_cast<int64_t>(klPerStep.size()) == n) {
            run.summaries["kl"] = torch::tensor(klPerStep, torch::kFloat64);
            run.summaries["mean_gap"] = torch::tensor(gapPerStep, torch::kFloat64);
        }
        saveRun(args.saveRun, run);
    }

    const double perStepMs = result.steps ? 1000.0 * result.seconds / result.steps : 0.0;
    if (args.json) {
        nlohmann::ordered_json j;
        j["model"] = pkg.name;
        j["sampler"] = process->label();
        j["steps"] = result.steps;
        j["planned_steps"] = process->stepCount();
        j["eta"] = eta;
        j["path"] = pathName(process->path().kind());
        j["model_calls"] = process->modelCalls();
        if (kind == SamplerKind::Sde) j["sde_noise"] = settings.sdeNoise;
        if (kind == SamplerKind::Ddim) j["clipped_model_output"] = settings.clippedModelOutput;
        j["seed"] = options.seed;
        j["num_samples"] = result.sample.size(0);
        if (guidance.active()) {
            j["class"] = guidance.classIndex;
            j["guidance"] = guidance.effectiveScale();
        }
        j["device"] = device.str();
        j["cancelled"] = result.cancelled;
        j["seconds"] = result.seconds;
        j["model_seconds"] = result.modelSeconds;
        j["ms_per_step"] = perStepMs;
        j["sample_mean"] = result.sample.mean().item<double>();
        j["sample_std"] = result.sample.std().item<double>();
        if (!klPerStep.empty()) {
            nlohmann::json per = nlohmann::json::array();
            double total = 0;
            for (size_t i = 0; i < klPerStep.size(); ++i) {
                per.push_back({{"t", tPerStep[i]},
                               {"kl", std::isfinite(klPerStep[i]) ? nlohmann::json(klPerStep[i]) : nlohmann::json()},
                               {"mean_gap", gapPerStep[i]}});
                if (std::isfinite(klPerStep[i])) total += klPerStep[i];
            }
            j["kl_per_step"] = per;
            j["kl_mean"] = mean(klPerStep);
            j["kl_sum_nats"] = total;
        }
        std::cout << j.dump(2) << "\n";
    } else {
        std::printf("%s %d/%d steps on %s: %.3f s (%.3f ms/step, model %.0f%%), %lld samples%s\n",
                    process->label().c_str(), result.steps, process->stepCount(), device.str().c_str(),
                    result.seconds, perStepMs, result.seconds > 0 ? 100.0 * result.modelSeconds / result.seconds : 0.0,
                    static_cast<long long>(result.sample.size(0)), result.cancelled ? " (interrupted)" : "");
        if (guidance.active())
            std::printf("class %lld, guidance scale %g (classifier-free)\n", static_cast<long long>(guidance.classIndex),
                        guidance.effectiveScale());
        if (!klPerStep.empty()) std::printf("mean per-step KL(q || p_theta): %.6g nats\n", mean(klPerStep));
    }
    return result.cancelled ? 130 : 0;
}

} // namespace difflens::cli
