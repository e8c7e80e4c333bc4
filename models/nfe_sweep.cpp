#include "models/nfe_sweep.h"

#include "core/datasets.h"
#include "core/errors.h"
#include "core/metrics.h"
#include "core/sampler.h"
#include "models/classifier.h"
#include "models/registry.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <cmath>
#include <limits>

namespace difflens {

namespace {

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

std::vector<std::string> defaultSweepSamplers(const SchedulerConfig& config)
{
    if (config.isFlow()) return {"euler", "heun"};
    return {"ddim", "dpmpp-2m", "dpmpp-3m", "euler", "euler-ancestral", "heun"};
}

NfeSweepResult runNfeSweep(const NfeSweepOptions& o, const std::function<void(int, int)>& progress,
                           const std::atomic_bool* cancel)
{
    if (o.nfes.empty()) throw ConfigError("the sweep needs at least one model-call budget (NFE)");
    for (int nfe : o.nfes)
        if (nfe < 1) throw ConfigError("model-call budgets (NFE) must be at least 1, not " + std::to_string(nfe));
    auto model = openModel(o.model, o.device);
    const ModelPackage pkg = model.package; // a copy: the model itself moves into the list of denoisers below
    const auto& spec = pkg.data;
    if (!spec.known()) throw DataError("the model's data shape is unknown: the sweep needs a package with difflens.json");
    if (spec.dataset.empty()) throw DataError("the package does not name the dataset it was trained on");
    const SchedulerConfig scheduler = o.adjustScheduler ? o.adjustScheduler(pkg.scheduler) : pkg.scheduler;
    const PathKind path = scheduler.isFlow() ? PathKind::Flow : PathKind::Vp;
    const std::vector<std::string> samplers = o.samplers.empty() ? defaultSweepSamplers(scheduler) : o.samplers;
    for (const auto& name : samplers) parseSamplerKind(name); // one clear line for an unknown name
    const int64_t n = o.numSamples > 0 ? o.numSamples : (spec.isImage() ? 500 : 4000);
    if (n < 2) throw ConfigError("the sweep needs at least 2 samples");

    // The reference the samples are judged against, and its floor (fresh data against the same reference).
    Judge judge;
    judge.seed = o.seed;
    judge.images = spec.isImage();
    auto gen = at::make_generator<at::CPUGeneratorImpl>(o.seed + 1000);
    if (!judge.images) {
        const auto dataset = openDataset(spec.dataset, spec.shape);
        judge.data = dataset->sample(n, gen);
        judge.floor = metrics::dataFloor(*dataset, n, gen, [&](const torch::Tensor& a) {
                          return metrics::slicedWasserstein(a, judge.data, 256, o.seed);
                      }).mean;
    } else {
        if (!o.classifierPath) throw ConfigError("judging images needs the Fashion-MNIST classifier");
        const auto train = readFashionMnist(fashionMnistDir(), "train");
        const auto test = readFashionMnist(fashionMnistDir(), "test");
        judge.net = loadFashionClassifier(o.classifierPath(pkg));
        const int64_t m = std::min<int64_t>(std::max<int64_t>(n, 1000), 10000);
        judge.trainFeatures = classifierFeatures(
            judge.net, train.index_select(0, torch::randperm(train.size(0), gen, torch::kInt64).slice(0, 0, m)));
        judge.floor = metrics::frechetDistance(classifierFeatures(judge.net, test.slice(0, 0, m)), judge.trainFeatures);
    }

    NfeSweepResult result;
    result.model = pkg.name.empty() ? o.model : pkg.name;
    result.dataset = spec.dataset;
    result.metric = judge.images ? "classifier_frechet" : "sliced_wasserstein";
    result.numSamples = n;
    result.floor = judge.floor;
    result.timestepSpacing = scheduler.timestepSpacing;
    result.karras = scheduler.useKarrasSigmas;
    result.nfes = o.nfes;

    // The exact denoiser of the same data on the same schedule: the solver's error alone.
    std::vector<std::pair<std::string, LoadedModel>> denoisers;
    denoisers.emplace_back(result.model, std::move(model));
    const bool isExact = denoisers.front().second.denoiser->kind().rfind("exact", 0) == 0;
    if (!isExact && o.exactRows && spec.isImage() && !o.exactForImages) {
        result.note = "no exact row: the exact denoiser of a 60000-image set is slow; pass --exact to add it";
    } else if (!isExact && o.exactRows) {
        std::string exactSpec = "exact:" + spec.dataset + "?T=" + std::to_string(scheduler.numTrainTimesteps);
        if (path == PathKind::Flow)
            exactSpec += "&path=flow";
        else
            exactSpec += "&schedule=" + scheduler.betaSchedule;
        const SchedulerConfig defaults;
        if (path == PathKind::Vp && (scheduler.betaStart != defaults.betaStart || scheduler.betaEnd != defaults.betaEnd)) {
            result.note = "no exact row: the exact denoisers use beta_start/beta_end 1e-4/0.02";
        } else {
            try {
                denoisers.emplace_back(exactSpec, openModel(exactSpec, o.device));
            } catch (const Error& e) {
                result.note = std::string("no exact row: ") + e.what();
            }
        }
    }

    const int total = static_cast<int>(denoisers.size() * samplers.size() * o.nfes.size());
    int done = 0;
    for (size_t d = 0; d < denoisers.size(); ++d) {
        auto& [label, m] = denoisers[d];
        for (const auto& name : samplers) {
            NfeSweepRow row;
            row.denoiser = label;
            row.sampler = name;
            row.exact = isExact || d > 0;
            for (int nfe : o.nfes) {
                if (cancel && cancel->load()) throw Cancelled();
                SamplerSettings s;
                s.kind = parseSamplerKind(name);
                s.solverOrder = solverOrderOfName(name);
                s.steps = stepsForNfe(s.kind, nfe);
                try {
                    const ReverseProcess process(scheduler, s);
                    SamplerOptions so;
                    so.seed = o.seed;
                    so.batch = n;
                    so.sampleShape = spec.shape;
                    so.device = o.device;
                    const auto samples = runSampler(*m.denoiser, process, so, {}, cancel).sample;
                    if (cancel && cancel->load()) throw Cancelled();
                    if (!torch::isfinite(samples).all().item<bool>()) throw ModelError("the samples contain NaN");
                    row.value.push_back(judge(samples));
                    row.modelCalls.push_back(process.modelCalls());
                    row.notes.emplace_back();
                } catch (const Cancelled&) {
                    throw;
                } catch (const Error& e) {
                    row.value.push_back(std::numeric_limits<double>::quiet_NaN());
                    row.modelCalls.push_back(-1);
                    row.notes.emplace_back(e.what());
                }
                if (progress) progress(++done, total);
            }
            result.rows.push_back(std::move(row));
        }
    }
    return result;
}

} // namespace difflens
