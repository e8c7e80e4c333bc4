#pragma once
// The torch side of a loaded model. Included only by the files that run or read tensors.
#include "app/logic/model.h"
#include "core/datasets.h"
#include "core/exact.h"
#include "core/exact_guidance.h"
#include "models/registry.h"

#include <torch/types.h>

#include <mutex>
#include <optional>

namespace difflens::gui {

struct ModelRuntime
{
    LoadedModel loaded;
    /** Held around every call of loaded.denoiser: the sampler's and the bound's threads share it. */
    std::mutex forwardMutex;
    torch::Device device = torch::kCPU;
    torch::Tensor references; ///< [N, ...sample shape] CPU float32: the items a reference index picks
    std::optional<MixtureSpec> mixture;
    /**
     * The exact reverse process of the model's data (core/MATH.md, "Why p_theta is needed"): the model
     * itself when it is exact, else the dataset's closed-form mixture, else the reference items as a finite
     * training set. On the CPU; null when there is no data.
     */
    std::shared_ptr<GaussianMixtureDenoiser> exactData;
    /** The reference items as a finite set (index i = reference i): w_i colouring, top-k, nearest items. */
    std::shared_ptr<GaussianMixtureDenoiser> trainingSet;
    /**
     * Labelled exact data (the exact model itself, or the dataset's labelled closed-form mixture): E[x_0|x_t, c]
     * from class c's components, for the exact guided field beside the learned one. Null when unlabelled.
     */
    std::shared_ptr<ConditionalMixtureDenoiser> exactConditional;
};

/**
 * Builds a Model from an opened one (what loadModel does after openModel): info, probe, dataset items.
 * datasetOverride: use these items ([N, ...]) instead of opening the dataset (tests).
 */
ModelHandle makeModel(const QString& spec, LoadedModel loaded, torch::Device device,
                      torch::Tensor datasetOverride = {});

/** A reference's values as a [1, ...sample shape] float32 CPU tensor. */
torch::Tensor referenceTensor(const ModelInfo& info, const Reference& reference);

} // namespace difflens::gui
