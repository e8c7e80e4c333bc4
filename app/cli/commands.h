#pragma once
// difflens-cli sub-commands. Each takes its parsed options (options.h) and returns the exit code; errors are
// thrown (difflens::Error, UsageError) and printed by main() as one line.
#include "app/cli/options.h"
#include "core/sampler.h"

#include <string>
#include <vector>

namespace difflens {
struct LossLogEntry;
struct ModelPackage;
}

namespace difflens::cli {

/** --sampler (default: the model's own), --steps, --eta, --sde-noise, --solver-order, checked for this config. */
SamplerSettings samplerSettingsFromArgs(const SamplerArgs& args, const SchedulerConfig& config, bool guided = false);
/** The model's scheduler config with --karras, --spacing and --solver-type applied (UsageError when invalid). */
SchedulerConfig schedulerFromArgs(const SamplerArgs& args, SchedulerConfig config);
/** The shipped Fashion-MNIST classifier next to a package, or in the source tree. */
std::string defaultClassifierPath(const ModelPackage& pkg);
/** eval --sweep-nfe: sample quality against model calls for several samplers (cmd_eval_sweep.cpp). */
int runNfeSweep(const EvalArgs& args);

int cmdSchedule(const ScheduleArgs& args);
int cmdSample(const SampleArgs& args);
int cmdInfo(const InfoArgs& args);
int cmdTrain(const TrainArgs& args);
int cmdDataset(const DatasetArgs& args);
int cmdEval(const EvalArgs& args);
int cmdTrainClassifier(const ClassifierArgs& args);
int cmdGuidanceTarget(const GuidanceTargetArgs& args);
int cmdGuidanceSweep(const GuidanceSweepArgs& args);
int cmdExportModel(const ExportModelArgs& args);
/** Only in builds with Qt (DIFFLENS_CLI_EXPORT): frames are painted with the widgets. */
int cmdExport(const ExportArgs& args);

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
