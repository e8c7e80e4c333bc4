// Opening a saved run: a 1,000-step DDPM run of 64 Fashion-MNIST-sized images (float16 states and outputs,
// about 200 MB) is written to a temporary file, then opened and its first step derived, as the app does when a
// lecturer opens a run prepared at home. The target (issue "Lecture-ready") is the first frame within 1 s; the
// figure is printed beside the time to read the same bytes from the file, measured in the same run, so the ratio
// holds on a busy machine.
#include "core/run_file.h"
#include "core/runtime.h"
#include "core/sampler.h"
#include "core/trajectory.h"

#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <vector>

using namespace difflens;

namespace {
double msSince(std::chrono::steady_clock::time_point start)
{
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}
} // namespace

int main(int argc, char** argv)
{
    initRuntime();
    const int reps = argc > 1 ? std::max(1, std::atoi(argv[1])) : 3;
    const auto file = (std::filesystem::temp_directory_path() / "bench_run_open.dlrun").string();
    {
        SchedulerConfig config;
        auto process = std::make_shared<ReverseProcess>(config, SamplerKind::Ddpm, 1000);
        RunRecord run;
        run.modelSpec = "exact:fashion-mnist";
        run.data = DataSpec::images(1, 28, 28);
        run.scheduler = config;
        run.trajectory = std::make_shared<Trajectory>(process, torch::zeros({1, 1, 28, 28}), true,
                                                      torch::randn({1001, 64, 1, 28, 28}).to(torch::kFloat16),
                                                      torch::randn({1000, 64, 1, 28, 28}).to(torch::kFloat16), 1000);
        saveRun(file, run);
    }
    const double mb = std::filesystem::file_size(file) / 1e6;
    double readBest = 1e30, openBest = 1e30;
    for (int r = 0; r < reps; ++r) {
        auto start = std::chrono::steady_clock::now();
        {
            std::ifstream in(file, std::ios::binary | std::ios::ate);
            std::vector<char> bytes(static_cast<size_t>(in.tellg()));
            in.seekg(0);
            in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        }
        readBest = std::min(readBest, msSince(start));
        start = std::chrono::steady_clock::now();
        const RunRecord back = loadRun(file);
        const StepRecord first = back.trajectory->step(0);
        openBest = std::min(openBest, msSince(start));
    }
    std::filesystem::remove(file);
    std::printf("run file %.0f MB (1000 steps x 64 images, float16)\n", mb);
    std::printf("read the bytes        %8.1f ms (best of %d)\n", readBest, reps);
    std::printf("open + derive step 1  %8.1f ms (best of %d)  = %.2fx the read; target 1000 ms: %s\n", openBest, reps,
                openBest / readBest, openBest < 1000.0 ? "met" : "NOT met");
    return 0;
}
