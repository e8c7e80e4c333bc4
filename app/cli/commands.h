#pragma once
// difflens-cli sub-commands. Each takes the arguments after its name and returns the exit code; errors are
// thrown (difflens::Error, UsageError) and printed by main() as one line.
#include "core/sampler.h"

#include <string>
#include <vector>

namespace difflens::cli {

using Argv = std::vector<std::string>;

int cmdSchedule(const Argv& args);
int cmdSample(const Argv& args);
int cmdInfo(const Argv& args);
int cmdTrain(const Argv& args);
int cmdDataset(const Argv& args);
int cmdEval(const Argv& args);
int cmdTrainClassifier(const Argv& args);
/** Only in builds with Qt (DIFFLENS_CLI_EXPORT): frames are painted with the widgets. */
int cmdExport(const Argv& args);

class Args;
/** --sampler (default: the model's own), --steps, --eta, --sde-noise, checked for this scheduler config. */
SamplerSettings samplerSettingsFromArgs(const Args& args, const SchedulerConfig& config);
/** Names of the sampler options every sampling command takes (--sampler, --steps, --eta, --sde-noise). */
std::vector<std::string> samplerOptionNames();
/** The help lines for them. */
extern const char* const kSamplerOptionsHelp;

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
