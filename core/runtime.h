#pragma once
// Process-wide start-up settings and device selection.
#include <torch/types.h>

#include <string>

namespace difflens {

/**
 * Sets torch's intra-op thread count (0: the machine's cores) and keeps glibc from re-mapping every large
 * tensor (mallopt M_MMAP_THRESHOLD 256 MiB; 15-20% on sampling loops) or trimming the heap after each one
 * (M_TRIM_THRESHOLD 256 MiB). Call once, first thing in main().
 */
void initRuntime(int threads = 0);

/** "auto" (CUDA when this LibTorch has it, else CPU), "cpu", "cuda" or "cuda:N"; throws ConfigError. */
torch::Device resolveDevice(const std::string& spec);
std::string deviceName(const torch::Device& device);
bool cudaAvailable();

} // namespace difflens
