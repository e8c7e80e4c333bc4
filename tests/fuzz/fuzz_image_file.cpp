// libFuzzer harness: an image file as the app reads references and image datasets (openDataset on a path:
// OpenCV's decoders, then resize and centre-crop to the model's C x H x W), and as `points:IMAGE` (its dark
// pixels as a 2-D density). The first byte picks the size and the reader.
#include "core/datasets.h"
#include "tests/fuzz/fuzz_common.h"

#include <torch/types.h>

DIFFLENS_FUZZ_TARGET(fuzz_image_file)
{
    using namespace difflens;
    if (size < 1) return 0;
    const uint8_t mode = data[0];
    const std::string path = fuzz::writeScratch("image", data + 1, size - 1);
    fuzz::expectTypedErrors([&] {
        if (mode & 4) {
            (void)openDataset("points:" + path)->first(4);
            return;
        }
        const std::vector<int64_t> shape =
            (mode & 1) ? std::vector<int64_t>{3, 16, 12} : std::vector<int64_t>{1, 28, 28};
        const auto item = openDataset(path, shape)->first(1);
        if (item.size(0) != 1 || item.size(1) != shape[0] || item.size(2) != shape[1] ||
            item.size(3) != shape[2]) {
            std::fprintf(stderr, "an image came back in the wrong shape\n");
            std::abort();
        }
    });
    return 0;
}
