// difflens-cli sample / info: run a reverse process with any model and report what happened.
#include "app/cli/args.h"
#include "app/cli/commands.h"
#include "core/errors.h"
#include "core/runtime.h"
#include "core/sampler.h"
#include "core/tensor_io.h"
#include "core/trajectory.h"
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

std::atomic_bool g_interrupted{false};
void onSigint(int)
{
    g_interrupted.store(true);
}

const char* kSampleHelp =
    "usage: difflens-cli sample --model PATH [--scheduler-config FILE] [--sampler NAME] [--steps N]\n"
    "         [--eta E] [--sde-noise S] [--seed S] [--num-samples B] [--init X_T.pt] [--reference X0.pt] [--t0 T]\n"
    "         [--shape D|C,H,W] [--out FINAL.pt] [--trajectory FILE.pt] [--device auto|cpu|cuda[:i]] [--json]\n"
    "\n"
    "PATH: a model package folder, a TorchScript file (scheduler_config.json and difflens.json beside it are\n"
    "read when present), or exact:DATASET[?n=N&seed=S&path=flow].\n"
    "%s"
    "--reference adds mu~(x_t, x_0) and the per-step KL; --t0 starts from the reference noised to\n"
    "timestep T instead of pure noise. Output tensors are .pt files Python's torch.load reads.\n"
    "Ctrl-C stops between steps and still writes what was made.\n";

const char* kInfoHelp = "usage: difflens-cli info --model PATH [--device auto|cpu|cuda[:i]] [--json]\n";

