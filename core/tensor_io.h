#pragma once
// .pt tensors that Python's torch.load reads and torch.save writes (pickle format).
#include <torch/types.h>

#include <map>
#include <string>

namespace difflens {

/** Loads a tensor saved with torch.save(tensor, path); throws DataError / IoError with the path. */
torch::Tensor loadTensor(const std::string& path);
/** Saves so that torch.load(path) returns the tensor; atomic (temporary file, then rename). */
void saveTensor(const std::string& path, const torch::Tensor& tensor);
/** A dict of named tensors (torch.load gives a dict). */
void saveTensorDict(const std::string& path, const std::map<std::string, torch::Tensor>& tensors);
std::map<std::string, torch::Tensor> loadTensorDict(const std::string& path);

/** Writes bytes atomically: to path.tmp, then renamed over path; the old file survives a failure. */
void writeFileAtomic(const std::string& path, const std::vector<char>& bytes);

} // namespace difflens
