// The Fashion-MNIST IDX files (Debian's dataset-fashion-mnist): gzip, the IDX header checks, 8-bit pixels.
#include "core/fashion_mnist_io.h"

#include "core/datasets.h"
#include "core/errors.h"

#include <torch/torch.h>
#include <zlib.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;

namespace difflens {

namespace {

std::vector<unsigned char> readGzip(const std::string& path)
{
    gzFile f = gzopen(path.c_str(), "rb");
    if (!f) throw DataError("cannot open '" + path + "'");
    std::vector<unsigned char> out;
    // Reserve what the gzip trailer says the data holds (its size mod 2^32), bounded by deflate's largest ratio
    // (1032:1) of the file's size: growing the vector by doubling held up to twice the data at once.
    std::error_code ec;
    const auto packed = fs::file_size(path, ec);
    if (!ec && packed >= 18) {
        std::ifstream in(path, std::ios::binary);
        unsigned char tail[4] = {};
        in.seekg(-4, std::ios::end);
        if (in.read(reinterpret_cast<char*>(tail), 4)) {
            const uint64_t size = uint64_t(tail[0]) | uint64_t(tail[1]) << 8 | uint64_t(tail[2]) << 16 | uint64_t(tail[3]) << 24;
            out.reserve(static_cast<size_t>(std::min<uint64_t>(size, uint64_t(packed) * 1032)));
        }
    }
    unsigned char buf[1 << 16];
    int got;
    while ((got = gzread(f, buf, sizeof buf)) > 0) out.insert(out.end(), buf, buf + got);
    const bool bad = got < 0;
    gzclose(f);
    if (bad) throw DataError("'" + path + "' is not a valid gzip file");
    return out;
}

uint32_t be32(const unsigned char* p)
{
    return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | uint32_t(p[3]);
}

} // namespace

/** Fashion-MNIST's 8-bit pixels as values in [-1, 1]: p / 127.5 - 1, in float32. */
torch::Tensor decodeFashionMnistBytes(const torch::Tensor& bytes)
{
    return bytes.to(torch::kFloat32).div_(127.5).sub_(1.0);
}

std::string fashionMnistDir()
{
    if (const char* env = std::getenv("DIFFLENS_FASHION_MNIST_DIR")) return env;
    return "/usr/share/datasets/fashion-mnist";
}

/** The IDX file's images as they are stored: uint8 [n, 1, rows, cols] (readFashionMnist decodes them). */
torch::Tensor readFashionMnistBytes(const std::string& dir, const std::string& split, torch::Tensor* labels)
{
    const std::string prefix = split == "test" ? "t10k" : "train";
    const std::string imagesPath = dir + "/" + prefix + "-images-idx3-ubyte.gz";
    if (!fs::exists(imagesPath))
        throw DataError("Fashion-MNIST is not installed ('" + imagesPath +
                        "' is missing): install Debian's package with 'sudo apt-get install dataset-fashion-mnist'");
    const auto bytes = readGzip(imagesPath);
    if (bytes.size() < 16 || be32(bytes.data()) != 2051)
        throw DataError("'" + imagesPath + "' is not an IDX image file");
    const int64_t n = be32(bytes.data() + 4), rows = be32(bytes.data() + 8), cols = be32(bytes.data() + 12);
    // Each count is up to 2^32: bound the image size first so n * rows * cols cannot overflow (tests/fuzz).
    if (rows < 1 || cols < 1 || rows > 4096 || cols > 4096)
        throw DataError("'" + imagesPath + "' claims images of " + std::to_string(rows) + "x" +
                        std::to_string(cols) + " pixels: not an IDX image file");
    if (n > static_cast<int64_t>(bytes.size() - 16) / (rows * cols))
        throw DataError("'" + imagesPath + "' is truncated: it claims " + std::to_string(n) + " images of " +
                        std::to_string(rows) + "x" + std::to_string(cols) + " but holds " +
                        std::to_string(bytes.size() - 16) + " bytes of pixels");
    auto images = torch::from_blob(const_cast<unsigned char*>(bytes.data() + 16), {n, 1, rows, cols}, torch::kUInt8)
                      .clone();
    if (labels) {
        const std::string labelsPath = dir + "/" + prefix + "-labels-idx1-ubyte.gz";
        const auto lb = readGzip(labelsPath);
        if (lb.size() < 8 + static_cast<size_t>(n) || be32(lb.data()) != 2049)
            throw DataError("'" + labelsPath + "' is not an IDX label file");
        *labels = torch::from_blob(const_cast<unsigned char*>(lb.data() + 8), {n}, torch::kUInt8).to(torch::kInt64);
    }
    return images;
}

torch::Tensor readFashionMnist(const std::string& dir, const std::string& split, torch::Tensor* labels)
{
    return decodeFashionMnistBytes(readFashionMnistBytes(dir, split, labels));
}

} // namespace difflens
