// difflens-cli eval --sweep-nfe: steps versus quality. For each sampler and each budget of model calls (NFE:
// Heun spends 2 steps - 1), the distance between samples and data (sliced Wasserstein for points, the
// classifier Frechet distance for images) beside the data-vs-data floor; with the exact denoiser of the
// model's dataset as a second row per sampler, whose error is the solver's alone (an exact denoiser has no
// network error), so the gap between the two rows is the network's share: the error budget.
#include "app/cli/args.h"
#include "app/cli/commands.h"
#include "core/datasets.h"
#include "core/errors.h"
#include "core/metrics.h"
#include "core/runtime.h"
#include "core/sampler.h"
#include "models/classifier.h"
#include "models/registry.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

namespace difflens::cli {

namespace {

std::vector<int> parseNfeList(const std::string& text)
{
    std::string s = text;
    for (char& c : s)
        if (c == '[' || c == ']' || c == ' ') c = ',';
    std::vector<int> out;
    for (const auto& part : splitList(s)) {
        char* end = nullptr;
        const long v = std::strtol(part.c_str(), &end, 10);
        if (*end != '\0' || v < 1) throw UsageError("--sweep-nfe takes positive call counts like 5,10,20,50");
        out.push_back(static_cast<int>(v));
    }
    if (out.empty()) throw UsageError("--sweep-nfe takes positive call counts like 5,10,20,50");
    return out;
}

/** Steps that spend at most `nfe` model calls (Heun: 2 n - 1 calls for n steps). */
int stepsForNfe(SamplerKind kind, int nfe)
{
    return kind == SamplerKind::Heun ? (nfe + 1) / 2 : nfe;
}

/** The distance of samples to the data, with what it needs prepared once. */
struct Judge
{
    bool images = false;
    torch::Tensor data;             // points
    torch::Tensor trainFeatures;    // images
    FashionClassifier net{nullptr}; // images
    double floor = 0;
    uint64_t seed = 0;

