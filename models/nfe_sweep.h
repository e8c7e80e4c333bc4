#pragma once
// Steps versus quality (the error budget): for each sampler and each budget of model calls (NFE; Heun spends
// 2 steps - 1), the distance of samples to the data (sliced Wasserstein for points, the classifier Frechet
// distance for images) beside the data-vs-data floor; with the exact denoiser of the model's dataset as a
// second row per sampler, whose error is the solver's alone (an exact denoiser has no network error), so the
// gap between the two rows is the network's share. `difflens-cli eval --sweep-nfe` and the app's
// Steps vs quality window both run this.
#include "core/model_package.h"
#include "core/schedule.h"

#include <torch/types.h>

#include <atomic>
#include <functional>
#include <string>
#include <vector>

namespace difflens {

struct NfeSweepOptions
{
    std::string model;                 ///< a package path or exact:NAME
    std::vector<int> nfes;             ///< model-call budgets, each >= 1
    std::vector<std::string> samplers; ///< --sampler names; empty: the path's defaults (defaultSweepSamplers)
    int64_t numSamples = 0;            ///< 0: 4000 points or 500 images
    uint64_t seed = 0;
    /** Add the exact denoiser's rows (for images only with exactForImages: 60,000 images are slow). */
    bool exactRows = true;
    bool exactForImages = false;
    /** The model's scheduler config as the sweep samples it (Karras sigmas, spacing); null: as packaged. */
    std::function<SchedulerConfig(const SchedulerConfig&)> adjustScheduler;
    /** Images: the Fashion-MNIST classifier for the package (required for image models). */
    std::function<std::string(const ModelPackage&)> classifierPath;
    torch::Device device = torch::kCPU;
};

struct NfeSweepRow
{
    std::string denoiser; ///< the model's name or the exact spec
    std::string sampler;
    bool exact = false;              ///< the exact denoiser's row (the solver's error alone)
    std::vector<double> value;       ///< per NFE; NaN where the sampler could not run (notes says why)
    std::vector<int> modelCalls;     ///< per NFE, what the run spent (-1: did not run)
    std::vector<std::string> notes;  ///< per NFE, "" or why there is no value
};

struct NfeSweepResult
{
    std::string model, dataset;
    std::string metric; ///< sliced_wasserstein | classifier_frechet
    int64_t numSamples = 0;
    double floor = 0; ///< the same distance between two data samples
    std::string timestepSpacing;
    bool karras = false;
    std::vector<int> nfes;
    std::vector<NfeSweepRow> rows;
    std::string note; ///< why there is no exact row, when there is none
};

/** The samplers swept by default for a model of this config (VP: DDIM, DPM-Solver++ 2M/3M, Euler, Euler a, Heun). */
std::vector<std::string> defaultSweepSamplers(const SchedulerConfig& config);

/**
 * Runs the sweep; progress(done, total) after each run, cancel checked between runs (throws Cancelled).
 * Throws ConfigError / DataError / ModelError with one sentence for a bad model, sampler or budget.
 */
NfeSweepResult runNfeSweep(const NfeSweepOptions& options, const std::function<void(int, int)>& progress = {},
                           const std::atomic_bool* cancel = nullptr);

} // namespace difflens
