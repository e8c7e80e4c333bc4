// Export of a recorded run (issue: export): the GIF's frame k is the app's rendering of step k, frame count,
// size, delays and loop are right, MP4 and filmstrip have the expected frames and size, a cancelled export
// leaves nothing, and difflens-cli export writes a GIF from a script.
#include "app/logic/exporter.h"
#include "app/logic/frame_builder.h"
#include "app/logic/model.h"
#include "app/logic/sampling_controller.h"
#include "core/errors.h"
#include "core/export.h"

#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include <gif_lib.h>
#include <opencv2/videoio.hpp>

using namespace difflens;
using namespace difflens::gui;

namespace {

struct Gif
{
    int width = 0, height = 0;
    std::vector<QImage> frames;
    std::vector<int> delays;
};

Gif readGif(const QString& path)
{
    int err = 0;
    GifFileType* gif = DGifOpenFileName(path.toLocal8Bit().constData(), &err);
    Gif out;
    if (!gif || DGifSlurp(gif) == GIF_ERROR) return out;
    out.width = gif->SWidth;
    out.height = gif->SHeight;
    QImage canvas(out.width, out.height, QImage::Format_RGB32);
    canvas.fill(Qt::black);
    for (int i = 0; i < gif->ImageCount; ++i) {
        const SavedImage& im = gif->SavedImages[i];
        GraphicsControlBlock gcb;
        DGifSavedExtensionToGCB(gif, i, &gcb);
        out.delays.push_back(gcb.DelayTime);
        const ColorMapObject* map = im.ImageDesc.ColorMap ? im.ImageDesc.ColorMap : gif->SColorMap;
        for (int y = 0; y < im.ImageDesc.Height; ++y)
            for (int x = 0; x < im.ImageDesc.Width; ++x) {
                const int idx = im.RasterBits[y * im.ImageDesc.Width + x];
                if (idx == gcb.TransparentColor) continue;
                const auto& c = map->Colors[idx];
                canvas.setPixel(im.ImageDesc.Left + x, im.ImageDesc.Top + y, qRgb(c.Red, c.Green, c.Blue));
            }
        out.frames.push_back(canvas.copy());
    }
    DGifCloseFile(gif, &err);
    return out;
}

double meanAbsDiff(const QImage& a, const QImage& b)
{
    if (a.size() != b.size()) return 1e9;
    const QImage x = a.convertToFormat(QImage::Format_RGB888), y = b.convertToFormat(QImage::Format_RGB888);
    double s = 0;
    for (int r = 0; r < x.height(); ++r)
        for (int c = 0; c < x.width() * 3; ++c) s += std::abs(int(x.constScanLine(r)[c]) - int(y.constScanLine(r)[c]));
    return s / (x.width() * x.height() * 3.0);
}

} // namespace

class TestAppExport : public QObject
{
    Q_OBJECT
private:
    ModelHandle m_model;
    SamplingController* m_controller = nullptr;

private Q_SLOTS:
    void initTestCase()
    {
        m_model = loadModel(QStringLiteral("exact:fashion-mnist?n=200"), QStringLiteral("cpu"));
        m_controller = new SamplingController(this);
        SamplingParams p;
        p.model = m_model;
        p.sampler = QStringLiteral("DDIM");
        p.steps = 12;
        p.batch = 2;
        p.seed = 4;
        p.reference = datasetReference(*m_model, 0);
        QSignalSpy finished(m_controller, &SamplingController::finished);
        m_controller->start(p);
        QVERIFY(finished.wait(60000));
    }