    double operator()(const torch::Tensor& samples)
    {
        if (!images) return metrics::slicedWasserstein(samples, data, 256, seed);
        return metrics::frechetDistance(classifierFeatures(net, samples), trainFeatures);
    }
};

} // namespace

int runNfeSweep(const Args& args)
{
    const auto device = resolveDevice(args.str("device", "auto"));
    auto model = openModel(args.str("model"), device);
    const auto& pkg = model.package;
    const auto& spec = pkg.data;
    if (!spec.known())
        throw DataError("the model's data shape is unknown: eval needs a package with difflens.json");
    if (spec.dataset.empty()) throw DataError("the package does not name the dataset it was trained on");
    const SchedulerConfig scheduler = schedulerFromArgs(args, pkg.scheduler);
    const PathKind path = scheduler.isFlow() ? PathKind::Flow : PathKind::Vp;
    const auto nfes = parseNfeList(args.str("sweep-nfe"));
    std::vector<std::string> samplers = splitList(
        args.str("samplers", path == PathKind::Flow ? "euler,heun"
                                                    : "ddim,dpmpp-2m,dpmpp-3m,euler,euler-ancestral,heun"));
    for (const auto& name : samplers)
        parseSamplerKind(name); // one clear line for an unknown name
    const int64_t n = args.int64("num-samples", spec.isImage() ? 500 : 4000);
    if (n < 2) throw UsageError("--num-samples must be at least 2");
    const uint64_t seed = static_cast<uint64_t>(args.int64("seed", 0));

    // The reference the samples are judged against, and its floor (fresh data against the same reference).
    Judge judge;
    judge.seed = seed;
    judge.images = spec.isImage();
    auto gen = at::make_generator<at::CPUGeneratorImpl>(seed + 1000);
    if (!judge.images) {
        const auto dataset = openDataset(spec.dataset, spec.shape);
        judge.data = dataset->sample(n, gen);
        judge.floor = metrics::slicedWasserstein(dataset->sample(n, gen), judge.data, 256, seed);
    } else {
        const auto train = readFashionMnist(fashionMnistDir(), "train");
        const auto test = readFashionMnist(fashionMnistDir(), "test");
        judge.net = loadFashionClassifier(args.str("classifier", defaultClassifierPath(pkg)));
        const int64_t m = std::min<int64_t>(std::max<int64_t>(n, 1000), 10000);
        judge.trainFeatures = classifierFeatures(
            judge.net,
            train.index_select(0, torch::randperm(train.size(0), gen, torch::kInt64).slice(0, 0, m)));
        judge.floor =
            metrics::frechetDistance(classifierFeatures(judge.net, test.slice(0, 0, m)), judge.trainFeatures);
    }
    const char* metric = judge.images ? "classifier_frechet" : "sliced_wasserstein";

    // The exact denoiser of the same data on the same schedule: the solver's error alone.
    std::vector<std::pair<std::string, LoadedModel>> denoisers;
    const std::string modelName = pkg.name.empty() ? args.str("model") : pkg.name;
    denoisers.emplace_back(modelName, std::move(model));
    const bool isExact = denoisers.front().second.denoiser->kind().rfind("exact", 0) == 0;
    std::string exactNote;
    if (!isExact && !args.flag("no-exact") && spec.isImage() && !args.flag("exact")) {
        exactNote = "no exact row: the exact denoiser of a 60000-image set is slow; pass --exact to add it";
    } else if (!isExact && !args.flag("no-exact")) {
        std::string exactSpec = "exact:" + spec.dataset + "?T=" + std::to_string(scheduler.numTrainTimesteps);
        if (path == PathKind::Flow)
            exactSpec += "&path=flow";
        else
            exactSpec += "&schedule=" + scheduler.betaSchedule;
        const SchedulerConfig defaults;
        if (path == PathKind::Vp &&
            (scheduler.betaStart != defaults.betaStart || scheduler.betaEnd != defaults.betaEnd)) {
            exactNote = "no exact row: the exact denoisers use beta_start/beta_end 1e-4/0.02";
        } else {
            try {
                denoisers.emplace_back(exactSpec, openModel(exactSpec, device));
            } catch (const Error& e) {
                exactNote = std::string("no exact row: ") + e.what();
            }
        }
    }

    nlohmann::ordered_json j;
    j["model"] = modelName;
    j["dataset"] = spec.dataset;
    j["metric"] = metric;
    j["num_samples"] = n;
    j["floor"] = judge.floor;
    j["timestep_spacing"] = scheduler.timestepSpacing;
    j["karras"] = scheduler.useKarrasSigmas;
    j["nfe"] = nfes;
    nlohmann::json rows = nlohmann::json::array();
    ProgressBar bar("sweep", static_cast<int>(denoisers.size() * samplers.size() * nfes.size()));
    int done = 0;
    for (auto& [label, m] : denoisers) {
        for (const auto& name : samplers) {
            nlohmann::ordered_json row;
            row["denoiser"] = label;
            row["sampler"] = name;
            nlohmann::json values = nlohmann::json::array(), calls = nlohmann::json::array(),
                           notes = nlohmann::json::array();
            for (int nfe : nfes) {
                SamplerSettings s;
                s.kind = parseSamplerKind(name);
                s.solverOrder = solverOrderOfName(name);
                s.steps = stepsForNfe(s.kind, nfe);
                try {
                    const ReverseProcess process(scheduler, s);
                    SamplerOptions o;
                    o.seed = seed;
                    o.batch = n;
                    o.sampleShape = spec.shape;
                    o.device = device;
                    const auto samples = runSampler(*m.denoiser, process, o).sample;
                    if (!torch::isfinite(samples).all().item<bool>())
                        throw ModelError("the samples contain NaN");
                    values.push_back(judge(samples));
                    calls.push_back(process.modelCalls());
                    notes.push_back(nullptr);
                } catch (const Error& e) {
                    values.push_back(nullptr);
                    calls.push_back(nullptr);
                    notes.push_back(e.what());
                }
                bar.update(++done);
            }
            row["value"] = values;
            row["model_calls"] = calls;
            row["notes"] = notes;
            rows.push_back(row);
        }
    }
    bar.finish();
    j["rows"] = rows;
    if (!exactNote.empty()) j["note"] = exactNote;

    if (args.flag("json")) {
        std::cout << j.dump(2) << "\n";
        return 0;
    }
    std::printf("%s on %s, %lld samples, %s (data floor %.4g), timestep_spacing %s%s\n", modelName.c_str(),
                spec.dataset.c_str(), static_cast<long long>(n), metric, judge.floor,
                scheduler.timestepSpacing.c_str(), scheduler.useKarrasSigmas ? ", Karras sigmas" : "");
    std::printf("%-34s %-16s", "denoiser", "sampler \\ NFE");
    for (int nfe : nfes)
        std::printf(" %9d", nfe);
    std::printf("\n");
    for (const auto& row : rows) {
        std::printf("%-34s %-16s", row["denoiser"].get<std::string>().c_str(),
                    row["sampler"].get<std::string>().c_str());
        for (size_t k = 0; k < nfes.size(); ++k) {
            const auto& v = row["value"][k];
            if (v.is_null()) {
                std::printf(" %9s", "-");
            } else {
                char cell[32];
                std::snprintf(cell, sizeof cell, "%.3g", v.get<double>() / judge.floor);
                const bool fewer = row["model_calls"][k].get<int>() != nfes[k];
                std::printf(" %8sx%s", cell, fewer ? "*" : " ");
            }
        }
        std::printf("\n");
    }
    std::printf(
        "values are multiples of the data floor; * = fewer calls than the column (Heun: 2 steps - 1).\n");
    for (const auto& row : rows)
        for (size_t k = 0; k < nfes.size(); ++k)
            if (!row["notes"][k].is_null())
                std::printf("%s %s at NFE %d: %s\n", row["denoiser"].get<std::string>().c_str(),
                            row["sampler"].get<std::string>().c_str(), nfes[k],
                            row["notes"][k].get<std::string>().c_str());
    if (!exactNote.empty()) std::printf("%s\n", exactNote.c_str());
    return 0;
}

} // namespace difflens::cli
