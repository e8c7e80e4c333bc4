// bench_sampler: per-step time of difflens' C++ reverse loop (runSampler + TorchScriptDenoiser) against the
// same loop in Python PyTorch (scripts/bench_sampler.py -> scripts/reference_sampler.py) on the same
// TorchScript models, in the same run and with the same intra-op thread count, plus the BLAS throughput both
// sides see.
//
// usage: bench_sampler [--models DIR] [--python PATH] [--threads N] [--repeats R] [--quick]
//   DIR defaults to <build>/testdata (written by scripts/make_test_models.py when missing).
//   --threads: passed to difflens::initRuntime (0: all cores); Python then uses torch::get_num_threads().
//   --quick: a tenth of the steps (a smoke run).
//   --no-init-runtime: only torch::set_num_threads, without initRuntime's mallopt (to measure what that
//   changes).
// Cases: 2-D MLP at 16 and 10,000 points, small UNet (1x28x28) at batch 1 and 16; DDPM, seed 0.
// Then the built-in UNet of models/pretrained/fashion-mnist (models/nets.cpp), batch 16: one forward as a
// fraction of this run's matmul rate (its flops counted from its layers), and a DDIM-50 run of 16 images.
// Per case: a warm-up run of 5 steps (TorchScript's profiling executor), then R timed runs; ms/step is the
// median. Python and C++ alternate per case so that both sides see the same load; the sample checksums must
// agree bitwise.
#include "core/denoiser.h"
#include "core/model_package.h"
#include "core/runtime.h"
#include "core/sampler.h"
#include "machine_bounds.h"
#include "models/nets.h"
#include "models/registry.h"

#include <ATen/CPUGeneratorImpl.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#ifndef DIFFLENS_BENCH_SOURCE_DIR
#define DIFFLENS_BENCH_SOURCE_DIR "."
#endif
#ifndef DIFFLENS_BENCH_BINARY_DIR
#define DIFFLENS_BENCH_BINARY_DIR "."
#endif
#ifndef DIFFLENS_BENCH_PYTHON
#define DIFFLENS_BENCH_PYTHON "/usr/bin/python3"
#endif

