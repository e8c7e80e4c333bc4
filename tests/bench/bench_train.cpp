// Training steps per second of the built-in MLP and UNet: core's Trainer against the same model and step
// in Python PyTorch (scripts/bench_train.py), in the same run, with the same thread count.
#include "core/datasets.h"
#include "core/runtime.h"
#include "core/trainer.h"
#include "models/nets.h"

#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

using namespace difflens;

namespace {
std::string python(const std::string& arch, int batch, int steps, int threads)
{
    const std::string cmd = std::string(DIFFLENS_BENCH_PYTHON) + " " + DIFFLENS_BENCH_SOURCE_DIR +
                            "/scripts/bench_train.py --arch " + arch + " --batch " + std::to_string(batch) +
                            " --steps " + std::to_string(steps) + " --threads " + std::to_string(threads) + " 2>&1";
    std::string out;
    if (FILE* p = popen(cmd.c_str(), "r")) {
        char buf[512];
        while (fgets(buf, sizeof buf, p)) out += buf;
        pclose(p);
    }
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
}

double cpp(const nlohmann::json& arch, const std::string& dataset, int batch, int steps)
{
    TrainOptions o;
    o.batch = batch;
    o.steps = 1000000;
    o.logEvery = 0;
    o.checkpointEvery = 0;
    torch::manual_seed(0);
    Trainer trainer(makeNet(arch), makeNet(arch), std::shared_ptr<const Dataset>(openDataset(dataset)), SchedulerConfig{},
                    o, torch::kCPU);
    for (int i = 0; i < 3; ++i) trainer.step();
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < steps; ++i) trainer.step();
    return steps / std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}
} // namespace

int main(int argc, char** argv)
{
    initRuntime();
    const int threads = torch::get_num_threads();
    const bool quick = argc > 1 && std::string(argv[1]) == "--quick";
    std::printf("threads: %d (both sides)\n", threads);
    struct Case
    {
        const char* label;
        nlohmann::json arch;
        const char* dataset;
        const char* pyArch;
        int batch, steps;
    };
    const Case cases[] = {{"MLP 2-D, batch 512", MlpConfig{}.toJson(), "moons", "mlp", 512, quick ? 20 : 100},
                          {"UNet 28x28, batch 64", UnetConfig{}.toJson(), "fashion-mnist", "unet", 64, quick ? 3 : 15}};
    for (const auto& c : cases) {
        const double ours = cpp(c.arch, c.dataset, c.batch, c.steps);
        const std::string theirs = python(c.pyArch, c.batch, c.steps, threads);
        std::printf("%-22s C++ %8.2f steps/s | Python %s\n", c.label, ours, theirs.c_str());
    }
    return 0;
}
