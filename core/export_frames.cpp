// Which steps an export shows (all | every:K | log:N) and the filmstrip grid of frames: export.h's helpers that
// need no encoder.
#include "core/export.h"

#include "core/errors.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <set>

namespace difflens {

std::vector<int> selectFrames(int steps, const std::string& spec)
{
    if (steps < 1) return {};
    std::set<int> chosen;
    if (spec == "all") {
        for (int i = 0; i < steps; ++i) chosen.insert(i);
    } else if (spec.rfind("every:", 0) == 0) {
        const int k = std::atoi(spec.c_str() + 6);
        if (k < 1) throw ConfigError("frames 'every:K' needs K >= 1");
        for (int i = 0; i < steps; i += k) chosen.insert(i);
    } else if (spec.rfind("log:", 0) == 0) {
        const int n = std::atoi(spec.c_str() + 4);
        if (n < 2) throw ConfigError("frames 'log:N' needs N >= 2");
        if (n >= steps) return selectFrames(steps, "all");
        // Step i of a reverse run is at t ~ steps-1-i: space frames evenly in log(r + c), r = steps-1-i the
        // steps remaining, so they crowd near the end of the run (small t) where the image forms. With c = 1
        // the densest frames fall less than a step apart and merge when rounded (log:40 of 1000 steps gave
        // 35 frames); the smallest c >= 1 whose first gap, c ((R + c) / c)^(1/(n-1)) - c, is one step keeps
        // every gap at least one step, so rounding gives n distinct frames. The clamp is only a safeguard.
        const double R = steps - 1;
        const auto firstGap = [&](double c) { return c * (std::pow((R + c) / c, 1.0 / (n - 1)) - 1.0); };
        double c = 1.0;
        if (firstGap(c) < 1.0) {
            double low = 1.0, high = 2.0;
            while (firstGap(high) < 1.0) high *= 2.0;
            for (int i = 0; i < 60; ++i) (firstGap((low + high) / 2) >= 1.0 ? high : low) = (low + high) / 2;
            c = high;
        }
        int previous = -1;
        for (int k = 0; k < n; ++k) {
            const double ideal = c * std::pow((R + c) / c, static_cast<double>(k) / (n - 1)) - c; // 0 .. R
            const int remaining =
                std::min(std::max(static_cast<int>(std::lround(ideal)), previous + 1), steps - 1 - (n - 1 - k));
            chosen.insert(steps - 1 - remaining);
            previous = remaining;
        }
    } else {
        throw ConfigError("unknown frame selection '" + spec + "' (all, every:K, log:N)");
    }
    chosen.insert(0);
    chosen.insert(steps - 1);
    return std::vector<int>(chosen.begin(), chosen.end());
}

RgbFrame composeGrid(const std::vector<RgbFrame>& frames, int columns, int gap)
{
    if (frames.empty()) throw IoError("a filmstrip needs at least one frame");
    columns = std::max(1, std::min(columns, static_cast<int>(frames.size())));
    const int rows = (static_cast<int>(frames.size()) + columns - 1) / columns;
    int cw = 0, ch = 0;
    for (const auto& f : frames) cw = std::max(cw, f.width), ch = std::max(ch, f.height);
    RgbFrame out(columns * cw + (columns + 1) * gap, rows * ch + (rows + 1) * gap, 255);
    for (size_t i = 0; i < frames.size(); ++i) {
        const int x0 = gap + static_cast<int>(i % columns) * (cw + gap), y0 = gap + static_cast<int>(i / columns) * (ch + gap);
        const auto& f = frames[i];
        for (int y = 0; y < f.height; ++y) std::memcpy(out.pixel(x0, y0 + y), f.pixel(0, y), static_cast<size_t>(f.width) * 3);
    }
    return out;
}

} // namespace difflens
