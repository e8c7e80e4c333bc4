// Export writers: GIF decoded back with giflib (frames, size, delays, loop, pixels), MP4 read back with
// OpenCV, PNG frame folders, filmstrips, frame selection, and atomicity (nothing left behind on failure).
#include "core/errors.h"
#include "core/export.h"

#include <QTemporaryDir>
#include <QtTest>

#include <gif_lib.h>
#include <opencv2/videoio.hpp>

#include <filesystem>
#include <fstream>

using namespace difflens;
namespace fs = std::filesystem;

namespace {

RgbFrame gradientFrame(int w, int h, int shift)
{
    RgbFrame f(w, h);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            auto* p = f.pixel(x, y);
            p[0] = static_cast<uint8_t>((x * 255 / (w - 1) + shift) % 256);
            p[1] = static_cast<uint8_t>(y * 255 / (h - 1));
            p[2] = static_cast<uint8_t>((x + y + shift) % 256);
        }
    return f;
}

RgbFrame blockFrame(int w, int h, int k)
{
    // Few colours: the GIF palette is exact, so decoded pixels must equal the input.
    RgbFrame f(w, h, 255);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
            if (((x / 4) + (y / 4) + k) % 3 == 0) {
                auto* p = f.pixel(x, y);
                p[0] = 20;
                p[1] = static_cast<uint8_t>(40 * k % 256);
                p[2] = 200;
            }
    return f;
}

struct DecodedGif
{
    int width = 0, height = 0, frames = 0, loop = -1;
    std::vector<int> delays;
    std::vector<RgbFrame> images; // composited
};

DecodedGif decode(const std::string& path)
{
    int err = 0;
    GifFileType* gif = DGifOpenFileName(path.c_str(), &err);
    if (!gif) throw std::runtime_error("cannot open gif");
    if (DGifSlurp(gif) == GIF_ERROR) throw std::runtime_error("cannot decode gif");
    DecodedGif d;
    d.width = gif->SWidth;
    d.height = gif->SHeight;
    d.frames = gif->ImageCount;
    RgbFrame canvas(d.width, d.height, 0);
    for (int i = 0; i < gif->ImageCount; ++i) {
        const SavedImage& im = gif->SavedImages[i];
        GraphicsControlBlock gcb;
        DGifSavedExtensionToGCB(gif, i, &gcb);
        d.delays.push_back(gcb.DelayTime);
        const ColorMapObject* map = im.ImageDesc.ColorMap ? im.ImageDesc.ColorMap : gif->SColorMap;
        for (int y = 0; y < im.ImageDesc.Height; ++y)
            for (int x = 0; x < im.ImageDesc.Width; ++x) {
                const int idx = im.RasterBits[y * im.ImageDesc.Width + x];
                if (idx == gcb.TransparentColor) continue;
                auto* p = canvas.pixel(im.ImageDesc.Left + x, im.ImageDesc.Top + y);
                p[0] = map->Colors[idx].Red;
                p[1] = map->Colors[idx].Green;
                p[2] = map->Colors[idx].Blue;
            }
        d.images.push_back(canvas);
    }
    // giflib attaches the extensions that precede an image to that image.
    auto findLoop = [&d](const ExtensionBlock* blocks, int count) {
        for (int e = 0; e + 1 < count; ++e)
            if (blocks[e].Function == APPLICATION_EXT_FUNC_CODE && blocks[e].ByteCount == 11 &&
                std::memcmp(blocks[e].Bytes, "NETSCAPE2.0", 11) == 0)
                d.loop = blocks[e + 1].Bytes[1] | (blocks[e + 1].Bytes[2] << 8);
    };
    findLoop(gif->ExtensionBlocks, gif->ExtensionBlockCount);
    if (gif->ImageCount > 0) findLoop(gif->SavedImages[0].ExtensionBlocks, gif->SavedImages[0].ExtensionBlockCount);
    DGifCloseFile(gif, &err);
    return d;
}

double meanAbsDiff(const RgbFrame& a, const RgbFrame& b)
{
    double s = 0;
    for (size_t i = 0; i < a.rgb.size(); ++i) s += std::abs(int(a.rgb[i]) - int(b.rgb[i]));
    return s / a.rgb.size();
}

} // namespace