namespace {

using clock_type = std::chrono::steady_clock;

struct Case
{
    std::string model;
    int64_t batch;
    int steps;
    std::string label;
};

std::string shellQuote(const std::string& s)
{
    std::string out = "'";
    for (char c : s)
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

/** Runs a shell command and returns its stdout; rc receives the exit status. */
std::string capture(const std::string& command, int* rc)
{
    std::string out;
    FILE* p = popen(command.c_str(), "r");
    if (!p) {
        *rc = -1;
        return out;
    }
    std::array<char, 4096> buf{};
    size_t n;
    while ((n = fread(buf.data(), 1, buf.size(), p)) > 0)
        out.append(buf.data(), n);
    *rc = pclose(p);
    return out;
}

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    const size_t n = v.size();
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/** The Python side's measurement (scripts/bench_sampler.py): a fresh output per call, best of 20. */
double matmulGflops()
{
    c10::InferenceMode guard;
    auto gen = at::make_generator<at::CPUGeneratorImpl>(0);
    const auto a = torch::randn({1024, 1024}, gen), b = torch::randn({1024, 1024}, gen);
    const double s = difflens::bench::bestSeconds(20, [&] { torch::matmul(a, b); });
    return 2.0 * 1024.0 * 1024.0 * 1024.0 / s / 1e9;
}

/**
 * Flops (2 x multiply-adds) of one UNet forward per image, from its layers: each convolution's weight
 * [out, in, kh, kw] times the pixels of its output, whose size follows from the layer's name (models/nets.cpp:
 * level l runs at size / 2^l, downsample l writes level l + 1, upsample l writes level l - 1, mid at the lowest),
 * linear layers, and the attention's two [HW, HW, C] products.
 */
double unetFlopsPerImage(difflens::DenoiserNet& net, const difflens::UnetConfig& c)
{
    const int lowest = static_cast<int>(c.mults.size()) - 1;
    auto pixels = [&](int level) { return std::pow(static_cast<double>(c.size >> level), 2.0); };
    auto levelOf = [&](const std::string& name) {
        auto digitAfter = [&](const std::string& prefix) { return std::stoi(name.substr(prefix.size(), 1)); };
        if (name.rfind("downsample", 0) == 0) return digitAfter("downsample") + 1;
        if (name.rfind("upsample", 0) == 0) return digitAfter("upsample") - 1;
        if (name.rfind("down", 0) == 0) return digitAfter("down");
        if (name.rfind("up", 0) == 0) return digitAfter("up");
        if (name.rfind("mid", 0) == 0) return lowest;
        return 0; // input, out
    };
    double flops = 0;
    for (const auto& item : net.named_parameters()) {
        const auto& name = item.key();
        const auto& w = item.value();
        if (name.size() < 7 || name.compare(name.size() - 7, 7, ".weight") != 0) continue;
        if (w.dim() == 4) flops += 2.0 * static_cast<double>(w.numel()) * pixels(levelOf(name));
        if (w.dim() == 2) flops += 2.0 * static_cast<double>(w.numel());
    }
    if (c.attention) {
        const double n = pixels(lowest), ch = static_cast<double>(c.base) * c.mults.back();
        flops += 2.0 * 2.0 * n * n * ch;
    }
    return flops;
}

/** The built-in UNet at batch 16: forward against this run's matmul rate, and a DDIM-50 run. */
void benchBuiltinUnet(const std::string& source)
{
    const std::string dir = source + "/models/pretrained/fashion-mnist";
    if (!std::filesystem::exists(dir + "/model.pt")) {
        std::printf("\nbuilt-in UNet: %s missing, skipped\n", dir.c_str());
        return;
    }
    const auto model = difflens::openModel(dir, torch::kCPU);
    auto* netDenoiser = dynamic_cast<difflens::NetDenoiser*>(model.denoiser.get());
    const auto config = difflens::UnetConfig::fromJson(model.package.architecture);
    const double flops = netDenoiser ? unetFlopsPerImage(*netDenoiser->net(), config) : 0.0;
    c10::InferenceMode guard;
    auto gen = at::make_generator<at::CPUGeneratorImpl>(0);
    const int64_t batch = 16;
    const auto x = torch::randn({batch, config.channels, config.size, config.size}, gen);
    const auto t = torch::full({batch}, 500, torch::kInt64);
    double gemm = 0, forward = 1e30;
    // Alternate the two measurements so that both see the same load; best of each.
    for (int i = 0; i < 5; ++i) {
        gemm = std::max(gemm, difflens::bench::matmulGflops());
        forward = std::min(forward, difflens::bench::bestSeconds(3, [&] { model.denoiser->forward(x, t); }));
    }
    const double rate = batch * flops / forward / 1e9;
    std::printf("\nbuilt-in UNet (%s), batch %lld, %dx%d: %.3f GFLOP per image\n", dir.c_str(),
                static_cast<long long>(batch), config.size, config.size, flops / 1e9);
    std::printf("  forward %.2f ms = %.1f GFLOP/s = %.0f%% of this run's matmul (%.1f GFLOP/s, 1024^3 into a "
                "kept output)\n",
                1e3 * forward, rate, 100.0 * rate / gemm, gemm);
    difflens::SamplerOptions o;
    o.seed = 0;
    o.batch = batch;
    o.sampleShape = model.package.data.shape;
    const difflens::ReverseProcess ddim(model.package.scheduler, difflens::SamplerKind::Ddim, 50);
    double run = 1e30;
    for (int i = 0; i < 2; ++i) run = std::min(run, difflens::runSampler(*model.denoiser, ddim, o).seconds);
    std::printf("  DDIM 50 steps, 16 images: %.3f s (%.1f ms/step; %.2fx the forward alone)\n", run,
                1e3 * run / 50, run / (50 * forward));
    std::fflush(stdout);
}

struct CppResult
{
    double msPerStep = 0, modelShare = 0, checksum = 0;
};

CppResult runCpp(const std::string& dir, const Case& c, int repeats, bool freeze)
{
    const auto pkg = difflens::ModelPackage::read(dir);
    difflens::TorchScriptDenoiser model(pkg.modelFile, torch::kCPU, freeze);
    difflens::SamplerOptions o;
    o.seed = 0;
    o.batch = c.batch;
    o.sampleShape = pkg.data.shape;
    const difflens::ReverseProcess warm(pkg.scheduler, difflens::SamplerKind::Ddpm, std::min(c.steps, 5));
    difflens::runSampler(model, warm, o);
    const difflens::ReverseProcess process(pkg.scheduler, difflens::SamplerKind::Ddpm, c.steps);
    std::vector<double> perStep, share;
    CppResult r;
    for (int i = 0; i < repeats; ++i) {
        const auto res = difflens::runSampler(model, process, o);
        perStep.push_back(res.seconds / res.steps);
        share.push_back(res.modelSeconds / res.seconds);
        r.checksum = res.sample.to(torch::kFloat64).sum().item<double>();
    }
    r.msPerStep = 1000.0 * median(perStep);
    r.modelShare = median(share);
    return r;
}

} // namespace

int main(int argc, char** argv)
{
    std::string models = std::string(DIFFLENS_BENCH_BINARY_DIR) + "/testdata";
    std::string python = DIFFLENS_BENCH_PYTHON;
    int threads = 0, repeats = 3;
    bool quick = false, rawRuntime = false;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "bench_sampler: %s needs a value\n", a.c_str());
                std::exit(2);
            }
            return argv[++i];
        };
        if (a == "--models")
            models = value();
        else if (a == "--python")
            python = value();
        else if (a == "--threads")
            threads = std::stoi(value());
        else if (a == "--repeats")
            repeats = std::max(1, std::stoi(value()));
        else if (a == "--quick")
            quick = true;
        else if (a == "--no-init-runtime")
            rawRuntime = true;
        else {
            std::fprintf(stderr, "usage: bench_sampler [--models DIR] [--python PATH] [--threads N] "
                                 "[--repeats R] [--quick] [--no-init-runtime]\n");
            return a == "--help" || a == "-h" ? 0 : 2;
        }
    }
    if (rawRuntime)
        torch::set_num_threads(threads > 0 ? threads : static_cast<int>(std::thread::hardware_concurrency()));
    else
        difflens::initRuntime(threads);
    const int nThreads = torch::get_num_threads();
    const std::string source = DIFFLENS_BENCH_SOURCE_DIR;

    int rc = 0;
    if (!std::filesystem::exists(models + "/mlp2d/model.pt") ||
        !std::filesystem::exists(models + "/unet_small/model.pt")) {
        std::printf("writing the test models into %s\n", models.c_str());
        capture(shellQuote(python) + " " + shellQuote(source + "/scripts/make_test_models.py") + " " +
                    shellQuote(models),
                &rc);
        if (rc != 0 || !std::filesystem::exists(models + "/mlp2d/model.pt")) {
            std::fprintf(stderr, "bench_sampler: could not write the test models (needs %s with torch)\n",
                         python.c_str());
            return 1;
        }
    }

    const int div = quick ? 10 : 1;
    const std::vector<Case> cases = {
        {"mlp2d", 16, 1000 / div, "2-D MLP, 16 points"},
        {"mlp2d", 10000, 200 / div, "2-D MLP, 10,000 points"},
        {"unet_small", 1, 100 / div, "UNet 1x28x28, batch 1"},
        {"unet_small", 16, 20 / std::min(div, 4), "UNet 1x28x28, batch 16"},
    };

    // Each case runs in Python (its own process, same thread count) and right after in C++ (this process), so
    // that both see the same machine load.
    const std::string pyBase = shellQuote(python) + " " + shellQuote(source + "/scripts/bench_sampler.py") +
                               " --models " + shellQuote(models) + " --threads " + std::to_string(nThreads) +
                               " --repeats " + std::to_string(repeats);
    auto runPython = [&](const std::string& args) {
        std::map<std::string, nlohmann::json> out;
        const std::string text = capture(pyBase + " " + args, &rc);
        if (rc != 0)
            std::fprintf(stderr, "bench_sampler: the Python side failed (exit %d): %s\n", rc, args.c_str());
        size_t start = 0;
        while (start < text.size()) {
            const size_t end = text.find('\n', start);
            const std::string line =
                text.substr(start, end == std::string::npos ? std::string::npos : end - start);
            start = end == std::string::npos ? text.size() : end + 1;
            const auto j = nlohmann::json::parse(line, nullptr, false);
            if (j.is_discarded() || !j.is_object()) continue;
            if (j.contains("matmul_gflops")) out["matmul"] = j;
            if (j.contains("case")) out[j["case"].get<std::string>()] = j;
        }
        return out;
    };

    const auto pyMatmul = runPython("--matmul");
    const double pyGflops =
        pyMatmul.count("matmul") ? pyMatmul.at("matmul")["matmul_gflops"].get<double>() : 0.0;
    const double cppGflops = matmulGflops();
    std::printf("threads: %d (C++: torch::get_num_threads() after %s; Python: torch.set_num_threads(%d))\n",
                nThreads, rawRuntime ? "torch::set_num_threads" : "difflens::initRuntime", nThreads);
    std::printf("BLAS: 1024x1024 float32 matmul: C++ %.1f GFLOP/s, Python %.1f GFLOP/s (best of 20)\n",
                cppGflops, pyGflops);
    std::printf("DDPM, seed 0, median of %d runs after a 5-step warm-up; 'model' = share of the C++ step in "
                "forward()\n\n",
                repeats);
    std::printf("%-26s %6s %12s %8s %15s %11s %15s  %s\n", "case", "steps", "C++ ms/step", "model",
                "Python ms/step", "Python/C++", "C++ unfrozen", "same sample");
    std::fflush(stdout);
    for (const auto& c : cases) {
        const std::string key = c.model + ":" + std::to_string(c.batch) + ":" + std::to_string(c.steps);
        auto py = runPython("--case " + key);
        const auto cpp = runCpp(models + "/" + c.model, c, repeats, true);
        // The module as loaded (not frozen), in the same run: what freezing buys.
        const auto unfrozen = runCpp(models + "/" + c.model, c, repeats, false);
        const bool have = py.count(key) > 0;
        const double pyMs = have ? py[key]["ms_per_step"].get<double>() : 0.0;
        const double pySum = have ? py[key]["checksum"].get<double>() : 0.0;
        std::printf("%-26s %6d %12.4f %7.0f%% %15.4f %10.2fx %8.4f (%.2fx)  %s\n", c.label.c_str(), c.steps,
                    cpp.msPerStep, 100.0 * cpp.modelShare, pyMs, have ? pyMs / cpp.msPerStep : 0.0,
                    unfrozen.msPerStep, unfrozen.msPerStep / cpp.msPerStep,
                    !have                        ? "-"
                    : pySum == cpp.checksum      ? "yes (bitwise checksum)"
                    : pySum == unfrozen.checksum ? "unfrozen only"
                                                 : "NO");
        std::fflush(stdout);
    }
    benchBuiltinUnet(source);
    return 0;
}
