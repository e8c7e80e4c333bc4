#include "app/logic/sampling_controller.h"

namespace difflens::gui {

SamplingParams samplingParams(const widgets::RunSettings& settings, const ModelHandle& model,
                              const Reference& reference)
{
    SamplingParams p;
    p.model = model;
    p.sampler = settings.sampler;
    p.steps = settings.steps;
    p.eta = settings.eta;
    p.sdeNoise = settings.sdeNoise;
    p.seed = static_cast<quint64>(settings.seed);
    p.batch = settings.batch;
    p.fromReference = settings.mode == widgets::RunSettings::FromReference;
    p.t0 = settings.t0;
    p.reference = reference;
    p.classIndex = model && model->info.numClasses > 0 ? settings.classIndex : -1;
    p.guidance = settings.guidance;
    // As the CLI's --clipped-eps auto: guided DDIM re-derives eps from the clipped x0^ (core/MATH.md, "Guidance").
    p.clippedEps = settings.clippedEps && p.classIndex >= 0;
    return p;
}

} // namespace difflens::gui
