#include "models/registry.h"

#include "core/datasets.h"
#include "core/errors.h"
#include "core/exact.h"
#include "core/exact_guidance.h"
#include "core/guidance.h"
#include "core/net.h"
#include "core/resources.h"
#include "models/nets.h"

#include <torch/torch.h>

#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <map>

#include <sstream>

namespace difflens {

namespace {

/** "exact:NAME?n=N&seed=S" -> NAME and its query parameters. */
std::pair<std::string, std::map<std::string, std::string>> splitExactSpec(const std::string& spec)
{
    std::string rest = spec.substr(6);
    std::map<std::string, std::string> query;
    const auto q = rest.find('?');
    if (q != std::string::npos) {
        std::string params = rest.substr(q + 1);
        rest = rest.substr(0, q);
        size_t start = 0;
        while (start <= params.size()) {
            const auto amp = params.find('&', start);
            const std::string kv = params.substr(start, amp == std::string::npos ? std::string::npos : amp - start);
            if (!kv.empty()) {
                const auto eq = kv.find('=');
                if (eq == std::string::npos) throw ConfigError("'" + spec + "': expected key=value, got '" + kv + "'");
                query[kv.substr(0, eq)] = kv.substr(eq + 1);
            }
            if (amp == std::string::npos) break;
            start = amp + 1;
        }
    }
    for (const auto& [k, v] : query)
        if (k != "n" && k != "seed" && k != "T" && k != "schedule" && k != "path" && k != "class" && k != "guidance")
            throw ConfigError("'" + spec + "': unknown parameter '" + k +
                              "' (known: n, seed, T, schedule, path, class, guidance)");
    if (rest.empty()) throw ConfigError("'" + spec + "': name a dataset, e.g. exact:moons?n=500");
    return {rest, query};
}

/** A decimal integer in [0, max]; anything else (signs, spaces, overflow) names the key. */
long long parseBounded(const std::string& spec, const std::string& key, const std::string& value,
                       long long max)
{
    errno = 0;
    char* end = nullptr;
    const long long v = std::strtoll(value.c_str(), &end, 10);
    // The whole value must be the number: strtoll stops at an embedded NUL (found by tests/fuzz).
    if (value.empty() || end != value.c_str() + value.size() || errno == ERANGE || v < 0 || v > max)
        throw ConfigError("'" + spec + "': " + key + " must be an integer from 0 to " + std::to_string(max) +
                          ", got '" + value + "'");
    return v;
}

} // namespace

ExactSpec parseExactSpec(const std::string& spec)
{
    if (spec.rfind("exact:", 0) != 0) throw ConfigError("'" + spec + "' is not an exact: spec");
    const auto [name, query] = splitExactSpec(spec);
    ExactSpec e;
    e.dataset = name;
    constexpr long long kMaxInt = 2147483647LL;
    if (query.count("n")) {
        e.n = parseBounded(spec, "n", query.at("n"), kMaxInt);
        if (e.n < 1) throw ConfigError("'" + spec + "': n must be at least 1");
    }
    if (query.count("seed"))
        e.seed = static_cast<uint64_t>(parseBounded(spec, "seed", query.at("seed"), LLONG_MAX));
    if (query.count("T"))
        e.scheduler.numTrainTimesteps = static_cast<int>(parseBounded(spec, "T", query.at("T"), kMaxInt));
    if (query.count("schedule")) e.scheduler.betaSchedule = query.at("schedule");
    if (query.count("class")) e.classIndex = parseBounded(spec, "class", query.at("class"), kMaxInt);
    if (query.count("guidance")) {
        char* end = nullptr;
        e.guidance = std::strtod(query.at("guidance").c_str(), &end);
        if (query.at("guidance").empty() || *end != '\0' || !std::isfinite(e.guidance))
            throw ConfigError("'" + spec + "': guidance must be a number");
    }
    if (query.count("path")) {
        try {
            e.flow = parsePathKind(query.at("path")) == PathKind::Flow;
        } catch (const ConfigError& err) {
            throw ConfigError("'" + spec + "': " + err.what());
        }
        if (e.flow && query.count("schedule")) throw ConfigError("'" + spec + "': the flow path has no beta schedule");
    }
    try {
        e.scheduler.validate();
    } catch (const ConfigError& err) {
        throw ConfigError("'" + spec + "': " + err.what());
    }
    return e;
}

namespace {

LoadedModel openExact(const std::string& spec, torch::Device device)
{
    const ExactSpec parsed = parseExactSpec(spec);
    const std::string& name = parsed.dataset;
    auto dataset = openDataset(name);
    LoadedModel m;
    auto& p = m.package;
    p.path = spec;
    p.format = "exact";
    p.data = dataset->spec();
    p.scheduler = parsed.scheduler;
    p.scheduler.clipSample = p.data.isImage();
    if (parsed.flow) {
        // The same data on the flow-matching path: the exact velocity u_t(x) = E[eps - x_0 | x_t = x].
        p.scheduler = SchedulerConfig::flowMatching(p.scheduler.numTrainTimesteps);
    }
    p.hasSchedulerConfig = false;
    const NoiseSchedule schedule = NoiseSchedule::fromConfig(p.scheduler);
    const auto* mixture = dataset->mixture();
    // Labelled data: the exact class-conditional denoiser (E[x_0 | x_t, c] from class c's items only) around
    // the unconditional one, so that class and guidance work as with a conditional network.
    const int classes = dataset->numClasses();
    const auto make = [&](const torch::Tensor& means, const torch::Tensor& stds, const torch::Tensor& weights,
                          const torch::Tensor& labels) -> std::shared_ptr<Denoiser> {
        if (classes > 0) {
            auto d = std::make_shared<ConditionalMixtureDenoiser>(schedule, means, stds, weights, labels, classes, device);
            d->usePath(p.scheduler);
            return d;
        }
        auto d = std::make_shared<GaussianMixtureDenoiser>(schedule, means, stds, weights, device);
        d->usePath(p.scheduler);
        return d;
    };
    if (mixture && parsed.n < 0) {
        p.name = spec;
        p.description = "exact denoiser of the " + name + " mixture (closed-form q(x_t), score and E[x_0|x_t])";
        m.denoiser = make(mixture->means, mixture->stds, mixture->weights, dataset->componentClasses());
    } else {
        // Without n: a finite set (Fashion-MNIST, a folder of images) whole, a generated point set 1,000 draws.
        const long long n = parsed.n > 0 ? parsed.n : (dataset->size() > 0 ? dataset->size() : 1000);
        const int64_t items = dataset->size() > 0 ? std::min<int64_t>(n, dataset->size()) : n;
        checkMemory("the exact denoiser of " + std::to_string(items) + " items of " + name,
                    exactDenoiserBytes(items, static_cast<double>(dataset->spec().numel())));
        torch::Tensor labels;
        const auto points = dataset->first(n, parsed.seed, classes > 0 ? &labels : nullptr);
        p.name = spec;
        p.description = "exact denoiser of " + std::to_string(points.size(0)) + " training items of " + name +
                        " (q(x_{t-1}|x_t) as a mixture over the set; samples memorise it)";
        m.denoiser = make(points, torch::Tensor(), torch::Tensor(), labels);
    }
    if (classes > 0) {
        p.numClasses = classes;
        p.classNames = dataset->classNames();
        p.description += "; class-conditional over " + std::to_string(classes) + " classes";
    }
    if (parsed.classIndex >= 0 || !std::isnan(parsed.guidance)) {
        // exact:8gaussians?class=3&guidance=3: the exact guided denoiser, (1 - w) score(x) + w score(x | c).
        const long long c = parsed.classIndex;
        const double w = parsed.guidance;
        validateGuidance(classes, c, w);
        m.denoiser = std::make_shared<GuidedDenoiser>(m.denoiser, c, std::isnan(w) ? 1.0 : w);
        p.description += "; guided toward class " + std::to_string(c) + " with w = " + (std::isnan(w) ? "1" : std::to_string(w));
    }
    return m;
}

} // namespace

LoadedModel openModel(const std::string& spec, torch::Device device, const std::string& schedulerOverride)
{
    if (spec.rfind("exact:", 0) == 0) {
        auto m = openExact(spec, device);
        if (!schedulerOverride.empty())
            throw ConfigError("exact denoisers take their schedule from the spec (exact:NAME?T=...&schedule=...)");
        return m;
    }
    LoadedModel m;
    m.package = ModelPackage::read(spec, schedulerOverride);
    if (m.package.format == "builtin") {
        auto net = makeNet(m.package.architecture);
        loadNetWeights(*net, m.package.modelFile);
        const std::string type = m.package.architecture.value("type", "net");
        m.denoiser = std::make_shared<NetDenoiser>(net, type, device);
    } else {
        auto ts = std::make_shared<TorchScriptDenoiser>(m.package.modelFile, device);
        if (ts->takesClass() && m.package.numClasses < 1)
            throw ConfigError("'" + spec + "' is class-conditional (forward(x, t, class)): its difflens.json must say "
                              "how many classes it has (\"num_classes\": K)");
        if (!ts->takesClass() && m.package.numClasses > 0)
            throw ConfigError("'" + spec + "': difflens.json says num_classes " + std::to_string(m.package.numClasses) +
                              " but the model's forward takes no class (forward(x, t, class) is needed)");
        ts->setNumClasses(m.package.numClasses);
        m.denoiser = ts;
    }
    return m;
}

std::string describeModel(const LoadedModel& m)
{
    const auto& p = m.package;
    const auto& s = p.scheduler;
    std::ostringstream ss;
    ss << "model:       " << p.name << " (" << m.denoiser->kind() << ")\n";
    if (!p.description.empty()) ss << "description: " << p.description << "\n";
    if (!p.modelFile.empty()) ss << "file:        " << p.modelFile << "\n";
    ss << "data:        " << p.data.describe() << "\n";
    ss << "schedule:    " << s.betaSchedule << ", T = " << s.numTrainTimesteps << ", beta " << s.betaStart << " .. "
       << s.betaEnd << (p.hasSchedulerConfig ? "" : " (diffusers defaults: no scheduler_config.json)") << "\n";
    ss << "predicts:    " << s.predictionType << ", variance " << s.varianceType << ", clip_sample "
       << (s.clipSample ? "true" : "false") << " (range " << s.clipSampleRange << ")\n";
    ss << "parameters:  " << m.denoiser->parameterCount() << "\n";
    if (m.denoiser->numClasses() > 0) {
        ss << "classes:     " << m.denoiser->numClasses() << " (class-conditional; classifier-free guidance)";
        if (!p.classNames.empty()) {
            ss << ":";
            for (size_t i = 0; i < p.classNames.size(); ++i) ss << (i ? ", " : " ") << i << " " << p.classNames[i];
        }
        ss << "\n";
    }
    ss << "device:      " << m.denoiser->device().str() << "\n";
    if (!p.trainingLog.empty()) ss << "training log: " << p.trainingLog << "\n";
    return ss.str();
}

} // namespace difflens
