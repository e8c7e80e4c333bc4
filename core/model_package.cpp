#include "core/model_package.h"

#include "core/errors.h"
#include "core/json_util.h"

#include <filesystem>
#include <sstream>

namespace fs = std::filesystem;

namespace difflens {

int64_t DataSpec::numel() const
{
    int64_t n = 1;
    for (auto s : shape) n *= s;
    return shape.empty() ? 0 : n;
}

std::string DataSpec::describe() const
{
    std::ostringstream ss;
    if (!known()) return "unknown data shape";
    if (isImage())
        ss << "images " << shape[0] << "x" << shape[1] << "x" << shape[2];
    else
        ss << "points in " << shape[0] << "-D";
    ss << ", values in [" << low << ", " << high << "]";
    if (!dataset.empty()) ss << ", trained on " << dataset;
    return ss.str();
}

DataSpec DataSpec::points(int dim, double range)
{
    DataSpec d;
    d.kind = "points";
    d.shape = {dim};
    d.low = -range;
    d.high = range;
    return d;
}

DataSpec DataSpec::images(int channels, int height, int width)
{
    DataSpec d;
    d.kind = "images";
    d.shape = {channels, height, width};
    return d;
}

nlohmann::json DataSpec::toJson() const
{
    nlohmann::ordered_json j;
    j["kind"] = kind;
    j["shape"] = shape;
    j["range"] = {low, high};
    j["dataset"] = dataset;
    return nlohmann::json::parse(j.dump());
}

DataSpec DataSpec::fromJson(const nlohmann::json& j, const std::string& origin)
{
    DataSpec d;
    if (!j.is_object()) throw ConfigError(origin + ": 'data' must be an object");
    d.kind = json_util::getString(j, "kind", "points", origin);
    if (d.kind != "points" && d.kind != "images")
        throw ConfigError(origin + ": data.kind must be \"points\" or \"images\", got \"" + d.kind + "\"");
    if (j.contains("shape")) {
        const auto& s = j["shape"];
        if (!s.is_array()) throw ConfigError(origin + ": data.shape must be an array of positive integers");
        for (const auto& v : s) {
            if (!v.is_number_integer() || v.get<int64_t>() < 1)
                throw ConfigError(origin + ": data.shape must be an array of positive integers, got " + s.dump());
            d.shape.push_back(v.get<int64_t>());
        }
    }
    const size_t expected = d.isImage() ? 3 : 1;
    if (!d.shape.empty() && d.shape.size() != expected)
        throw ConfigError(origin + ": data.shape of " + d.kind + " needs " + std::to_string(expected) +
                          " entries, got " + j["shape"].dump());
    if (j.contains("range")) {
        const auto& r = j["range"];
        if (!r.is_array() || r.size() != 2 || !r[0].is_number() || !r[1].is_number())
            throw ConfigError(origin + ": data.range must be [low, high]");
        d.low = r[0].get<double>();
        d.high = r[1].get<double>();
    }
    d.dataset = json_util::getString(j, "dataset", "", origin);
    return d;
}

ModelPackage ModelPackage::read(const std::string& path, const std::string& schedulerOverride)
{
    ModelPackage p;
    p.path = path;
    std::error_code ec;
    if (!fs::exists(path, ec)) throw ModelError("model '" + path + "' does not exist");
    fs::path metaFile, schedFile;
    if (fs::is_directory(path, ec)) {
        p.root = fs::absolute(path).string();
        metaFile = fs::path(p.root) / "difflens.json";
        schedFile = fs::path(p.root) / "scheduler_config.json";
        p.modelFile = (fs::path(p.root) / "model.pt").string();
    } else {
        const fs::path file = fs::absolute(path);
        p.root = file.parent_path().string();
        p.modelFile = file.string();
        schedFile = file.parent_path() / "scheduler_config.json";
        metaFile = file.parent_path() / "difflens.json";
    }
    p.name = fs::path(p.root).filename().string();
    p.format = "torchscript";
    if (fs::exists(metaFile, ec)) {
        const std::string origin = metaFile.string();
        const auto j = json_util::parse(json_util::readTextFile(origin), origin);
        p.format = json_util::getString(j, "format", "torchscript", origin);
        if (p.format != "torchscript" && p.format != "builtin")
            throw ConfigError(origin + ": format must be \"torchscript\" or \"builtin\", got \"" + p.format + "\"");
        p.name = json_util::getString(j, "name", p.name, origin);
        p.description = json_util::getString(j, "description", "", origin);
        if (j.contains("data")) p.data = DataSpec::fromJson(j["data"], origin);
        if (j.contains("architecture")) p.architecture = j["architecture"];
        if (j.contains("training")) p.training = j["training"];
        if (j.contains("metrics")) p.metrics = j["metrics"];
        const auto file = json_util::getString(j, "model_file", "", origin);
        if (!file.empty()) p.modelFile = (fs::path(p.root) / file).string();
        const auto log = json_util::getString(j, "training_log", "", origin);
        if (!log.empty()) p.trainingLog = (fs::path(p.root) / log).string();
        if (p.format == "builtin" && !p.architecture.is_object())
            throw ConfigError(origin + ": a built-in model needs an 'architecture' object");
        // A built-in net's architecture says whether it is conditional; a TorchScript one's package says it.
        const int archClasses = p.architecture.is_object() ? json_util::getInt(p.architecture, "num_classes", 0, origin) : 0;
        p.numClasses = json_util::getInt(j, "num_classes", archClasses, origin);
        if (p.numClasses < 0) throw ConfigError(origin + ": num_classes must be 0 (unconditional) or more");
        if (j.contains("class_names")) {
            const auto& names = j["class_names"];
            if (!names.is_array() || static_cast<int>(names.size()) != p.numClasses)
                throw ConfigError(origin + ": class_names must be an array of num_classes strings");
            for (const auto& n : names) {
                if (!n.is_string()) throw ConfigError(origin + ": class_names must be strings");
                p.classNames.push_back(n.get<std::string>());
            }
        }
    }
    if (!fs::exists(p.modelFile, ec))
        throw ModelError("model file '" + p.modelFile + "' does not exist (a package folder holds model.pt)");
    if (fs::is_directory(p.modelFile, ec))
        throw ModelError("model file '" + p.modelFile + "' is a folder, not a file");
    const std::string sched = !schedulerOverride.empty() ? schedulerOverride : schedFile.string();
    if (!schedulerOverride.empty() || fs::exists(sched, ec)) {
        p.scheduler = SchedulerConfig::fromFile(sched);
        p.hasSchedulerConfig = true;
    }
    return p;
}

nlohmann::json ModelPackage::metadataJson() const
{
    nlohmann::ordered_json j;
    j["format"] = format;
    j["name"] = name;
    j["description"] = description;
    j["model_file"] = "model.pt";
    j["data"] = data.toJson();
    if (!architecture.is_null()) j["architecture"] = architecture;
    if (!training.is_null()) j["training"] = training;
    if (!metrics.is_null()) j["metrics"] = metrics;
    if (numClasses > 0) j["num_classes"] = numClasses;
    if (numClasses > 0 && static_cast<int>(classNames.size()) == numClasses) j["class_names"] = classNames;
    if (!trainingLog.empty()) j["training_log"] = fs::path(trainingLog).filename().string();
    return nlohmann::json::parse(j.dump());
}

void ModelPackage::writeMetadata(const std::string& dir) const
{
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) throw IoError("cannot create folder '" + dir + "': " + ec.message());
    json_util::writeTextFileAtomic((fs::path(dir) / "difflens.json").string(), metadataJson().dump(2) + "\n");
    scheduler.saveFile((fs::path(dir) / "scheduler_config.json").string());
}

} // namespace difflens
