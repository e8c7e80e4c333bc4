#include "core/runtime.h"

#include "core/errors.h"

#include <torch/cuda.h>
#include <torch/torch.h>

#include <malloc.h>

#include <cstdlib>
#include <thread>

namespace difflens {

void initRuntime(int threads)
{
    static bool done = false;
    if (done) return;
    done = true;
#ifdef M_MMAP_THRESHOLD
    mallopt(M_MMAP_THRESHOLD, 256 << 20);
#endif
    int n = threads > 0 ? threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    if (const char* env = std::getenv("DIFFLENS_THREADS"); env && std::atoi(env) > 0 && threads <= 0) n = std::atoi(env);
    torch::set_num_threads(n);
}

bool cudaAvailable()
{
    return torch::cuda::is_available();
}

torch::Device resolveDevice(const std::string& spec)
{
    if (spec.empty() || spec == "auto") return cudaAvailable() ? torch::Device(torch::kCUDA, 0) : torch::kCPU;
    if (spec == "cpu") return torch::kCPU;
    if (spec.rfind("cuda", 0) == 0) {
        if (!cudaAvailable())
            throw ConfigError("device '" + spec +
                              "' requested, but this LibTorch has no CUDA (Debian's is CPU-only): build against an "
                              "official CUDA LibTorch, see README 'GPU', or use --device cpu");
        try {
            torch::Device d(spec);
            if (d.index() >= static_cast<int>(torch::cuda::device_count()))
                throw ConfigError("device '" + spec + "' does not exist: this machine has " +
                                  std::to_string(torch::cuda::device_count()) + " CUDA device(s)");
            return d;
        } catch (const c10::Error&) {
            throw ConfigError("device '" + spec + "' is not a device name (use auto, cpu, cuda or cuda:N)");
        }
    }
    throw ConfigError("device '" + spec + "' is not a device name (use auto, cpu, cuda or cuda:N)");
}

std::string deviceName(const torch::Device& device)
{
    return device.str();
}

} // namespace difflens
