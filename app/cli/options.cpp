// difflens-cli's command line on CLI11: one subcommand per command, each option typed, with its range or its
// choices, and the help that CLI11 generates from them. Errors become the one-line UsageError the commands
// have always given (main prints it with the command's name and exits 2).
#include "app/cli/options.h"

#include "app/cli/option_checks.h"
#include "app/cli/options_help.h"
#include "core/sampler_names.h"
#include "core/schedule.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <limits>
#include <type_traits>

namespace difflens::cli {

namespace {

using namespace help;
using namespace checks;

template <typename T> struct Element
{
    using type = T;
    static constexpr bool list = false, optional = false;
};
template <typename T> struct Element<std::optional<T>>
{
    using type = T;
    static constexpr bool list = false, optional = true;
};
template <typename T> struct Element<std::vector<T>>
{
    using type = T;
    static constexpr bool list = true, optional = false;
};

/**
 * An option bound to `target`, its text checked for the target's type first. A list is one argument split at
 * commas (a repeated list option adds to it); any other option given twice keeps the last value, as the
 * hand-written parser did. A fixed default is shown in --help; an optional one is described in `help`.
 */
template <typename T>
CLI::Option* add(CLI::App* cmd, const std::string& name, T& target, const std::string& help)
{
    using E = typename Element<T>::type;
    CLI::Option* o = cmd->add_option(name, target, help);
    if constexpr (std::is_integral_v<E>)
        o->transform(integerText<E>());
    else if constexpr (std::is_floating_point_v<E>)
        o->transform(numberText());
    if constexpr (Element<T>::list) {
        o->delimiter(',')->transform(listItem())->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
        if (!target.empty()) o->capture_default_str();
    } else if constexpr (!Element<T>::optional) {
        o->capture_default_str();
    }
    return o;
}

/** A flag; "--json=1" is refused as before ("option --json takes no value"). */
CLI::Option* flag(CLI::App* cmd, const std::string& name, bool& target, const std::string& help)
{
    return cmd->add_flag(name, target, help)->disable_flag_override();
}

CLI::App* command(CLI::App& root, const std::string& name, const std::string& summary,
                  const std::string& footer)
{
    CLI::App* cmd = root.add_subcommand(name, summary);
    cmd->footer(footer);
    // --max-memory is the root's: an option the command does not know is looked up there, and what neither
    // knows is kept (allow_extras) for CommandLine::parse to name.
    cmd->fallthrough();
    cmd->allow_extras();
    return cmd;
}

/** auto, cpu, cuda or cuda:i: a pattern that core resolves (and refuses with its own message). */
void addDevice(CLI::App* cmd, std::string& device)
{
    add(cmd, "--device", device, "auto, cpu, cuda or cuda:i");
}

/** The sampler options of every sampling command; `solver` adds the solver settings over the model's one. */
void addSamplerOptions(CLI::App* cmd, SamplerArgs& s, bool solver)
{
    add(cmd, "--sampler", s.sampler, "the sampler (default: the model's own)")->check(listed(samplerNames()));
    add(cmd, "--steps", s.steps, "sampling steps (default: all timesteps for ddpm, 25 for dpmpp, else 50)")
        ->check(atLeast(1, "must be at least 1"));
    add(cmd, "--eta", s.eta, "DDIM's eta (0: deterministic, 1: DDPM-like)");
    add(cmd, "--sde-noise", s.sdeNoise, "the SDE sampler's noise scale S (default 1; 0 is the ODE)")
        ->check(atLeast(0, "must be >= 0"));
    add(cmd, "--clipped-eps", s.clippedEps,
        "DDIM: eps re-derived from the clipped x0^ (GLIDE; diffusers' use_clipped_model_output); auto: on with --class")
        ->check(oneOf({"auto", "on", "off"}));
    if (!solver) return;
    add(cmd, "--solver-order", s.solverOrder,
        "DPM-Solver++'s order (default: the sampler name's or the config's)")
        ->check(within(1, 3, "{1,2,3}",
                       [](const std::string& text) { return text + " is out of range (1, 2 or 3)"; }));
    flag(cmd, "--karras", s.karras, "Karras sigmas");
    add(cmd, "--spacing", s.spacing, "timestep spacing (default: the model's config)")
        ->check(oneOf(timestepSpacingNames()));
    add(cmd, "--solver-type", s.solverType,
        "DPM-Solver++'s second-order formula (default: the model's config)")
        ->check(oneOf(solverTypeNames()));
}


void addSchedule(CLI::App& root, ScheduleArgs& a)
{
    CLI::App* cmd = command(root, "schedule", "print a noise schedule and its derived tables (CSV or JSON)",
                            kScheduleFooter);
    add(cmd, "--config", a.config, "a diffusers scheduler_config.json");
    add(cmd, "--beta-schedule", a.betaSchedule, "the schedule's name")->check(listed(betaScheduleNames()));
    add(cmd, "--timesteps", a.timesteps, "T, the training timesteps (default 1000)");
    add(cmd, "--beta-start", a.betaStart, "beta_1 (default: diffusers' 0.0001)");
    add(cmd, "--beta-end", a.betaEnd, "beta_T (default: diffusers' 0.02)");
    add(cmd, "--format", a.format, "the output")->check(oneOf({"csv", "json"}));
}

void addSample(CLI::App& root, SampleArgs& a)
{
    CLI::App* cmd =
        command(root, "sample", "run DDPM or DDIM with a model; per-step records, trajectory, summary",
                kSampleFooter);
    add(cmd, "--model", a.model, "PATH: the model (required)");
    add(cmd, "--scheduler-config", a.schedulerConfig,
        "a scheduler_config.json to use instead of the model's");
    addSamplerOptions(cmd, a.sampler, true);
    add(cmd, "--seed", a.seed, "the seed of x_T and the noise");
    add(cmd, "--num-samples", a.numSamples, "the batch B")->check(atLeast(1, "must be at least 1"));
    add(cmd, "--init", a.init, "x_T from a .pt tensor [B, ...]");
    add(cmd, "--reference", a.reference, "x_0 from a .pt tensor: mu~ and the KL per step");
    add(cmd, "--t0", a.t0, "start from the reference noised to this timestep");
    add(cmd, "--shape", a.shape, "the sample shape D or C,H,W (default: the model's)")
        ->check(atLeast(1, "must be positive integers like 2 or 1,28,28"));
    add(cmd, "--out", a.out, "write the final sample as FINAL.pt");
    add(cmd, "--trajectory", a.trajectory, "write every step's tensors as FILE.pt");
    add(cmd, "--save-run", a.saveRun, "write a run file RUN for the app");
    addDevice(cmd, a.device);
    add(cmd, "--class", a.classLabel, "sample toward class C (an index or a class name)");
    add(cmd, "--guidance", a.guidance, "the classifier-free guidance scale W (default 1 with --class)");
    flag(cmd, "--json", a.json, "the summary as JSON");
}

void addInfo(CLI::App& root, InfoArgs& a)
{
    CLI::App* cmd =
        command(root, "info", "describe a model: kind, schedule, data shape, parameter count", kInfoFooter);
    add(cmd, "--model", a.model, "PATH: the model");
    add(cmd, "--run", a.run, "a run file");
    addDevice(cmd, a.device);
    flag(cmd, "--json", a.json, "as JSON");
}

void addTrain(CLI::App& root, TrainArgs& a)
{
    CLI::App* cmd =
        command(root, "train", "train a built-in MLP or UNet into a model package (resumable)", kTrainFooter);
    add(cmd, "--dataset", a.dataset, "NAME|PATH: the training data");
    add(cmd, "--arch", a.arch, "the net (default: unet for images, mlp for points)")
        ->check(oneOf({"mlp", "unet"}));
    add(cmd, "--out", a.out, "DIR: the package (required)");
    flag(cmd, "--resume", a.resume, "continue DIR's checkpoint");
    add(cmd, "--steps", a.steps, "training steps in all (default 20000 for images, 5000 for points)");
    add(cmd, "--batch", a.batch, "the batch (default 64 for images, 512 for points)");
    add(cmd, "--lr", a.lr, "Adam's learning rate (default 2e-4 for images, 1e-3 for points)");
    add(cmd, "--warmup", a.warmup, "learning-rate warm-up steps");
    add(cmd, "--grad-clip", a.gradClip, "the gradient norm clip");
    add(cmd, "--ema-decay", a.emaDecay, "the EMA decay (default 0.9995 for images, 0.995 for points)");
    add(cmd, "--weight-decay", a.weightDecay, "AdamW's weight decay");
    add(cmd, "--seed", a.seed, "the seed of the initial weights and the data");
    add(cmd, "--timesteps", a.timesteps, "T");
    add(cmd, "--beta-schedule", a.betaSchedule, "the schedule (default linear)")
        ->check(listed(betaScheduleNames()));
    add(cmd, "--beta-start", a.betaStart, "beta_1");
    add(cmd, "--beta-end", a.betaEnd, "beta_T");
    add(cmd, "--objective", a.objective, "the DDPM chain or flow matching")->check(oneOf({"ddpm", "flow"}));
    add(cmd, "--prediction", a.prediction, "epsilon, sample or v_prediction (default epsilon)");
    flag(cmd, "--learn-variance", a.learnVariance, "learn the variance (improved DDPM)");
    add(cmd, "--loss", a.loss, "simple or hybrid (default: hybrid with --learn-variance, else simple)");
    add(cmd, "--hidden", a.hidden, "MLP: the hidden width");
    add(cmd, "--blocks", a.blocks, "MLP: the residual blocks");
    flag(cmd, "--no-x-skip", a.noXSkip, "MLP: no per-time linear path from x_t (the architecture before it)");
    add(cmd, "--base", a.base, "UNet: the base channels");
    add(cmd, "--mults", a.mults, "UNet: channel multipliers per level, e.g. 1,2,2");
    flag(cmd, "--no-attention", a.noAttention, "UNet: no attention blocks");
    add(cmd, "--image-size", a.imageSize, "C,H,W: resize the images");
    add(cmd, "--checkpoint-every", a.checkpointEvery, "steps between checkpoints");
    addDevice(cmd, a.device);
    add(cmd, "--threads", a.threads, "torch's CPU threads");
    add(cmd, "--init-from", a.initFrom, "PACKAGE: continue a published package");
    add(cmd, "--init-weights", a.initWeights, "PACKAGE: start from its weights");
    flag(cmd, "--conditional", a.conditional, "a class-conditional net");
    add(cmd, "--p-uncond", a.pUncond, "the share of labels dropped (default 0.1)")
        ->check(within(0, 1, "[0,1]", [](const std::string&) { return "must lie in [0, 1]"; }));
}

void addDataset(CLI::App& root, DatasetArgs& a)
{
    CLI::App* cmd = command(root, "dataset", "write samples of a dataset as a .pt tensor", kDatasetFooter);
    add(cmd, "NAME", a.names, "the dataset's name or path");
    add(cmd, "--num", a.num, "N, the samples")->check(atLeast(1, "must be at least 1"));
    add(cmd, "--seed", a.seed, "the seed");
    add(cmd, "--image-size", a.imageSize, "C,H,W: resize the images");
    add(cmd, "--out", a.out, "FILE.pt (required)");
    add(cmd, "--labels", a.labels, "L.pt: where the labels go");
}

void addEval(CLI::App& root, EvalArgs& a)
{
    CLI::App* cmd = command(
        root, "eval", "sample quality and likelihood figures with their floors and ceilings", kEvalFooter);
    add(cmd, "--model", a.model, "PATH: the model (required)");
    addSamplerOptions(cmd, a.sampler, true);
    add(cmd, "--num-samples", a.numSamples, "samples (default 1000 images, 10000 points)")
        ->check(atLeast(2, "must be at least 2"));
    add(cmd, "--seed", a.seed, "the seed");
    flag(cmd, "--vlb", a.vlb, "the variational bound in bits/dim");
    add(cmd, "--vlb-samples", a.vlbSamples, "data items for --vlb (default 16 images, 256 points)");
    add(cmd, "--classifier", a.classifier, "FILE: the Fashion-MNIST classifier (default: the shipped one)");
    addDevice(cmd, a.device);
    add(cmd, "--class", a.classLabel, "C or all: the class-conditional figures");
    add(cmd, "--guidance", a.guidance, "W: the guidance scale (default 1)");
    add(cmd, "--sweep-guidance", a.sweepGuidance, "guidance scales to compare, e.g. 0,1,2,3,5,8");
    add(cmd, "--sweep-nfe", a.sweepNfe, "model-call budgets, e.g. 5,10,20,50,100,1000")
        ->check(atLeast(1, "takes positive call counts like 5,10,20,50"));
    add(cmd, "--samplers", a.samplers, "the samplers of --sweep-nfe, e.g. ddim,dpmpp-2m")
        ->check(listed(samplerNames()));
    flag(cmd, "--no-exact", a.noExact, "--sweep-nfe without the exact denoiser's rows");
    flag(cmd, "--exact", a.exact, "--sweep-nfe with the exact denoiser's rows for images too");
    flag(cmd, "--json", a.json, "as JSON");
}

void addTrainClassifier(CLI::App& root, ClassifierArgs& a)
{
    CLI::App* cmd = command(root, "train-classifier",
                            "train the Fashion-MNIST classifier behind the image Frechet distance", "");
    add(cmd, "--out", a.out, "FILE (required)");
    add(cmd, "--epochs", a.epochs, "epochs");
    add(cmd, "--seed", a.seed, "the seed");
}

void addGuidanceSweep(CLI::App& root, GuidanceSweepArgs& a)
{
    CLI::App* cmd =
        command(root, "guidance-sweep", "the same x_T at several guidance scales: filmstrip PNG and GIF",
                kGuidanceSweepFooter);
    add(cmd, "--model", a.model, "PATH: a class-conditional model (required)");
    add(cmd, "--class", a.classLabel, "C: the class to guide toward (required)");
    add(cmd, "--scales", a.scales, "the guidance scales, e.g. 0,1,3,7");
    add(cmd, "--num-samples", a.numSamples, "B (default 8 images, 512 points)")
        ->check(atLeast(1, "must be at least 1"));
    add(cmd, "--seed", a.seed, "the seed");
    addSamplerOptions(cmd, a.sampler, true);
    add(cmd, "--out", a.out, "STRIP.png");
    add(cmd, "--gif", a.gif, "FILE.gif");
    add(cmd, "--frames", a.frames, "the GIF's frames: all, every:K or log:N");
    add(cmd, "--fps", a.fps, "the GIF's frames per second");
    addDevice(cmd, a.device);
}

void addGuidanceTarget(CLI::App& root, GuidanceTargetArgs& a)
{
    CLI::App* cmd =
        command(root, "guidance-target",
                "exact guided samples beside the tilted target p(x|c)^w p(x)^(1-w) (8gaussians, gmm1d)",
                kGuidanceTargetFooter);
    add(cmd, "DATASET", a.datasets, "8gaussians or gmm1d");
    add(cmd, "--class", a.classIndex, "C");
    add(cmd, "--guidance", a.guidance, "the guidance scales w (default 1,3,7)");
    add(cmd, "--num-samples", a.numSamples, "N")
        ->check(atLeast(100, "must be at least 100 (a histogram needs them)"));
    add(cmd, "--steps", a.steps, "DDPM steps");
    add(cmd, "--seed", a.seed, "the seed");
    add(cmd, "--out", a.out, "FILE.png");
    flag(cmd, "--json", a.json, "as JSON");
}

void addExport(CLI::App& root, ExportArgs& a)
{
    CLI::App* cmd =
        command(root, "export", "step-by-step GIF, MP4, PNG frames, filmstrip or CSV of a sampled run",
                kExportFooter);
    add(cmd, "--model", a.model, "PATH: sample with this model");
    add(cmd, "--run", a.run, "RUN.dlrun: export a saved run");
    add(cmd, "--compare", a.compare, "RUN_B.dlrun: beside --run");
    add(cmd, "--align", a.align, "the timelines of --compare")->check(oneOf({"step", "time"}));
    // The exporter's formats (app/logic/exporter.cpp checks them again, with the other export options).
    add(cmd, "--format", a.format, "the output")
        ->check(oneOf({"gif", "mp4", "frames", "filmstrip", "csv", "trajectory-csv"}));
    add(cmd, "--out", a.out, "PATH (required)");
    add(cmd, "--panels", a.panels, "image panels, a comma list of xt, x0hat, mu, mutilde, x0, diff");
    add(cmd, "--frames", a.frames, "all, every:K or log:N");
    add(cmd, "--fps", a.fps, "frames per second (default 12)");
    add(cmd, "--scale", a.scale, "pixels per image pixel (default 4)");
    add(cmd, "--reference", a.reference, "X0.pt, an image or dataset:INDEX");
    add(cmd, "--seed", a.seed, "the seed");
    addSamplerOptions(cmd, a.sampler, false);
    add(cmd, "--num-samples", a.numSamples, "B (default 512 points, else the rows shown)")
        ->check(atLeast(1, "must be at least 1"));
    add(cmd, "--sample", a.sample, "export sample I alone (-1: the batch)");
    add(cmd, "--rows", a.rows, "image rows (default 4)");
    add(cmd, "--t0", a.t0, "start from the reference noised to t0");
    add(cmd, "--loop", a.loop, "GIF loops (0: forever)");
    add(cmd, "--hold", a.hold, "seconds on the last frame (default 1.5)");
    flag(cmd, "--global-palette", a.globalPalette, "GIF: one palette (smaller)");
    flag(cmd, "--no-schedule", a.noSchedule, "no schedule strip under the frames");
    add(cmd, "--columns", a.columns, "filmstrip columns (default 8)");
    flag(cmd, "--reverse", a.reverse, "play from the last step back");
    flag(cmd, "--forward", a.forward, "the forward process of the reference");
    addDevice(cmd, a.device);
}

void addExportModel(CLI::App& root, ExportModelArgs& a)
{
    CLI::App* cmd = command(root, "export-model",
                            "a built-in net as a PyTorch state_dict plus the Python module that defines it",
                            kExportModelFooter);
    add(cmd, "PATHS", a.paths, "PACKAGE and OUT: the model package and the output folder");
    add(cmd, "--to", a.to, "the target (required)")->check(oneOf({"pytorch"}, [](const std::string& text) {
        return "'" + text + "' is not known (the only target is pytorch)";
    }));
}

/** CLI11's parse errors as the commands' one-line messages. */
std::string usageLine(const CLI::ParseError& e)
{
    const std::string what = e.what();
    const auto colon = what.find(": ");
    if (dynamic_cast<const CLI::ValidationError*>(&e) && colon != std::string::npos)
        return what.substr(0, colon) + " " + what.substr(colon + 2);
    if (dynamic_cast<const CLI::ArgumentMismatch*>(&e)) {
        const std::string override = " was given a disallowed flag override";
        if (what.size() > override.size() &&
            what.compare(what.size() - override.size(), override.size(), override) == 0)
            return "option --" + what.substr(0, what.size() - override.size()) + " takes no value";
        if (colon != std::string::npos && what.find(" required ") != std::string::npos)
            return "option " + what.substr(0, colon) + " needs a value";
    }
    return what;
}

/** What CLI11 could not place: an unknown option (named as before, without its value) or a stray argument. */
std::string extraLine(const std::string& extra)
{
    const bool option =
        extra.size() > 1 && extra[0] == '-' && !std::isdigit(static_cast<unsigned char>(extra[1]));
    if (option) return "unknown option " + extra.substr(0, extra.find('='));
    return "unexpected argument '" + extra + "'";
}

} // namespace

CommandLine::CommandLine()
    : m_app(std::make_unique<CLI::App>("Diffusion Lens without the GUI.", "difflens-cli"))
{
    CLI::App& root = *m_app;
    root.require_subcommand(1);
    root.allow_extras();
    root.footer("Run 'difflens-cli COMMAND --help' for a command's options.\n");
    // Options given twice keep the last value, as the hand-written parser did (lists set their own policy).
    root.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    add(&root, "--max-memory", m_options.maxMemory,
        "refuse work estimated to need more (e.g. 8G; default 75% of this machine's memory, or "
        "DIFFLENS_MAX_MEMORY); any command takes it")
        ->type_name("SIZE");
    addSchedule(root, m_options.schedule);
    addSample(root, m_options.sample);
    addInfo(root, m_options.info);
    addTrain(root, m_options.train);
    addDataset(root, m_options.dataset);
    addEval(root, m_options.eval);
    addTrainClassifier(root, m_options.trainClassifier);
    addGuidanceSweep(root, m_options.guidanceSweep);
    addGuidanceTarget(root, m_options.guidanceTarget);
    addExport(root, m_options.exportRun);
    addExportModel(root, m_options.exportModel);
}

CommandLine::~CommandLine() = default;

bool CommandLine::hasCommand(const std::string& name) const
{
    const auto named =
        m_app->get_subcommands([&name](const CLI::App* sub) { return sub->get_name() == name; });
    return !named.empty();
}

bool CommandLine::parse(const std::vector<std::string>& args)
{
    std::vector<std::string> reversed(args.rbegin(), args.rend()); // CLI11 takes the arguments last first
    try {
        m_app->parse(reversed);
    } catch (const CLI::CallForHelp&) {
        return false;
    } catch (const CLI::ParseError& e) {
        throw UsageError(usageLine(e));
    }
    for (const std::string& extra : m_app->remaining(true))
        if (extra != "--") throw UsageError(extraLine(extra));
    return true;
}

std::string CommandLine::help() const
{
    return m_app->help();
}

std::string CommandLine::command() const
{
    const auto parsed = m_app->get_subcommands();
    return parsed.empty() ? std::string() : parsed.front()->get_name();
}

} // namespace difflens::cli
