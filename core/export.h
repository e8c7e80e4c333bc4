#pragma once
// Writers for step-by-step animations and stills: animated GIF (giflib), MP4 (OpenCV), PNG frames and
// filmstrips. Frames are plain RGB buffers (the app renders them with the same code that paints its panels).
// Every writer writes to a temporary path and renames on finish(): a cancelled or failed export leaves no
// half-written file at the target, and an existing file is replaced only by a complete one.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace difflens {

/** An 8-bit RGB image, rows top to bottom, 3 bytes per pixel, no padding. */
struct RgbFrame
{
    int width = 0, height = 0;
    std::vector<uint8_t> rgb;
    RgbFrame() = default;
    RgbFrame(int w, int h, uint8_t fill = 255) : width(w), height(h), rgb(static_cast<size_t>(w) * h * 3, fill) {}
    uint8_t* pixel(int x, int y) { return rgb.data() + (static_cast<size_t>(y) * width + x) * 3; }
    const uint8_t* pixel(int x, int y) const { return rgb.data() + (static_cast<size_t>(y) * width + x) * 3; }
};

struct AnimationOptions
{
    double fps = 10.0;
    int loopCount = 0;           // 0: loop forever; n: play n times (GIF)
    double holdLastSeconds = 1.5; // extra time on the last frame
    bool globalPalette = false;  // GIF: one palette for all frames (enables frame differencing); else per frame
};

class AnimationWriter
{
public:
    virtual ~AnimationWriter() = default;
    /** Adds a frame; all frames must have the first frame's size (IoError otherwise). */
    virtual void addFrame(const RgbFrame& frame) = 0;
    /** Completes the file and moves it to the target path. Without finish(), nothing is left behind. */
    virtual void finish() = 0;
};

/** format: "gif" | "mp4" | "frames" (a folder of PNGs). Throws IoError when the target is not writable. */
std::unique_ptr<AnimationWriter> makeAnimationWriter(const std::string& format, const std::string& path,
                                                     const AnimationOptions& options);

/** Writes one PNG atomically. */
void writePng(const std::string& path, const RgbFrame& frame);
/** Reads a PNG/JPEG into RGB (for tests and reference images). */
RgbFrame readImageRgb(const std::string& path);

/** Frames of a run of n steps to show: "all", "every:K", "log:N" (exactly min(N, n) distinct frames,
 *  log-spaced, denser near t = 0); always includes the first and last step; indices ascending. */
std::vector<int> selectFrames(int steps, const std::string& spec);

/** Lays frames out in a grid (columns per row), with a gap and white background. */
RgbFrame composeGrid(const std::vector<RgbFrame>& frames, int columns, int gap = 8);

/** The delay of frame i in hundredths of a second, honouring fps and the hold on the last frame. */
int gifDelayCs(const AnimationOptions& options, bool last);

} // namespace difflens
