#include "core/tensor_io.h"

#include "core/errors.h"
#include "core/json_util.h"
#include "core/load_probe.h"
#include "core/pickle_scan.h"

#include <torch/serialize.h>
#include <torch/torch.h>

#include <cstdio>
#include <fstream>
#include <iterator>

namespace difflens {

namespace {
std::vector<char> readBytes(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in) throw IoError("cannot read '" + path + "': the file is missing or unreadable");
    return std::vector<char>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

c10::IValue loadIValue(const std::string& path)
{
    const auto bytes = readBytes(path);
    checkPickleLengths(bytes.data(), bytes.size(), path);
    probeInChildProcess(path, "a tensor file", [&] { torch::pickle_load(bytes); });
    try {
        return torch::pickle_load(bytes);
    } catch (const std::exception& e) {
        throw DataError("'" + path + "' is not a tensor file written by torch.save: " + describeException(e));
    }
}
} // namespace

void writeFileAtomic(const std::string& path, const std::vector<char>& bytes)
{
    json_util::writeBytesAtomic(path, bytes.data(), bytes.size());
}

torch::Tensor loadTensor(const std::string& path)
{
    const auto v = loadIValue(path);
    if (v.isTensor()) return v.toTensor();
    if (v.isGenericDict()) {
        // Accept a dict with a single tensor (e.g. {"x": tensor}).
        const auto dict = v.toGenericDict();
        if (dict.size() == 1 && dict.begin()->value().isTensor()) return dict.begin()->value().toTensor();
    }
    throw DataError("'" + path + "' holds a " + v.tagKind() + ", not a tensor");
}

void saveTensor(const std::string& path, const torch::Tensor& tensor)
{
    writeFileAtomic(path, torch::pickle_save(tensor.detach().to(torch::kCPU).contiguous()));
}

void saveTensorDict(const std::string& path, const std::map<std::string, torch::Tensor>& tensors)
{
    c10::Dict<std::string, torch::Tensor> dict;
    for (const auto& [k, v] : tensors)
        if (v.defined()) dict.insert(k, v.detach().to(torch::kCPU).contiguous());
    writeFileAtomic(path, torch::pickle_save(dict));
}

std::map<std::string, torch::Tensor> loadTensorDict(const std::string& path)
{
    const auto v = loadIValue(path);
    if (!v.isGenericDict()) throw DataError("'" + path + "' holds a " + v.tagKind() + ", not a dict of tensors");
    std::map<std::string, torch::Tensor> out;
    for (const auto& e : v.toGenericDict())
        if (e.key().isString() && e.value().isTensor()) out[e.key().toStringRef()] = e.value().toTensor();
    return out;
}

} // namespace difflens