    void gifFramesAreTheRenderedSteps()
    {
        QTemporaryDir dir;
        ExportOptions o;
        o.format = QStringLiteral("gif");
        o.frames = QStringLiteral("all");
        o.fps = 10;
        o.holdLastSeconds = 2.0;
        o.scale = 3;
        o.path = dir.filePath(QStringLiteral("run.gif"));
        const auto result = runExport(m_model, m_controller->trajectory(), m_controller->summaries(), o);
        QCOMPARE(result.frames, 12);
        const Gif gif = readGif(o.path);
        QCOMPARE(static_cast<int>(gif.frames.size()), 12);
        QCOMPARE(gif.delays.front(), 10);
        QCOMPARE(gif.delays.back(), 210);
        FrameBuilder builder;
        builder.setModel(m_model);
        builder.setReverse(m_controller->trajectory());
        builder.appendSummaries(m_controller->summaries());
        builder.setMaxRows(o.maxRows);
        const QImage first = renderExportFrame(builder.frame(0), o, m_model->info);
        QCOMPARE(gif.width, first.width());
        QCOMPARE(gif.height, first.height());
        for (int k : {0, 5, 11}) {
            const QImage expected = renderExportFrame(builder.frame(k), o, m_model->info);
            const double same = meanAbsDiff(gif.frames[static_cast<size_t>(k)], expected);
            const double other = meanAbsDiff(gif.frames[static_cast<size_t>(k)],
                                             renderExportFrame(builder.frame(k == 11 ? 0 : k + 1), o, m_model->info));
            qInfo("frame %d: %.2f from its step, %.2f from another step", k, same, other);
            QVERIFY(same < 2.0);
            QVERIFY(other > 2 * same);
        }
    }

    void panelsAndFilmstripSizes()
    {
        QTemporaryDir dir;
        ExportOptions o;
        o.format = QStringLiteral("filmstrip");
        o.panels = QStringList{QStringLiteral("xt")};
        o.sample = 0;
        o.frames = QStringLiteral("every:4");
        o.filmstripColumns = 2;
        o.scheduleStrip = false;
        o.path = dir.filePath(QStringLiteral("strip.png"));
        runExport(m_model, m_controller->trajectory(), m_controller->summaries(), o);
        FrameBuilder builder;
        builder.setModel(m_model);
        builder.setReverse(m_controller->trajectory());
        builder.setMaxRows(1);
        const QImage tile = renderExportFrame(builder.frame(0), o, m_model->info);
        const QImage strip(o.path);
        const int frames = static_cast<int>(selectFrames(12, "every:4").size()); // 0, 4, 8, 11
        QCOMPARE(frames, 4);
        QCOMPARE(strip.width(), 2 * tile.width() + 3 * 8);
        QCOMPARE(strip.height(), 2 * tile.height() + 3 * 8);
    }

    void mp4AndCsv()
    {
        QTemporaryDir dir;
        ExportOptions o;
        o.format = QStringLiteral("mp4");
        o.frames = QStringLiteral("all");
        o.fps = 10;
        o.holdLastSeconds = 0.3;
        o.path = dir.filePath(QStringLiteral("run.mp4"));
        runExport(m_model, m_controller->trajectory(), m_controller->summaries(), o);
        cv::VideoCapture cap(o.path.toStdString());
        QVERIFY(cap.isOpened());
        QCOMPARE(static_cast<int>(cap.get(cv::CAP_PROP_FRAME_COUNT)), 12 + 3);
        o.format = QStringLiteral("csv");
        o.path = dir.filePath(QStringLiteral("steps.csv"));
        runExport(m_model, m_controller->trajectory(), m_controller->summaries(), o);
        QFile f(o.path);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const auto lines = QString::fromUtf8(f.readAll()).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        QCOMPARE(lines.size(), 13);
        QVERIFY(lines[0].startsWith(QStringLiteral("step,t,mean_kl_nats")));
    }

