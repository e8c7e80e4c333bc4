// difflens-cli class and guidance options, eval's guidance figures and the guidance-target command.
#include "app/cli/guidance_cli.h"

#include "core/datasets.h"
#include "core/errors.h"
#include "core/exact_guidance.h"
#include "core/export.h"
#include "core/guidance.h"
#include "core/guidance_sweep.h"
#include "core/metrics.h"
#include "core/runtime.h"
#include "core/sampler.h"
#include "models/classifier.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <tuple>

namespace difflens::cli {

namespace {

std::string lower(std::string s)
{
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

/** Labelled reference data: [m, ...] items and their labels, m large enough to hold `perClass` of each class.
 */
std::pair<torch::Tensor, torch::Tensor> labelledData(const Dataset& data, int64_t perClass, uint64_t seed)
{
    auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
    torch::Tensor labels;
    const int64_t m =
        data.size() > 0 ? data.size() : std::min<int64_t>(400000, perClass * data.numClasses() * 3);
    auto items = data.size() > 0 ? data.first(m, seed, &labels) : data.sample(m, gen, &labels);
    return {items, labels};
}

torch::Tensor ofClass(const torch::Tensor& items, const torch::Tensor& labels, int64_t c, int64_t limit)
{
    const auto idx = (labels == c).nonzero().squeeze(1);
    return items.index_select(0, idx.slice(0, 0, std::min<int64_t>(limit, idx.size(0))));
}

/** The class each point belongs to: the nearest labelled mixture component, else the nearest labelled item.
 */
torch::Tensor classifyPoints(const Dataset& data, const torch::Tensor& points, const torch::Tensor& refItems,
                             const torch::Tensor& refLabels)
{
    if (const auto* mix = data.mixture())
        return data.componentClasses().index_select(0, torch::cdist(points, mix->means).argmin(1));
    return refLabels.index_select(0, metrics::nearestNeighbours(points, refItems).index);
}

/** Guidance scales as printed: "0, 1, 3, 7" (sep ", ") or "1,3,7". */
std::string scaleList(const std::vector<double>& scales, const char* sep)
{
    std::string out;
    for (double w : scales) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%s%g", out.empty() ? "" : sep, w);
        out += buf;
    }
    return out;
}

torch::Tensor classifyImages(FashionClassifier& net, const torch::Tensor& images)
{
    torch::NoGradGuard g;
    net->eval();
    std::vector<torch::Tensor> out;
    for (int64_t i = 0; i < images.size(0); i += 256)
        out.push_back(net->forward(images.slice(0, i, std::min(images.size(0), i + 256))).argmax(1));
    return torch::cat(out);
}

} // namespace

int64_t parseClass(const std::string& text, const LoadedModel& model)
{
    const int64_t k = model.denoiser->numClasses();
    char* end = nullptr;
    const long long v = std::strtoll(text.c_str(), &end, 10);
    if (!text.empty() && *end == '\0') {
        validateGuidance(k, v, std::nan(""));
        return v;
    }
    const auto& names = model.package.classNames;
    for (size_t i = 0; i < names.size(); ++i)
        if (lower(names[i]) == lower(text)) return static_cast<int64_t>(i);
    validateGuidance(k, 0, std::nan("")); // an unconditional model says so first
    std::string known;
    for (const auto& n : names)
        known += (known.empty() ? "" : ", ") + n;
    throw UsageError("unknown class '" + text + "': give an index 0.." + std::to_string(k - 1) +
                     (known.empty() ? std::string() : " or one of " + known));
}

GuidanceChoice applyGuidance(const std::optional<std::string>& classLabel, std::optional<double> scale,
                             LoadedModel& model)
{
    GuidanceChoice g;
    if (classLabel) g.classIndex = parseClass(*classLabel, model);
    if (scale) g.scale = *scale;
    validateGuidance(model.denoiser->numClasses(), g.classIndex, g.scale);
    if (g.active())
        model.denoiser = std::make_shared<GuidedDenoiser>(model.denoiser, g.classIndex, g.effectiveScale());
    return g;
}

const std::vector<double>& checkScales(const std::vector<double>& scales)
{
    for (double w : scales)
        validateGuidance(1, 0, w);
    if (scales.empty()) throw UsageError("give guidance scales like 0,1,2,3,5,8");
    return scales;
}

nlohmann::ordered_json evalGuidance(const EvalArgs& args, LoadedModel& model,
                                    const std::vector<int64_t>& classes, const std::vector<double>& scales,
                                    const std::string& classifierPath, bool json)
{
    const auto& pkg = model.package;
    const auto& spec = pkg.data;
    const auto dataset = openDataset(spec.dataset, spec.shape);
    if (dataset->numClasses() != model.denoiser->numClasses())
        throw DataError("the model has " + std::to_string(model.denoiser->numClasses()) +
                        " classes but its dataset '" + spec.dataset + "' has " +
                        std::to_string(dataset->numClasses()));
    const SchedulerConfig scheduler = schedulerFromArgs(args.sampler, pkg.scheduler);
    const ReverseProcess process(scheduler, samplerSettingsFromArgs(args.sampler, scheduler, true));
    const SamplerKind kind = process.settings().kind;
    const int64_t n = args.numSamples.value_or(spec.isImage() ? 500 : 2000);
    const uint64_t seed = static_cast<uint64_t>(args.seed);
    const auto inner = model.denoiser;

    // Reference data per class: images, the training set (distance) and test set (floor); points, two draws.
    torch::Tensor refItems, refLabels, floorItems, floorLabels;
    std::unique_ptr<FashionClassifier> classifier;
    if (spec.isImage()) {
        refItems = readFashionMnist(fashionMnistDir(), "train", &refLabels);
        floorItems = readFashionMnist(fashionMnistDir(), "test", &floorLabels);
        classifier = std::make_unique<FashionClassifier>(loadFashionClassifier(classifierPath));
    } else {
        std::tie(refItems, refLabels) = labelledData(*dataset, n, seed + 1000);
        std::tie(floorItems, floorLabels) = labelledData(*dataset, n, seed + 2000);
    }
    const auto distance = [&](const torch::Tensor& a, const torch::Tensor& b) {
        if (!spec.isImage()) return metrics::slicedWasserstein(a, b, 256, seed);
        return metrics::frechetDistance(classifierFeatures(*classifier, a),
                                        classifierFeatures(*classifier, b));
    };
    const std::string distanceName = spec.isImage() ? "frechet" : "sliced_w";

    nlohmann::ordered_json j;
    j["sampler"] = samplerName(kind);
    j["steps"] = process.stepCount();
    j["samples_per_class"] = n;
    j["distance"] = spec.isImage() ? "Frechet distance in classifier features to the class's training images"
                                   : "sliced Wasserstein distance to the class's data";
    std::vector<double> floors;
    for (int64_t c : classes) {
        const auto data = ofClass(refItems, refLabels, c, spec.isImage() ? 6000 : n);
        floors.push_back(distance(ofClass(floorItems, floorLabels, c, n), data));
    }
    double floorMean = 0;
    for (double f : floors)
        floorMean += f / static_cast<double>(floors.size());
    j["distance_floor"] = floorMean;
    if (!json)
        std::printf("%-8s %-8s %-10s %-12s (floor %.4g: the class's own data)\n", "w", "classes", "accuracy",
                    distanceName.c_str(), floorMean);
    nlohmann::json rows = nlohmann::json::array();
    ProgressBar bar("guidance", static_cast<int>(scales.size() * classes.size()));
    int done = 0;
    for (double w : scales) {
        double accSum = 0, distSum = 0;
        nlohmann::json perClass = nlohmann::json::array();
        for (size_t ci = 0; ci < classes.size(); ++ci) {
            const int64_t c = classes[ci];
            GuidedDenoiser guided(inner, c, w);
            SamplerOptions o;
            o.seed = seed + static_cast<uint64_t>(c);
            o.batch = n;
            o.sampleShape = spec.shape;
            o.device = inner->device();
            o.discreteData = spec.isImage();
            const auto samples = runSampler(guided, process, o).sample;
            const auto predicted = spec.isImage() ? classifyImages(*classifier, samples)
                                                  : classifyPoints(*dataset, samples, refItems, refLabels);
            const double acc = predicted.eq(c).to(torch::kFloat64).mean().item<double>();
            const double dist = distance(samples, ofClass(refItems, refLabels, c, spec.isImage() ? 6000 : n));
            accSum += acc;
            distSum += dist;
            perClass.push_back(
                {{"class", c}, {"accuracy", acc}, {distanceName, dist}, {"floor", floors[ci]}});
            bar.update(++done);
        }
        const double k = static_cast<double>(classes.size());
        rows.push_back({{"guidance", w},
                        {"accuracy", accSum / k},
                        {distanceName, distSum / k},
                        {"per_class", perClass}});
        if (!json) std::printf("%-8g %-8zu %-10.4f %-12.4g\n", w, classes.size(), accSum / k, distSum / k);
    }
    bar.finish();
    j["table"] = rows;
    return j;
}

int cmdGuidanceSweep(const GuidanceSweepArgs& args)
{
    if (args.model.empty()) throw UsageError("--model is required");
    if (args.out.empty() && args.gif.empty()) throw UsageError("give --out STRIP.png and/or --gif FILE.gif");
    auto model = openModel(args.model, resolveDevice(args.device));
    if (!args.classLabel) throw UsageError("--class C is required (the class to guide toward)");
    const int64_t c = parseClass(*args.classLabel, model);
    const auto& scales = checkScales(args.scales);
    const auto& spec = model.package.data;
    if (!spec.known())
        throw DataError("the model's data shape is unknown: a sweep needs a package with difflens.json");
    const SchedulerConfig scheduler = schedulerFromArgs(args.sampler, model.package.scheduler);
    const ReverseProcess process(scheduler, samplerSettingsFromArgs(args.sampler, scheduler, true));
    SamplerOptions o;
    o.seed = static_cast<uint64_t>(args.seed);
    o.batch = args.numSamples.value_or(spec.isImage() ? 8 : 512); // >= 1: checked by the parser
    o.sampleShape = spec.shape;
    o.device = model.denoiser->device();
    o.discreteData = spec.isImage();
    const auto frames = !args.gif.empty() ? selectFrames(process.stepCount(), args.frames)
                                          : std::vector<int>{process.stepCount() - 1};
    ProgressBar bar("guidance sweep", static_cast<int>(scales.size()));
    const auto sweep = sampleGuidanceSweep(model.denoiser, process, o, c, scales, frames,
                                           [&](int done, int) { bar.update(done); });
    bar.finish();
    const std::string rows = scaleList(scales, ", ");
    if (!args.out.empty()) {
        writePng(args.out, renderGuidanceSweepFrame(sweep, sweep.steps.size() - 1, spec));
        std::printf("class %lld, %s per scale, %s: %s -> %s\n", static_cast<long long>(c),
                    spec.isImage() ? "images" : "points", spec.isImage() ? "rows" : "panels", rows.c_str(),
                    args.out.c_str());
    }
    if (!args.gif.empty()) {
        AnimationOptions ao;
        ao.fps = args.fps;
        auto writer = makeAnimationWriter("gif", args.gif, ao);
        for (size_t k = 0; k < sweep.steps.size(); ++k)
            writer->addFrame(renderGuidanceSweepFrame(sweep, k, spec));
        writer->finish();
        std::printf("%zu frames (steps %d..%d), scales %s -> %s\n", sweep.steps.size(),
                    sweep.steps.front() + 1, sweep.steps.back() + 1, rows.c_str(), args.gif.c_str());
    }
    return 0;
}

int cmdGuidanceTarget(const GuidanceTargetArgs& args)
{
    if (args.datasets.size() != 1)
        throw UsageError("name one labelled mixture dataset (8gaussians or gmm1d)");
    const auto dataset = openDataset(args.datasets[0]);
    TiltedComparisonOptions o;
    o.classIndex = args.classIndex;
    validateGuidance(dataset->numClasses(), o.classIndex, std::nan(""));
    if (!args.guidance.empty()) o.scales = checkScales(args.guidance);
    o.samples = args.numSamples; // >= 100: checked by the parser
    o.steps = args.steps;
    o.seed = static_cast<uint64_t>(args.seed);
    ProgressBar bar("guided sampling", static_cast<int>(o.scales.size()));
    const auto rows = compareGuidedWithTilted(*dataset, o, [&](int done, int) { bar.update(done); });
    bar.finish();
    const int dim = static_cast<int>(dataset->spec().shape[0]);
    const int grid = dim == 1 ? 400 : 80;
    nlohmann::ordered_json j;
    j["dataset"] = dataset->name();
    j["class"] = o.classIndex;
    j["samples"] = o.samples;
    nlohmann::json table = nlohmann::json::array();
    if (!args.json)
        std::printf("%-6s %-10s %-22s %-22s %-16s %-16s\n", "w", "TV", "mean samples|target", "",
                    "std samples|target", "radius samples|target");
    for (const auto& r : rows) {
        table.push_back({{"guidance", r.scale},
                         {"total_variation", r.totalVariation},
                         {"sample_mean", r.sampleMean},
                         {"target_mean", r.targetMean},
                         {"sample_std", r.sampleStd},
                         {"target_std", r.targetStd},
                         {"sample_radius", r.sampleRadius},
                         {"target_radius", r.targetRadius}});
        if (!args.json) {
            std::string sm, tm;
            char buf[32];
            for (double v : r.sampleMean)
                std::snprintf(buf, sizeof buf, "%s%.3f", sm.empty() ? "" : ",", v), sm += buf;
            for (double v : r.targetMean)
                std::snprintf(buf, sizeof buf, "%s%.3f", tm.empty() ? "" : ",", v), tm += buf;
            std::printf("%-6g %-10.4f %-22s %-22s %-7.4f %-8.4f %-7.4f %-8.4f\n", r.scale, r.totalVariation,
                        sm.c_str(), tm.c_str(), r.sampleStd, r.targetStd, r.sampleRadius, r.targetRadius);
        }
    }
    j["table"] = table;
    if (!args.out.empty()) {
        writePng(args.out, renderTiltedComparison(rows, dim, grid));
        j["image"] = args.out;
        if (!args.json)
            std::printf("-> %s (rows: w = %s; left target, right samples)\n", args.out.c_str(),
                        scaleList(o.scales, ",").c_str());
    }
    if (args.json) std::cout << j.dump(2) << "\n";
    return 0;
}

} // namespace difflens::cli
