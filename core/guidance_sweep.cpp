// Guidance sweeps: the same seed sampled at several guidance scales, and their frames for filmstrips and
// GIFs.
#include "core/guidance_sweep.h"

#include "core/errors.h"
#include "core/guidance.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>

namespace difflens {

GuidanceSweep sampleGuidanceSweep(const std::shared_ptr<Denoiser>& conditional, const ReverseProcess& process,
                                  const SamplerOptions& options, int64_t classIndex,
                                  const std::vector<double>& scales, std::vector<int> frameSteps,
                                  const std::function<void(int, int)>& progress,
                                  const std::atomic_bool* cancel)
{
    if (scales.empty()) throw ConfigError("a guidance sweep needs at least one scale");
    const int last = process.stepCount() - 1;
    frameSteps.erase(
        std::remove_if(frameSteps.begin(), frameSteps.end(), [&](int i) { return i < 0 || i > last; }),
        frameSteps.end());
    if (frameSteps.empty() || frameSteps.back() != last) frameSteps.push_back(last);
    GuidanceSweep sweep;
    sweep.scales = scales;
    sweep.steps = frameSteps;
    int done = 0;
    for (double w : scales) {
        GuidedDenoiser guided(conditional, classIndex, w);
        std::vector<torch::Tensor> frames;
        size_t next = 0;
        runSampler(
            guided, process, options,
            [&](const StepRecord& r) {
                if (next < frameSteps.size() && r.index == frameSteps[next]) {
                    frames.push_back(r.xPrev.to(torch::kCPU, torch::kFloat32).clone());
                    ++next;
                }
            },
            cancel);
        if (cancel && cancel->load()) break;
        sweep.x.push_back(std::move(frames));
        if (progress) progress(++done, static_cast<int>(scales.size()));
    }
    return sweep;
}

namespace {

/** The colour of row r of n: blue (w small) to orange (w large). */
void rowColour(size_t r, size_t n, uint8_t* rgb)
{
    const double f = n > 1 ? static_cast<double>(r) / static_cast<double>(n - 1) : 0.0;
    rgb[0] = static_cast<uint8_t>(40 + f * (230 - 40));
    rgb[1] = static_cast<uint8_t>(110 + f * (120 - 110));
    rgb[2] = static_cast<uint8_t>(220 - f * (220 - 30));
}

void fillRect(RgbFrame& f, int x0, int y0, int w, int h, const uint8_t* rgb)
{
    for (int y = std::max(0, y0); y < std::min(f.height, y0 + h); ++y)
        for (int x = std::max(0, x0); x < std::min(f.width, x0 + w); ++x)
            std::copy(rgb, rgb + 3, f.pixel(x, y));
}

} // namespace

RgbFrame renderGuidanceSweepFrame(const GuidanceSweep& sweep, size_t k, const DataSpec& spec, int zoom,
                                  int panel)
{
    const size_t rows = sweep.x.size();
    if (rows == 0 || k >= sweep.x.front().size()) throw ConfigError("no such frame in the guidance sweep");
    const int gap = 6, bar = 8;
    if (spec.isImage()) {
        const auto& first = sweep.x.front()[k];
        const int64_t B = first.size(0), C = first.size(1), H = first.size(2), W = first.size(3);
        const int cellW = static_cast<int>(W) * zoom, cellH = static_cast<int>(H) * zoom;
        RgbFrame f(bar + gap + static_cast<int>(B) * (cellW + 2) + gap,
                   static_cast<int>(rows) * (cellH + gap) + gap, 255);
        for (size_t r = 0; r < rows; ++r) {
            const int y0 = gap + static_cast<int>(r) * (cellH + gap);
            uint8_t colour[3];
            rowColour(r, rows, colour);
            fillRect(f, 2, y0, bar, cellH, colour);
            // [-1, 1] -> [0, 255]
            const auto img =
                ((sweep.x[r][k].clamp(-1, 1) + 1.0) * 127.5).round().to(torch::kUInt8).contiguous();
            const auto* p = img.data_ptr<uint8_t>();
            for (int64_t b = 0; b < B; ++b)
                for (int y = 0; y < cellH; ++y)
                    for (int x = 0; x < cellW; ++x) {
                        uint8_t* px = f.pixel(bar + gap + static_cast<int>(b) * (cellW + 2) + x, y0 + y);
                        for (int c = 0; c < 3; ++c) {
                            const int64_t ch = C == 3 ? c : 0;
                            px[c] = p[((b * C + ch) * H + y / zoom) * W + x / zoom];
                        }
                    }
        }
        return f;
    }
    // Points: one square panel per scale, left to right; 1-D points are drawn at height by index.
    const double lo = spec.low, hi = spec.high;
    RgbFrame f(static_cast<int>(rows) * (panel + gap) + gap, panel + 2 * gap + bar, 255);
    for (size_t r = 0; r < rows; ++r) {
        const int x0 = gap + static_cast<int>(r) * (panel + gap), y0 = gap;
        uint8_t colour[3], frame[3] = {200, 200, 200};
        rowColour(r, rows, colour);
        fillRect(f, x0, y0 + panel + 2, panel, bar, colour);
        fillRect(f, x0, y0, panel, 1, frame);
        fillRect(f, x0, y0 + panel - 1, panel, 1, frame);
        fillRect(f, x0, y0, 1, panel, frame);
        fillRect(f, x0 + panel - 1, y0, 1, panel, frame);
        const auto pts = sweep.x[r][k].to(torch::kFloat64).contiguous();
        const int64_t n = pts.size(0), d = pts.size(1);
        const auto* v = pts.data_ptr<double>();
        for (int64_t i = 0; i < n; ++i) {
            const double px = (v[i * d] - lo) / (hi - lo);
            const double py = d > 1 ? (v[i * d + 1] - lo) / (hi - lo) : (i + 0.5) / static_cast<double>(n);
            if (!(px >= 0 && px < 1 && py >= 0 && py < 1)) continue;
            const int cx = x0 + static_cast<int>(px * panel),
                      cy = y0 + panel - 1 - static_cast<int>(py * panel);
            fillRect(f, cx - 1, cy - 1, 3, 3, colour);
        }
    }
    return f;
}

} // namespace difflens
