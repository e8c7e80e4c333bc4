// bench_gui: the desktop app's responsiveness, offscreen.
//  1. Memory: peak resident size (VmHWM) for a 1000-step run of 64 28x28 images (float16 storage). Target < 400 MB.
//  2. Scrubbing 1000 recorded steps in random order (the frame cache never helps): frame build + the views
//     updated + the centre view painted (QWidget::grab). p50 / p95 / p99, for a 2-D point model and a 28x28
//     image model. Target p95 < 16 ms.
//  3. Pressing Sample until the first step is on screen, point model. Target < 100 ms.
//  4. The app against the CLI: the same DDIM run of the Fashion-MNIST UNet (16 images) through the window
//     (the sampling job recording every step, summaries, frames painted while it runs) and through the bare
//     sampler loop difflens-cli runs, alternated in the same process; ms per step and their ratio (issue 16:
//     the app within 10% of the CLI).
// usage: QT_QPA_PLATFORM=offscreen bench_gui [--quick] [--app-vs-cli (part 4 only)]
#include "app/gui/central_view.h"
#include "app/gui/exact_panel.h"
#include "app/gui/main_window.h"
#include "app/logic/model_runtime.h"
#include "app/logic/sampling_controller.h"
#include "core/denoiser.h"
#include "core/runtime.h"
#include "core/sampler.h"
#include "widgets/control_panel.h"
#include "widgets/density_time_view.h"
#include "widgets/image_panel_grid.h"
#include "widgets/point_view.h"

#include <torch/torch.h>

#include <QApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QPushButton>
#include <QSettings>
#include <QTabWidget>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <random>

using namespace difflens;
using namespace difflens::gui;

