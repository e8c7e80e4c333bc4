#pragma once
// The sampling loop of diffusers' solvers (DPM-Solver++ multistep, Euler, Euler ancestral, Heun on VP
// models), called by runSampler (core/sampler.cpp) for the runs whose ReverseProcess::diffusersSolver() is
// true.
#include "core/sampler.h"

#include <ATen/core/Generator.h>

namespace difflens::detail {

/**
 * Runs a diffusers solver from x_T in path space (a noised reference) or from unit noise z (scaled by the
 * plan's init_noise_sigma, as diffusers' pipelines scale their latents), drawing Euler ancestral's noise
 * after each model call. The same arithmetic as scripts/reference_solvers.py.
 */
SampleResult runDiffusersSolver(Denoiser& model, const ReverseProcess& process, const SamplerOptions& options,
                                const std::vector<int64_t>& shape, const torch::Tensor& reference,
                                const torch::Tensor& start, bool startIsUnitNoise, at::Generator& gen,
                                const StepCallback& onStep, const std::atomic_bool* cancel);

} // namespace difflens::detail
