// Memory estimates and the process-wide limit they are checked against (see resources.h for the role).
#include "core/resources.h"

#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <unistd.h>

namespace difflens {

namespace {
std::atomic<double> g_limit{0.0}; // 0: the default
constexpr double kDefaultFraction = 0.75;
} // namespace

double physicalMemoryBytes()
{
    const long pages = sysconf(_SC_PHYS_PAGES), pageSize = sysconf(_SC_PAGE_SIZE);
    return pages > 0 && pageSize > 0 ? static_cast<double>(pages) * static_cast<double>(pageSize) : 0.0;
}

double memoryLimitBytes()
{
    const double set = g_limit.load();
    if (set > 0) return set;
    if (const char* env = std::getenv("DIFFLENS_MAX_MEMORY"); env && *env) {
        try {
            return parseMemorySize(env);
        } catch (const ConfigError&) {
            // A malformed variable must not stop the app: fall back to the default (the CLI flag is checked).
        }
    }
    const double physical = physicalMemoryBytes();
    return physical > 0 ? kDefaultFraction * physical : 1e18;
}

void setMemoryLimitBytes(double bytes)
{
    g_limit.store(bytes > 0 ? bytes : 0.0);
}

double parseMemorySize(const std::string& text)
{
    const auto bad = [&] {
        return ConfigError("memory size '" + text +
                           "' is not a size: write e.g. 16G, 512M, 1.5GiB or a byte count");
    };
    if (text.empty()) throw bad();
    char* end = nullptr;
    const double value = std::strtod(text.c_str(), &end);
    if (end == text.c_str() || !std::isfinite(value) || value <= 0) throw bad();
    std::string unit(end);
    if (!unit.empty() && (unit.back() == 'B' || unit.back() == 'b'))
        unit.pop_back(); // "GB", "GiB" -> "G", "Gi"
    if (!unit.empty() && unit.back() == 'i') unit.pop_back();
    double scale = 1;
    if (unit == "K" || unit == "k")
        scale = 1024.0;
    else if (unit == "M" || unit == "m")
        scale = 1024.0 * 1024.0;
    else if (unit == "G" || unit == "g")
        scale = 1024.0 * 1024.0 * 1024.0;
    else if (unit == "T" || unit == "t")
        scale = 1024.0 * 1024.0 * 1024.0 * 1024.0;
    else if (!unit.empty())
        throw bad();
    return value * scale;
}

std::string formatBytes(double bytes)
{
    static const char* units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    int u = 0;
    while (bytes >= 1024.0 && u < 6) {
        bytes /= 1024.0;
        ++u;
    }
    char buf[48];
    if (u == 0)
        std::snprintf(buf, sizeof buf, "%.0f bytes", bytes);
    else
        std::snprintf(buf, sizeof buf,
                      bytes < 10    ? "%.2f %s"
                      : bytes < 100 ? "%.1f %s"
                                    : "%.0f %s",
                      bytes, units[u]);
    return buf;
}

void checkMemory(const std::string& what, double bytes)
{
    const double limit = memoryLimitBytes();
    if (!(bytes > limit)) return; // NaN never passes the test above; it is not a request
    std::string origin;
    if (g_limit.load() > 0)
        origin = "set with --max-memory";
    else if (const char* env = std::getenv("DIFFLENS_MAX_MEMORY"); env && *env)
        origin = "DIFFLENS_MAX_MEMORY";
    else
        origin =
            "75% of this machine's " + formatBytes(physicalMemoryBytes()) + "; raise it with --max-memory";
    throw ResourceError(what + " needs about " + formatBytes(bytes) + ", more than the memory limit of " +
                        formatBytes(limit) + " (" + origin + ")");
}

double elementCount(const std::vector<int64_t>& sizes)
{
    double n = 1;
    for (const auto s : sizes)
        n *= static_cast<double>(s);
    return n;
}

double samplingBytes(int64_t batch, double sampleNumel, double activationsPerSample)
{
    return static_cast<double>(batch) * (kSamplerLiveTensors * sampleNumel + activationsPerSample) * 4.0;
}

double trajectoryBytes(int steps, int64_t batch, double sampleNumel, double outputNumel, int bytesPerValue)
{
    return static_cast<double>(batch) * bytesPerValue *
           ((static_cast<double>(steps) + 1.0) * sampleNumel + static_cast<double>(steps) * outputNumel);
}

double trainingBytes(double parameters, int64_t batch, double sampleNumel, double activationsPerSample)
{
    // x_0, eps, x_t, the prediction and its gradient: 5 float32 tensors of the batch, plus the activations.
    return 5.0 * 4.0 * parameters +
           static_cast<double>(batch) * (5.0 * sampleNumel + activationsPerSample) * 4.0;
}

double exactDenoiserBytes(int64_t items, double sampleNumel, int64_t batch)
{
    const double n = static_cast<double>(items), b = static_cast<double>(batch);
    // The set (float64) and its squared norms; per forward pass [B, n] distances, weights and their exp.
    return n * sampleNumel * 8.0 + n * 8.0 + 3.0 * b * n * 8.0;
}

double activationsPerSample(const std::string& archType, double sampleNumel, int width)
{
    // MLP: a handful of [hidden] vectors per block; UNet: feature maps of `width` channels at full resolution
    // and their halvings, about 24 full-resolution maps in all (two residual blocks per level, skips kept).
    if (archType == "mlp") return 16.0 * width;
    if (archType == "unet") return 24.0 * width * sampleNumel;
    return 0;
}

} // namespace difflens
