#include "core/export.h"

#include "core/errors.h"
#include "core/image_decode.h"
#include "core/json_util.h"

#include <gif_lib.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <set>
#include <unordered_map>
#include <sstream>
#include <unistd.h>

namespace fs = std::filesystem;

namespace difflens {

namespace {

std::string tempPathFor(const std::string& path, const std::string& suffix = "")
{
    const fs::path p(path);
    return (p.parent_path() / ("." + p.filename().string() + ".partial" + suffix)).string();
}

void checkWritableTarget(const std::string& path)
{
    const fs::path p = fs::absolute(path);
    std::error_code ec;
    if (!fs::is_directory(p.parent_path(), ec))
        throw IoError("cannot write '" + path + "': the folder '" + p.parent_path().string() + "' does not exist");
    if (access(p.parent_path().c_str(), W_OK) != 0)
        throw IoError("cannot write '" + path + "': the folder is not writable");
    if (fs::exists(p, ec) && fs::is_regular_file(p, ec) && access(p.c_str(), W_OK) != 0)
        throw IoError("cannot write '" + path + "': the existing file is read-only");
}

void commit(const std::string& tmp, const std::string& path)
{
    json_util::commitAtomic(tmp, path, "the export");
}

cv::Mat toMat(const RgbFrame& f)
{
    cv::Mat rgb(f.height, f.width, CV_8UC3, const_cast<uint8_t*>(f.rgb.data()));
    cv::Mat bgr;
    cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
    return bgr;
}

// ---------------- GIF ----------------

/**
 * Median cut on the full 8-bit colours (giflib's GifQuantizeBuffer first drops to 5 bits per channel, which
 * bands grey gradients into 32 levels). Returns at most maxColours colours; all of them when there are fewer.
 */
std::vector<uint32_t> medianCut(const std::unordered_map<uint32_t, uint32_t>& counts, size_t maxColours)
{
    struct Entry
    {
        uint8_t c[3];
        uint32_t count;
    };
    std::vector<Entry> entries;
    entries.reserve(counts.size());
    for (const auto& [colour, count] : counts)
        entries.push_back({{uint8_t(colour >> 16), uint8_t(colour >> 8), uint8_t(colour)}, count});
    if (entries.size() <= maxColours) {
        std::vector<uint32_t> out;
        for (const auto& e : entries) out.push_back((uint32_t(e.c[0]) << 16) | (uint32_t(e.c[1]) << 8) | e.c[2]);
        return out;
    }
    struct Box
    {
        size_t begin = 0, end = 0;
        int axis = 0, range = 0;
        uint64_t weight = 0;
    };
    auto measure = [&entries](Box& box) {
        int lo[3] = {255, 255, 255}, hi[3] = {0, 0, 0};
        box.weight = 0;
        for (size_t i = box.begin; i < box.end; ++i) {
            for (int k = 0; k < 3; ++k) {
                lo[k] = std::min<int>(lo[k], entries[i].c[k]);
                hi[k] = std::max<int>(hi[k], entries[i].c[k]);
            }
            box.weight += entries[i].count;
        }
        box.axis = 0;
        for (int k = 1; k < 3; ++k)
            if (hi[k] - lo[k] > hi[box.axis] - lo[box.axis]) box.axis = k;
        box.range = hi[box.axis] - lo[box.axis];
    };
    std::vector<Box> boxes(1);
    boxes[0].end = entries.size();
    measure(boxes[0]);
    while (boxes.size() < maxColours) {
        // Split the box whose spread, weighted by the pixels it covers, is largest.
        size_t pick = boxes.size();
        double bestScore = 0;
        for (size_t i = 0; i < boxes.size(); ++i) {
            const double score = double(boxes[i].range) * std::sqrt(double(boxes[i].weight));
            if (boxes[i].end - boxes[i].begin > 1 && boxes[i].range > 0 && score > bestScore) bestScore = score, pick = i;
        }
        if (pick == boxes.size()) break;
        const Box box = boxes[pick];
        const int axis = box.axis;
        std::sort(entries.begin() + long(box.begin), entries.begin() + long(box.end),
                  [axis](const Entry& a, const Entry& b) { return a.c[axis] < b.c[axis]; });
        const uint64_t half = box.weight / 2;
        uint64_t acc = 0;
        size_t mid = box.begin;
        while (mid < box.end - 1 && acc + entries[mid].count <= half) acc += entries[mid++].count;
        if (mid == box.begin) ++mid;
        Box left, right;
        left.begin = box.begin, left.end = mid, right.begin = mid, right.end = box.end;
        measure(left);
        measure(right);
        boxes[pick] = left;
        boxes.push_back(right);
    }
    std::vector<uint32_t> out;
    for (const auto& box : boxes) {
        double sum[3] = {0, 0, 0};
        for (size_t i = box.begin; i < box.end; ++i)
            for (int k = 0; k < 3; ++k) sum[k] += double(entries[i].c[k]) * entries[i].count;
        uint32_t c = 0;
        for (int k = 0; k < 3; ++k) c = (c << 8) | uint32_t(std::lround(sum[k] / double(box.weight)));
        out.push_back(c);
    }
    return out;
}

class GifWriter final : public AnimationWriter
{
public:
    GifWriter(std::string path, AnimationOptions o) : m_path(std::move(path)), m_tmp(tempPathFor(m_path)), m_opt(o)
    {
        checkWritableTarget(m_path);
    }
    ~GifWriter() override
    {
        if (!m_finished) std::remove(m_tmp.c_str());
    }
    void addFrame(const RgbFrame& f) override
    {
        if (!m_frames.empty() && (f.width != m_frames[0].width || f.height != m_frames[0].height))
            throw IoError("all frames of an animation must have the same size");
        if (f.width <= 0 || f.height <= 0) throw IoError("an empty frame cannot be exported");
        m_frames.push_back(f); // GIF needs the whole sequence for a global palette; frames are small
    }
    void finish() override
    {
        if (m_frames.empty()) throw IoError("no frames to write to '" + m_path + "'");
        // Create the file ourselves with the usual permissions (EGifOpenFileName would make it 0600).
        const int fd = ::open(m_tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0) throw IoError("cannot write '" + m_path + "': " + std::strerror(errno));
        int err = 0;
        GifFileType* gif = EGifOpenFileHandle(fd, &err);
        if (!gif) {
            ::close(fd);
            std::remove(m_tmp.c_str());
            throw IoError(std::string("cannot start the GIF: ") + GifErrorString(err));
        }
        try {
            write(gif);
        } catch (...) {
            EGifCloseFile(gif, &err);
            std::remove(m_tmp.c_str());
            throw;
        }
        if (EGifCloseFile(gif, &err) == GIF_ERROR) {
            std::remove(m_tmp.c_str());
            throw IoError(std::string("cannot finish the GIF: ") + GifErrorString(err));
        }
        commit(m_tmp, m_path);
        m_finished = true;
    }

private:
    static void check(int rc, GifFileType* gif, const char* what)
    {
        if (rc == GIF_ERROR) throw IoError(std::string("GIF ") + what + " failed: " + GifErrorString(gif->Error));
    }

