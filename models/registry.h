#pragma once
// Opens any model the app and CLI accept: a package folder, a TorchScript file, a built-in net package, or
// an exact denoiser "exact:DATASET[?n=N&seed=S]".
#include "core/denoiser.h"
#include "core/model_package.h"

#include <memory>
#include <limits>
#include <string>

namespace difflens {

struct LoadedModel
{
    ModelPackage package;
    std::shared_ptr<Denoiser> denoiser;
};

/** An exact-denoiser spec "exact:DATASET[?n=N&seed=S&T=T&schedule=NAME]", parsed and checked. */
struct ExactSpec
{
    std::string dataset;
    long long n = -1;  // training items of a finite set; -1: the mixture's closed form (or 1000 items)
    uint64_t seed = 0; // which items
    SchedulerConfig scheduler; // T and schedule from the spec, validated
    bool flow = false;         // ?path=flow: the flow-matching path (core/MATH.md, "Gaussian paths")
    long long classIndex = -1; // ?class=C: the exact guided/conditional denoiser of class C
    double guidance = std::numeric_limits<double>::quiet_NaN(); // ?guidance=W (NaN: not given)
};

/** Throws ConfigError naming the part of the spec that is wrong. */
ExactSpec parseExactSpec(const std::string& spec);

/** Throws ModelError / ConfigError / DataError with a message naming the problem. */
LoadedModel openModel(const std::string& spec, torch::Device device, const std::string& schedulerOverride = "");

/** Parameter count and one line per fact, for `difflens-cli info` and the GUI's model tooltip. */
std::string describeModel(const LoadedModel& model);

} // namespace difflens
