#include "models/registry.h"

#include "core/datasets.h"
#include "core/errors.h"
#include "core/exact.h"
#include "core/net.h"
#include "models/nets.h"

#include <torch/torch.h>

#include <cstdlib>
#include <map>

#include <sstream>

namespace difflens {

namespace {

/** "exact:NAME?n=N&seed=S" -> NAME and its query parameters. */
std::pair<std::string, std::map<std::string, std::string>> parseExactSpec(const std::string& spec)
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
        if (k != "n" && k != "seed" && k != "T" && k != "schedule" && k != "path")
            throw ConfigError("'" + spec + "': unknown parameter '" + k + "' (known: n, seed, T, schedule, path)");
    if (rest.empty()) throw ConfigError("'" + spec + "': name a dataset, e.g. exact:moons?n=500");
    return {rest, query};
}

long long parsePositive(const std::string& spec, const std::string& key, const std::string& value)
{
    char* end = nullptr;
    const long long v = std::strtoll(value.c_str(), &end, 10);
    if (*end != '\0' || v < 0) throw ConfigError("'" + spec + "': " + key + " must be a non-negative integer");
    return v;
}

LoadedModel openExact(const std::string& spec, torch::Device device)
{
    const auto [name, query] = parseExactSpec(spec);
    auto dataset = openDataset(name);
    LoadedModel m;
    auto& p = m.package;
    p.path = spec;
    p.format = "exact";
    p.data = dataset->spec();
    p.scheduler.clipSample = p.data.isImage();
    if (query.count("T")) p.scheduler.numTrainTimesteps = static_cast<int>(parsePositive(spec, "T", query.at("T")));
    if (query.count("schedule")) p.scheduler.betaSchedule = query.at("schedule");
    if (query.count("path") && parsePathKind(query.at("path")) == PathKind::Flow) {
        // The same data on the flow-matching path: the exact velocity u_t(x) = E[eps - x_0 | x_t = x].
        if (query.count("schedule")) throw ConfigError("'" + spec + "': the flow path has no beta schedule");
        p.scheduler = SchedulerConfig::flowMatching(p.scheduler.numTrainTimesteps);
    }
    p.scheduler.validate();
    p.hasSchedulerConfig = false;
    const NoiseSchedule schedule = NoiseSchedule::fromConfig(p.scheduler);
    const auto* mixture = dataset->mixture();
    if (mixture && !query.count("n")) {
        p.name = spec;
        p.description = "exact denoiser of the " + name + " mixture (closed-form q(x_t), score and E[x_0|x_t])";
        m.denoiser = std::make_shared<GaussianMixtureDenoiser>(schedule, mixture->means, mixture->stds,
                                                               mixture->weights, device);
    } else {
        const long long n = query.count("n") ? parsePositive(spec, "n", query.at("n")) : 1000;
        if (n < 1) throw ConfigError("'" + spec + "': n must be at least 1");
        const uint64_t seed = query.count("seed") ? static_cast<uint64_t>(parsePositive(spec, "seed", query.at("seed"))) : 0;
        const auto points = dataset->first(n, seed);
        p.name = spec;
        p.description = "exact denoiser of " + std::to_string(points.size(0)) + " training items of " + name +
                        " (q(x_{t-1}|x_t) as a mixture over the set; samples memorise it)";
        m.denoiser = std::make_shared<GaussianMixtureDenoiser>(schedule, points, torch::Tensor(), torch::Tensor(), device);
    }
    std::static_pointer_cast<GaussianMixtureDenoiser>(m.denoiser)->usePath(p.scheduler);
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
        m.denoiser = std::make_shared<TorchScriptDenoiser>(m.package.modelFile, device);
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
    ss << "device:      " << m.denoiser->device().str() << "\n";
    if (!p.trainingLog.empty()) ss << "training log: " << p.trainingLog << "\n";
    return ss.str();
}

} // namespace difflens
