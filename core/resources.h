#pragma once
// Memory estimates made before the big allocations (sampling, training, exact denoisers, recorded
// trajectories), so that a request this machine cannot hold is refused with a message naming the estimate and
// the limit, instead of an allocator error ("you tried to allocate 800000000000 bytes") or a machine that
// swaps until it freezes. The estimates are deliberately simple upper-ish bounds: the tensors a step keeps
// alive times a stated factor, not an allocator trace; their job is to stop requests that are off by orders
// of magnitude, not to pack memory tightly. The limit defaults to 75% of the machine's physical memory;
// `difflens-cli --max-memory SIZE` or DIFFLENS_MAX_MEMORY set another.
#include "core/errors.h"

#include <cstdint>
#include <string>
#include <vector>

namespace difflens {

/** A request that would need more memory than the limit allows; what() names both numbers. */
class ResourceError : public Error
{
public:
    using Error::Error;
};

/** Physical memory of this machine in bytes (sysconf), or 0 when it cannot be told. */
double physicalMemoryBytes();
/** The limit in bytes: set by setMemoryLimitBytes, else DIFFLENS_MAX_MEMORY, else 75% of physical memory. */
double memoryLimitBytes();
/** Sets the limit for this process; 0 returns to the default. */
void setMemoryLimitBytes(double bytes);
/** "16G", "512M", "1.5GiB", "2e9", "800000000" (bytes) -> bytes; throws ConfigError naming the text. */
double parseMemorySize(const std::string& text);
/** 1536 -> "1.5 KiB", 8e11 -> "745 GiB". */
std::string formatBytes(double bytes);

/**
 * Throws ResourceError when `bytes` exceeds the limit:
 * "<what> needs about 745 GiB, more than the memory limit of 17.3 GiB (75% of this machine's 23 GiB); ...".
 */
void checkMemory(const std::string& what, double bytes);

/** Product of the sizes in double (1e11 x 28 x 28 does not wrap); an empty list is 1. */
double elementCount(const std::vector<int64_t>& sizes);

// ---- the estimates (bytes) ----

/**
 * A sampling run of `batch` samples of `sampleNumel` values: the float32 tensors a step keeps alive (x_t, the
 * model output, eps, x0^, the means, the noise, x_prev: kSamplerLiveTensors of them), plus the network's own
 * activations per sample (`activationsPerSample` values, 0 for exact and small nets).
 */
double samplingBytes(int64_t batch, double sampleNumel, double activationsPerSample = 0);
/** A recorded trajectory: x_t at steps + 1 states and the raw output at `steps` steps, `bytesPerValue` each.
 */
double trajectoryBytes(int steps, int64_t batch, double sampleNumel, double outputNumel,
                       int bytesPerValue = 4);
/**
 * Training: weights, gradients, the two Adam moments and the EMA copy (5 x parameters, float32) plus a batch
 * of data, noise and the prediction with the network's activations kept for the backward pass.
 */
double trainingBytes(double parameters, int64_t batch, double sampleNumel, double activationsPerSample);
/**
 * An exact denoiser of `items` training points: the set in float64, and per forward pass the [B, items]
 * distance and weight matrices and a [B, items]-weighted sum over the set (batch `batch`).
 */
double exactDenoiserBytes(int64_t items, double sampleNumel, int64_t batch = 1);

/** How many values a built-in net keeps per sample for the backward pass (architecture JSON; 0 unknown). */
double activationsPerSample(const std::string& archType, double sampleNumel, int width);

constexpr int kSamplerLiveTensors = 8;

} // namespace difflens
