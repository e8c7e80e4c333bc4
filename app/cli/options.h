#pragma once
// difflens-cli's command line: every command's options as typed fields that CLI11 fills (app/cli/options.cpp
// declares them with their types, ranges, choices and help), so a command reads plain values. CLI11 itself
// stays inside options.cpp: the commands, main and the fuzz harness see only these structs and CommandLine.
// std::optional marks an option whose absence means something else than any value (a default that depends
// on the model or the dataset, or a check that the option was given at all).
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace difflens::cli {

/** A usage error: printed with the command's help hint, exit code 2. */
class UsageError : public std::runtime_error
{
public:
    using std::runtime_error::runtime_error;
};

/** The sampler options of every sampling command (sample, eval, guidance-sweep; export takes the first four).
 */
struct SamplerArgs
{
    std::optional<std::string> sampler; // not given: the model's own
    std::optional<int> steps;           // not given: the sampler's default
    std::optional<double> eta;
    std::optional<double> sdeNoise;
    std::optional<std::string> clippedEps; // auto (not given), on, off: DDIM's use_clipped_model_output
    std::optional<int> solverOrder;
    bool karras = false;
    std::optional<std::string> spacing;
    std::optional<std::string> solverType;
};

struct ScheduleArgs
{
    std::optional<std::string> config;
    std::optional<std::string> betaSchedule;
    std::optional<int> timesteps; // 1000 when not given
    std::optional<double> betaStart, betaEnd;
    std::string format = "csv";
};

struct SampleArgs
{
    SamplerArgs sampler;
    std::string model, schedulerConfig;
    int64_t seed = 0;
    int64_t numSamples = 1;
    std::string init, reference, out, trajectory, saveRun;
    std::optional<int> t0;
    std::vector<int64_t> shape; // empty: the model's
    std::string device = "auto";
    std::optional<std::string> classLabel;
    std::optional<double> guidance;
    bool json = false;
};

struct InfoArgs
{
    std::string model, run;
    std::string device = "cpu";
    bool json = false;
};

struct TrainArgs
{
    std::string dataset, out;
    std::optional<std::string> arch; // not given: unet for images, mlp for points
    std::optional<int64_t> steps, batch, warmup, checkpointEvery;
    std::optional<double> lr, gradClip, emaDecay, weightDecay, pUncond;
    int64_t seed = 0;
    int timesteps = 1000;
    std::optional<std::string> betaSchedule;
    std::optional<double> betaStart, betaEnd;
    std::string objective = "ddpm";
    std::optional<std::string> prediction, loss;
    std::optional<int> hidden, blocks, base, threads;
    std::vector<int> mults;
    std::vector<int64_t> imageSize;
    std::string device = "auto";
    std::optional<std::string> initFrom, initWeights;
    bool resume = false, learnVariance = false, noAttention = false, conditional = false, noXSkip = false;
};

struct DatasetArgs
{
    std::vector<std::string> names; // the positional NAME|PATH: one expected
    int64_t num = 1000;
    int64_t seed = 0;
    std::string out, labels;
    std::vector<int64_t> imageSize;
};

struct EvalArgs
{
    SamplerArgs sampler;
    std::string model;
    std::optional<int64_t> numSamples, vlbSamples;
    int64_t seed = 0;
    std::optional<std::string> classifier;
    std::string device = "auto";
    std::optional<std::string> classLabel;
    std::optional<double> guidance;
    std::vector<double> sweepGuidance;
    std::vector<int> sweepNfe;
    std::vector<std::string> samplers;
    bool vlb = false, noExact = false, exact = false, json = false;
};

struct ClassifierArgs
{
    std::string out;
    int epochs = 3;
    int64_t seed = 0;
};

struct GuidanceTargetArgs
{
    std::vector<std::string> datasets; // the positional DATASET: one expected
    int64_t classIndex = 0;
    std::vector<double> guidance; // empty: 1, 3, 7
    int64_t numSamples = 4000;
    int steps = 1000;
    int64_t seed = 0;
    std::string out;
    bool json = false;
};

struct GuidanceSweepArgs
{
    SamplerArgs sampler;
    std::string model;
    std::optional<std::string> classLabel;
    std::vector<double> scales = {0, 1, 3, 7};
    std::optional<int64_t> numSamples;
    int64_t seed = 0;
    std::string out, gif;
    std::string frames = "log:30";
    double fps = 10.0;
    std::string device = "auto";
};

struct ExportArgs
{
    SamplerArgs sampler; // --sampler, --steps, --eta, --sde-noise
    std::string model, run, compare;
    std::optional<std::string> align;
    std::string format = "gif";
    std::string out;
    std::vector<std::string> panels;
    std::string frames = "log:60";
    std::optional<double> fps, hold;
    std::optional<int> scale, rows, t0, columns, numSamples;
    std::optional<std::string> reference;
    int64_t seed = 0;
    int sample = -1;
    int loop = 0;
    std::string device = "auto";
    bool globalPalette = false, noSchedule = false, reverse = false, forward = false;
};

struct ExportModelArgs
{
    std::vector<std::string> paths; // PACKAGE OUT
    std::optional<std::string> to;
};

/** Every command's options; CommandLine fills the one of the command given. */
struct CliArgs
{
    std::optional<std::string> maxMemory;
    ScheduleArgs schedule;
    SampleArgs sample;
    InfoArgs info;
    TrainArgs train;
    DatasetArgs dataset;
    EvalArgs eval;
    ClassifierArgs trainClassifier;
    GuidanceTargetArgs guidanceTarget;
    GuidanceSweepArgs guidanceSweep;
    ExportArgs exportRun;
    ExportModelArgs exportModel;
};

/** The CLI11 application of difflens-cli with one subcommand per command, bound to the fields of options().
 */
class CommandLine
{
public:
    CommandLine();
    ~CommandLine();
    CommandLine(const CommandLine&) = delete;
    CommandLine& operator=(const CommandLine&) = delete;

    bool hasCommand(const std::string& name) const;
    /**
     * Parses COMMAND [options] (argv without the program name) into options(). Returns false when --help was
     * asked for (help() then holds the text); throws UsageError with one line for anything refused.
     */
    bool parse(const std::vector<std::string>& args);
    /** The help of the command parsed, or the overview of every command before a parse. */
    std::string help() const;
    /** The command parsed ("" before a parse). */
    std::string command() const;
    const CliArgs& options() const { return m_options; }

private:
    CliArgs m_options;
    std::unique_ptr<CLI::App> m_app;
};

} // namespace difflens::cli
