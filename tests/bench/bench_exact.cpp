// Exact-denoiser cost against the training-set size (points: 1k, 10k, 60k; images: 1k, 10k), on the CPU,
// with resident memory before and after, to show the cost grows linearly and no step copies the set.
#include "core/datasets.h"
#include "core/exact.h"
#include "core/runtime.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>

using namespace difflens;

namespace {
long rssKb()
{
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    return 0;
}

void bench(const char* label, const torch::Tensor& set, int64_t batch, int reps)
{
    SchedulerConfig c;
    const auto sched = NoiseSchedule::fromConfig(c);
    GaussianMixtureDenoiser exact(sched, set);
    auto gen = at::make_generator<at::CPUGeneratorImpl>(0);
    auto shape = set.sizes().vec();
    shape[0] = batch;
    const auto x = torch::randn(shape, gen, torch::kFloat32);
    const auto t = torch::full({batch}, 500, torch::kInt64);
    exact.forward(x, t); // warm-up
    const long before = rssKb();
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < reps; ++i) exact.forward(x, t);
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count() / reps;
    const long after = rssKb();
    const double setMb = set.numel() * 4.0 / 1e6;
    std::printf("%-28s N=%6lld batch=%3lld  %8.3f ms/step  %7.4f us per (sample x item)  set %6.1f MB  RSS %+ld kB over %d steps\n",
                label, static_cast<long long>(set.size(0)), static_cast<long long>(batch), ms,
                1000.0 * ms / (static_cast<double>(batch) * set.size(0)), setMb, after - before, reps);
}
} // namespace

int main()
{
    initRuntime();
    std::printf("threads: %d\n", torch::get_num_threads());
    c10::InferenceMode guard;
    auto moons = openDataset("moons");
    for (int64_t n : {1000, 10000, 60000}) bench("exact points (moons)", moons->first(n), 256, 20);
    try {
        auto fm = openDataset("fashion-mnist");
        for (int64_t n : {1000, 10000}) bench("exact images (fashion-mnist)", fm->first(n), 16, 10);
    } catch (const std::exception& e) {
        std::printf("images skipped: %s\n", e.what());
    }
    return 0;
}
