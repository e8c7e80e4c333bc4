// Run files (run_file.h): a torch.save-style dict with a JSON header. Reading checks, in this order, that the
// bytes are a pickle archive, that it is a run (the "difflens_run" key), that its version is not newer than
// this build's, and that the header and tensors fit together; each failure is one sentence naming the file.
#include "core/run_file.h"

#include "core/errors.h"
#include "core/json_util.h"
#include "core/pickle_scan.h"
#include "core/tensor_io.h"
#include "core/trajectory.h"

#include <torch/serialize.h>
#include <torch/torch.h>

#include <cstring>
#include <fstream>

namespace difflens {

namespace {

constexpr const char* kVersionKey = "difflens_run";
constexpr const char* kSummaryPrefix = "summary.";

std::vector<char> readWholeFile(const std::string& path)
{
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (!in) throw IoError("cannot read '" + path + "': the file is missing or unreadable");
    const auto size = static_cast<size_t>(in.tellg());
    std::vector<char> bytes(size);
    in.seekg(0);
    if (size > 0 && !in.read(bytes.data(), static_cast<std::streamsize>(size)))
        throw IoError("cannot read '" + path + "'");
    return bytes;
}

/** The dict of a run file, after the checks every reader needs (not a run, damaged, newer). */
c10::Dict<c10::IValue, c10::IValue> readRunDict(const std::string& path, nlohmann::json& header, size_t& bytes)
{
    const auto data = readWholeFile(path);
    bytes = data.size();
    const std::string notRun = "'" + path + "' is not a Diffusion Lens run file";
    try {
        checkPickleLengths(data.data(), data.size(), path);
    } catch (const DataError& e) { // a damaged archive: said the way every other damaged run file is
        throw DataError(notRun + ", or it is damaged or truncated: " + e.what());
    }
    c10::IValue value;
    try {
        value = torch::pickle_load(data);
    } catch (const std::exception&) {
        throw DataError(notRun + ", or it is damaged or truncated (" + std::to_string(bytes) +
                        " bytes that do not read as a torch.save archive)");
    }
    if (!value.isGenericDict()) throw DataError(notRun + " (it holds a " + value.tagKind() + ", not a run)");
    auto dict = value.toGenericDict();
    const auto version = dict.find(kVersionKey);
    if (version == dict.end() || !version->value().isInt())
        throw DataError(notRun + " (no '" + kVersionKey + "' entry: a torch.save file of something else)");
    const int64_t v = version->value().toInt();
    if (v > kRunFileVersion)
        throw DataError("'" + path + "' was written by a newer Diffusion Lens (run format version " + std::to_string(v) +
                        "; this version reads up to " + std::to_string(kRunFileVersion) + "): update the app to open it");
    if (v < 1) throw DataError(notRun + " (format version " + std::to_string(v) + ")");
    const auto text = dict.find("header");
    if (text == dict.end() || !text->value().isString()) throw DataError(notRun + " (its header is missing)");
    try {
        header = nlohmann::json::parse(text->value().toStringRef());
    } catch (const std::exception&) {
        throw DataError("'" + path + "' is a damaged run file (its header is not valid JSON)");
    }
    return dict;
}

torch::Tensor tensorEntry(const c10::Dict<c10::IValue, c10::IValue>& dict, const std::string& key)
{
    const auto it = dict.find(key);
    if (it == dict.end() || !it->value().isTensor()) return {};
    return it->value().toTensor();
}

} // namespace

nlohmann::json samplerSettingsToJson(const SamplerSettings& s)
{
    return {{"kind", samplerName(s.kind)}, {"steps", s.steps}, {"eta", s.eta}, {"start_t", s.startT},
            {"sde_noise", s.sdeNoise}, {"clipped_model_output", s.clippedModelOutput}};
}

SamplerSettings samplerSettingsFromJson(const nlohmann::json& j, const std::string& origin)
{
    using namespace json_util;
    SamplerSettings s;
    if (!j.is_object()) throw ConfigError(origin + ": 'sampler' must be an object");
    s.kind = parseSamplerKind(getString(j, "kind", samplerName(s.kind), origin));
    s.steps = getInt(j, "steps", s.steps, origin);
    s.eta = getDouble(j, "eta", s.eta, origin);
    s.startT = static_cast<long>(getDouble(j, "start_t", static_cast<double>(s.startT), origin));
    s.sdeNoise = getDouble(j, "sde_noise", s.sdeNoise, origin);
    s.clippedModelOutput = getBool(j, "clipped_model_output", s.clippedModelOutput, origin);
    return s;
}

void saveRun(const std::string& path, const RunRecord& run)
{
    if (!run.trajectory || run.trajectory->recordedSteps() == 0)
        throw Error("the run has no recorded steps: nothing to save");
    const Trajectory& tr = *run.trajectory;
    const int n = tr.recordedSteps();
    nlohmann::ordered_json header;
    header["format"] = "difflens-run";
    header["version"] = kRunFileVersion;
    nlohmann::ordered_json model;
    model["spec"] = run.modelSpec;
    model["name"] = run.modelName;
    model["data"] = run.data.toJson();
    model["scheduler"] = nlohmann::json::parse(run.scheduler.toJsonText());
    if (!run.architecture.is_null()) model["architecture"] = run.architecture;
    header["model"] = model;
    header["sampler"] = samplerSettingsToJson(tr.process().settings());
    header["seed"] = run.seed;
    header["batch"] = tr.batch();
    header["init"] = run.noiseReference ? "noised_reference" : "noise";
    header["discrete_data"] = tr.discreteData();
    header["storage"] = tr.storage() == torch::kFloat16 ? "float16" : "float32";
    header["steps_planned"] = tr.stepCount();
    header["steps_recorded"] = n;
    header["has_reference"] = tr.reference().defined();
    header["settings"] = run.settings.is_null() ? nlohmann::json::object() : run.settings;

    // Values of several kinds (int, str, tensors): a Dict[str, Any], which torch.load reads as a dict.
    c10::impl::GenericDict dict(c10::StringType::get(), c10::AnyType::get());
    dict.insert(kVersionKey, c10::IValue(static_cast<int64_t>(kRunFileVersion)));
    dict.insert("header", c10::IValue(header.dump()));
    dict.insert("states", c10::IValue(tr.storedStates().slice(0, 0, n + 1).contiguous()));
    dict.insert("outputs", c10::IValue(tr.storedOutputs().slice(0, 0, n).contiguous()));
    if (tr.reference().defined()) dict.insert("reference", c10::IValue(tr.reference().contiguous()));
    for (const auto& [name, tensor] : run.summaries)
        if (tensor.defined()) dict.insert(kSummaryPrefix + name, c10::IValue(tensor.detach().to(torch::kCPU).contiguous()));
    writeFileAtomic(path, torch::pickle_save(c10::IValue(dict)));
}

RunRecord loadRun(const std::string& path)
{
    nlohmann::json header;
    size_t bytes = 0;
    const auto dict = readRunDict(path, header, bytes);
    const std::string origin = "run file '" + path + "'";
    RunRecord run;
    try {
        const auto& model = header.at("model");
        run.modelSpec = json_util::getString(model, "spec", "", origin);
        run.modelName = json_util::getString(model, "name", run.modelSpec, origin);
        if (model.contains("data")) run.data = DataSpec::fromJson(model["data"], origin);
        run.scheduler = SchedulerConfig::fromJsonText(model.at("scheduler").dump(), origin);
        if (model.contains("architecture")) run.architecture = model["architecture"];
        run.sampler = samplerSettingsFromJson(header.at("sampler"), origin);
        run.seed = header.value("seed", uint64_t(0));
        run.noiseReference = header.value("init", std::string("noise")) == "noised_reference";
        run.settings = header.value("settings", nlohmann::json::object());
    } catch (const nlohmann::json::exception& e) {
        throw DataError("'" + path + "' is a damaged run file (its header lacks " + std::string(e.what()) + ")");
    } catch (const ConfigError& e) {
        throw DataError("'" + path + "' is a damaged run file: " + e.what());
    }
    const auto states = tensorEntry(dict, "states"), outputs = tensorEntry(dict, "outputs");
    const int recorded = header.value("steps_recorded", 0);
    auto process = std::make_shared<ReverseProcess>(run.scheduler, run.sampler);
    try {
        run.trajectory = std::make_shared<Trajectory>(process, tensorEntry(dict, "reference"),
                                                      header.value("discrete_data", false), states, outputs, recorded);
    } catch (const DataError& e) {
        throw DataError("'" + path + "' is a damaged run file: " + e.what());
    }
    for (const auto& entry : dict) {
        if (!entry.key().isString() || !entry.value().isTensor()) continue;
        const std::string key = entry.key().toStringRef();
        if (key.rfind(kSummaryPrefix, 0) == 0) run.summaries[key.substr(std::strlen(kSummaryPrefix))] = entry.value().toTensor();
    }
    return run;
}

nlohmann::json runFileHeader(const std::string& path)
{
    nlohmann::json header;
    size_t bytes = 0;
    readRunDict(path, header, bytes);
    header["file_bytes"] = bytes;
    return header;
}

} // namespace difflens
