// difflens-cli export: a lecture's figures from a script. Samples with the model (or reads nothing else),
// then writes a GIF, MP4, PNG frames, a filmstrip or the per-step CSV, painted exactly like the app's panels.
// Built only with Qt (DIFFLENS_WITH_QT): frames are painted with the widgets' renderers.
#include "app/cli/commands.h"
#include "app/logic/compare.h"
#include "app/logic/exporter.h"
#include "app/logic/model.h"
#include "app/logic/run_files.h"
#include "app/logic/sampling_controller.h"
#include "core/errors.h"
#include "core/tensor_io.h"

#include <QEventLoop>
#include <QFileInfo>
#include <QGuiApplication>

#include <torch/torch.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

namespace difflens::cli {

namespace {
void startPainting()
{
    // Painting text needs a QGuiApplication; without a display use the offscreen platform.
    if (!std::getenv("DISPLAY") && !std::getenv("WAYLAND_DISPLAY") && !std::getenv("QT_QPA_PLATFORM"))
        setenv("QT_QPA_PLATFORM", "offscreen", 1);
    // Qt's own warnings (fonts, runtime dirs) are not the user's problem: errors reach them as one line.
    qInstallMessageHandler([](QtMsgType type, const QMessageLogContext&, const QString& msg) {
        if (type == QtFatalMsg) std::fprintf(stderr, "difflens-cli export: error: %s\n", msg.toLocal8Bit().constData());
    });
    static int qtArgc = 1;
    static char name[] = "difflens-cli";
    static char* qtArgv[] = {name, nullptr};
    static QGuiApplication app(qtArgc, qtArgv);
}

/** export --run A [--compare B]: saved runs, painted without sampling. */
int exportRuns(const ExportArgs& args, const gui::ExportOptions& o)
{
    startPainting();
    const gui::OpenedRun a = gui::openRunFile(QString::fromStdString(args.run));
    ProgressBar bar("export", 100);
    const auto progress = [&](int done, int total) { bar.update(100 * done / std::max(1, total)); };
    gui::ExportResult result;
    if (!args.compare.empty()) {
        const gui::OpenedRun b = gui::openRunFile(QString::fromStdString(args.compare));
        const QString problem = gui::sameDataShape(a.model->info, b.model->info);
        if (!problem.isEmpty()) throw DataError(problem.toStdString());
        const gui::CompareSide sa = gui::compareSide(a, QStringLiteral("A")), sb = gui::compareSide(b, QStringLiteral("B"));
        const std::string align = args.align.value_or(sa.steps() == sb.steps() ? "step" : "time");
        result = gui::runCompareExport(sa, sb, align == "step" ? gui::CompareAlign::Step : gui::CompareAlign::Time, o,
                                       progress);
    } else {
        if (args.align) throw UsageError("--align goes with --compare");
        result = gui::runExport(a.model, a.trajectory, a.summaries, o, progress);
    }
    bar.finish();
    std::printf("%s: %d frames, %lld bytes -> %s\n", o.format.toStdString().c_str(), result.frames,
                static_cast<long long>(result.bytes), result.path.toStdString().c_str());
    return 0;
}
} // namespace

int cmdExport(const ExportArgs& args)
{
    if (!args.compare.empty() && args.run.empty()) throw UsageError("--compare RUN_B needs --run RUN_A");
    if (args.model.empty() && args.run.empty())
        throw UsageError("--model (sample and export) or --run (a saved run) is required");
    if (!args.model.empty() && !args.run.empty()) throw UsageError("--model and --run exclude each other");
    if (args.out.empty()) throw UsageError("--out is required");
    gui::ExportOptions o;
    o.format = QString::fromStdString(args.format);
    o.path = QString::fromStdString(args.out);
    for (const auto& panel : args.panels)
        o.panels << QString::fromStdString(panel);
    o.frames = QString::fromStdString(args.frames);
    o.fps = args.fps.value_or(o.fps);
    o.scale = args.scale.value_or(o.scale);
    o.sample = args.sample;
    o.maxRows = args.rows.value_or(o.maxRows);
    o.loopCount = args.loop;
    o.holdLastSeconds = args.hold.value_or(o.holdLastSeconds);
    o.globalPalette = args.globalPalette;
    o.scheduleStrip = !args.noSchedule;
    o.filmstripColumns = args.columns.value_or(o.filmstripColumns);
    o.reverseOrder = args.reverse;
    const QString problem = gui::validateExportOptions(o);
    if (!problem.isEmpty()) throw UsageError(problem.toStdString());

    if (!args.run.empty()) return exportRuns(args, o);
    startPainting();

    gui::SamplingParams p;
    p.model = gui::loadModel(QString::fromStdString(args.model), QString::fromStdString(args.device));
    const auto& info = p.model->info;
    const SamplerSettings sampler = samplerSettingsFromArgs(args.sampler, info.scheduler);
    p.sampler = QString::fromStdString(samplerName(sampler.kind));
    p.steps = sampler.steps;
    p.eta = sampler.eta;
    p.sdeNoise = sampler.sdeNoise;
    p.clippedEps = sampler.clippedModelOutput;
    p.seed = static_cast<quint64>(args.seed);
    const int defaultBatch = !info.isImage ? 512 : (o.sample >= 0 ? o.sample + 1 : o.maxRows);
    p.batch = args.numSamples.value_or(defaultBatch); // >= 1: checked by the parser
    if (args.reference) {
        const std::string& ref = *args.reference;
        if (ref.rfind("dataset:", 0) == 0) {
            p.reference = gui::datasetReference(*p.model, std::atoi(ref.c_str() + 8));
        } else if (QFileInfo(QString::fromStdString(ref)).suffix() == QLatin1String("pt")) {
            const auto t = loadTensor(ref).to(torch::kFloat32).contiguous();
            if (t.numel() != info.numel())
                throw DataError("--reference " + ref + " has " + std::to_string(t.numel()) + " values; the model's samples have " +
                                std::to_string(info.numel()));
            p.reference.values.assign(t.data_ptr<float>(), t.data_ptr<float>() + t.numel());
            p.reference.label = QStringLiteral("file %1").arg(QFileInfo(QString::fromStdString(ref)).fileName());
        } else {
            p.reference = gui::imageFileReference(*p.model, QString::fromStdString(ref));
        }
    }
    for (const auto& key : o.panels)
        if ((key == QLatin1String("mutilde") || key == QLatin1String("x0") || key == QLatin1String("diff")) &&
            !p.reference.isValid())
            throw UsageError("panel '" + key.toStdString() + "' needs --reference");
    if (args.forward) {
        if (!p.reference.isValid()) throw UsageError("--forward needs --reference (the x_0 to noise)");
        o.forwardProcess = true;
        o.forwardReference = p.reference;
        o.forwardBatch = p.batch;
        o.forwardSeed = p.seed;
        o.forwardT0 = args.t0.value_or(info.T());
        const auto result = gui::runExport(p.model, nullptr, {}, o);
        std::printf("%s: %d frames of the forward process, %lld bytes -> %s\n", o.format.toStdString().c_str(),
                    result.frames, static_cast<long long>(result.bytes), result.path.toStdString().c_str());
        return 0;
    }
    if (args.t0) {
        if (!p.reference.isValid()) throw UsageError("--t0 needs --reference");
        p.fromReference = true;
        p.t0 = *args.t0;
    }

    gui::SamplingController controller;
    QString failure;
    QEventLoop loop;
    ProgressBar bar("sampling", 100);
    QObject::connect(&controller, &gui::SamplingController::progress, [&](int done, int total) {
        bar.update(total > 0 ? 100 * done / total : 0);
    });
    QObject::connect(&controller, &gui::SamplingController::finished, &loop, &QEventLoop::quit);
    QObject::connect(&controller, &gui::SamplingController::failed, [&](const QString& m) {
        failure = m;
        loop.quit();
    });
    QObject::connect(&controller, &gui::SamplingController::cancelled, &loop, &QEventLoop::quit);
    controller.start(p);
    if (failure.isEmpty()) loop.exec();
    bar.finish();
    if (!failure.isEmpty()) throw Error(failure.toStdString());

    ProgressBar exportBar("export", 100);
    const auto result = gui::runExport(p.model, controller.trajectory(), controller.summaries(), o,
                                       [&](int done, int total) { exportBar.update(100 * done / std::max(1, total)); });
    exportBar.finish();
    std::printf("%s: %d frames, %lld bytes -> %s\n", o.format.toStdString().c_str(), result.frames,
                static_cast<long long>(result.bytes), result.path.toStdString().c_str());
    return 0;
}

} // namespace difflens::cli