    // Median-cut quantisation of one or more frames (stacked) into at most 255 colours (index 255 is free
    // for transparency in differenced frames).
    static ColorMapObject* quantize(const std::vector<const RgbFrame*>& frames, std::vector<GifByteType>& indices)
    {
        const int w = frames[0]->width;
        int h = 0;
        for (auto* f : frames) h += f->height;
        const size_t n = static_cast<size_t>(w) * h;
        std::vector<uint8_t> r(n), g(n), b(n);
        size_t k = 0;
        for (auto* f : frames)
            for (size_t i = 0; i < static_cast<size_t>(f->width) * f->height; ++i, ++k) {
                r[k] = f->rgb[3 * i];
                g[k] = f->rgb[3 * i + 1];
                b[k] = f->rgb[3 * i + 2];
            }
        std::vector<GifColorType> palette(256);
        indices.resize(n);
        std::unordered_map<uint32_t, uint32_t> counts;
        for (size_t i = 0; i < n; ++i) ++counts[(uint32_t(r[i]) << 16) | (uint32_t(g[i]) << 8) | b[i]];
        const auto list = medianCut(counts, 255);
        for (size_t c = 0; c < list.size(); ++c)
            palette[c] = {GifByteType(list[c] >> 16), GifByteType(list[c] >> 8), GifByteType(list[c])};
        // Nearest palette entry per distinct colour (exact when there are at most 255 colours).
        std::unordered_map<uint32_t, GifByteType> lookup;
        lookup.reserve(counts.size());
        for (const auto& entry : counts) {
            const uint32_t colour = entry.first;
            size_t best = 0;
            long bestD = -1;
            for (size_t c = 0; c < list.size(); ++c) {
                const long dr = long(colour >> 16) - long(list[c] >> 16);
                const long dg = long((colour >> 8) & 255) - long((list[c] >> 8) & 255);
                const long db = long(colour & 255) - long(list[c] & 255);
                const long d = dr * dr + dg * dg + db * db;
                if (bestD < 0 || d < bestD) bestD = d, best = c;
            }
            lookup[colour] = static_cast<GifByteType>(best);
        }
        for (size_t i = 0; i < n; ++i) indices[i] = lookup[(uint32_t(r[i]) << 16) | (uint32_t(g[i]) << 8) | b[i]];
        return GifMakeMapObject(256, palette.data());
    }