    void forwardProcessAndTrajectoryCsv()
    {
        QTemporaryDir dir;
        ExportOptions o;
        o.format = QStringLiteral("frames");
        o.frames = QStringLiteral("log:10");
        o.forwardProcess = true;
        o.forwardReference = datasetReference(*m_model, 1);
        o.forwardBatch = 2;
        o.forwardT0 = 200;
        o.path = dir.filePath(QStringLiteral("forward"));
        const auto r = runExport(m_model, nullptr, {}, o);
        QCOMPARE(r.frames, static_cast<int>(selectFrames(201, "log:10").size()));
        QCOMPARE(QDir(o.path).entryList(QDir::Files).size(), r.frames);
        // Mirrored log spacing: dense near t = 0, so most frames lie in the first half of 0..200.
        const auto steps = selectFrames(201, "log:10");
        QVERIFY(std::count_if(steps.begin(), steps.end(), [](int s) { return 200 - s < 100; }) >= 6);

        auto points = loadModel(QStringLiteral("exact:moons?n=50"), QStringLiteral("cpu"));
        SamplingController controller;
        SamplingParams p;
        p.model = points;
        p.sampler = QStringLiteral("DDIM");
        p.steps = 10;
        p.batch = 7;
        QSignalSpy finished(&controller, &SamplingController::finished);
        controller.start(p);
        QVERIFY(finished.wait(60000));
        ExportOptions c;
        c.format = QStringLiteral("trajectory-csv");
        c.frames = QStringLiteral("all");
        c.path = dir.filePath(QStringLiteral("traj.csv"));
        runExport(points, controller.trajectory(), controller.summaries(), c);
        QFile f(c.path);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const auto lines = QString::fromUtf8(f.readAll()).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        QCOMPARE(lines.size(), 1 + 10 * 7);
        QCOMPARE(lines[0], QStringLiteral("step,t,sample,x,y"));
        c.path = dir.filePath(QStringLiteral("img.csv"));
        QVERIFY_THROWS_EXCEPTION(Error, runExport(m_model, m_controller->trajectory(), m_controller->summaries(), c));
    }

    void cancelLeavesNothingAndKeepsOldFile()
    {
        QTemporaryDir dir;
        ExportOptions o;
        o.format = QStringLiteral("gif");
        o.frames = QStringLiteral("all");
        o.path = dir.filePath(QStringLiteral("keep.gif"));
        {
            QFile old(o.path);
            QVERIFY(old.open(QIODevice::WriteOnly));
            old.write("old");
        }
        std::atomic_bool cancel{false};
        int calls = 0;
        QVERIFY_THROWS_EXCEPTION(Cancelled, runExport(m_model, m_controller->trajectory(), m_controller->summaries(), o,
                                                      [&](int, int) {
                                                          if (++calls == 3) cancel = true;
                                                      },
                                                      &cancel));
        QFile kept(o.path);
        QVERIFY(kept.open(QIODevice::ReadOnly));
        QCOMPARE(kept.readAll(), QByteArray("old"));
        QCOMPARE(QDir(dir.path()).entryList(QDir::Files | QDir::Hidden).size(), 1);
        o.path = QStringLiteral("/nonexistent-folder/x.gif");
        QVERIFY(validateExportOptions(o).contains(QStringLiteral("does not exist")));
    }

    void cliExportWritesGif()
    {
        QTemporaryDir dir;
        const QString cli = qEnvironmentVariable("DIFFLENS_BINARY_DIR") + QStringLiteral("/app/difflens-cli");
        const QString out = dir.filePath(QStringLiteral("moons.gif"));
        QProcess p;
        p.start(cli, {QStringLiteral("export"), QStringLiteral("--model"), QStringLiteral("exact:moons?n=100"),
                      QStringLiteral("--sampler"), QStringLiteral("ddim"), QStringLiteral("--steps"), QStringLiteral("20"),
                      QStringLiteral("--frames"), QStringLiteral("log:8"), QStringLiteral("--num-samples"),
                      QStringLiteral("64"), QStringLiteral("--out"), out});
        QVERIFY(p.waitForFinished(120000));
        QCOMPARE(p.exitCode(), 0);
        const Gif gif = readGif(out);
        QCOMPARE(static_cast<int>(gif.frames.size()), static_cast<int>(selectFrames(20, "log:8").size()));
        QVERIFY(gif.width > 300);
        QProcess bad;
        bad.start(cli, {QStringLiteral("export"), QStringLiteral("--model"), QStringLiteral("exact:moons?n=100"),
                        QStringLiteral("--out"), QStringLiteral("/nonexistent-folder/a.gif")});
        QVERIFY(bad.waitForFinished(60000));
        QVERIFY(bad.exitCode() != 0);
        const QString err = QString::fromUtf8(bad.readAllStandardError());
        QCOMPARE(err.count(QLatin1Char('\n')), 1);
        QVERIFY(err.contains(QStringLiteral("does not exist")));
    }

