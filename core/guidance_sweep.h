#pragma once
// A guidance sweep (core/MATH.md, "Guidance"): the same x_T (same seed) sampled toward one class at
// several guidance scales w, recorded at chosen steps, and drawn side by side (one row per w: the images of
// the batch, or a scatter of the points). Frames for a filmstrip (the final samples) or a GIF (x_t step by
// step).
#include "core/export.h"
#include "core/model_package.h"
#include "core/sampler.h"

#include <torch/types.h>

#include <atomic>
#include <functional>
#include <memory>
#include <vector>

namespace difflens {

class Denoiser;

struct GuidanceSweep
{
    std::vector<double> scales;
    std::vector<int> steps;                    ///< indices of the recorded steps (x_prev after step i)
    std::vector<std::vector<torch::Tensor>> x; ///< [scale][recorded step] -> [B, ...] on the CPU
};

/**
 * Samples `conditional` toward classIndex at each scale from the same seed (so the same x_T and, for DDPM,
 * the same noise), recording x_prev after the steps in frameSteps (indices into the run; the last step is
 * always recorded). Validates class and scales (ConfigError). progress(done, total) counts runs.
 */
GuidanceSweep sampleGuidanceSweep(const std::shared_ptr<Denoiser>& conditional, const ReverseProcess& process,
                                  const SamplerOptions& options, int64_t classIndex,
                                  const std::vector<double>& scales, std::vector<int> frameSteps,
                                  const std::function<void(int, int)>& progress = {},
                                  const std::atomic_bool* cancel = nullptr);

/**
 * One frame of a sweep: row r shows the samples of scale r at recorded step k (images: the batch side by
 * side, each scaled by `zoom`; points: a scatter over the data range in a square of `panel` pixels, rows laid
 * out left to right). A small bar of the row's colour (w ramp) marks each row.
 */
RgbFrame renderGuidanceSweepFrame(const GuidanceSweep& sweep, size_t k, const DataSpec& spec, int zoom = 3,
                                  int panel = 220);

} // namespace difflens