namespace {

double statusKb(const char* field)
{
    QFile f(QStringLiteral("/proc/self/status"));
    if (!f.open(QIODevice::ReadOnly)) return 0;
    for (const QByteArray& line : f.readAll().split('\n'))
        if (line.startsWith(field))
            return line.mid(static_cast<int>(qstrlen(field))).trimmed().split(' ').first().toDouble();
    return 0;
}
double rssMb()
{
    return statusKb("VmRSS:") / 1024.0;
}
double anonMb()
{
    return statusKb("RssAnon:") / 1024.0;
}
double peakMb()
{
    return statusKb("VmHWM:") / 1024.0;
}

/** CPU time of this thread: the GUI thread's own work, without the waiting a busy machine adds. */
double threadCpuMs()
{
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

double percentile(std::vector<double> v, double p)
{
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    const size_t i = std::min(v.size() - 1, static_cast<size_t>(p / 100.0 * (v.size() - 1) + 0.5));
    return v[i];
}

void printTimes(const char* what, const std::vector<double>& ms, double target = 0)
{
    std::printf("  %-44s p50 %7.2f ms   p95 %7.2f ms   p99 %7.2f ms   max %7.2f ms", what, percentile(ms, 50),
                percentile(ms, 95), percentile(ms, 99), percentile(ms, 100));
    if (target > 0)
        std::printf("   (target p95 < %.0f ms: %s)", target, percentile(ms, 95) < target ? "met" : "MISSED");
    std::printf("\n");
}

bool waitFor(QSignalSpy& spy, int ms)
{
    return !spy.isEmpty() || spy.wait(ms);
}

std::unique_ptr<MainWindow> makeWindow(const QString& model, const QString& settingsFile)
{
    MainWindow::Options o;
    o.model = model;
    o.device = QStringLiteral("cpu");
    o.restoreState = false;
    o.autoSample = false;
    o.interactive = false;
    o.settings = std::make_unique<QSettings>(settingsFile, QSettings::IniFormat);
    auto w = std::make_unique<MainWindow>(std::move(o));
    w->resize(1600, 980);
    w->show();
    QSignalSpy ready(w.get(), &MainWindow::modelReady);
    if (!w->model() && !ready.wait(120000)) {
        std::printf("  could not open %s: %s\n", qPrintable(model), qPrintable(w->lastError()));
        return nullptr;
    }
    return w;
}

/** Samples `steps` DDPM steps (with a dataset reference when there is one), then scrubs in random order. */
void benchScrubbing(const QString& label, const QString& model, int batch, int steps,
                    const QString& settingsFile, bool exactTab = false)
{
    auto w = makeWindow(model, settingsFile);
    if (!w) return;
    // The Exact q tab in front: every frame also carries q(x_{t-1}|x_t) (points) or the top-k images, and the
    // tab's view is painted too.
    if (exactTab)
        if (auto* tabs = w->findChild<QTabWidget*>()) tabs->setCurrentWidget(w->exactPanel());
    widgets::RunSettings s = w->controlPanel()->settings();
    s.mode = widgets::RunSettings::Sample;
    s.sampler = QStringLiteral("DDPM");
    s.steps = steps;
    s.batch = batch;
    s.seed = 1;
    s.referenceSource =
        w->model()->info.referenceCount > 0 ? QStringLiteral("dataset") : QStringLiteral("none");
    s.referenceIndex = 0;
    w->controlPanel()->setSettings(s);
    QSignalSpy done(w.get(), &MainWindow::runFinished);
    QElapsedTimer clock;
    clock.start();
    w->sample(s);
    if (!done.wait(600000) || !done.first().first().toBool()) {
        std::printf("  %s: sampling failed: %s\n", qPrintable(label), qPrintable(w->lastError()));
        return;
    }
    const double sampleSeconds = clock.nsecsElapsed() / 1e9;
    QApplication::processEvents();
    const int n = w->sampler()->recordedSteps();
    std::vector<int> order(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i)
        order[static_cast<size_t>(i)] = i;
    std::shuffle(order.begin(), order.end(), std::mt19937(7));
    std::vector<double> build, total, totalCpu;
    QWidget* view = w->centralView();
    for (int step : order) {
        QElapsedTimer t;
        t.start();
        w->frames().frame(step); // the frame alone (this fills the cache; the timing below includes it again)
        build.push_back(t.nsecsElapsed() / 1e6);
    }
    std::shuffle(order.begin(), order.end(), std::mt19937(11));
    for (int step : order) {
        QElapsedTimer t;
        t.start();
        const double cpu0 = threadCpuMs();
        w->setCurrentStep(step);              // frame build (mostly uncached) + every view updated
        const QPixmap painted = view->grab(); // the centre view painted
        if (exactTab) w->exactPanel()->currentStepWidget()->grab();
        total.push_back(t.nsecsElapsed() / 1e6);
        totalCpu.push_back(threadCpuMs() - cpu0);
        Q_UNUSED(painted);
    }
    if (qEnvironmentVariableIsSet("BENCH_GUI_BREAKDOWN")) {
        std::vector<double> set, points, density, grid;
        for (int step : order) {
            QElapsedTimer t;
            t.start();
            w->setCurrentStep(step);
            set.push_back(t.nsecsElapsed() / 1e6);
            t.restart();
            if (w->model()->info.isImage) {
                w->centralView()->imageGrid()->grab();
                grid.push_back(t.nsecsElapsed() / 1e6);
            } else {
                w->centralView()->pointView()->grab();
                points.push_back(t.nsecsElapsed() / 1e6);
                t.restart();
                if (!w->centralView()->densityView()->isHidden()) w->centralView()->densityView()->grab();
                density.push_back(t.nsecsElapsed() / 1e6);
            }
        }
        printTimes("  setCurrentStep", set);
        printTimes("  grid grab", grid);
        printTimes("  point view grab", points);
        printTimes("  density view grab", density);
    }
    const auto& info = w->model()->info;
    std::printf("\n%s: %s, batch %d, %d steps recorded in %.1f s (%s), window 1600x980\n", qPrintable(label),
                qPrintable(info.name), batch, n, sampleSeconds,
                s.referenceSource == QLatin1String("dataset") ? "with a reference" : "no reference");
    printTimes("frame build only (Trajectory::step + convert)", build);
    printTimes(exactTab ? "scrub: build + views updated + centre and Exact q painted"
                        : "scrub: build + views updated + centre painted",
               total, 16);
    printTimes("the same, GUI-thread CPU time", totalCpu, 16);
}

/** Sample pressed -> the first step's frame shown, `runs` times on a point model. */
void benchFirstStep(const QString& model, const QString& settingsFile, int runs)
{
    auto w = makeWindow(model, settingsFile);
    if (!w) return;
    widgets::RunSettings s = w->controlPanel()->settings();
    s.mode = widgets::RunSettings::Sample;
    s.sampler = QStringLiteral("DDPM");
    s.steps = 1000;
    s.batch = 500;
    s.referenceSource = QStringLiteral("none");
    w->controlPanel()->setSettings(s);
    QPushButton* sampleButton = nullptr;
    for (auto* b : w->controlPanel()->findChildren<QPushButton*>())
        if (b->text() == QStringLiteral("Sample")) sampleButton = b;
    std::vector<double> ms;
    for (int i = 0; i < runs; ++i) {
        QSignalSpy shown(w.get(), &MainWindow::frameDisplayed);
        QSignalSpy done(w.get(), &MainWindow::runFinished);
        QElapsedTimer t;
        t.start();
        sampleButton->click();
        if (!waitFor(shown, 10000)) break;
        QApplication::processEvents(); // the paint the frame asked for
        ms.push_back(t.nsecsElapsed() / 1e6);
        if (qEnvironmentVariableIsSet("BENCH_GUI_BREAKDOWN"))
            std::printf("    run %d: %.1f ms\n", i, ms.back());
        w->sampler()->cancel();
        waitFor(done, 60000);
        QApplication::processEvents();
    }
    std::printf(
        "\nSample pressed -> first step on screen: %s (MLP or exact), DDPM 1000 steps, batch 500, %d runs\n",
        qPrintable(w->model()->info.name), static_cast<int>(ms.size()));
    printTimes("press -> frame of step 1 displayed", ms, 100);
}

/** The same DDIM run through the window and through the CLI's loop, alternated; ms per step and the ratio. */
void benchAppVersusCli(const QString& model, const QString& settingsFile, int steps, int rounds)
{
    auto w = makeWindow(model, settingsFile);
    if (!w) return;
    widgets::RunSettings s = w->controlPanel()->settings();
    s.mode = widgets::RunSettings::Sample;
    s.sampler = QStringLiteral("DDIM");
    s.steps = steps;
    s.batch = 16;
    s.referenceSource = QStringLiteral("none");
    w->controlPanel()->setSettings(s);
    const ModelHandle m = w->model();
    std::vector<double> app, cli, job;
    for (int r = 0; r < rounds; ++r) {
        {
            // What `difflens-cli sample --sampler ddim --steps N --num-samples 16` runs: the loop, no recording.
            SamplerSettings ss;
            ss.kind = SamplerKind::Ddim;
            ss.steps = steps;
            const ReverseProcess process(m->info.scheduler, ss);
            SamplerOptions o;
            o.seed = 1;
            o.batch = 16;
            o.sampleShape = m->info.shape;
            o.discreteData = m->info.isImage;
            o.device = m->runtime->device;
            QElapsedTimer t;
            t.start();
            runSampler(*m->runtime->loaded.denoiser, process, o, {}, nullptr);
            cli.push_back(t.nsecsElapsed() / 1e6 / steps);
        }
        {
            QSignalSpy done(w.get(), &MainWindow::runFinished);
            QSignalSpy jobDone(w->sampler(), &SamplingController::finished); // the job's own seconds
            QElapsedTimer t;
            t.start();
            w->sample(s);
            if (!waitFor(done, 600000)) break;
            app.push_back(t.nsecsElapsed() / 1e6 / steps);
            // The job on its thread, without the window's start and end.
            job.push_back(jobDone.isEmpty() ? 0.0 : jobDone.takeFirst().value(0).toDouble() * 1e3 / steps);
        }
        QApplication::processEvents();
    }
    if (app.empty()) return;
    // Each round's ratio sets the app against the CLI run just before it (the machine's load moves both);
    // the median of those.
    const auto toCli = [&cli](const std::vector<double>& v) {
        std::vector<double> r;
        for (size_t i = 0; i < v.size(); ++i) r.push_back(v[i] / cli[i]);
        return r;
    };
    const std::vector<double> ratios = toCli(app);
    const double ratio = percentile(ratios, 50);
    const double a = percentile(app, 50), c = percentile(cli, 50);
    std::printf("\nThe app against the CLI: %s, DDIM %d steps, 16 samples, %d alternating rounds\n",
                qPrintable(m->info.name), steps, static_cast<int>(app.size()));
    std::printf("  CLI loop %.1f ms/step, app (Sample pressed -> run finished) %.1f ms/step (medians); the app takes "
                "%.2fx (median of the rounds' ratios, %.2f-%.2f; target <= 1.10x: %s)\n",
                c, a, ratio, *std::min_element(ratios.begin(), ratios.end()),
                *std::max_element(ratios.begin(), ratios.end()), ratio <= 1.10 ? "met" : "MISSED");
    const double j = percentile(job, 50);
    std::printf("  of which the sampling job on its thread %.1f ms/step (%.2fx the CLI loop, median of the rounds); the "
                "window's start, first frame and end %.1f ms/step\n",
                j, percentile(toCli(job), 50), a - j);
}

void benchMemory(bool quick)
{
    std::printf("\nMemory: 1000-step trajectory of 64 28x28 images\n");
    const double base = rssMb(), baseAnon = anonMb();
    ModelHandle model;
    QString which;
    try {
        model = loadModel(QStringLiteral("exact:fashion-mnist?n=1000"), QStringLiteral("cpu"));
        which = QStringLiteral("exact:fashion-mnist?n=1000");
    } catch (const std::exception& e) {
        std::printf("  (no Fashion-MNIST: %s; using an image model that predicts zero noise)\n", e.what());
        struct Zero final : Denoiser
        {
            torch::Tensor forward(const torch::Tensor& x, const torch::Tensor&) override
            {
                return torch::zeros_like(x);
            }
            torch::Device device() const override { return torch::kCPU; }
            void moveTo(torch::Device) override {}
            std::string kind() const override { return "zero"; }
        };
        LoadedModel loaded;
        loaded.package.data = DataSpec::images(1, 28, 28);
        loaded.denoiser = std::make_shared<Zero>();
        model =
            makeModel(QStringLiteral("zero"), std::move(loaded), torch::kCPU, torch::zeros({4, 1, 28, 28}));
        which = QStringLiteral("zero-noise image model");
    }
    const double afterModel = rssMb();
    SamplingController controller;
    QSignalSpy done(&controller, &SamplingController::finished);
    SamplingParams p;
    p.model = model;
    p.sampler = QStringLiteral("DDPM");
    p.steps = quick ? 200 : 1000;
    p.batch = 64;
    p.seed = 1;
    if (model->info.referenceCount > 0) p.reference = datasetReference(*model, 0);
    QElapsedTimer t;
    t.start();
    controller.start(p);
    if (!done.wait(900000)) {
        std::printf("  sampling did not finish\n");
        return;
    }
    std::printf("  model %s; process at start %.0f MB (anonymous %.0f MB), after opening the model %.0f MB\n",
                qPrintable(which), base, baseAnon, afterModel);
    std::printf("  %d steps x 64 images sampled in %.1f s; trajectory storage %.1f MB (float16)\n",
                controller.recordedSteps(), t.nsecsElapsed() / 1e9, controller.trajectoryBytes() / 1e6);
    std::printf(
        "  resident after the run: %.0f MB (peak %.0f MB, the kernel's VmHWM; anonymous %.0f MB, the rest is mapped "
        "libraries)   (issue 16: peak < 400 MB: %s)\n",
        rssMb(), peakMb(), anonMb(), peakMb() < 400 ? "met" : "MISSED");
}

} // namespace

int main(int argc, char** argv)
{
    initRuntime();
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    QStandardPaths::setTestModeEnabled(true);
    const bool quick = app.arguments().contains(QStringLiteral("--quick"));
    QTemporaryDir dir;
    const QString settings = dir.filePath(QStringLiteral("bench.ini"));
    std::printf("bench_gui (Qt %s, %d torch threads%s)\n", qVersion(), torch::get_num_threads(),
                quick ? ", quick" : "");

    const QString pretrained = QStringLiteral(DIFFLENS_BENCH_SOURCE_DIR "/models/pretrained/");
    if (app.arguments().contains(QStringLiteral("--app-vs-cli"))) { // only part 4
        benchAppVersusCli(pretrained + QStringLiteral("fashion-mnist"), settings, quick ? 20 : 100, quick ? 3 : 5);
        return 0;
    }
    benchMemory(quick); // first: the process is still small

    const int steps = quick ? 200 : 1000;
    const QString pointModel = QDir(pretrained + QStringLiteral("moons")).exists()
                                   ? pretrained + QStringLiteral("moons")
                                   : QStringLiteral("exact:8gaussians");
    benchScrubbing(QStringLiteral("Scrubbing, 2-D points"), pointModel, 500, steps, settings);
    benchScrubbing(QStringLiteral("Scrubbing, 1-D points"), QStringLiteral("exact:gmm1d"), 1000, steps,
                   settings);
    // The exact image model as the catalogue offers it first: all 60,000 training images.
    benchScrubbing(QStringLiteral("Scrubbing, 28x28 images (exact, 60,000)"), QStringLiteral("exact:fashion-mnist"),
                   16, steps, settings);
    if (QDir(pretrained + QStringLiteral("fashion-mnist")).exists())
        benchScrubbing(QStringLiteral("Scrubbing, 28x28 images (UNet)"),
                       pretrained + QStringLiteral("fashion-mnist"), 16, quick ? 50 : 1000, settings);
    benchScrubbing(QStringLiteral("Scrubbing, 2-D points, Exact q tab"), pointModel, 500, steps, settings, true);
    benchScrubbing(QStringLiteral("Scrubbing, 28x28 images (exact, 60,000), Exact q tab"),
                   QStringLiteral("exact:fashion-mnist"), 16, steps, settings, true);
    benchFirstStep(pointModel, settings, quick ? 5 : 20);
    if (QDir(pretrained + QStringLiteral("fashion-mnist")).exists())
        benchAppVersusCli(pretrained + QStringLiteral("fashion-mnist"), settings, quick ? 20 : 100, quick ? 3 : 5);
    return 0;
}
