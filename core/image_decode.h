#pragma once
// cv::imread with OpenCV's own errors as a DataError. imread returns an empty Mat for most unreadable files,
// but some decoders throw cv::Exception instead: a BMP or PNG header that claims an image beyond OpenCV's size
// limits fails an assertion in validateInputImageSize (found by fuzz_image_file). Every image read of outside
// data goes through here, so such a file gets the same one-line message as any other unreadable image.
#include "core/errors.h"

#include <opencv2/imgcodecs.hpp>

#include <string>

namespace difflens {

/** The decoded image, or an empty Mat when OpenCV cannot read the file; DataError when a decoder threw. */
inline cv::Mat decodeImageFile(const std::string& path, int flags)
{
    try {
        return cv::imread(path, flags);
    } catch (const cv::Exception& e) {
        throw DataError("cannot read image '" + path + "': " + e.err);
    }
}

} // namespace difflens
