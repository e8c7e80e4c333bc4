// MainWindow end to end, offscreen: open a model, sample, scrub, and look at the window (not blank, the
// right view, the right number of panels); a reference changes the grid from 3 to 6 columns; clicking a data
// point picks the reference; the forward mode; a bad model keeps the previous one; presentation mode and its
// keys. With DIFFLENS_SHOTS_DIR set, every screen is also written there as a PNG for review.
#include "app/logic/app_paths.h"
#include "app/gui/central_view.h"
#include "app/gui/draw_dialog.h"
#include "app/gui/exact_panel.h"
#include "app/gui/main_window.h"
#include "app/logic/sampling_controller.h"
#include "app/logic/settings.h"
#include "app/gui/side_panels.h"
#include "app/logic/training_controller.h"
#include "app/gui/training_dialog.h"
#include "app/logic/vlb_controller.h"
#include "widgets/control_panel.h"
#include "widgets/density_time_view.h"
#include "widgets/image_gallery.h"
#include "widgets/image_panel_grid.h"
#include "widgets/loss_plot.h"
#include "widgets/point_view.h"
#include "widgets/schedule_plot.h"
#include "widgets/step_density_view.h"
#include "widgets/step_metrics_plot.h"
#include "widgets/vlb_plot.h"
#include "widgets/timeline_bar.h"

#include <QAction>
#include <QComboBox>
#include <QDockWidget>
#include <QLabel>
#include <QMenuBar>
#include <QPushButton>
#include <QMessageBox>
#include <QPainter>
#include <QSet>
#include <QSettings>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QtTest>

using namespace difflens::gui;
using difflens::widgets::RunSettings;

namespace {

int distinctColors(const QImage& image)
{
    QSet<QRgb> colors;
    for (int y = 0; y < image.height(); y += 3)
        for (int x = 0; x < image.width(); x += 3)
            colors.insert(image.pixel(x, y));
    return colors.size();
}

void shot(QWidget* w, const QString& name)
{
    const QString dir = qEnvironmentVariable("DIFFLENS_SHOTS_DIR");
    if (dir.isEmpty()) return;
    QDir().mkpath(dir);
    QApplication::processEvents();
    w->grab().save(QDir(dir).filePath(name + QStringLiteral(".png")));
}

} // namespace

