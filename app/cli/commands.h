#pragma once
// difflens-cli sub-commands. Each takes the arguments after its name and returns the exit code; errors are
// thrown (difflens::Error, UsageError) and printed by main() as one line.
#include "core/sampler.h"

#include <string>
#include <vector>

namespace difflens {
struct LossLogEntry;
struct ModelPackage;
}

namespace difflens::cli {

using Argv = std::vector<std::string>;

/** --sampler (default: the model's own), --steps, --eta, --sde-noise, --solver-order, checked for this config. */
SamplerSettings samplerSettingsFromArgs(const Args& args, const SchedulerConfig& config);
/** The model's scheduler config with --karras, --spacing and --solver-type applied (UsageError when invalid). */
SchedulerConfig schedulerFromArgs(const Args& args, SchedulerConfig config);
/** The shipped Fashion-MNIST classifier next to a package, or in the source tree. */
std::string defaultClassifierPath(const ModelPackage& pkg);
/** eval --sweep-nfe: sample quality against model calls for several samplers (cmd_eval_sweep.cpp). */
int runNfeSweep(const Args& args);

int cmdSchedule(const Argv& args);
int cmdSample(const Argv& args);
int cmdInfo(const Argv& args);
int cmdTrain(const Argv& args);
int cmdDataset(const Argv& args);
int cmdEval(const Argv& args);
int cmdTrainClassifier(const Argv& args);
int cmdGuidanceTarget(const Argv& args);
int cmdGuidanceSweep(const Argv& args);
int cmdExportModel(const Argv& args);
/** Only in builds with Qt (DIFFLENS_CLI_EXPORT): frames are painted with the widgets. */
int cmdExport(const Argv& args);

class Args;
/** Names of the sampler options every sampling command takes (--sampler, --steps, --eta, --sde-noise, ...). */
std::vector<std::string> samplerOptionNames();
/** The sampler flags (--karras). */
std::vector<std::string> samplerFlagNames();
/** The help lines for them. */
extern const char* const kSamplerOptionsHelp;
/** loss.csv (step,loss,ema_loss) as log entries; lines that do not parse are skipped; empty when missing. */
std::vector<LossLogEntry> readLossLog(const std::string& path);

/** A progress bar on stderr, drawn only when stderr is a terminal (or DIFFLENS_PROGRESS=1). */
class ProgressBar
{
public:
    ProgressBar(std::string label, int total);
    ~ProgressBar();
    void update(int done, const std::string& extra = "");
    void finish();

private:
    std::string m_label;
    int m_total;
    bool m_enabled;
    bool m_finished = false;
    double m_start;
    double m_lastDraw = -1;
};

} // namespace difflens::cli
