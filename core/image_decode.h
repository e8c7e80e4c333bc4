#pragma once
// cv::imread with OpenCV's own errors as a DataError. imread returns an empty Mat for most unreadable files,
// but some decoders throw cv::Exception instead: a BMP or PNG header that claims an image beyond OpenCV's size
// limits fails an assertion in validateInputImageSize (found by fuzz_image_file). Every image read of outside
// data goes through here, so such a file gets the same one-line message as any other unreadable image.
// Before decoding, the header's width and height are read for the common formats (PNG, JPEG, BMP, PNM) and an
// image past kMaxImagePixels is refused: OpenCV allocates the whole image before it reads a pixel, and its own
// limit (2^30 pixels, fixed when the library loads) let a 55-byte BMP claiming 65,540 x 13,056 allocate 2.5 GB
// (fuzz_image_file).
#include "core/errors.h"

#include <opencv2/imgcodecs.hpp>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

namespace difflens {

/** The most pixels an image file may claim: 8192 x 8192. References and datasets are resized to the model's
    size, so nothing a lecturer uses comes close. */
constexpr uint64_t kMaxImagePixels = uint64_t(1) << 26;

/** Width x height as the file's header states it (PNG, JPEG, BMP, PNM); 0 for other formats or when the header
    is unreadable (the decoder then decides). `head` is the file's first bytes. */
inline uint64_t imageHeaderPixels(const std::vector<unsigned char>& head)
{
    const size_t n = head.size();
    const auto be = [&](size_t at, int bytes) {
        uint64_t v = 0;
        for (int i = 0; i < bytes; ++i) v = (v << 8) | head[at + i];
        return v;
    };
    const auto times = [](uint64_t a, uint64_t b) { return (a != 0 && b > UINT64_MAX / a) ? UINT64_MAX : a * b; };
    const auto le = [&](size_t at) {
        return uint32_t(head[at]) | uint32_t(head[at + 1]) << 8 | uint32_t(head[at + 2]) << 16 | uint32_t(head[at + 3]) << 24;
    };
    if (n >= 24 && be(0, 4) == 0x89504E47 && be(12, 4) == 0x49484452) return times(be(16, 4), be(20, 4)); // PNG IHDR
    if (n >= 26 && head[0] == 'B' && head[1] == 'M') {                                            // BMP
        const int64_t w = int32_t(le(18)), h = int32_t(le(22));
        return times(uint64_t(w < 0 ? -w : w), uint64_t(h < 0 ? -h : h));
    }
    if (n >= 4 && head[0] == 0xFF && head[1] == 0xD8) { // JPEG: walk the segments to the frame header
        for (size_t at = 2; at + 9 <= n;) {
            if (head[at] != 0xFF) return 0;
            const unsigned marker = head[at + 1];
            if (marker == 0xFF) { ++at; continue; }
            if (marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC)
                return times(be(at + 5, 2), be(at + 7, 2));
            if (marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01) { at += 2; continue; }
            at += 2 + be(at + 2, 2);
        }
        return 0;
    }
    if (n >= 3 && head[0] == 'P' && head[1] >= '1' && head[1] <= '6') { // PNM: two decimals after comments
        uint64_t values[2] = {0, 0};
        size_t at = 2;
        for (uint64_t& v : values) {
            while (at < n && (head[at] == '#' || std::isspace(head[at]))) {
                if (head[at] == '#')
                    while (at < n && head[at] != '\n') ++at;
                else
                    ++at;
            }
            if (at >= n || !std::isdigit(head[at])) return 0;
            while (at < n && std::isdigit(head[at]) && v < (uint64_t(1) << 40)) v = v * 10 + (head[at++] - '0');
        }
        return times(values[0], values[1]);
    }
    return 0;
}

/** The decoded image, or an empty Mat when OpenCV cannot read the file; DataError when a decoder threw or the
    header claims more than kMaxImagePixels. */
inline cv::Mat decodeImageFile(const std::string& path, int flags)
{
    std::vector<unsigned char> head(1 << 20);
    {
        std::ifstream in(path, std::ios::binary);
        in.read(reinterpret_cast<char*>(head.data()), static_cast<std::streamsize>(head.size()));
        head.resize(in ? head.size() : static_cast<size_t>(std::max<std::streamsize>(in.gcount(), 0)));
    }
    const uint64_t pixels = imageHeaderPixels(head);
    if (pixels > kMaxImagePixels)
        throw DataError("image '" + path + "' claims " + std::to_string(pixels) + " pixels, more than the " +
                        std::to_string(kMaxImagePixels) + " (8192 x 8192) Diffusion Lens reads");
    try {
        return cv::imread(path, flags);
    } catch (const cv::Exception& e) {
        throw DataError("cannot read image '" + path + "': " + e.err);
    }
}

} // namespace difflens