    void cliExportsSavedRunsSideBySide()
    {
        // difflens-cli sample --save-run twice (DDPM and DDIM from one seed), then export --run A --compare B: one
        // GIF whose frames hold both runs and their difference, wider than one run's export.
        QTemporaryDir dir;
        const QString cli = qEnvironmentVariable("DIFFLENS_BINARY_DIR") + QStringLiteral("/app/difflens-cli");
        auto runCli = [&](const QStringList& args) {
            QProcess p;
            p.start(cli, args);
            p.waitForFinished(120000);
            return std::make_pair(p.exitCode(), QString::fromUtf8(p.readAllStandardError()));
        };
        const QString a = dir.filePath(QStringLiteral("a.dlrun")), b = dir.filePath(QStringLiteral("b.dlrun"));
        for (const auto& [sampler, steps, path] : {std::tuple{"ddpm", "1000", a}, std::tuple{"ddim", "40", b}})
            QCOMPARE(runCli({QStringLiteral("sample"), QStringLiteral("--model"), QStringLiteral("exact:moons?n=100"),
                             QStringLiteral("--sampler"), QString::fromLatin1(sampler), QStringLiteral("--steps"),
                             QString::fromLatin1(steps), QStringLiteral("--num-samples"), QStringLiteral("32"),
                             QStringLiteral("--seed"), QStringLiteral("9"), QStringLiteral("--save-run"), path,
                             QStringLiteral("--out"), path + QStringLiteral(".pt")})
                         .first,
                     0);
        const QString one = dir.filePath(QStringLiteral("a.gif")), both = dir.filePath(QStringLiteral("ab.gif"));
        QCOMPARE(runCli({QStringLiteral("export"), QStringLiteral("--run"), a, QStringLiteral("--frames"),
                         QStringLiteral("log:10"), QStringLiteral("--no-schedule"), QStringLiteral("--out"), one})
                     .first,
                 0);
        QCOMPARE(runCli({QStringLiteral("export"), QStringLiteral("--run"), a, QStringLiteral("--compare"), b,
                         QStringLiteral("--frames"), QStringLiteral("log:10"), QStringLiteral("--out"), both})
                     .first,
                 0);
        const Gif single = readGif(one), pair = readGif(both);
        QCOMPARE(static_cast<int>(single.frames.size()), 10);
        QCOMPARE(static_cast<int>(pair.frames.size()), 10); // one frame per timeline position (A's 1000 steps)
        QVERIFY2(pair.width > 2 * single.width, qPrintable(QStringLiteral("%1 vs %2").arg(pair.width).arg(single.width)));
        // Bad uses: one line each.
        for (const QStringList& args :
             {QStringList{QStringLiteral("export"), QStringLiteral("--compare"), b, QStringLiteral("--out"), both},
              QStringList{QStringLiteral("export"), QStringLiteral("--run"), a, QStringLiteral("--compare"), b,
                          QStringLiteral("--align"), QStringLiteral("sideways"), QStringLiteral("--out"), both},
              QStringList{QStringLiteral("export"), QStringLiteral("--run"), dir.filePath(QStringLiteral("none.dlrun")),
                          QStringLiteral("--out"), both}}) {
            const auto [code, err] = runCli(args);
            QVERIFY(code != 0);
            QCOMPARE(err.count(QLatin1Char('\n')), 1);
        }
    }
};

QTEST_MAIN(TestAppExport)
#include "test_app_export.moc"
