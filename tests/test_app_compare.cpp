// Compare: two runs side by side on one timeline. Run B starts from run A's x_T (the same noise, bitwise) with
// one setting changed; the timeline maps to each run's steps by index or by the nearest path time; the
// difference row is zero where the runs agree (their common x_T) and not after they part; a saved run opens
// as B; the comparison exports as one animation whose frames hold both runs; presentation mode keeps both.
#include "app/gui/central_view.h"
#include "app/logic/compare.h"
#include "app/gui/compare_window.h"
#include "app/gui/main_window.h"
#include "tests/support/test_window.h"
#include "core/errors.h"
#include "core/trajectory.h"
#include "widgets/compare_plot.h"
#include "widgets/control_panel.h"
#include "widgets/image_panel_grid.h"
#include "widgets/point_view.h"
#include "widgets/timeline_bar.h"

#include "tests/support/disc_images.h"
#include <QDir>
#include <QPainter>
#include <QSettings>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include <torch/torch.h>

using namespace difflens::gui;
using difflens::widgets::RunSettings;

class TestAppCompare : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    int m_windows = 0;
    QString m_images;

    std::unique_ptr<MainWindow> makeWindow(const QString& model)
    {
        auto w = std::make_unique<MainWindow>(difflens::test::testWindowOptions(model, m_dir.filePath(QStringLiteral("cmp-%1.ini").arg(++m_windows))));
        w->resize(1400, 900);
        w->show();
        QSignalSpy ready(w.get(), &MainWindow::modelReady);
        if (!w->model()) ready.wait(60000);
        return w;
    }

    static bool run(MainWindow& w, const QString& sampler, int steps, int batch = 16, qint64 seed = 5)
    {
        RunSettings s = w.controlPanel()->settings();
        s.mode = RunSettings::Sample;
        s.sampler = sampler;
        s.steps = steps;
        s.batch = batch;
        s.seed = seed;
        QSignalSpy done(&w, &MainWindow::runFinished);
        w.sample(s);
        return done.wait(120000) && done.first().first().toBool();
    }

    static bool runB(CompareWindow& c, const CompareRequest& r)
    {
        QSignalSpy done(&c, &CompareWindow::runBFinished);
        if (!c.compareWith(r)) return false;
        return done.wait(120000) && done.first().first().toBool();
    }

    static void show(CompareWindow& c, int position)
    {
        QSignalSpy shown(&c, &CompareWindow::positionShown);
        c.setPosition(position);
        QVERIFY(shown.wait(5000));
    }

    /** Distinct colours in an image (a blank view has one or two). */
    static int colours(const QImage& image)
    {
        QSet<QRgb> seen;
        const QImage img = image.convertToFormat(QImage::Format_RGB32);
        for (int y = 0; y < img.height(); y += 2)
            for (int x = 0; x < img.width(); x += 2)
                seen.insert(img.pixel(x, y));
        return seen.size();
    }

    static bool sameTensor(const torch::Tensor& a, const torch::Tensor& b)
    {
        return a.sizes() == b.sizes() && torch::equal(a, b);
    }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QVERIFY(m_dir.isValid());
        m_images = difflens::test::writeDiscImages(m_dir.filePath(QStringLiteral("discs")), 6, 8, 2, 3, 1);
    }

    void specsAndRequestsAreChecked()
    {
        QCOMPARE(exactSpecWithSchedule(QStringLiteral("exact:moons?n=500&schedule=linear"), QStringLiteral("sigmoid")),
                 QStringLiteral("exact:moons?n=500&schedule=sigmoid"));
        QCOMPARE(exactSpecWithSchedule(QStringLiteral("exact:gmm1d"), QStringLiteral("squaredcos_cap_v2")),
                 QStringLiteral("exact:gmm1d?schedule=squaredcos_cap_v2"));

        auto w = makeWindow(QStringLiteral("exact:gmm1d"));
        QVERIFY(w->model());
        QVERIFY(!w->openCompare()); // nothing sampled yet
        QVERIFY(w->lastError().contains(QStringLiteral("sample first")) || w->lastError().contains(QStringLiteral("Sample first")));
        QVERIFY(run(*w, QStringLiteral("ddim"), 20));
        CompareSide a;
        a.model = w->model();
        a.modelSpec = w->model()->info.spec;
        a.trajectory = w->frames().trajectory();
        a.settings = w->controlPanel()->settings();
        QString error;
        CompareRequest r;
        r.change = CompareChange::Sampler;
        r.text = QStringLiteral("DDIM");
        planComparison(a, r, &error);
        QVERIFY2(error.contains(QStringLiteral("already")), qPrintable(error));
        r.text = QStringLiteral("no-such-sampler");
        planComparison(a, r, &error);
        QVERIFY2(error.contains(QStringLiteral("not a sampler")), qPrintable(error));
        // gmm1d is labelled (the component): guidance starts B toward class 0 at the chosen w.
        r.change = CompareChange::Guidance;
        r.guidance = 3.0;
        const ComparePlan guided = planComparison(a, r, &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QCOMPARE(guided.settings.classIndex, 0);
        QCOMPARE(guided.settings.guidance, 3.0);
        QVERIFY(guided.change.contains(QStringLiteral("w = 3")));
        r.change = CompareChange::Steps;
        r.steps = 20;
        planComparison(a, r, &error);
        QVERIFY2(error.contains(QStringLiteral("already has 20")), qPrintable(error));
        r.steps = 1001;
        planComparison(a, r, &error);
        QVERIFY2(error.contains(QStringLiteral("1..1000")), qPrintable(error));
        r.change = CompareChange::Schedule;
        r.text = QStringLiteral("squaredcos_cap_v2");
        const ComparePlan plan = planComparison(a, r, &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QCOMPARE(plan.modelSpec, QStringLiteral("exact:gmm1d?schedule=squaredcos_cap_v2"));
        QCOMPARE(plan.settings.seed, a.settings.seed);
        QCOMPARE(plan.settings.batch, a.settings.batch);

        ModelInfo image;
        image.spec = QStringLiteral("exact:fashion-mnist");
        image.isImage = true;
        image.shape = {1, 28, 28};
        QVERIFY(sameDataShape(w->model()->info, image).contains(QStringLiteral("same shape")));
        QVERIFY(sameDataShape(w->model()->info, w->model()->info).isEmpty());
    }

    void samplerChangeSharesXtAndAlignsTheTimeline()
    {
        auto w = makeWindow(QStringLiteral("exact:8gaussians?n=400"));
        QVERIFY(w->model());
        QVERIFY(run(*w, QStringLiteral("ddpm"), 1000));
        CompareWindow* c = w->openCompare();
        QVERIFY(c);
        QCOMPARE(c->sideA().steps(), 1000);
        CompareRequest r;
        r.change = CompareChange::Sampler;
        r.text = QStringLiteral("ddim");
        QVERIFY(runB(*c, r));
        const CompareSide& a = c->sideA();
        const CompareSide& b = c->sideB();
        QCOMPARE(b.settings.sampler, QStringLiteral("ddim"));
        QCOMPARE(b.steps(), 50); // DDPM's whole chain -> DDIM's 50 steps
        // The same x_T, bitwise: B drew its start from A's seed.
        QVERIFY(sameTensor(a.trajectory->state(0), b.trajectory->state(0)));

        // Different step plans: the window aligns by time. Every position shows B's step nearest in time.
        QCOMPARE(c->align(), CompareAlign::Time);
        const CompareTimeline& plan = c->timelinePlan();
        QCOMPARE(plan.size(), 1000);
        QVERIFY(plan.driverIsA);
        double widestGap = 0;
        for (int k = 1; k < 50; ++k)
            widestGap = std::max(widestGap, b.trajectory->process().point(k - 1).time - b.trajectory->process().point(k).time);
        QVector<bool> used(50, false);
        for (int i = 0; i < plan.size(); ++i) {
            QCOMPARE(plan.stepA[i], i);
            if (i > 0) QVERIFY(plan.stepB[i] >= plan.stepB[i - 1]);
            const double ta = a.trajectory->process().point(i).time, tb = b.trajectory->process().point(plan.stepB[i]).time;
            const double first = b.trajectory->process().point(0).time, last = b.trajectory->process().point(49).time;
            if (ta > first) QCOMPARE(plan.stepB[i], 0);       // noisier than B's start: B's first step
            else if (ta < last) QCOMPARE(plan.stepB[i], 49);  // cleaner than B's end: B's last step
            else QVERIFY2(std::abs(ta - tb) <= widestGap / 2 + 1e-12, qPrintable(QStringLiteral("position %1").arg(i)));
            used[plan.stepB[i]] = true;
        }
        QVERIFY(!used.contains(false)); // every step of B is on the timeline
        // The parting curve starts at 0 (one x_T) and ends apart.
        const CompareCurve curve = compareCurve(a, b, plan);
        QCOMPARE(curve.t.size(), 200);
        QCOMPARE(curve.t.first(), 1000.0);
        QCOMPARE(curve.xt.first(), 0.0);
        QVERIFY(curve.xt.last() > 0.01);
        QCOMPARE(c->partingPlot()->pointCount(), 200);
        c->setAlign(CompareAlign::Step);
        for (int i = 0; i < 1000; i += 97)
            QCOMPARE(c->timelinePlan().stepB[i], std::min(i, 49));
        c->setAlign(CompareAlign::Time);

        // The difference row: zero at the shared x_T, not at the end; B's twins are B's own points.
        show(*c, 0);
        QCOMPARE(c->shownNumbers().xt, 0.0);
        QCOMPARE(c->shownNumbers().samples, 16);
        show(*c, 999);
        QVERIFY(c->shownNumbers().xt > 0.01);
        const auto& frame = c->differenceView()->pointView()->frame();
        QCOMPARE(frame.paired.size(), 16);
        const auto last = b.trajectory->state(plan.stepB[999]);
        QCOMPARE(frame.paired[3].x(), double(last[3][0].item<float>()));
        QCOMPARE(frame.paired[3].y(), double(last[3][1].item<float>()));
        for (auto* view : {c->viewA(), c->viewB(), c->differenceView()})
            QVERIFY(colours(view->currentView()->grab().toImage()) > 8);

        // Presentation mode keeps both runs and the difference, each run on half the width.
        c->setPresentationMode(true);
        QApplication::processEvents();
        QVERIFY(c->presentationMode());
        QVERIFY(c->viewA()->isVisible() && c->viewB()->isVisible() && c->differenceView()->isVisible());
        QVERIFY(std::abs(c->viewA()->width() - c->viewB()->width()) < c->width() / 10);
        c->setPresentationMode(false);
    }

    void odeAndSdeFromOneStartSideBySide()
    {
        // A flow model's ODE (Euler) beside its SDE (Euler-Maruyama, S = 1) from one x_T: the same start, the
        // ODE's paths smooth and the SDE's jagged (longer), and a filmstrip of the two.
        auto w = makeWindow(QStringLiteral("exact:8gaussians?path=flow"));
        QVERIFY(w->model());
        QVERIFY(run(*w, QStringLiteral("euler"), 50, 64));
        CompareWindow* c = w->openCompare();
        QVERIFY(c);
        CompareRequest r;
        r.change = CompareChange::Sampler;
        r.text = QStringLiteral("sde");
        QVERIFY(runB(*c, r));
        const CompareSide& a = c->sideA();
        const CompareSide& b = c->sideB();
        QCOMPARE(b.steps(), 50);
        QVERIFY(sameTensor(a.trajectory->state(0), b.trajectory->state(0)));
        const auto pathLength = [](const CompareSide& side) {
            double total = 0;
            for (int i = 0; i < side.steps(); ++i)
                total += (side.trajectory->state(i + 1) - side.trajectory->state(i)).norm(2, {1}).mean().item<double>();
            return total;
        };
        const double ode = pathLength(a), sde = pathLength(b);
        qInfo("mean path length of 64 samples over 50 steps: ODE %.3f, SDE %.3f", ode, sde);
        QVERIFY2(sde > 1.5 * ode, qPrintable(QStringLiteral("ODE %1, SDE %2").arg(ode).arg(sde)));
        ExportOptions o;
        o.format = QStringLiteral("filmstrip");
        o.frames = QStringLiteral("log:4");
        o.path = m_dir.filePath(QStringLiteral("ode-sde.png"));
        QCOMPARE(runCompareExport(a, b, CompareAlign::Step, o).frames, 4);
        QVERIFY(QImage(o.path).width() > 1000);
    }

    void imageRunsDifferOnlyAfterTheirCommonStart()
    {
        auto w = makeWindow(QStringLiteral("exact:%1?n=6").arg(m_images));
        QVERIFY(w->model());
        QVERIFY(run(*w, QStringLiteral("ddim"), 20, 8));
        CompareWindow* c = w->openCompare();
        QVERIFY(c);
        CompareRequest r;
        r.change = CompareChange::Steps;
        r.steps = 10;
        QVERIFY(runB(*c, r));
        QCOMPARE(c->sideB().steps(), 10);
        r.change = CompareChange::Guidance; // a folder of images has no labels
        QVERIFY(!c->compareWith(r));
        QVERIFY2(c->lastError().contains(QStringLiteral("not class-conditional")), qPrintable(c->lastError()));
        QVERIFY(sameTensor(c->sideA().trajectory->state(0), c->sideB().trajectory->state(0)));
        show(*c, 0);
        auto* grid = c->differenceView()->imageGrid();
        QCOMPARE(grid->columns().size(), 2);
        QCOMPARE(c->shownNumbers().xt, 0.0);
        // |x_t(A) - x_t(B)| at the common start: every cell is the colour map's zero.
        const QImage zero = c->differenceView()->currentView()->grab().toImage();
        show(*c, c->timelinePlan().size() - 1);
        QVERIFY(c->shownNumbers().xt > 0.0);
        QVERIFY(c->shownNumbers().x0 >= 0.0);
        const QImage later = c->differenceView()->currentView()->grab().toImage();
        QVERIFY(colours(later) > colours(zero));

        // Export: one GIF / frames folder whose frames hold A and B side by side over the difference.
        ExportOptions o;
        o.format = QStringLiteral("frames");
        o.frames = QStringLiteral("log:6");
        o.maxRows = 2;
        o.path = m_dir.filePath(QStringLiteral("cmp-frames"));
        const ExportResult result = runCompareExport(c->sideA(), c->sideB(), c->align(), o);
        QCOMPARE(result.frames, 6);
        const QStringList pngs = QDir(o.path).entryList({QStringLiteral("*.png")}, QDir::Files);
        QCOMPARE(pngs.size(), 6);
        const QImage first(QDir(o.path).filePath(pngs.first()));
        ExportOptions single = o;
        single.scheduleStrip = false;
        const int onlyA = renderExportFrame(w->frames().frame(0), single, w->model()->info).width();
        QVERIFY(first.width() > 2 * onlyA); // A | B | their difference
        QVERIFY(colours(first) > 16);
        o.format = QStringLiteral("gif");
        o.path = m_dir.filePath(QStringLiteral("cmp.gif"));
        std::atomic_bool cancel{true};
        QVERIFY_THROWS_EXCEPTION(difflens::Cancelled, runCompareExport(c->sideA(), c->sideB(), c->align(), o, {}, &cancel));
        QVERIFY(!QFile::exists(o.path));
        QVERIFY(runCompareExport(c->sideA(), c->sideB(), c->align(), o).bytes > 1000);
        o.format = QStringLiteral("csv");
        QVERIFY_THROWS_EXCEPTION(difflens::ConfigError, runCompareExport(c->sideA(), c->sideB(), c->align(), o));
    }

    void scheduleChangeLoadsItsModelAndSavedRunsOpenAsB()
    {
        auto w = makeWindow(QStringLiteral("exact:gmm1d"));
        QVERIFY(w->model());
        QVERIFY(run(*w, QStringLiteral("ddim"), 25, 32));
        const QString saved = m_dir.filePath(QStringLiteral("a.dlrun"));
        QVERIFY(w->saveRun(saved));
        CompareWindow* c = w->openCompare();
        QVERIFY(c);
        CompareRequest r;
        r.change = CompareChange::Schedule;
        r.text = QStringLiteral("squaredcos_cap_v2");
        QVERIFY(runB(*c, r));
        QCOMPARE(QString::fromStdString(c->sideB().model->info.scheduler.betaSchedule), QStringLiteral("squaredcos_cap_v2"));
        QVERIFY(sameTensor(c->sideA().trajectory->state(0), c->sideB().trajectory->state(0)));
        show(*c, 24);
        QVERIFY(c->shownNumbers().xt > 0.0); // another schedule, another path

        // A saved copy of A opened as B: the same run, no difference anywhere.
        QVERIFY(c->openRunB(saved));
        QCOMPARE(c->sideB().steps(), 25);
        for (int p : {0, 12, 24}) {
            show(*c, p);
            QVERIFY(c->shownNumbers().xt < 1e-2); // the file holds x_t in float16
        }
        // A bad file: one message, B unchanged.
        const QString bad = m_dir.filePath(QStringLiteral("bad.dlrun"));
        QFile f(bad);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("not a run");
        f.close();
        QSignalSpy errors(c, &CompareWindow::errorShown);
        QVERIFY(!c->openRunB(bad));
        QCOMPARE(errors.size(), 1);
        QCOMPARE(c->sideB().steps(), 25);
        // A model of another shape cannot start from A's x_T.
        QSignalSpy done(c, &CompareWindow::runBFinished);
        r.change = CompareChange::Model;
        r.text = QStringLiteral("exact:8gaussians?n=100");
        QVERIFY(c->compareWith(r));
        QVERIFY(done.wait(60000));
        QVERIFY(!done.first().first().toBool());
        QVERIFY2(c->lastError().contains(QStringLiteral("same shape")), qPrintable(c->lastError()));
    }
};

QTEST_MAIN(TestAppCompare)
#include "test_app_compare.moc"
