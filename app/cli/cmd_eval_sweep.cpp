// difflens-cli eval --sweep-nfe: steps versus quality. For each sampler and each budget of model calls (NFE:
// Heun spends 2 steps - 1), the distance between samples and data (sliced Wasserstein for points, the
// classifier Frechet distance for images) beside the data-vs-data floor; with the exact denoiser of the
// model's dataset as a second row per sampler, whose error is the solver's alone (an exact denoiser has no
// network error), so the gap between the two rows is the network's share: the error budget.
#include "app/cli/commands.h"
#include "core/errors.h"
#include "core/runtime.h"
#include "core/sampler.h"
#include "models/nfe_sweep.h"

#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

namespace difflens::cli {

int runNfeSweep(const EvalArgs& args)
{
    NfeSweepOptions o;
    o.model = args.model;
    o.device = resolveDevice(args.device);
    o.nfes = args.sweepNfe; // each >= 1: checked by the parser
    if (!args.samplers.empty()) o.samplers = args.samplers;
    for (const auto& name : o.samplers)
        parseSamplerKind(name); // one clear line for an unknown name, before the model is opened
    o.numSamples = args.numSamples.value_or(0); // 0: the sweep's default; given, >= 2: checked by the parser
    o.seed = static_cast<uint64_t>(args.seed);
    o.exactRows = !args.noExact;
    o.exactForImages = args.exact;
    o.adjustScheduler = [&args](const SchedulerConfig& c) { return schedulerFromArgs(args.sampler, c); };
    o.classifierPath = [&args](const ModelPackage& pkg) {
        return args.classifier.value_or(defaultClassifierPath(pkg));
    };
    ProgressBar bar("sweep", 100);
    const NfeSweepResult r = difflens::runNfeSweep(o, [&](int done, int total) { bar.update(100 * done / std::max(1, total)); });
    bar.finish();

    nlohmann::ordered_json j;
    j["model"] = r.model;
    j["dataset"] = r.dataset;
    j["metric"] = r.metric;
    j["num_samples"] = r.numSamples;
    j["floor"] = r.floor;
    j["timestep_spacing"] = r.timestepSpacing;
    j["karras"] = r.karras;
    j["nfe"] = r.nfes;
    nlohmann::ordered_json rows = nlohmann::ordered_json::array();
    for (const auto& row : r.rows) {
        nlohmann::ordered_json jr;
        jr["denoiser"] = row.denoiser;
        jr["sampler"] = row.sampler;
        nlohmann::json values = nlohmann::json::array(), calls = nlohmann::json::array(), notes = nlohmann::json::array();
        for (size_t k = 0; k < row.value.size(); ++k) {
            const bool ran = row.modelCalls[k] >= 0;
            values.push_back(ran ? nlohmann::json(row.value[k]) : nlohmann::json(nullptr));
            calls.push_back(ran ? nlohmann::json(row.modelCalls[k]) : nlohmann::json(nullptr));
            notes.push_back(row.notes[k].empty() ? nlohmann::json(nullptr) : nlohmann::json(row.notes[k]));
        }
        jr["value"] = values;
        jr["model_calls"] = calls;
        jr["notes"] = notes;
        rows.push_back(jr);
    }
    j["rows"] = rows;
    if (!r.note.empty()) j["note"] = r.note;
    if (args.json) {
        std::cout << j.dump(2) << "\n";
        return 0;
    }
    std::printf("%s on %s, %lld samples, %s (data floor %.4g), timestep_spacing %s%s\n", r.model.c_str(),
                r.dataset.c_str(), static_cast<long long>(r.numSamples), r.metric.c_str(), r.floor,
                r.timestepSpacing.c_str(), r.karras ? ", Karras sigmas" : "");
    std::printf("%-34s %-16s", "denoiser", "sampler \\ NFE");
    for (int nfe : r.nfes)
        std::printf(" %9d", nfe);
    std::printf("\n");
    for (const auto& row : r.rows) {
        std::printf("%-34s %-16s", row.denoiser.c_str(), row.sampler.c_str());
        for (size_t k = 0; k < r.nfes.size(); ++k) {
            if (row.modelCalls[k] < 0) {
                std::printf(" %9s", "-");
                continue;
            }
            char cell[32];
            std::snprintf(cell, sizeof cell, "%.3g", row.value[k] / r.floor);
            std::printf(" %8sx%s", cell, row.modelCalls[k] != r.nfes[k] ? "*" : " ");
        }
        std::printf("\n");
    }
    std::printf("values are multiples of the data floor; * = fewer calls than the column (Heun: 2 steps - 1).\n");
    for (const auto& row : r.rows)
        for (size_t k = 0; k < r.nfes.size(); ++k)
            if (!row.notes[k].empty())
                std::printf("%s %s at NFE %d: %s\n", row.denoiser.c_str(), row.sampler.c_str(), r.nfes[k],
                            row.notes[k].c_str());
    if (!r.note.empty()) std::printf("%s\n", r.note.c_str());
    return 0;
}

} // namespace difflens::cli