    void write(GifFileType* gif)
    {
        const int w = m_frames[0].width, h = m_frames[0].height;
        ColorMapObject* global = nullptr;
        std::vector<GifByteType> globalIdx;
        if (m_opt.globalPalette) {
            std::vector<const RgbFrame*> all;
            for (const auto& f : m_frames) all.push_back(&f);
            global = quantize(all, globalIdx);
        }
        check(EGifPutScreenDesc(gif, w, h, 8, 0, global), gif, "header");
        // NETSCAPE2.0 loop extension: loop count 0 = forever.
        const unsigned char netscape[] = "NETSCAPE2.0";
        const int loops = m_opt.loopCount <= 0 ? 0 : std::max(0, m_opt.loopCount - 1);
        const unsigned char loopData[3] = {1, static_cast<unsigned char>(loops & 0xff), static_cast<unsigned char>(loops >> 8)};
        check(EGifPutExtensionLeader(gif, APPLICATION_EXT_FUNC_CODE), gif, "loop extension");
        check(EGifPutExtensionBlock(gif, 11, netscape), gif, "loop extension");
        check(EGifPutExtensionBlock(gif, 3, loopData), gif, "loop extension");
        check(EGifPutExtensionTrailer(gif), gif, "loop extension");

        const size_t frameSize = static_cast<size_t>(w) * h;
        std::vector<GifByteType> prev;
        for (size_t fi = 0; fi < m_frames.size(); ++fi) {
            std::vector<GifByteType> idx;
            ColorMapObject* local = nullptr;
            bool transparent = false;
            if (global) {
                idx.assign(globalIdx.begin() + static_cast<long>(fi * frameSize),
                           globalIdx.begin() + static_cast<long>((fi + 1) * frameSize));
                if (!prev.empty()) {
                    // Frame differencing: unchanged pixels become transparent (index 255) and compress to nothing.
                    std::vector<GifByteType> diff(idx);
                    for (size_t i = 0; i < frameSize; ++i)
                        if (idx[i] == prev[i]) diff[i] = 255;
                    prev = idx;
                    idx.swap(diff);
                    transparent = true;
                } else {
                    prev = idx;
                }
            } else {
                local = quantize({&m_frames[fi]}, idx);
            }
            GraphicsControlBlock gcb;
            gcb.DisposalMode = DISPOSE_DO_NOT;
            gcb.UserInputFlag = false;
            gcb.DelayTime = gifDelayCs(m_opt, fi + 1 == m_frames.size());
            gcb.TransparentColor = transparent ? 255 : NO_TRANSPARENT_COLOR;
            GifByteType ext[4];
            const size_t len = EGifGCBToExtension(&gcb, ext);
            check(EGifPutExtension(gif, GRAPHICS_EXT_FUNC_CODE, static_cast<int>(len), ext), gif, "frame delay");
            const int rc = EGifPutImageDesc(gif, 0, 0, w, h, false, local);
            if (local) GifFreeMapObject(local);
            check(rc, gif, "frame");
            for (int y = 0; y < h; ++y) check(EGifPutLine(gif, idx.data() + static_cast<size_t>(y) * w, w), gif, "pixels");
        }
        if (global) GifFreeMapObject(global);
    }

