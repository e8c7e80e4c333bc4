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
#if defined(M_MMAP_THRESHOLD) && defined(M_TRIM_THRESHOLD)
    // glibc serves blocks above its mmap threshold with a fresh mmap and unmaps them on free, so every large
    // tensor of a sampling loop costs page faults and zeroing. Its own remedy (the dynamic threshold) stops at
    // 32 MiB, hence a fixed 256 MiB. Setting the mmap threshold by hand also freezes the trim threshold at its
    // 128 KiB default, which gives any free top of the heap above 128 KiB back to the system at once: a 4 MiB
    // matmul output then faults its pages in again on every call (25-30% of a 1024^3 float32 matmul here;
    // bench_sampler prints both sides). glibc's dynamic rule keeps trim = 2 x mmap; 256 MiB here: freed heap
    // stays mapped up to the size of the largest block the heap serves.
    mallopt(M_MMAP_THRESHOLD, 256 << 20);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
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
