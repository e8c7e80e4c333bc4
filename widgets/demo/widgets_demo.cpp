// A gallery of the widgets with synthetic data: `difflens_widgets_demo` shows them in tabs,
// `difflens_widgets_demo --shots DIR` writes one PNG per widget (for screenshots and visual review).
#include "widgets/control_panel.h"
#include "widgets/demo/synthetic.h"
#include "widgets/density_time_view.h"
#include "widgets/draw_canvas.h"
#include "widgets/explanation_panel.h"
#include "widgets/image_gallery.h"
#include "widgets/image_panel_grid.h"
#include "widgets/image_utils.h"
#include "widgets/loss_plot.h"
#include "widgets/palette.h"
#include "widgets/point_view.h"
#include "widgets/schedule_plot.h"
#include "widgets/step_density_view.h"
#include "widgets/step_metrics_plot.h"
#include "widgets/timeline_bar.h"
#include "widgets/vlb_plot.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QGridLayout>
#include <QTabWidget>
#include <QThread>

#include <cmath>
#include <random>

using namespace difflens::widgets;

namespace {

ImagePanelGrid* makeGrid(int rows)
{
    auto* grid = new ImagePanelGrid;
    grid->setColumns({QStringLiteral("xₜ"), QStringLiteral("x̂₀ (model)"), QStringLiteral("μ_θ"),
                      QStringLiteral("μ̃(xₜ, x₀)"), QStringLiteral("x₀ (reference)"),
                      QStringLiteral("|μ_θ − μ̃|")},
                     {palette::xt(), palette::model(), palette::model(), palette::posterior(),
                      palette::reference(), palette::difference()});
    grid->setColumnSubtitles({QStringLiteral("[−2.5, 2.5]"), QStringLiteral("[−1, 1]"), QString(), QString(),
                              QString(), QStringLiteral("max 0.41")});
    std::mt19937 rng(7);
    QVector<QVector<QImage>> cells;
    QStringList labels;
    for (int r = 0; r < rows; ++r) {
        const ImageData x0 = demo::ringImage(28, r);
        const ImageData xt = demo::noised(x0, 0.3, rng);
        const ImageData x0hat = demo::noised(x0, 0.9, rng);
        ImageData x0hatClamped = x0hat;
        x0hatClamped.low = -1;
        x0hatClamped.high = 1;
        const ImageData diff = demo::difference(x0hat, x0);
        cells.push_back({toImage(xt), toImage(x0hatClamped), toImage(x0hatClamped), toImage(x0), toImage(x0),
                         heatMap(diff, 0.0)});
        labels << QStringLiteral("#%1").arg(r + 1);
    }
    grid->setCells(cells);
    grid->setRowLabels(labels);
    grid->setCaption(QStringLiteral("t = 734 / 1000 · step 267 of 1000"));
    return grid;
}

PointView* makePointView(int dim)
{
    auto* view = new PointView;
    std::mt19937 rng(3);
    const ScheduleSeries s = demo::linearSchedule(dim == 2 ? 100 : 1000);
    view->setFrame(demo::mixtureFrame(dim, dim == 2 ? 30 : 400, s, rng));
    return view;
}

DensityTimeView* makeDensityView()
{
    auto* view = new DensityTimeView;
    const ScheduleSeries s = demo::linearSchedule(1000);
    view->setDensity(1000, 200, -4, 4, demo::mixtureDensity(s, 200, -4, 4));
    std::mt19937 rng(5);
    std::normal_distribution<double> normal;
    QVector<QVector<QPointF>> paths;
    for (int j = 0; j < 6; ++j) {
        QVector<QPointF> path;
        double x = normal(rng);
        const double target = j % 3 == 0 ? -2.0 : (j % 3 == 1 ? 0.5 : 2.2);
        for (int t = 1000; t >= 300; t -= 5) {
            const double ab = s.alphaBar[t - 1];
            x = 0.97 * x + 0.03 * std::sqrt(ab) * target + 0.05 * normal(rng);
            path.push_back(QPointF(t, x));
        }
        paths.push_back(path);
    }
    view->setTrajectories(paths);
    view->setCurrentT(300);
    return view;
}

SchedulePlot* makeSchedulePlot(bool comparison)
{
    auto* plot = new SchedulePlot;
    plot->setSchedule(demo::linearSchedule(1000));
    if (comparison) plot->setComparison(demo::cosineSchedule(1000));
    plot->setCurrentT(734);
    return plot;
}

LossPlot* makeLossPlot()
{
    auto* plot = new LossPlot;
    std::mt19937 rng(11);
    std::normal_distribution<double> normal;
    double ema = 0;
    for (int step = 1; step <= 3000; ++step) {
        const double loss = 0.08 + 0.9 * std::exp(-step / 400.0) + 0.03 * std::fabs(normal(rng));
        ema = step == 1 ? loss : 0.98 * ema + 0.02 * loss;
        plot->appendPoint(step, loss, ema);
    }
    QVector<double> t, byT;
    for (int k = 1; k <= 1000; k += 25) {
        t << k;
        byT << 0.9 * std::exp(-k / 60.0) + 0.05;
    }
    plot->setLossByT(t, byT);
    plot->setLossLabel(QStringLiteral("‖ε − ε̂‖²"));
    return plot;
}

StepMetricsPlot* makeStepMetricsPlot()
{
    auto* plot = new StepMetricsPlot;
    plot->setTimesteps(1000);
    for (int t = 1000; t >= 300; t -= 10)
        plot->appendStep(t, 0.002 + 0.5 * std::exp(-t / 120.0), 0.01 + 0.3 * std::exp(-t / 200.0));
    plot->setCurrentT(300);
    return plot;
}

StepDensityView* makeStepDensityView(int dim)
{
    auto* view = new StepDensityView;
    const ScheduleSeries s = demo::linearSchedule(1000);
    view->setFrame(dim == 2 ? demo::stepDensityFrame(2, s, 250, 50, 4)
                            : demo::stepDensityFrame(1, s, 200, 150, 9));
    return view;
}

ImageGallery* makeGallery()
{
    auto* gallery = new ImageGallery;
    gallery->setFrame(demo::galleryFrame(9));
    return gallery;
}

VlbPlot* makeVlbPlot()
{
    auto* plot = new VlbPlot;
    plot->setTimesteps(1000);
    plot->addBound(
        demo::vlbSeries(QStringLiteral("p_θ on 16 fresh samples"), 1000, 1.0, 2.6, palette::model()));
    plot->addBound(demo::vlbSeries(QStringLiteral("exact denoiser"), 1000, 0.45, 1.1, palette::exact()));
    plot->setCurrentT(250);
    return plot;
}

StepNumbers stepNumbers(const ScheduleSeries& s, long t, long tPrev, const QString& sampler, double eta)
{
    StepNumbers n;
    n.T = s.size();
    n.t = t;
    n.tPrev = tPrev;
    n.stepCount = 50;
    n.stepIndex = static_cast<int>((n.T - t) / (n.T / n.stepCount));
    n.alphaBar = s.alphaBar[t - 1];
    n.alphaBarPrev = tPrev > 0 ? s.alphaBar[tPrev - 1] : 1.0;
    n.beta = 1.0 - n.alphaBar / n.alphaBarPrev; // respaced beta (improved DDPM respace.py)
    n.alpha = 1.0 - n.beta;
    n.c1 = n.beta * std::sqrt(n.alphaBarPrev) / (1.0 - n.alphaBar);
    n.c2 = std::sqrt(n.alpha) * (1.0 - n.alphaBarPrev) / (1.0 - n.alphaBar);
    n.betaTilde = n.beta * (1.0 - n.alphaBarPrev) / (1.0 - n.alphaBar);
    n.sampler = sampler;
    n.eta = eta;
    n.sigma = sampler == QLatin1String("DDIM") ? eta * std::sqrt((1 - n.alphaBarPrev) / (1 - n.alphaBar)) *
                                                     std::sqrt(1 - n.alphaBar / n.alphaBarPrev)
                                               : std::sqrt(n.betaTilde);
    n.hasReference = true;
    n.kl = 0.0123;
    n.meanGap = 0.0457;
    return n;
}

ExplanationPanel* makeExplanation(const QString& sampler)
{
    auto* panel = new ExplanationPanel;
    const ScheduleSeries s = demo::linearSchedule(1000);
    panel->setNumbers(sampler == QLatin1String("DDIM") ? stepNumbers(s, 741, 721, sampler, 0.0)
                                                       : stepNumbers(s, 734, 733, sampler, 0.0));
    return panel;
}

TimelineBar* makeTimeline()
{
    auto* bar = new TimelineBar;
    bar->setStepCount(50);
    QVector<long> t;
    for (int i = 0; i < 50; ++i)
        t << 1000 - 20 * i;
    bar->setTimestepLabels(t);
    bar->setAvailableSteps(31);
    bar->setCurrentStep(13);
    return bar;
}

ControlPanel* makeControls()
{
    auto* panel = new ControlPanel;
    panel->setModels({QStringLiteral("mnist-unet (built-in)"), QStringLiteral("moons-mlp (built-in)")});
    panel->setTimesteps(1000);
    panel->setDatasetSize(60000);
    RunSettings s;
    s.model = QStringLiteral("mnist-unet (built-in)");
    s.mode = RunSettings::FromReference;
    s.sampler = QStringLiteral("DDIM");
    s.steps = 50;
    s.eta = 0.5;
    s.seed = 1234;
    s.batch = 16;
    s.t0 = 600;
    s.referenceSource = QStringLiteral("dataset");
    s.referenceIndex = 7;
    panel->setSettings(s);
    panel->setBusy(true);
    panel->setProgress(21, 50);
    return panel;
}

DrawCanvas* makeCanvas()
{
    auto* canvas = new DrawCanvas;
    canvas->setImage(demo::ringImage(28, 0.7));
    return canvas;
}

// Several views together, roughly as the app's main window arranges them.
QWidget* makeComposite()
{
    auto* w = new QWidget;
    auto* layout = new QGridLayout(w);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(makeControls(), 0, 0, 2, 1);
    layout->addWidget(makeGrid(4), 0, 1);
    layout->addWidget(makeExplanation(QStringLiteral("DDPM")), 0, 2, 2, 1);
    layout->addWidget(makeSchedulePlot(false), 1, 1);
    layout->addWidget(makeTimeline(), 2, 0, 1, 3);
    layout->setColumnStretch(1, 3);
    layout->setColumnStretch(2, 1);
    layout->setRowStretch(0, 3);
    layout->setRowStretch(1, 2);
    return w;
}

} // namespace

