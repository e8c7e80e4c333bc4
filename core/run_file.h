#pragma once
// Run files: one file that holds a whole reverse run so it can be opened again without the model (design.md,
// "Runs"). The file is what Python's torch.save writes for a dict (torch.load reads it):
//   "difflens_run": the format version (int, kRunFileVersion),
//   "header":       JSON text: the model (spec, name, data, scheduler config, architecture), the sampler's
//                   settings (SamplerSettings), the seed, the batch, how x_T was made, the app's own settings,
//   "states":       x at every step [n+1, B, ...] in the dtype the trajectory kept them (float16 or float32),
//   "outputs":      the raw model output of every step [n, B, ...] (same dtype),
//   "reference":    x_0 [1 or B, ...] float32 (only with a reference),
//   "summary.NAME": per-step summaries [n, ...] (t, kl, mean_gap, tracked paths...).
// Everything else a panel shows (x0^, mu_theta, mu~, KL) is re-derived from these by the ReverseProcess, as
// for a live run, so an opened run scrubs exactly like the run that was saved.
#include "core/model_package.h"
#include "core/sampler.h"

#include <nlohmann/json.hpp>
#include <torch/types.h>

#include <map>
#include <memory>
#include <string>

namespace difflens {

class Trajectory;

/** The newest run format this build reads and the one it writes. */
inline constexpr int kRunFileVersion = 1;

struct RunRecord
{
    // The model the run was made with (it need not be there when the run is opened).
    std::string modelSpec;  ///< what opened it: a package path or exact:NAME
    std::string modelName;
    DataSpec data;
    SchedulerConfig scheduler;
    nlohmann::json architecture; ///< built-in nets; null otherwise
    // The run.
    SamplerSettings sampler;
    uint64_t seed = 0;
    bool noiseReference = false; ///< x_T was the reference noised to the first timestep (else N(0, I) or init)
    nlohmann::json settings;     ///< the front end's own settings (free-form, kept as they are)
    std::shared_ptr<const Trajectory> trajectory;
    std::map<std::string, torch::Tensor> summaries; ///< per-step, [n, ...] CPU
};

/** Writes `run` to path atomically; throws IoError / Error (empty trajectory). */
void saveRun(const std::string& path, const RunRecord& run);

/**
 * Reads a run file. Throws DataError with one sentence for a file that is not a run file, is damaged or
 * truncated, or was written by a newer version; IoError when it cannot be read.
 */
RunRecord loadRun(const std::string& path);

/** The header alone (for `difflens-cli info --run`), with "file_bytes" added. Same errors as loadRun. */
nlohmann::json runFileHeader(const std::string& path);

/** SamplerSettings as JSON and back (names as in samplerNames(); unknown keys ignored, wrong types throw). */
nlohmann::json samplerSettingsToJson(const SamplerSettings& s);
SamplerSettings samplerSettingsFromJson(const nlohmann::json& j, const std::string& origin);

} // namespace difflens
