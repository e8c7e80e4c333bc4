#pragma once
// A model package (design.md): model.pt + scheduler_config.json + difflens.json (+ training log).
#include "core/schedule.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace difflens {

/** What a sample is: points of dimension d, or images C x H x W, and the value range the model uses. */
struct DataSpec
{
    std::string kind = "points"; // "points" | "images"
    std::vector<int64_t> shape;  // per sample: {d} or {C, H, W}
    double low = -1.0, high = 1.0;
    std::string dataset; // dataset name or path it was trained on ("" when unknown)

    bool isImage() const { return kind == "images"; }
    bool known() const { return !shape.empty(); }
    int64_t numel() const;
    std::string describe() const; // "points in 2-D" / "images 1x28x28"
    static DataSpec points(int dim, double range = 4.0);
    static DataSpec images(int channels, int height, int width);
    nlohmann::json toJson() const;
    static DataSpec fromJson(const nlohmann::json& j, const std::string& origin);
};

struct ModelPackage
{
    std::string path;       // what the user gave
    std::string root;       // the folder holding the package files
    std::string modelFile;  // model.pt ("" for exact models)
    std::string format;     // "torchscript" | "builtin" | "exact"
    std::string name, description;
    SchedulerConfig scheduler;
    bool hasSchedulerConfig = false;
    DataSpec data;
    nlohmann::json architecture; // built-in nets: {"type": "mlp"|"unet", ...}
    nlohmann::json training;     // training settings and results, free-form
    nlohmann::json metrics;      // evaluation figures, free-form
    std::string trainingLog;     // absolute path of the loss CSV ("" when none)
    int numClasses = 0;          // class-conditional models: how many classes (difflens.json "num_classes")
    std::vector<std::string> classNames; // optional, one per class ("class_names")

    /**
     * Reads a package folder, or a TorchScript file with optional scheduler_config.json / difflens.json beside
     * it. schedulerOverride: a scheduler_config.json that replaces the package's. Throws ModelError/ConfigError.
     */
    static ModelPackage read(const std::string& path, const std::string& schedulerOverride = "");
    /** Writes difflens.json and scheduler_config.json into dir (atomic writes). */
    void writeMetadata(const std::string& dir) const;
    nlohmann::json metadataJson() const;
};

} // namespace difflens
