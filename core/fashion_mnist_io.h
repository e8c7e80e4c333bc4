#pragma once
// Internal to core: the Fashion-MNIST reader's 8-bit form, for datasets that keep the pixels as bytes and
// decode only the items they hand out (core/datasets.cpp). readFashionMnist (core/datasets.h) is both in one.
#include <torch/types.h>

#include <string>

namespace difflens {

/** The IDX file's images as they are stored: uint8 [n, 1, rows, cols]; labels (optional) int64 [n]. */
torch::Tensor readFashionMnistBytes(const std::string& dir, const std::string& split, torch::Tensor* labels);
/** Fashion-MNIST's 8-bit pixels as values in [-1, 1]: p / 127.5 - 1, in float32. */
torch::Tensor decodeFashionMnistBytes(const torch::Tensor& bytes);

} // namespace difflens