    std::string m_path, m_tmp;
    AnimationOptions m_opt;
    std::vector<RgbFrame> m_frames;
    bool m_finished = false;
};

// ---------------- MP4 ----------------

class Mp4Writer final : public AnimationWriter
{
public:
    Mp4Writer(std::string path, AnimationOptions o) : m_path(std::move(path)), m_tmp(tempPathFor(m_path, ".mp4")), m_opt(o)
    {
        checkWritableTarget(m_path);
    }
    ~Mp4Writer() override
    {
        if (!m_finished) {
            m_writer.release();
            std::remove(m_tmp.c_str());
        }
    }
    void addFrame(const RgbFrame& f) override
    {
        // Video codecs want even sizes: pad with white.
        const int w = f.width + (f.width & 1), h = f.height + (f.height & 1);
        if (!m_writer.isOpened()) {
            m_size = cv::Size(w, h);
            if (!m_writer.open(m_tmp, cv::VideoWriter::fourcc('m', 'p', '4', 'v'), m_opt.fps, m_size))
                throw IoError("cannot start an MP4 at '" + m_path + "' (OpenCV has no mp4v encoder?)");
        }
        if (cv::Size(w, h) != m_size) throw IoError("all frames of an animation must have the same size");
        cv::Mat mat = toMat(f);
        if (w != f.width || h != f.height)
            cv::copyMakeBorder(mat, mat, 0, h - f.height, 0, w - f.width, cv::BORDER_CONSTANT, cv::Scalar(255, 255, 255));
        m_last = mat.clone();
        m_writer.write(mat);
        ++m_count;
    }
    void finish() override
    {
        if (m_count == 0) throw IoError("no frames to write to '" + m_path + "'");
        const int hold = static_cast<int>(std::lround(m_opt.holdLastSeconds * m_opt.fps));
        for (int i = 0; i < hold; ++i) m_writer.write(m_last);
        m_writer.release();
        commit(m_tmp, m_path);
        m_finished = true;
    }

private:
    std::string m_path, m_tmp;
    AnimationOptions m_opt;
    cv::VideoWriter m_writer;
    cv::Size m_size;
    cv::Mat m_last;
    int m_count = 0;
    bool m_finished = false;
};

// ---------------- PNG frames ----------------

class FramesWriter final : public AnimationWriter
{
public:
    FramesWriter(std::string path, AnimationOptions o) : m_path(std::move(path)), m_tmp(tempPathFor(m_path))
    {
        (void)o;
        checkWritableTarget(m_path);
        std::error_code ec;
        fs::remove_all(m_tmp, ec);
        if (!fs::create_directory(m_tmp, ec)) throw IoError("cannot create a folder beside '" + m_path + "'");
    }
    ~FramesWriter() override
    {
        std::error_code ec;
        if (!m_finished) fs::remove_all(m_tmp, ec);
    }
    void addFrame(const RgbFrame& f) override
    {
        char name[32];
        std::snprintf(name, sizeof name, "frame_%05d.png", m_count++);
        writePng((fs::path(m_tmp) / name).string(), f);
    }
    void finish() override
    {
        if (m_count == 0) throw IoError("no frames to write to '" + m_path + "'");
        std::error_code ec;
        if (fs::exists(m_path, ec)) {
            if (!fs::is_directory(m_path, ec)) throw IoError("'" + m_path + "' exists and is not a folder");
            fs::remove_all(m_path, ec);
        }
        commit(m_tmp, m_path);
        m_finished = true;
    }

private:
    std::string m_path, m_tmp;
    int m_count = 0;
    bool m_finished = false;
};

} // namespace

std::unique_ptr<AnimationWriter> makeAnimationWriter(const std::string& format, const std::string& path,
                                                     const AnimationOptions& options)
{
    if (!(options.fps > 0) || options.fps > 100) throw ConfigError("fps must be in (0, 100]");
    if (format == "gif") return std::make_unique<GifWriter>(path, options);
    if (format == "mp4") return std::make_unique<Mp4Writer>(path, options);
    if (format == "frames") return std::make_unique<FramesWriter>(path, options);
    throw ConfigError("unknown animation format '" + format + "' (known: gif, mp4, frames)");
}

int gifDelayCs(const AnimationOptions& o, bool last)
{
    const double seconds = 1.0 / o.fps + (last ? o.holdLastSeconds : 0.0);
    return std::max(2, static_cast<int>(std::lround(seconds * 100.0)));
}

void writePng(const std::string& path, const RgbFrame& f)
{
    checkWritableTarget(path);
    const std::string tmp = tempPathFor(path, ".png");
    bool ok = false;
    try {
        ok = cv::imwrite(tmp, toMat(f));
    } catch (const cv::Exception&) {
        ok = false;
    }
    if (!ok) {
        std::remove(tmp.c_str());
        throw IoError("cannot write PNG '" + path + "'");
    }
    commit(tmp, path);
}

RgbFrame readImageRgb(const std::string& path)
{
    cv::Mat bgr = decodeImageFile(path, cv::IMREAD_COLOR);
    if (bgr.empty()) throw DataError("cannot read image '" + path + "'");
    cv::Mat rgb;
    cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
    RgbFrame f(rgb.cols, rgb.rows);
    for (int y = 0; y < rgb.rows; ++y) std::memcpy(f.pixel(0, y), rgb.ptr(y), static_cast<size_t>(rgb.cols) * 3);
    return f;
}

} // namespace difflens
