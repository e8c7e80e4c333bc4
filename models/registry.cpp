#include "models/registry.h"

#include "core/errors.h"

#include <sstream>

namespace difflens {

LoadedModel openModel(const std::string& spec, torch::Device device, const std::string& schedulerOverride)
{
    LoadedModel m;
    m.package = ModelPackage::read(spec, schedulerOverride);
    if (m.package.format == "builtin")
        throw ModelError("'" + spec + "' is a built-in network package; this build cannot load built-in nets yet");
    m.denoiser = std::make_shared<TorchScriptDenoiser>(m.package.modelFile, device);
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