class TestAppMainWindow : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<MainWindow> makeWindow(const QString& model, bool interactive = false)
    {
        MainWindow::Options o;
        o.model = model;
        o.device = QStringLiteral("cpu");
        o.restoreState = false;
        o.autoSample = false;
        o.interactive = interactive;
        o.firstScreen = false; // the first screen (a reference denoised from T/2) has its own test_app_first_screen
        o.settings = std::make_unique<QSettings>(
            m_dir.filePath(QStringLiteral("settings-%1.ini").arg(++m_windows)), QSettings::IniFormat);
        auto w = std::make_unique<MainWindow>(std::move(o));
        w->resize(1500, 920);
        w->show();
        return w;
    }

    bool waitForModel(MainWindow& w)
    {
        QSignalSpy ready(&w, &MainWindow::modelReady);
        return w.model() || ready.wait(60000);
    }

    bool runAndWait(MainWindow& w, RunSettings s)
    {
        QSignalSpy done(&w, &MainWindow::runFinished);
        w.sample(s);
        if (s.mode == RunSettings::Forward) return true;
        if (!done.wait(120000)) return false;
        QTest::qWait(20);
        return done.first().first().toBool();
    }

    RunSettings settings(MainWindow& w, const QString& sampler, int steps, int batch)
    {
        RunSettings s = w.controlPanel()->settings();
        s.mode = RunSettings::Sample;
        s.sampler = sampler;
        s.steps = steps;
        s.batch = batch;
        s.seed = 2;
        return s;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QVERIFY(m_dir.isValid());
        // An image model that needs no download: the exact denoiser of a few discs.
        const QString images = m_dir.filePath(QStringLiteral("discs"));
        QDir().mkpath(images);
        for (int i = 0; i < 8; ++i) {
            QImage img(28, 28, QImage::Format_Grayscale8);
            img.fill(Qt::black);
            QPainter p(&img);
            p.setBrush(Qt::white);
            p.setPen(Qt::NoPen);
            p.drawEllipse(QPointF(14, 14), 3 + i, 3 + i);
            p.end();
            img.save(QDir(images).filePath(QStringLiteral("disc%1.png").arg(i)));
        }
        m_imageSpec = QStringLiteral("exact:%1?n=8").arg(images);
    }

    void sampleAndScrubPoints()
    {
        auto w = makeWindow(QStringLiteral("exact:8gaussians"));
        QVERIFY(waitForModel(*w));
        QVERIFY(w->windowTitle().contains(QStringLiteral("8gaussians")));
        QVERIFY(runAndWait(*w, settings(*w, QStringLiteral("DDIM"), 20, 200)));
        QCOMPARE(w->sampler()->recordedSteps(), 20);
        QCOMPARE(w->timeline()->stepCount(), 20);
        QSignalSpy shown(w.get(), &MainWindow::frameDisplayed);
        for (int step : {0, 10, 19}) {
            w->setCurrentStep(step);
            QCOMPARE(shown.last().first().toInt(), step);
        }
        QCOMPARE(w->currentStep(), 19);
        QCOMPARE(w->centralView()->currentView(), w->centralView()->pointView()->parentWidget());
        QCOMPARE(w->centralView()->pointView()->frame().xt.size(), 200);
        QVERIFY(w->centralView()->densityView()->isHidden()); // 2-D: no (t, x) map
        const QImage image = w->grab().toImage();
        QVERIFY(!image.isNull());
        QVERIFY2(distinctColors(image) > 60, qPrintable(QString::number(distinctColors(image))));
        shot(w.get(), QStringLiteral("points_2d"));
    }

    void clickingADataPointPicksTheReference()
    {
        auto w = makeWindow(QStringLiteral("exact:8gaussians"));
        QVERIFY(waitForModel(*w));
        QVERIFY(runAndWait(*w, settings(*w, QStringLiteral("DDPM"), 100, 300)));
        w->setCurrentStep(60);
        QVERIFY(!w->centralView()->pointView()->frame().hasReference);
        auto* view = w->centralView()->pointView();
        const QPointF target = view->frame().data[17];
        QSignalSpy done(w.get(), &MainWindow::runFinished);
        QTest::mouseClick(view, Qt::LeftButton, Qt::NoModifier, view->mapFromData(target).toPoint());
        QVERIFY(w->reference().isValid());
        QCOMPARE(w->controlPanel()->settings().referenceSource, QStringLiteral("dataset"));
        QVERIFY(done.wait(30000)); // the run is repeated with the reference
        QTest::qWait(30);
        w->setCurrentStep(60);
        const auto& frame = view->frame();
        QVERIFY(frame.hasReference);
        QVERIFY(std::hypot(frame.reference.x() - target.x(), frame.reference.y() - target.y()) < 0.3);
        shot(w.get(), QStringLiteral("points_2d_reference"));
    }

    void imageGridGainsColumnsWithAReference()
    {
        auto w = makeWindow(m_imageSpec);
        QVERIFY(waitForModel(*w));
        QVERIFY(w->model()->info.isImage);
        QVERIFY(runAndWait(*w, settings(*w, QStringLiteral("DDIM"), 25, 4)));
        w->setCurrentStep(12);
        auto* grid = w->centralView()->imageGrid();
        QCOMPARE(w->centralView()->currentView(), grid);
        QCOMPARE(grid->columnCount(), 3);
        QCOMPARE(grid->rowCount(), 4);
        shot(w.get(), QStringLiteral("images_no_reference"));

        QSignalSpy done(w.get(), &MainWindow::runFinished);
        RunSettings s = w->controlPanel()->settings();
        s.referenceSource = QStringLiteral("dataset");
        s.referenceIndex = 5;
        w->controlPanel()->setSettings(s); // the run is repeated with the reference
        QVERIFY(done.wait(30000));
        QTest::qWait(30);
        w->setCurrentStep(12);
        QCOMPARE(grid->columnCount(), 6);
        QCOMPARE(grid->rowCount(), 4);
        const QImage image = grid->grab().toImage();
        QVERIFY(distinctColors(image) > 30);
        shot(w.get(), QStringLiteral("images_reference"));
    }

    // A flow-matching model: the sampler box offers the path samplers only, a run with a reference shows the
    // conditional step, the velocity field draws the learned and the exact velocity, and images get the path grid.
    void flowModelsSpeakThePath()
    {
        auto w = makeWindow(QStringLiteral("exact:8gaussians?path=flow"));
        QVERIFY(waitForModel(*w));
        QVERIFY(w->model()->info.scheduler.isFlow());
        QComboBox* sampler = nullptr;
        for (QComboBox* c : w->controlPanel()->findChildren<QComboBox*>())
            if (c->findData(QStringLiteral("euler")) >= 0) sampler = c;
        QVERIFY(sampler);
        QCOMPARE(sampler->findData(QStringLiteral("ddpm")), -1); // DDPM cannot serve a flow model
        QVERIFY(sampler->findData(QStringLiteral("sde")) >= 0);
        RunSettings s = settings(*w, QStringLiteral("sde"), 50, 256);
        s.sdeNoise = 1.5;
        s.referenceSource = QStringLiteral("dataset");
        s.referenceIndex = 3;
        w->controlPanel()->setSettings(s);
        QVERIFY(runAndWait(*w, s));
        w->setCurrentStep(30);
        auto* view = w->centralView()->pointView();
        QVERIFY(view->frame().hasReference);
        QAction* field = nullptr;
        for (QAction* a : w->findChildren<QAction*>())
            if (a->text().contains(QStringLiteral("Score"))) field = a;
        QVERIFY(field && field->isEnabled());
        field->setChecked(true);
        w->setCurrentStep(31);
        QTRY_VERIFY_WITH_TIMEOUT(!view->frame().exactFieldVectors.isEmpty(), 20000);
        QVERIFY(view->frame().fieldName.contains(QStringLiteral("velocity")));
        shot(w.get(), QStringLiteral("flow_points_sde_field"));
        field->setChecked(false);
        // The variational bound is the DDPM chain's: the Exact q tab says so and offers no button for it.
        auto* tabs = w->findChild<QTabWidget*>();
        tabs->setCurrentWidget(w->exactPanel());
        QVERIFY(!w->exactPanel()->boundButton()->isEnabled());
        shot(w.get(), QStringLiteral("flow_points_exact_tab"));

        w->openModel(m_imageSpec + QStringLiteral("&path=flow"));
        QTRY_VERIFY_WITH_TIMEOUT(w->model()->info.isImage && w->model()->info.scheduler.isFlow(), 60000);
        RunSettings si = settings(*w, QStringLiteral("heun"), 20, 3);
        si.referenceSource = QStringLiteral("dataset");
        si.referenceIndex = 1;
        w->controlPanel()->setSettings(si);
        QVERIFY(runAndWait(*w, si));
        w->setCurrentStep(10);
        auto* grid = w->centralView()->imageGrid();
        QCOMPARE(grid->columnCount(), 8);
        QVERIFY(distinctColors(grid->grab().toImage()) > 30);
        shot(w.get(), QStringLiteral("flow_images_heun"));
    }

    void denoiseFromT0AndForwardMode()
    {
        auto w = makeWindow(m_imageSpec);
        QVERIFY(waitForModel(*w));
        RunSettings s = settings(*w, QStringLiteral("DDIM"), 50, 3);
        s.referenceSource = QStringLiteral("dataset");
        s.referenceIndex = 2;
        w->controlPanel()->setSettings(s);
        QTest::qWait(400); // no run yet: a changed reference repeats only an existing run
        s.mode = RunSettings::FromReference;
        s.t0 = 300;
        QVERIFY(runAndWait(*w, s));
        QVERIFY(w->sampler()->timesteps().first() <= 300);
        s.mode = RunSettings::Forward;
        s.t0 = 800;
        QVERIFY(runAndWait(*w, s));
        QCOMPARE(w->frames().mode(), FrameBuilder::Mode::Forward);
        QCOMPARE(w->timeline()->stepCount(), 801);
        w->setCurrentStep(400);
        QCOMPARE(w->centralView()->imageGrid()->columnCount(), 5);
        shot(w.get(), QStringLiteral("images_forward"));
    }

    void oneDimensionalModel()
    {
        auto w = makeWindow(QStringLiteral("exact:gmm1d"));
        QVERIFY(waitForModel(*w));
        RunSettings s = settings(*w, QStringLiteral("DDPM"), 200, 1000);
        s.referenceSource = QStringLiteral("dataset");
        s.referenceIndex = 0;
        w->controlPanel()->setSettings(s);
        QVERIFY(runAndWait(*w, s));
        w->setCurrentStep(150);
        QVERIFY(!w->centralView()->densityView()->isHidden());
        QCOMPARE(w->centralView()->densityView()->timesteps(), 1000);
        QCOMPARE(w->centralView()->pointView()->frame().dim, 1);
        QVERIFY(w->centralView()->pointView()->frame().hasReference);
        shot(w.get(), QStringLiteral("points_1d"));
        auto* tabs = w->findChild<QTabWidget*>();
        QVERIFY(tabs);
        tabs->setCurrentIndex(tabs->indexOf(w->findChild<MetricsPanel*>()));
        shot(w.get(), QStringLiteral("points_1d_metrics"));
    }

    // The bound's job reports exactly once: five times started while a sampling run uses the same model (the
    // runner serves it behind the model's lock) and cancelled, each cancel reaching the window once; then run to its end
    // during another sampling run; then cut short by a model switch.
    void boundReportsOnceWhileSampling()
    {
        auto w = makeWindow(QStringLiteral(QT_TESTCASE_SOURCEDIR "/../models/pretrained/moons"));
        QVERIFY(waitForModel(*w));
        ExactPanel* exact = w->exactPanel();
        QSignalSpy finished(w->boundController(), &VlbController::finished);
        QSignalSpy cancelled(w->boundController(), &VlbController::cancelled);
        QSignalSpy failed(w->boundController(), &VlbController::failed);
        for (int round = 1; round <= 5; ++round) {
            w->sample(settings(*w, QStringLiteral("DDPM"), 1000, 256));
            QVERIFY(exact->boundButton()->isEnabled());
            exact->boundButton()->click();
            QTest::qWait(20 * round);
            QVERIFY(exact->boundCancelButton()->isEnabled());
            exact->boundCancelButton()->click();
            // The job stops at its next model call and reports through the runner: once.
            QTRY_COMPARE(cancelled.size(), round);
            QTRY_VERIFY(exact->boundButton()->isEnabled());
        }
        QTest::qWait(500); // anything a stopped job still posts would have arrived by now
        QCOMPARE(cancelled.size(), 5);
        QCOMPARE(finished.size(), 0);
        QCOMPARE(failed.size(), 0);

        QSignalSpy runDone(w.get(), &MainWindow::runFinished);
        w->sample(settings(*w, QStringLiteral("DDPM"), 1000, 256));
        exact->boundButton()->click();
        QVERIFY(finished.wait(120000));
        QVERIFY(runDone.size() == 1 || runDone.wait(120000));
        QCOMPARE(finished.size(), 1);
        QCOMPARE(cancelled.size(), 5);
        QCOMPARE(failed.size(), 0);

        exact->boundButton()->click();
        QTest::qWait(50);
        QSignalSpy ready(w.get(), &MainWindow::modelReady);
        w->openModel(QStringLiteral("exact:8gaussians"));
        QVERIFY(ready.size() == 1 || ready.wait(60000));
        QTRY_COMPARE(cancelled.size(), 6); // the switch cancels the bound of the old model, once
        QTest::qWait(300);
        QCOMPARE(finished.size(), 1);
        QCOMPARE(failed.size(), 0);
    }

    // The Exact q tab: the zoomed step for points (p_theta beside the exact q), the gallery for images, the
    // variational bound on demand: the exact set that contains the items (memorised) bounds them far lower than
    // the exact set of the other items, to which they are new.
    void exactTabShowsTheExactReverseProcess()
    {
        auto w = makeWindow(QStringLiteral(QT_TESTCASE_SOURCEDIR "/../models/pretrained/moons"));
        QVERIFY(waitForModel(*w));
        QVERIFY(!w->model()->info.isExact());
        RunSettings s = settings(*w, QStringLiteral("DDIM"), 25, 64);
        s.referenceSource = QStringLiteral("dataset");
        s.referenceIndex = 4;
        w->controlPanel()->setSettings(s);
        QVERIFY(runAndWait(*w, s));
        auto* tabs = w->findChild<QTabWidget*>();
        ExactPanel* exact = w->exactPanel();
        tabs->setCurrentWidget(exact);
        w->setCurrentStep(15);
        QCOMPARE(exact->currentStepWidget(), static_cast<QWidget*>(exact->stepView()));
        QCOMPARE(exact->stepView()->frame().gaussians.size(), 3); // p_theta, q given x_0, the exact mean
        QVERIFY(!exact->warningLabel()->isVisible());
        QVERIFY(w->centralView()->pointView()->frame().weights.size() > 0);
        shot(w.get(), QStringLiteral("exact_points"));

        QSignalSpy done(w->boundController(), &VlbController::finished);
        QVERIFY(exact->boundButton()->isEnabled());
        exact->boundButton()->click();
        QVERIFY(done.wait(120000));
        const auto series = done.first().first().value<QVector<difflens::widgets::VlbSeries>>();
        QCOMPARE(series.size(), 3);
        QCOMPARE(exact->vlbPlot()->seriesCount(), 3);
        for (const auto& b : series) {
            QCOMPARE(b.t.size(), 1000);
            QVERIFY2(std::isfinite(b.totalBits), qPrintable(b.name));
        }
        QVERIFY(series[1].name.contains(QStringLiteral("other")) && series[2].name.contains(QStringLiteral("memorised")));
        QVERIFY2(series[2].totalBits + 1.0 < series[1].totalBits,
                 qPrintable(QString("%1 vs %2").arg(series[2].totalBits).arg(series[1].totalBits)));
        QTest::qWait(100); // the plot replots on a timer
        shot(w.get(), QStringLiteral("exact_points_bound"));

        // View > Score field: the model's score and the exact one at the same grid points.
        QAction* field = nullptr;
        for (QAction* a : w->findChildren<QAction*>())
            if (a->text().contains(QStringLiteral("Score"))) field = a;
        QVERIFY(field && field->isEnabled());
        field->setChecked(true);
        w->setCurrentStep(16);
        QTRY_VERIFY_WITH_TIMEOUT(!w->centralView()->pointView()->frame().exactFieldVectors.isEmpty(), 20000);
        const auto& pf = w->centralView()->pointView()->frame();
        QCOMPARE(pf.exactFieldVectors.size(), pf.fieldVectors.size());
        shot(w.get(), QStringLiteral("exact_points_field"));
        field->setChecked(false);

        // 1-D: the exact step of the closed-form mixture beside the learned model's.
        w->openModel(QStringLiteral(QT_TESTCASE_SOURCEDIR "/../models/pretrained/gmm1d"));
        QTRY_VERIFY_WITH_TIMEOUT(w->model()->info.dim == 1, 60000);
        QVERIFY(runAndWait(*w, settings(*w, QStringLiteral("DDPM"), 1000, 64)));
        w->setCurrentStep(900);
        QCOMPARE(exact->currentStepWidget(), static_cast<QWidget*>(exact->stepView()));
        QCOMPARE(exact->stepView()->frame().dim, 1);
        QVERIFY(exact->stepView()->frame().exactCurve.size() > 100);
        shot(w.get(), QStringLiteral("exact_1d"));

        w->openModel(m_imageSpec);
        QVERIFY(waitForModel(*w));
        QTRY_VERIFY(w->model()->info.isImage);
        QVERIFY(runAndWait(*w, settings(*w, QStringLiteral("DDIM"), 10, 2)));
        w->setCurrentStep(9);
        QCOMPARE(exact->currentStepWidget(), static_cast<QWidget*>(exact->gallery()));
        QCOMPARE(exact->gallery()->frame().pinned, w->reference().isValid() ? 4 : 3); // x_t, x0^, E[x0|xt] (, x0)
        shot(w.get(), QStringLiteral("exact_images"));

        w->openModel(QStringLiteral("exact:moons?n=200&T=50"));
        QTRY_VERIFY_WITH_TIMEOUT(w->model()->info.T() == 50, 60000);
        QVERIFY(exact->warningLabel()->isVisible());
        QVERIFY(exact->warningLabel()->text().contains(QStringLiteral("0.603")));
        QVERIFY(w->findChild<SchedulePanel*>()->warning().contains(QStringLiteral("0.603")));
    }

    void sidePanelsShowScheduleLossAndMetrics()
    {
        // A package with a training log: trained here, in a few seconds.
        TrainingController trainer;
        QSignalSpy trained(&trainer, &TrainingController::finished);
        TrainingParams p;
        p.dataset = QStringLiteral("moons");
        p.steps = 150;
        p.batch = 128;
        p.hidden = 32;
        p.blocks = 1;
        p.device = QStringLiteral("cpu");
        p.outputDir = m_dir.filePath(QStringLiteral("moons-mlp"));
        trainer.start(p);
        QVERIFY(trained.wait(60000));

        auto w = makeWindow(p.outputDir);
        QVERIFY(waitForModel(*w));
        auto* loss = w->findChild<LossPanel*>();
        auto* schedule = w->findChild<SchedulePanel*>();
        auto* metrics = w->findChild<MetricsPanel*>();
        auto* tabs = w->findChild<QTabWidget*>();
        QVERIFY(loss && schedule && metrics && tabs);
        QVERIFY(loss->plot()->pointCount() >= 100);
        QCOMPARE(schedule->plot()->schedule().size(), 1000);
        schedule->setComparison(QStringLiteral("squaredcos_cap_v2"));
        QCOMPARE(schedule->plot()->comparison().size(), 1000);

        RunSettings s = settings(*w, QStringLiteral("DDPM"), 250, 400);
        s.mode = RunSettings::FromReference;
        s.t0 = 400;
        s.referenceSource = QStringLiteral("dataset");
        s.referenceIndex = 10;
        w->controlPanel()->setSettings(s);
        QVERIFY(runAndWait(*w, s));
        QVERIFY(metrics->plot()->stepCount() > 0);
        w->setCurrentStep(60);
        shot(w.get(), QStringLiteral("trained_points_reference"));
        tabs->setCurrentWidget(schedule);
        shot(w.get(), QStringLiteral("tab_schedule"));
        tabs->setCurrentWidget(loss);
        shot(w.get(), QStringLiteral("tab_loss"));
        tabs->setCurrentWidget(metrics);
        shot(w.get(), QStringLiteral("tab_metrics"));
    }

    void badModelKeepsThePreviousOne()
    {
        auto w = makeWindow(QStringLiteral("exact:8gaussians"));
        QVERIFY(waitForModel(*w));
        const ModelHandle before = w->model();
        const QString name = w->controlPanel()->settings().model;
        QSignalSpy error(w.get(), &MainWindow::errorShown);
        const QString corrupt = m_dir.filePath(QStringLiteral("corrupt.pt"));
        {
            QFile f(corrupt);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write("this is not a TorchScript archive");
        }
        w->openModel(corrupt);
        QVERIFY(error.wait(30000));
        QVERIFY2(error.first().at(1).toString().contains(QStringLiteral("corrupt.pt")),
                 qPrintable(error.first().at(1).toString()));
        QCOMPARE(w->model(), before);
        QCOMPARE(w->controlPanel()->settings().model, name);
        QVERIFY(runAndWait(*w, settings(*w, QStringLiteral("DDIM"), 10, 10))); // and it still works
    }

    void errorDialogSaysWhatToDo()
    {
        auto w = makeWindow(QStringLiteral("exact:8gaussians"), true);
        QVERIFY(waitForModel(*w));
        QString text;
        QTimer::singleShot(300, this, [&] {
            auto* box = qobject_cast<QMessageBox*>(QApplication::activeModalWidget());
            if (!box) return;
            text = box->text() + box->informativeText();
            shot(box, QStringLiteral("error_dialog"));
            box->accept();
        });
        w->openModel(m_dir.filePath(QStringLiteral("no-such-model")));
        QTRY_VERIFY_WITH_TIMEOUT(!text.isEmpty(), 30000);
        QVERIFY2(text.contains(QStringLiteral("keeps using")), qPrintable(text));
        QVERIFY(text.contains(QStringLiteral("model.pt")));
    }

    void presentationModeIsKeyboardOnly()
    {
        auto w = makeWindow(QStringLiteral("exact:8gaussians"));
        QVERIFY(waitForModel(*w));
        QVERIFY(runAndWait(*w, settings(*w, QStringLiteral("DDIM"), 30, 100)));
        w->setPresentationMode(true);
        QVERIFY(w->presentationMode());
        QVERIFY(w->menuBar()->isHidden());
        for (auto* dock : w->findChildren<QDockWidget*>())
            QVERIFY(dock->isHidden());
        w->activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(w.get()));
        QTest::keyClick(w.get(), Qt::Key_Home);
        QCOMPARE(w->currentStep(), 0);
        QTest::keyClick(w.get(), Qt::Key_Right);
        QTest::keyClick(w.get(), Qt::Key_Right);
        QCOMPARE(w->currentStep(), 2);
        QTest::keyClick(w.get(), Qt::Key_End);
        QCOMPARE(w->currentStep(), 29);
        QTest::keyClick(w.get(), Qt::Key_Space);
        QVERIFY(w->timeline()->isPlaying());
        QTest::keyClick(w.get(), Qt::Key_Space);
        QVERIFY(!w->timeline()->isPlaying());
        w->setCurrentStep(15);
        shot(w.get(), QStringLiteral("presentation"));
        QTest::keyClick(w.get(), Qt::Key_Escape);
        QVERIFY(!w->presentationMode());
        QVERIFY(!w->menuBar()->isHidden());
    }

    void trainingDialogFillsTheLossLive()
    {
        Settings settings(
            std::make_unique<QSettings>(m_dir.filePath(QStringLiteral("train.ini")), QSettings::IniFormat));
        settings.setValue(keys::trainSteps, 200);
        settings.setValue(keys::trainBatch, 128);
        settings.setValue(keys::trainDataset, QStringLiteral("spirals"));
        TrainingDialog dialog(settings, QStringLiteral("cpu"));
        dialog.show();
        QSignalSpy ready(&dialog, &TrainingDialog::packageReady);
        dialog.startTraining();
        QVERIFY(ready.wait(120000));
        QVERIFY(!ready.first().at(1).toBool()); // listed, not switched to
        const QString dir = ready.first().first().toString();
        QVERIFY(QFileInfo::exists(QDir(dir).filePath(QStringLiteral("model.pt"))));
        QVERIFY(dir.startsWith(userModelsDir()));
        QVERIFY(dialog.findChild<difflens::widgets::LossPlot*>()->pointCount() > 10);
        shot(&dialog, QStringLiteral("training_dialog"));
        QDir(dir).removeRecursively();
    }

    void drawDialogStartsFromTheReference()
    {
        difflens::widgets::ImageData start;
        start.width = start.height = 28;
        start.values.assign(28 * 28, -1.0f);
        for (int y = 6; y < 22; ++y)
            for (int x = 10; x < 18; ++x)
                start.values[y * 28 + x] = 1.0f;
        DrawDialog dialog(28, 28, -1.0, 1.0, start);
        dialog.show();
        const difflens::widgets::ImageData image = dialog.image();
        QCOMPARE(image.width, 28);
        QVERIFY(image.values[14 * 28 + 14] > 0.5f);
        QVERIFY(image.values[2 * 28 + 2] < -0.5f);
        shot(&dialog, QStringLiteral("draw_dialog"));
    }

    void settingsAreRemembered()
    {
        const QString file = m_dir.filePath(QStringLiteral("remembered.ini"));
        {
            MainWindow::Options o;
            o.model = QStringLiteral("exact:gmm1d");
            o.autoSample = false;
            o.interactive = false;
            o.settings = std::make_unique<QSettings>(file, QSettings::IniFormat);
            MainWindow w(std::move(o));
            w.show();
            QVERIFY(waitForModel(w));
            RunSettings s = w.controlPanel()->settings();
            s.sampler = QStringLiteral("ddim");
            s.steps = 77;
            s.seed = 1234;
            w.controlPanel()->setSettings(s);
            w.close();
        }
        MainWindow::Options o;
        o.autoSample = false;
        o.interactive = false;
        o.settings = std::make_unique<QSettings>(file, QSettings::IniFormat);
        MainWindow w(std::move(o));
        QVERIFY(waitForModel(w));
        QCOMPARE(w.model()->info.spec, QStringLiteral("exact:gmm1d")); // the last model
        const RunSettings s = w.controlPanel()->settings();
        QCOMPARE(s.sampler, QStringLiteral("ddim"));
        QCOMPARE(s.steps, 77);
        QCOMPARE(s.seed, 1234);
    }

private:
    QTemporaryDir m_dir;
    QString m_imageSpec;
    int m_windows = 0;
};

QTEST_MAIN(TestAppMainWindow)
#include "test_app_main_window.moc"
