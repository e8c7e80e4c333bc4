#pragma once
// Class and guidance options of difflens-cli (sample, eval, export): parsing --class / --guidance, wrapping
// the model in classifier-free guidance, and the class-conditional figures of eval (class accuracy, distance
// to the class's data) and its --sweep-guidance table. Also the `guidance-target` command: exact guided
// samples beside the tilted target p(x|c)^w p(x)^(1-w) (core/MATH.md, "Guidance").
#include "app/cli/commands.h"
#include "models/registry.h"

#include <nlohmann/json.hpp>

#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace difflens::cli {

struct GuidanceChoice
{
    int64_t classIndex = -1;                                 // -1: none
    double scale = std::numeric_limits<double>::quiet_NaN(); // NaN: not given (1 with a class)
    bool active() const { return classIndex >= 0; }
    /** The scale sampling uses: 1 (plain conditional) when a class is given without --guidance. */
    double effectiveScale() const { return scale == scale ? scale : 1.0; }
};

/**
 * A class given as an index or as one of the model's class names ("Trouser", case-insensitive), checked
 * against the model's classes; UsageError/ConfigError with one line otherwise.
 */
int64_t parseClass(const std::string& text, const LoadedModel& model);

/**
 * Validates --class and --guidance against the model (one line per problem: class out of range, guidance on
 * an unconditional model, negative scale) and, with a class, replaces model.denoiser by a GuidedDenoiser
 * around it. Returns the choice.
 */
GuidanceChoice applyGuidance(const std::optional<std::string>& classLabel, std::optional<double> scale,
                             LoadedModel& model);

/** Guidance scales to compare (--sweep-guidance, --scales), each checked to be >= 0. */
const std::vector<double>& checkScales(const std::vector<double>& scales);

/**
 * eval's class-conditional part: for the classes asked for (--class C or all), per guidance scale, samples
 * drawn with the same seed, their class accuracy (images: the shipped classifier; points: the nearest
 * labelled component or, for shapes, the nearest labelled data point) and their distance to that class's data
 * (images: Frechet distance in classifier features; points: sliced Wasserstein), with the data-vs-data floor.
 * Prints the trade-off table to stdout unless json; returns the figures as JSON.
 */
nlohmann::ordered_json evalGuidance(const EvalArgs& args, LoadedModel& model,
                                    const std::vector<int64_t>& classes, const std::vector<double>& scales,
                                    const std::string& classifierPath, bool json);

} // namespace difflens::cli
