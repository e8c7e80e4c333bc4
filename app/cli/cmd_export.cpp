// difflens-cli export: a lecture's figures from a script. Samples with the model (or reads nothing else),
// then writes a GIF, MP4, PNG frames, a filmstrip or the per-step CSV, painted exactly like the app's panels.
// Built only with Qt (DIFFLENS_WITH_QT): frames are painted with the widgets' renderers.
#include "app/cli/args.h"
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
const char* kExportHelp =
    "usage: difflens-cli export --model PATH --format gif|mp4|frames|filmstrip|csv --out PATH\n"
    "       difflens-cli export --run RUN.dlrun [--compare RUN_B.dlrun [--align step|time]] --out PATH [...]\n"
    "         [--panels xt,x0hat,mu,mutilde,x0,diff] [--frames all|every:K|log:N] [--fps F] [--scale S]\n"
    "         [--reference X0.pt|IMAGE|dataset:INDEX] [--seed S] [--sampler NAME] [--steps N] [--eta E] [--sde-noise S]\n"
    "         [--num-samples B] [--sample I] [--rows R] [--t0 T] [--loop N] [--hold SECONDS] [--global-palette]\n"
    "         [--no-schedule] [--columns C] [--reverse] [--forward] [--device auto|cpu|cuda[:i]]\n"
    "\n"
    "Samples a run and exports it. --frames log:N spaces N frames densely near t = 0 (default log:60), so a\n"
    "1000-step run makes a watchable GIF. --panels picks image panels (mutilde, x0 and diff need --reference).\n"
    "--t0 starts from the reference noised to t0. --forward exports the forward process of the reference\n"
    "(t = 0..t0, default T) instead of a reverse run. --run exports a saved run without sampling (its model\n"
    "need not be there); with --compare the two runs go side by side with their difference, one frame per\n"
    "timeline position (--align step: the same step index; time: the nearest t, the default when the step\n"
    "counts differ). The target is written only when complete.\n";

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
int exportRuns(const Args& args, const gui::ExportOptions& o)
{
    startPainting();
    const gui::OpenedRun a = gui::openRunFile(QString::fromStdString(args.str("run")));
    ProgressBar bar("export", 100);
    const auto progress = [&](int done, int total) { bar.update(100 * done / std::max(1, total)); };
    gui::ExportResult result;
    if (args.has("compare")) {
        const gui::OpenedRun b = gui::openRunFile(QString::fromStdString(args.str("compare")));
        const QString problem = gui::sameDataShape(a.model->info, b.model->info);
        if (!problem.isEmpty()) throw DataError(problem.toStdString());
        const gui::CompareSide sa = gui::compareSide(a, QStringLiteral("A")), sb = gui::compareSide(b, QStringLiteral("B"));
        const std::string align = args.str("align", sa.steps() == sb.steps() ? "step" : "time");
        if (align != "step" && align != "time") throw UsageError("--align must be step or time, not '" + align + "'");
        result = gui::runCompareExport(sa, sb, align == "step" ? gui::CompareAlign::Step : gui::CompareAlign::Time, o,
                                       progress);
    } else {
        if (args.has("align")) throw UsageError("--align goes with --compare");
        result = gui::runExport(a.model, a.trajectory, a.summaries, o, progress);
    }
    bar.finish();
    std::printf("%s: %d frames, %lld bytes -> %s\n", o.format.toStdString().c_str(), result.frames,
                static_cast<long long>(result.bytes), result.path.toStdString().c_str());
    return 0;
}
} // namespace

int cmdExport(const Argv& argv)
{
    const Args args(argv,
                    {"model", "run", "compare", "align", "format", "out", "panels", "frames", "fps", "scale", "reference", "seed", "sampler",
                     "steps", "eta", "sde-noise", "num-samples", "sample", "rows", "t0", "loop", "hold", "columns", "device"},
                    {"help", "global-palette", "no-schedule", "reverse", "forward"});
    if (args.flag("help")) {
        std::fputs(kExportHelp, stdout);
        return 0;
    }
    if (args.has("compare") && !args.has("run")) throw UsageError("--compare RUN_B needs --run RUN_A");
    if (!args.has("model") && !args.has("run")) throw UsageError("--model (sample and export) or --run (a saved run) is required");
    if (args.has("model") && args.has("run")) throw UsageError("--model and --run exclude each other");
    if (!args.has("out")) throw UsageError("--out is required");
    gui::ExportOptions o;
    o.format = QString::fromStdString(args.str("format", "gif"));
    o.path = QString::fromStdString(args.str("out"));
    if (args.has("panels")) o.panels = QString::fromStdString(args.str("panels")).split(QLatin1Char(','), Qt::SkipEmptyParts);
    o.frames = QString::fromStdString(args.str("frames", "log:60"));
    o.fps = args.real("fps", o.fps);
    o.scale = args.integer("scale", o.scale);
    o.sample = args.integer("sample", -1);
    o.maxRows = args.integer("rows", o.maxRows);
    o.loopCount = args.integer("loop", 0);
    o.holdLastSeconds = args.real("hold", o.holdLastSeconds);
    o.globalPalette = args.flag("global-palette");
    o.scheduleStrip = !args.flag("no-schedule");
    o.filmstripColumns = args.integer("columns", o.filmstripColumns);
    o.reverseOrder = args.flag("reverse");
    const QString problem = gui::validateExportOptions(o);
    if (!problem.isEmpty()) throw UsageError(problem.toStdString());

    if (args.has("run")) return exportRuns(args, o);
    startPainting();

    gui::SamplingParams p;
    p.model = gui::loadModel(QString::fromStdString(args.str("model")), QString::fromStdString(args.str("device", "auto")));
    const auto& info = p.model->info;
    const SamplerSettings sampler = samplerSettingsFromArgs(args, info.scheduler);
    p.sampler = QString::fromStdString(samplerName(sampler.kind));
    p.steps = sampler.steps;
    p.eta = sampler.eta;
    p.sdeNoise = sampler.sdeNoise;
    p.clippedEps = sampler.clippedModelOutput;
    p.seed = static_cast<quint64>(args.int64("seed", 0));
    const int defaultBatch = !info.isImage ? 512 : (o.sample >= 0 ? o.sample + 1 : o.maxRows);
    p.batch = args.integer("num-samples", defaultBatch);
    if (p.batch < 1) throw UsageError("--num-samples must be at least 1");
    if (args.has("reference")) {
        const std::string ref = args.str("reference");
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
    if (args.flag("forward")) {
        if (!p.reference.isValid()) throw UsageError("--forward needs --reference (the x_0 to noise)");
        o.forwardProcess = true;
        o.forwardReference = p.reference;
        o.forwardBatch = p.batch;
        o.forwardSeed = p.seed;
        o.forwardT0 = args.integer("t0", info.T());
        const auto result = gui::runExport(p.model, nullptr, {}, o);
        std::printf("%s: %d frames of the forward process, %lld bytes -> %s\n", o.format.toStdString().c_str(),
                    result.frames, static_cast<long long>(result.bytes), result.path.toStdString().c_str());
        return 0;
    }
    if (args.has("t0")) {
        if (!p.reference.isValid()) throw UsageError("--t0 needs --reference");
        p.fromReference = true;
        p.t0 = args.integer("t0", 500);
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
