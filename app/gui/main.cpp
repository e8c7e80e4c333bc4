// difflens: the desktop app. Parses the command line, then hands over to MainWindow.
#include "app/gui/main_window.h"
#include "app/logic/sampling_controller.h"
#include "core/runtime.h"
#include "widgets/control_panel.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QSettings>
#include <QTimer>

#include <cstdio>

using difflens::gui::MainWindow;

namespace {

/**
 * --smoke-test: open the model, sample 20 DDIM steps, show a few of them, and exit 0 when every step arrived
 * and was drawn; non-zero (with the reason on stderr) otherwise. Settings go to a scratch file.
 */
int runSmokeTest(QApplication& app, MainWindow::Options options)
{
    const QString scratch = QDir::temp().filePath(QStringLiteral("difflens-smoke-test.ini"));
    QFile::remove(scratch);
    options.settings = std::make_unique<QSettings>(scratch, QSettings::IniFormat);
    options.restoreState = false;
    options.autoSample = false;
    options.interactive = false;
    MainWindow window(std::move(options));
    window.resize(1280, 800);
    window.show();

    int exitCode = -1;
    auto fail = [&](const QString& why) {
        std::fprintf(stderr, "difflens --smoke-test: %s\n", qPrintable(why));
        exitCode = 1;
        app.quit();
    };
    QObject::connect(
        &window, &MainWindow::errorShown, &app,
        [&](const QString& title, const QString& message) { fail(title + QStringLiteral(": ") + message); });
    QObject::connect(&window, &MainWindow::modelReady, &app, [&](const QString& spec) {
        std::printf("model %s loaded\n", qPrintable(spec));
        difflens::widgets::RunSettings s = window.controlPanel()->settings();
        s.mode = difflens::widgets::RunSettings::Sample;
        s.sampler = QStringLiteral("DDIM");
        s.steps = 20;
        s.batch = 4;
        s.seed = 1;
        window.sample(s);
    });
    int framesShown = 0;
    QObject::connect(&window, &MainWindow::frameDisplayed, &app, [&](int) { ++framesShown; });
    QObject::connect(&window, &MainWindow::runFinished, &app, [&](bool ok, const QString& message) {
        if (!ok) return fail(QStringLiteral("sampling did not finish: ") + message);
        const int recorded = window.sampler()->recordedSteps();
        if (recorded != 20) return fail(QStringLiteral("expected 20 recorded steps, got %1").arg(recorded));
        for (int step : {0, 10, 19})
            window.setCurrentStep(step);
        if (window.currentStep() != 19 || framesShown < 3)
            return fail(QStringLiteral("frames were not shown (%1)").arg(framesShown));
        std::printf("sampled %d steps, %d frames shown\n", recorded, framesShown);
        exitCode = 0;
        app.quit();
    });
    QTimer::singleShot(120000, &app, [&] { fail(QStringLiteral("timed out after 120 s")); });
    app.exec();
    return exitCode < 0 ? 2 : exitCode;
}

} // namespace

int main(int argc, char** argv)
{
    difflens::initRuntime();
    QGuiApplication::setHighDpiScaleFactorRoundingPolicy(Qt::HighDpiScaleFactorRoundingPolicy::PassThrough);
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("difflens"));
    QApplication::setApplicationDisplayName(QStringLiteral("Diffusion Lens"));
    QApplication::setOrganizationName(QStringLiteral("Diffusion Lens"));
    QApplication::setApplicationVersion(QStringLiteral("0.1.0"));

    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Diffusion Lens: a diffusion model denoising step by step, beside the analytic "
                       "posterior q(x_{t-1}|x_t,x_0)."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption model(QStringLiteral("model"),
                                   QStringLiteral("Open SPEC: a package folder, a TorchScript .pt file, or "
                                                  "exact:DATASET[?n=N] (e.g. exact:8gaussians)."),
                                   QStringLiteral("SPEC"));
    const QCommandLineOption device(QStringLiteral("device"),
                                    QStringLiteral("auto (default), cpu, cuda or cuda:N."),
                                    QStringLiteral("DEVICE"), QStringLiteral("auto"));
    const QCommandLineOption presentation(
        QStringLiteral("presentation"),
        QStringLiteral("Start in presentation mode (full screen, large text, keys "
                       "only; Esc leaves)."));
    const QCommandLineOption smoke(
        QStringLiteral("smoke-test"),
        QStringLiteral("Open the model, sample 20 DDIM steps, show them, exit 0 on success."));
    parser.addOption(model);
    parser.addOption(device);
    parser.addOption(presentation);
    parser.addOption(smoke);
    parser.addPositionalArgument(QStringLiteral("run"),
                                 QStringLiteral("A run file (.dlrun) to open; it scrubs without its model."),
                                 QStringLiteral("[RUN]"));
    parser.process(app);

    MainWindow::Options options;
    options.model = parser.value(model);
    options.device = parser.value(device);
    options.presentation = parser.isSet(presentation);
    if (!parser.positionalArguments().isEmpty()) options.run = parser.positionalArguments().first();
    if (parser.isSet(smoke)) return runSmokeTest(app, std::move(options));

    MainWindow window(std::move(options));
    window.show();
    return app.exec();
}