std::vector<int64_t> parseShape(const std::string& s)
{
    std::vector<int64_t> shape;
    for (const auto& part : splitList(s)) {
        char* end = nullptr;
        const long long v = std::strtoll(part.c_str(), &end, 10);
        if (*end != '\0' || v < 1) throw UsageError("--shape must be positive integers like 2 or 1,28,28");
        shape.push_back(v);
    }
    if (shape.empty()) throw UsageError("--shape must be positive integers like 2 or 1,28,28");
    return shape;
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

int cmdInfo(const Argv& argv)
{
    const Args args(argv, {"model", "device"}, {"help", "json"});
    if (args.flag("help")) {
        std::fputs(kInfoHelp, stdout);
        return 0;
    }
    if (!args.has("model")) throw UsageError("--model is required");
    const auto model = openModel(args.str("model"), resolveDevice(args.str("device", "cpu")));
    if (args.flag("json")) {
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

const char* const kSamplerOptionsHelp =
    "--sampler ddpm|ddim (the DDPM chain) | euler|heun (the probability-flow ODE) | sde (Euler-Maruyama with\n"
    "noise g_t = S s_t, --sde-noise S, default 1; 0 is the ODE). The default is the model's own: euler for\n"
    "flow-matching models, ddpm otherwise. --steps defaults to all training timesteps (ddpm) or 50.\n";

std::vector<std::string> samplerOptionNames()
{
    return {"sampler", "steps", "eta", "sde-noise"};
}

SamplerSettings samplerSettingsFromArgs(const Args& args, const SchedulerConfig& config)
{
    SamplerSettings s;
    s.kind = args.has("sampler") ? parseSamplerKind(args.str("sampler")) : defaultSamplerFor(config);
    s.steps = args.integer("steps", 0);
    if (args.has("steps") && s.steps < 1) throw UsageError("--steps must be at least 1");
    s.eta = args.real("eta", 0.0);
    if (args.has("eta") && s.kind != SamplerKind::Ddim) throw UsageError("--eta is DDIM's: use it with --sampler ddim");
    s.sdeNoise = args.real("sde-noise", 1.0);
    if (args.has("sde-noise") && s.kind != SamplerKind::Sde)
        throw UsageError("--sde-noise sets the SDE sampler's noise: use it with --sampler sde");
    if (!(s.sdeNoise >= 0.0)) throw UsageError("--sde-noise must be >= 0");
    if (!samplerServesPath(s.kind, config.isFlow() ? PathKind::Flow : PathKind::Vp))
        throw UsageError("--sampler " + samplerName(s.kind) + " follows the DDPM chain; this is a flow-matching "
                         "model: use euler, heun or sde");
    return s;
}

int cmdSample(const Argv& argv)
{
    const Args args(argv,
                    [] {
                        auto v = samplerOptionNames();
                        v.insert(v.end(), {"model", "scheduler-config", "seed", "num-samples", "init", "reference",
                                           "t0", "shape", "out", "trajectory", "device"});
                        return v;
                    }(),
                    {"help", "json"});
    if (args.flag("help")) {
        std::printf(kSampleHelp, kSamplerOptionsHelp);
        return 0;
    }
    if (!args.has("model")) throw UsageError("--model is required");
    const auto device = resolveDevice(args.str("device", "auto"));
    const auto model = openModel(args.str("model"), device, args.str("scheduler-config"));
    const auto& pkg = model.package;
    SamplerSettings settings = samplerSettingsFromArgs(args, pkg.scheduler);
    settings.startT = args.has("t0") ? args.integer("t0", -1) : -1;
    const SamplerKind kind = settings.kind;
    const double eta = settings.eta;
    auto process = std::make_shared<ReverseProcess>(pkg.scheduler, settings);

    SamplerOptions options;
    options.seed = static_cast<uint64_t>(args.int64("seed", 0));
    options.batch = args.int64("num-samples", 1);
    if (options.batch < 1) throw UsageError("--num-samples must be at least 1");
    options.device = device;
    options.discreteData = pkg.data.isImage();
    options.sampleShape = args.has("shape") ? parseShape(args.str("shape")) : pkg.data.shape;
    if (args.has("init")) options.init = loadTensor(args.str("init"));
    if (args.has("reference")) options.reference = loadTensor(args.str("reference"));
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

    std::unique_ptr<Trajectory> trajectory;
    if (args.has("trajectory"))
        trajectory = std::make_unique<Trajectory>(process, options.reference, options.discreteData);
    std::vector<double> klPerStep, gapPerStep;
    std::vector<long> tPerStep;
    ProgressBar bar("sampling", process->stepCount());
    const auto onStep = [&](const StepRecord& r) {
        if (trajectory) trajectory->record(r);
        tPerStep.push_back(r.t);
        if (r.kl.defined()) {
            klPerStep.push_back(r.kl.mean().item<double>());
            gapPerStep.push_back(r.meanGap.mean().item<double>());
        }
        bar.update(r.index + 1, "t=" + std::to_string(r.t));
    };
    g_interrupted.store(false);
    auto previous = std::signal(SIGINT, onSigint);
    const SampleResult result = runSampler(*model.denoiser, *process, options, onStep, &g_interrupted);
    std::signal(SIGINT, previous);
    bar.finish();

    if (args.has("out")) saveTensor(args.str("out"), result.sample);
    if (trajectory) trajectory->save(args.str("trajectory"));

    const double perStepMs = result.steps ? 1000.0 * result.seconds / result.steps : 0.0;
    if (args.flag("json")) {
        nlohmann::ordered_json j;
        j["model"] = pkg.name;
        j["sampler"] = samplerName(kind);
        j["steps"] = result.steps;
        j["planned_steps"] = process->stepCount();
        j["eta"] = eta;
        j["path"] = pathName(process->path().kind());
        j["model_calls"] = process->modelCalls();
        if (kind == SamplerKind::Sde) j["sde_noise"] = settings.sdeNoise;
        j["seed"] = options.seed;
        j["num_samples"] = result.sample.size(0);
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
                    samplerName(kind).c_str(), result.steps, process->stepCount(), device.str().c_str(),
                    result.seconds, perStepMs, result.seconds > 0 ? 100.0 * result.modelSeconds / result.seconds : 0.0,
                    static_cast<long long>(result.sample.size(0)), result.cancelled ? " (interrupted)" : "");
        if (!klPerStep.empty()) std::printf("mean per-step KL(q || p_theta): %.6g nats\n", mean(klPerStep));
    }
    return result.cancelled ? 130 : 0;
}

} // namespace difflens::cli
