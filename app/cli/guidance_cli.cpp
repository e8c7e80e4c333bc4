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

double parseScale(const std::string& text)
{
    char* end = nullptr;
    const double v = std::strtod(text.c_str(), &end);
    if (text.empty() || *end != '\0')
        throw UsageError("a guidance scale must be a number, got '" + text + "'");
    return v;
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

GuidanceChoice applyGuidance(const Args& args, LoadedModel& model)
{
    GuidanceChoice g;
    if (args.has("class")) g.classIndex = parseClass(args.str("class"), model);
    if (args.has("guidance")) g.scale = parseScale(args.str("guidance"));
    validateGuidance(model.denoiser->numClasses(), g.classIndex, g.scale);
    if (g.active())
        model.denoiser = std::make_shared<GuidedDenoiser>(model.denoiser, g.classIndex, g.effectiveScale());
    return g;
}

std::vector<double> parseScales(const std::string& text)
{
    std::vector<double> out;
    for (const auto& part : splitList(text)) {
        const double w = parseScale(part);
        validateGuidance(1, 0, w);
        out.push_back(w);
    }
    if (out.empty()) throw UsageError("give guidance scales like 0,1,2,3,5,8");
    return out;
}

nlohmann::ordered_json evalGuidance(const Args& args, LoadedModel& model, const std::vector<int64_t>& classes,
                                    const std::vector<double>& scales, const std::string& classifierPath,
                                    bool json)
{
    const auto& pkg = model.package;
    const auto& spec = pkg.data;
    const auto dataset = openDataset(spec.dataset, spec.shape);
    if (dataset->numClasses() != model.denoiser->numClasses())
        throw DataError("the model has " + std::to_string(model.denoiser->numClasses()) +
                        " classes but its dataset '" + spec.dataset + "' has " +
                        std::to_string(dataset->numClasses()));
    const ReverseProcess process(pkg.scheduler, samplerSettingsFromArgs(args, pkg.scheduler));
    const SamplerKind kind = process.settings().kind;
    const int64_t n = args.int64("num-samples", spec.isImage() ? 500 : 2000);
    const uint64_t seed = static_cast<uint64_t>(args.int64("seed", 0));
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

namespace {

const char* kTargetHelp =
    "usage: difflens-cli guidance-target DATASET [--class C] [--guidance 1,3,7] [--num-samples N] [--steps "
    "S]\n"
    "         [--seed S] [--out FILE.png] [--json]\n"
    "\n"
    "Guided sampling is not sampling the tilted target p(x|c)^w p(x)^(1-w) / Z. For a labelled mixture\n"
    "(8gaussians, gmm1d) this draws exact guided samples (the exact conditional denoiser, DDPM, linear T = "
    "1000)\n"
    "for each w and compares them with the tilted target's density on a grid: total variation between the\n"
    "samples' histogram and the target (w = 1: both are p(x|c), so that row is the sampling-noise floor), "
    "means,\n"
    "spreads and mean distance from the origin. --out writes one row per w: target | samples (2-D heat "
    "maps)\n"
    "or the target's density in red over the samples' histogram (1-D).\n";

const char* kSweepHelp =
    "usage: difflens-cli guidance-sweep --model PATH --class C [--scales 0,1,3,7] [--num-samples B] [--seed "
    "S]\n"
    "         [--sampler NAME] [--steps N] [--eta E] [--sde-noise S] [--out STRIP.png] [--gif FILE.gif] "
    "[--frames SPEC]\n"
    "         [--fps F] [--device D]\n"
    "\n"
    "The same x_T (same seed) sampled toward class C at several guidance scales: --out writes the final "
    "samples\n"
    "as a filmstrip, one row per scale (images: B of them, default 8; points: a scatter of B, default 512);\n"
    "--gif animates x_t step by step, all scales side by side (--frames all|every:K|log:N, default "
    "log:30).\n";

} // namespace

int cmdGuidanceSweep(const Argv& argv)
{
    const Args args(argv,
                    [] {
                        auto v = samplerOptionNames();
                        v.insert(v.end(), {"model", "class", "scales", "num-samples", "seed", "out", "gif",
                                           "frames", "fps", "device"});
                        return v;
                    }(),
                    {"help"});
    if (args.flag("help")) {
        std::fputs(kSweepHelp, stdout);
        return 0;
    }
    if (!args.has("model")) throw UsageError("--model is required");
    if (!args.has("out") && !args.has("gif")) throw UsageError("give --out STRIP.png and/or --gif FILE.gif");
    auto model = openModel(args.str("model"), resolveDevice(args.str("device", "auto")));
    if (!args.has("class")) throw UsageError("--class C is required (the class to guide toward)");
    const int64_t c = parseClass(args.str("class"), model);
    const auto scales = parseScales(args.str("scales", "0,1,3,7"));
    const auto& spec = model.package.data;
    if (!spec.known())
        throw DataError("the model's data shape is unknown: a sweep needs a package with difflens.json");
    const ReverseProcess process(model.package.scheduler,
                                 samplerSettingsFromArgs(args, model.package.scheduler));
    SamplerOptions o;
    o.seed = static_cast<uint64_t>(args.int64("seed", 0));
    o.batch = args.int64("num-samples", spec.isImage() ? 8 : 512);
    if (o.batch < 1) throw UsageError("--num-samples must be at least 1");
    o.sampleShape = spec.shape;
    o.device = model.denoiser->device();
    o.discreteData = spec.isImage();
    const auto frames = args.has("gif") ? selectFrames(process.stepCount(), args.str("frames", "log:30"))
                                        : std::vector<int>{process.stepCount() - 1};
    ProgressBar bar("guidance sweep", static_cast<int>(scales.size()));
    const auto sweep = sampleGuidanceSweep(model.denoiser, process, o, c, scales, frames,
                                           [&](int done, int) { bar.update(done); });
    bar.finish();
    std::string rows;
    for (double w : scales) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%s%g", rows.empty() ? "" : ", ", w);
        rows += buf;
    }
    if (args.has("out")) {
        writePng(args.str("out"), renderGuidanceSweepFrame(sweep, sweep.steps.size() - 1, spec));
        std::printf("class %lld, %s per scale, %s: %s -> %s\n", static_cast<long long>(c),
                    spec.isImage() ? "images" : "points", spec.isImage() ? "rows" : "panels", rows.c_str(),
                    args.str("out").c_str());
    }
    if (args.has("gif")) {
        AnimationOptions ao;
        ao.fps = args.real("fps", 10.0);
        auto writer = makeAnimationWriter("gif", args.str("gif"), ao);
        for (size_t k = 0; k < sweep.steps.size(); ++k)
            writer->addFrame(renderGuidanceSweepFrame(sweep, k, spec));
        writer->finish();
        std::printf("%zu frames (steps %d..%d), scales %s -> %s\n", sweep.steps.size(),
                    sweep.steps.front() + 1, sweep.steps.back() + 1, rows.c_str(), args.str("gif").c_str());
    }
    return 0;
}

int cmdGuidanceTarget(const Argv& argv)
{
    const Args args(argv, {"class", "guidance", "num-samples", "steps", "seed", "out"}, {"help", "json"});
    if (args.flag("help")) {
        std::fputs(kTargetHelp, stdout);
        return 0;
    }
    if (args.positional().size() != 1)
        throw UsageError("name one labelled mixture dataset (8gaussians or gmm1d)");
    const auto dataset = openDataset(args.positional()[0]);
    TiltedComparisonOptions o;
    o.classIndex = args.int64("class", 0);
    validateGuidance(dataset->numClasses(), o.classIndex, std::nan(""));
    if (args.has("guidance")) o.scales = parseScales(args.str("guidance"));
    o.samples = args.int64("num-samples", 4000);
    o.steps = args.integer("steps", 1000);
    o.seed = static_cast<uint64_t>(args.int64("seed", 0));
    if (o.samples < 100) throw UsageError("--num-samples must be at least 100 (a histogram needs them)");
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
    if (!args.flag("json"))
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
        if (!args.flag("json")) {
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
    if (args.has("out")) {
        writePng(args.str("out"), renderTiltedComparison(rows, dim, grid));
        j["image"] = args.str("out");
        if (!args.flag("json"))
            std::printf("-> %s (rows: w = %s; left target, right samples)\n", args.str("out").c_str(),
                        args.str("guidance", "1,3,7").c_str());
    }
    if (args.flag("json")) std::cout << j.dump(2) << "\n";
    return 0;
}

} // namespace difflens::cli