class TestExport : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void gifRoundTripExactPalette_data()
    {
        QTest::addColumn<bool>("global");
        QTest::newRow("per-frame palette") << false;
        QTest::newRow("global palette + differencing") << true;
    }
    void gifRoundTripExactPalette()
    {
        QFETCH(bool, global);
        QTemporaryDir dir;
        const std::string path = dir.filePath("a.gif").toStdString();
        AnimationOptions o;
        o.fps = 20;
        o.loopCount = 0;
        o.holdLastSeconds = 1.0;
        o.globalPalette = global;
        std::vector<RgbFrame> frames;
        for (int k = 0; k < 7; ++k) frames.push_back(blockFrame(60, 36, k));
        auto w = makeAnimationWriter("gif", path, o);
        for (const auto& f : frames) w->addFrame(f);
        w->finish();
        const auto d = decode(path);
        QCOMPARE(d.frames, 7);
        QCOMPARE(d.width, 60);
        QCOMPARE(d.height, 36);
        QCOMPARE(d.loop, 0);
        QCOMPARE(d.delays.front(), 5);   // 1/20 s
        QCOMPARE(d.delays.back(), 105);  // + 1 s hold
        for (int k = 0; k < 7; ++k) QVERIFY2(d.images[k].rgb == frames[k].rgb, qPrintable(QString("frame %1").arg(k)));
        QCOMPARE(fs::status(path).permissions() & fs::perms::others_read, fs::perms::others_read);
    }
    void gifGradientsQuantizeWell()
    {
        QTemporaryDir dir;
        const std::string path = dir.filePath("g.gif").toStdString();
        AnimationOptions o;
        o.loopCount = 3;
        auto w = makeAnimationWriter("gif", path, o);
        std::vector<RgbFrame> frames;
        for (int k = 0; k < 3; ++k) frames.push_back(gradientFrame(128, 96, 40 * k));
        for (const auto& f : frames) w->addFrame(f);
        w->finish();
        const auto d = decode(path);
        QCOMPARE(d.frames, 3);
        QCOMPARE(d.loop, 2); // NETSCAPE counts repeats after the first play
        for (int k = 0; k < 3; ++k) {
            qInfo("frame %d mean abs error %.2f", k, meanAbsDiff(d.images[k], frames[k]));
            QVERIFY2(meanAbsDiff(d.images[k], frames[k]) < 6.0, "median cut should stay close");
        }
    }
    void greyRampHasNoBanding()
    {
        // A 250-level grey ramp beside a few colours must survive exactly (giflib's own quantiser keeps 32).
        QTemporaryDir dir;
        const std::string path = dir.filePath("ramp.gif").toStdString();
        RgbFrame f(250, 20);
        for (int y = 0; y < 20; ++y)
            for (int x = 0; x < 250; ++x) {
                auto* p = f.pixel(x, y);
                p[0] = p[1] = p[2] = static_cast<uint8_t>(x);
            }
        auto w = makeAnimationWriter("gif", path, {});
        w->addFrame(f);
        w->finish();
        QVERIFY(decode(path).images[0].rgb == f.rgb);
    }
    void mp4HasFrameCount()
    {
        QTemporaryDir dir;
        const std::string path = dir.filePath("v.mp4").toStdString();
        AnimationOptions o;
        o.fps = 10;
        o.holdLastSeconds = 0.5;
        auto w = makeAnimationWriter("mp4", path, o);
        for (int k = 0; k < 12; ++k) w->addFrame(gradientFrame(63, 41, k * 10)); // odd sizes get padded
        w->finish();
        cv::VideoCapture cap(path);
        QVERIFY(cap.isOpened());
        QCOMPARE(static_cast<int>(cap.get(cv::CAP_PROP_FRAME_COUNT)), 12 + 5);
        QCOMPARE(static_cast<int>(cap.get(cv::CAP_PROP_FRAME_WIDTH)), 64);
    }
    void framesFolderAndFilmstrip()
    {
        QTemporaryDir dir;
        const std::string folder = dir.filePath("frames").toStdString();
        auto w = makeAnimationWriter("frames", folder, {});
        for (int k = 0; k < 4; ++k) w->addFrame(blockFrame(20, 10, k));
        w->finish();
        QCOMPARE(static_cast<int>(std::distance(fs::directory_iterator(folder), fs::directory_iterator())), 4);
        const auto back = readImageRgb(folder + "/frame_00002.png");
        QVERIFY(back.rgb == blockFrame(20, 10, 2).rgb);
        std::vector<RgbFrame> frames;
        for (int k = 0; k < 5; ++k) frames.push_back(blockFrame(20, 10, k));
        const auto strip = composeGrid(frames, 3, 4);
        QCOMPARE(strip.width, 3 * 20 + 4 * 4);
        QCOMPARE(strip.height, 2 * 10 + 3 * 4);
        QVERIFY(std::equal(strip.pixel(4 + 24, 4), strip.pixel(4 + 24, 4) + 60, blockFrame(20, 10, 1).pixel(0, 0)));
    }
    void unfinishedOrFailedLeavesNothing()
    {
        QTemporaryDir dir;
        const std::string path = dir.filePath("keep.gif").toStdString();
        {
            std::ofstream(path) << "old";
        }
        {
            auto w = makeAnimationWriter("gif", path, {});
            w->addFrame(blockFrame(10, 10, 0));
            // destroyed without finish(): a cancelled export
        }
        {
            auto w = makeAnimationWriter("mp4", dir.filePath("x.mp4").toStdString(), {});
            w->addFrame(blockFrame(10, 10, 0));
        }
        std::ifstream in(path);
        std::string content;
        in >> content;
        QCOMPARE(QString::fromStdString(content), QString("old"));
        int files = 0;
        for (const auto& e : fs::directory_iterator(dir.path().toStdString())) {
            (void)e;
            ++files;
        }
        QCOMPARE(files, 1); // no partial files beside it
        auto w = makeAnimationWriter("gif", path, {});
        w->addFrame(blockFrame(10, 10, 0));
        QVERIFY_THROWS_EXCEPTION(IoError, w->addFrame(blockFrame(12, 10, 0)));
    }
    void unwritablePathIsClear()
    {
        try {
            makeAnimationWriter("gif", "/nonexistent-folder/a.gif", {});
            QFAIL("expected IoError");
        } catch (const IoError& e) {
            QVERIFY(QString(e.what()).contains("does not exist"));
        }
        QVERIFY_THROWS_EXCEPTION(ConfigError, makeAnimationWriter("avi", "/tmp/a.avi", {}));
    }
    void frameSelection()
    {
        QCOMPARE(selectFrames(5, "all"), (std::vector<int>{0, 1, 2, 3, 4}));
        QCOMPARE(selectFrames(10, "every:4"), (std::vector<int>{0, 4, 8, 9}));
        const auto logFrames = selectFrames(1000, "log:30");
        QCOMPARE(logFrames.size(), size_t(30));
        QCOMPARE(logFrames.front(), 0);
        QCOMPARE(logFrames.back(), 999);
        // Denser near the end of the run (t near 0): the last tenth of the steps holds many frames.
        const auto late = std::count_if(logFrames.begin(), logFrames.end(), [](int i) { return i >= 900; });
        QVERIFY2(late >= 10, "log spacing should crowd frames near t = 0");
        // log:N gives exactly N distinct frames (rounding used to merge the densest: log:40 of 1000 gave 35,
        // log:60 of 100 gave 39), and all of them when N is at least the step count.
        for (const auto& [steps, n] : std::vector<std::pair<int, int>>{
                 {1000, 40}, {100, 60}, {1000, 2}, {50, 49}, {50, 50}, {10, 30}, {1000, 999}, {2, 2}, {7, 3}}) {
            const auto frames = selectFrames(steps, "log:" + std::to_string(n));
            QCOMPARE(int(frames.size()), std::min(n, steps));
            QVERIFY(std::adjacent_find(frames.begin(), frames.end(), std::greater_equal<int>()) == frames.end());
            QCOMPARE(frames.front(), 0);
            QCOMPARE(frames.back(), steps - 1);
        }
        // Still log-spaced: the gaps shrink toward the end of the run (up to a step of rounding), from tens of
        // steps at the start to single steps at the end.
        const auto sixty = selectFrames(1000, "log:60");
        for (size_t i = 2; i < sixty.size(); ++i)
            QVERIFY2(sixty[i] - sixty[i - 1] <= sixty[i - 1] - sixty[i - 2] + 1, qPrintable(QString::number(i)));
        QVERIFY(sixty[1] - sixty[0] > 50);
        QCOMPARE(sixty.back() - sixty.end()[-2], 1);
        QVERIFY_THROWS_EXCEPTION(ConfigError, selectFrames(10, "every:0"));
        QVERIFY_THROWS_EXCEPTION(ConfigError, selectFrames(10, "random"));
    }
};

QTEST_APPLESS_MAIN(TestExport)
#include "test_core_export.moc"
