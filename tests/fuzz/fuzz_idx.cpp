// libFuzzer harness: the Fashion-MNIST IDX reader (readFashionMnist). The input is the images file (zlib's
// gzread reads plain bytes as they are, so both gzipped and raw IDX bytes reach the parser). When the first
// byte is odd the labels are read too: the next two bytes give the labels file's length L (little-endian) and
// the last L bytes of the input are that file.
#include "core/datasets.h"
#include "tests/fuzz/fuzz_common.h"

#include <torch/types.h>

#include <algorithm>

DIFFLENS_FUZZ_TARGET(fuzz_idx)
{
    using namespace difflens;
    if (size < 1) return 0;
    const bool withLabels = data[0] & 1;
    size_t labelBytes = 0;
    if (withLabels) {
        if (size < 3) return 0;
        labelBytes = std::min<size_t>(size - 3, data[1] | (size_t(data[2]) << 8));
        data += 2;
        size -= 2;
    }
    ++data;
    --size;
    const size_t imageBytes = size - labelBytes;
    fuzz::writeScratch("train-images-idx3-ubyte.gz", data, imageBytes);
    fuzz::writeScratch("train-labels-idx1-ubyte.gz", data + imageBytes, size - imageBytes);
    fuzz::expectTypedErrors([&] {
        torch::Tensor labels;
        const auto images = readFashionMnist(fuzz::scratchDir(), "train", withLabels ? &labels : nullptr);
        (void)images.sum();
        if (withLabels && labels.size(0) != images.size(0)) {
            std::fprintf(stderr, "labels and images disagree in count\n");
            std::abort();
        }
    });
    return 0;
}