int main(int argc, char** argv)
{
    QApplication app(argc, argv);
    QCommandLineParser parser;
    parser.addHelpOption();
    QCommandLineOption shots(QStringLiteral("shots"), QStringLiteral("Write PNGs into <dir> and exit."),
                             QStringLiteral("dir"));
    parser.addOption(shots);
    parser.process(app);

    if (parser.isSet(shots)) {
        const QDir dir(parser.value(shots));
        QDir().mkpath(dir.path());
        auto save = [&](QWidget* w, const QSize& size, const QString& name) {
            w->resize(size);
            w->show();
            QApplication::processEvents();
            QThread::msleep(60);
            QApplication::processEvents();
            w->grab().save(dir.filePath(name));
            delete w;
        };
        save(makeGrid(4), QSize(1100, 700), QStringLiteral("image_grid_4.png"));
        save(makeGrid(16), QSize(900, 700), QStringLiteral("image_grid_16.png"));
        save(makePointView(2), QSize(700, 640), QStringLiteral("point_view_2d.png"));
        save(makePointView(2), QSize(960, 640), QStringLiteral("point_view_2d_wide.png"));
        save(makePointView(1), QSize(800, 500), QStringLiteral("point_view_1d.png"));
        save(makeDensityView(), QSize(800, 420), QStringLiteral("density_time.png"));
        save(makeSchedulePlot(false), QSize(760, 520), QStringLiteral("schedule.png"));
        save(makeSchedulePlot(true), QSize(760, 520), QStringLiteral("schedule_compare.png"));
        save(makeLossPlot(), QSize(700, 480), QStringLiteral("loss.png"));
        save(makeStepMetricsPlot(), QSize(700, 360), QStringLiteral("step_metrics.png"));
        save(makeStepDensityView(2), QSize(420, 380), QStringLiteral("step_density_2d.png"));
        save(makeStepDensityView(2), QSize(640, 400), QStringLiteral("step_density_2d_wide.png"));
        save(makeStepDensityView(1), QSize(420, 380), QStringLiteral("step_density_1d.png"));
        save(makeGallery(), QSize(450, 330), QStringLiteral("gallery.png"));
        save(makeVlbPlot(), QSize(640, 420), QStringLiteral("vlb.png"));
        save(makeExplanation(QStringLiteral("DDPM")), QSize(480, 900),
             QStringLiteral("explanation_ddpm.png"));
        save(makeExplanation(QStringLiteral("DDIM")), QSize(480, 900),
             QStringLiteral("explanation_ddim.png"));
        save(makeTimeline(), QSize(900, 44), QStringLiteral("timeline.png"));
        save(makeControls(), QSize(340, 640), QStringLiteral("controls.png"));
        save(makeCanvas(), QSize(300, 300), QStringLiteral("draw_canvas.png"));
        save(makeComposite(), QSize(1600, 1000), QStringLiteral("composite.png"));
        const QImage hiDpi = makeGrid(2)->renderToImage(QSize(700, 300), 2.0);
        hiDpi.save(dir.filePath(QStringLiteral("image_grid_dpr2.png")));
        return 0;
    }

    QTabWidget tabs;
    tabs.addTab(makeGrid(4), QStringLiteral("Image grid"));
    tabs.addTab(makePointView(2), QStringLiteral("Points 2-D"));
    tabs.addTab(makePointView(1), QStringLiteral("Points 1-D"));
    tabs.addTab(makeDensityView(), QStringLiteral("Density over t"));
    tabs.addTab(makeSchedulePlot(true), QStringLiteral("Schedule"));
    tabs.addTab(makeLossPlot(), QStringLiteral("Loss"));
    tabs.addTab(makeStepMetricsPlot(), QStringLiteral("Step metrics"));
    tabs.addTab(makeStepDensityView(2), QStringLiteral("Step density 2-D"));
    tabs.addTab(makeStepDensityView(1), QStringLiteral("Step density 1-D"));
    tabs.addTab(makeGallery(), QStringLiteral("Gallery"));
    tabs.addTab(makeVlbPlot(), QStringLiteral("Bound"));
    tabs.addTab(makeExplanation(QStringLiteral("DDPM")), QStringLiteral("Explanation"));
    tabs.addTab(makeControls(), QStringLiteral("Controls"));
    tabs.addTab(makeCanvas(), QStringLiteral("Draw"));
    tabs.addTab(makeTimeline(), QStringLiteral("Timeline"));
    tabs.resize(1100, 750);
    tabs.show();
    return app.exec();
}
