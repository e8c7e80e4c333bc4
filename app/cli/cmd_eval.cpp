// difflens-cli eval / train-classifier: how good a model is, in numbers with their floors and ceilings.
#include "app/cli/commands.h"
#include "app/cli/guidance_cli.h"
#include "core/datasets.h"
#include "core/errors.h"
#include "core/exact.h"
#include "core/exact_guidance.h"
#include "core/guidance.h"
#include "core/metrics.h"
#include "core/runtime.h"
#include "core/sampler.h"
#include "models/classifier.h"
#include "models/registry.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

namespace fs = std::filesystem;

namespace difflens::cli {

namespace {

nlohmann::json triple(double model, double floor, double ceiling)
{
    return {{"model", model}, {"floor", floor}, {"ceiling", ceiling}, {"ratio_to_floor", model / floor}};
}

/** The same with a floor averaged over several data samples: its mean, and the spread of the draws. */
nlohmann::json triple(double model, const metrics::DataFloor& floor, double ceiling)
{
    auto j = triple(model, floor.mean, ceiling);
    j["floor_draws"] = floor.draws;
    j["floor_range"] = {floor.min, floor.max};
    return j;
}

} // namespace

std::string defaultClassifierPath(const ModelPackage& pkg)
{
    const std::vector<fs::path> candidates = {fs::path(pkg.root) / ".." / "classifier" / "fashion_classifier.pt",
                                              fs::path(DIFFLENS_SOURCE_DIR) / "models" / "pretrained" / "classifier" /
                                                  "fashion_classifier.pt"};
    for (const auto& c : candidates)
        if (fs::exists(c)) return fs::canonical(c).string();
    return candidates.back().string();
}

int cmdEval(const EvalArgs& args)
{
    if (!args.sweepNfe.empty()) return runNfeSweep(args);
    if (args.model.empty()) throw UsageError("--model is required");
    const auto device = resolveDevice(args.device);
    auto model = openModel(args.model, device);
    const auto& pkg = model.package;
    if (args.classLabel || args.guidance || !args.sweepGuidance.empty()) {
        if (args.guidance && !args.sweepGuidance.empty())
            throw UsageError("--guidance and --sweep-guidance exclude each other");
        if (!args.classLabel)
            throw UsageError("--guidance and --sweep-guidance need --class C (or --class all)");
        std::vector<int64_t> classes;
        if (*args.classLabel == "all") {
            validateGuidance(model.denoiser->numClasses(), 0, std::nan(""));
            for (int64_t c = 0; c < model.denoiser->numClasses(); ++c) classes.push_back(c);
        } else {
            classes.push_back(parseClass(*args.classLabel, model));
        }
        const auto scales =
            checkScales(args.sweepGuidance.empty() ? std::vector<double>{args.guidance.value_or(1.0)}
                                                   : args.sweepGuidance);
        nlohmann::ordered_json j;
        j["model"] = pkg.name;
        j.update(evalGuidance(args, model, classes, scales,
                              args.classifier.value_or(defaultClassifierPath(pkg)), args.json));
        if (args.json) std::cout << j.dump(2) << "\n";
        return 0;
    }
    const auto& spec = pkg.data;
    if (args.vlb && pkg.scheduler.isFlow())
        throw UsageError("--vlb is the DDPM chain's variational bound; a flow-matching model has no such bound here");
    if (!spec.known()) throw DataError("the model's data shape is unknown: eval needs a package with difflens.json");
    const std::string datasetName = spec.dataset.empty() ? "" : spec.dataset;
    if (datasetName.empty()) throw DataError("the package does not name the dataset it was trained on");
    const auto dataset = openDataset(datasetName == "fashion-mnist" ? "fashion-mnist" : datasetName, spec.shape);
    const SchedulerConfig scheduler = schedulerFromArgs(args.sampler, pkg.scheduler);
    const SamplerSettings settings = samplerSettingsFromArgs(args.sampler, scheduler, args.classLabel.has_value());
    const int64_t n = args.numSamples.value_or(spec.isImage() ? 1000 : 10000); // >= 2: checked by the parser
    const uint64_t seed = static_cast<uint64_t>(args.seed);

    nlohmann::ordered_json j;
    j["model"] = pkg.name;
    ReverseProcess process(scheduler, settings);
    j["sampler"] = process.label();
    j["steps"] = process.stepCount();
    j["model_calls"] = process.modelCalls();
    j["path"] = pathName(process.path().kind());
    j["num_samples"] = n;

    SamplerOptions opt;
    opt.seed = seed;
    opt.batch = n;
    opt.sampleShape = spec.shape;
    opt.device = device;
    ProgressBar bar("sampling", process.stepCount());
    const auto result = runSampler(*model.denoiser, process, opt, [&](const StepRecord& r) { bar.update(r.index + 1); });
    bar.finish();
    const auto samples = result.sample;
    j["sampling_seconds"] = result.seconds;
    if (!torch::isfinite(samples).all().item<bool>()) throw ModelError("the samples contain NaN");

    auto gen = at::make_generator<at::CPUGeneratorImpl>(seed + 1000);
    if (!spec.isImage()) {
        const auto data = dataset->sample(n, gen);
        const auto noise = torch::randn(data.sizes(), gen, torch::kFloat32);
        // The floors: fresh data against the same reference. Sliced W's, the figure the README's targets are
        // about, averaged over metrics::kFloorDraws samples; MMD's from one (each MMD forms an 8,000^2 kernel
        // matrix and its median).
        const auto sliced = [&](const torch::Tensor& a) { return metrics::slicedWasserstein(a, data, 256, seed); };
        j["sliced_wasserstein"] = triple(sliced(samples), metrics::dataFloor(*dataset, n, gen, sliced), sliced(noise));
        j["mmd"] = triple(metrics::mmd(samples, data), metrics::mmd(dataset->sample(n, gen), data),
                          metrics::mmd(noise, data));
        if (const auto* mix = dataset->mixture()) {
            j["log_likelihood"] = {{"model", metrics::mixtureLogLikelihood(samples, *mix)},
                                   {"data", metrics::mixtureLogLikelihood(data, *mix)},
                                   {"noise", metrics::mixtureLogLikelihood(noise, *mix)}};
            j["mode_coverage"] = metrics::modeCoverage(samples, *mix);
            j["mode_coverage_expected"] = std::vector<double>(mix->weights.data_ptr<float>(),
                                                              mix->weights.data_ptr<float>() + mix->weights.numel());
        }
        if (auto exact = exactMixtureOf(model.denoiser); exact && exact->kind() == "exact-set") {
            const auto nn = metrics::nearestNeighbours(samples, exact->means().to(torch::kCPU));
            const auto nnData = metrics::nearestNeighbours(data, exact->means().to(torch::kCPU));
            j["nearest_training_distance"] = {{"model_mean", nn.distance.mean().item<double>()},
                                              {"fresh_data_mean", nnData.distance.mean().item<double>()}};
        }
    } else {
        const auto train = readFashionMnist(fashionMnistDir(), "train");
        const auto test = readFashionMnist(fashionMnistDir(), "test");
        const std::string clsPath = args.classifier.value_or(defaultClassifierPath(pkg));
        auto cls = loadFashionClassifier(clsPath);
        const int64_t m = std::min<int64_t>(n, 10000);
        const auto trainSub = train.index_select(0, torch::randperm(train.size(0), gen, torch::kInt64).slice(0, 0, m));
        const auto testSub = test.slice(0, 0, m);
        const auto noise = torch::randn(trainSub.sizes(), gen, torch::kFloat32).clamp(-1, 1);
        const auto fTrain = classifierFeatures(cls, trainSub);
        j["frechet_distance"] = triple(metrics::frechetDistance(classifierFeatures(cls, samples), fTrain),
                                       metrics::frechetDistance(classifierFeatures(cls, testSub), fTrain),
                                       metrics::frechetDistance(classifierFeatures(cls, noise), fTrain));
        j["frechet_distance"]["share_of_ceiling"] =
            j["frechet_distance"]["model"].get<double>() / j["frechet_distance"]["ceiling"].get<double>();
        const auto nn = metrics::nearestNeighbours(samples, train);
        const auto nnTest = metrics::nearestNeighbours(test.slice(0, 0, std::min<int64_t>(n, 2000)), train);
        j["nearest_training_distance"] = {{"model_mean", nn.distance.mean().item<double>()},
                                          {"model_min", nn.distance.min().item<double>()},
                                          {"test_images_mean", nnTest.distance.mean().item<double>()}};
    }
    if (args.vlb) {
        const int64_t b = args.vlbSamples.value_or(spec.isImage() ? 16 : 256);
        const auto x0 = spec.isImage() ? dataset->first(b, seed + 7) : dataset->sample(b, gen);
        ProgressBar vbar("vlb", pkg.scheduler.numTrainTimesteps);
        const auto vlb = metrics::variationalBound(*model.denoiser, pkg.scheduler, x0, spec.isImage(), seed,
                                                   [&](int done, int) { vbar.update(done); });
        vbar.finish();
        j["vlb"] = {{"bits_per_dim", vlb.totalBits}, {"prior_bits_per_dim", vlb.priorBits},
                    {"l0_bits_per_dim", vlb.termBits.front()}, {"mse_eps", vlb.mseEps}, {"num_data", b}};
        // x_T is N(0, I) only when abar_T is close to 0 (core/MATH.md: linear T = 50 keeps abar_T = 0.603).
        const double alphaBarT = NoiseSchedule::fromConfig(pkg.scheduler).alphaBars().back();
        j["vlb"]["alpha_bar_T"] = alphaBarT;
        if (alphaBarT > 1e-3) {
            char warning[320];
            std::snprintf(warning, sizeof warning,
                          "abar_T = %.3g is far from 0: x_T is not N(0, I) and the prior term L_T is %.3g bits/dim "
                          "of the %.3g",
                          alphaBarT, vlb.priorBits, vlb.totalBits);
            j["vlb"]["warning"] = warning;
            std::fprintf(stderr, "warning: %s\n", warning);
        }
    }
    if (args.json) {
        std::cout << j.dump(2) << "\n";
    } else {
        for (auto it = j.begin(); it != j.end(); ++it) std::cout << it.key() << ": " << it.value().dump() << "\n";
    }
    return 0;
}

int cmdTrainClassifier(const ClassifierArgs& args)
{
    if (args.out.empty()) throw UsageError("--out FILE is required");
    ProgressBar bar("classifier", 1);
    const auto report =
        trainFashionClassifier(args.out, args.epochs, static_cast<uint64_t>(args.seed),
                               [&](int s, int total, double) { bar.update(s * 1 / std::max(1, total)); });
    bar.finish();
    std::printf("classifier: %d epochs, train loss %.4f, test accuracy %.4f -> %s\n", report.epochs,
                report.trainLoss, report.testAccuracy, args.out.c_str());
    return 0;
}

} // namespace difflens::cli
