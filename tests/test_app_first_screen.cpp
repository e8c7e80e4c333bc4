// The first screen and the tour: a first start (no reference ever chosen) opens with a dataset item as x_0,
// denoised from t0, so x_t, x0^, mu_theta, mu~ (the true step) and their difference are on screen at once,
// with a one-line hint; Help > Tour walks five steps over the panels, is skippable, and runs by itself only
// once (help.tourShown). With DIFFLENS_SHOTS_DIR set, the screens are written there as PNGs for review.
#include "app/gui/central_view.h"
#include "app/gui/main_window.h"
#include "app/logic/settings.h"
#include "app/gui/tour.h"
#include "widgets/control_panel.h"
#include "widgets/image_panel_grid.h"
#include "widgets/point_view.h"

#include "tests/support/disc_images.h"
#include <QDir>
#include <QPainter>
#include <QSettings>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

using namespace difflens::gui;
using difflens::widgets::RunSettings;

namespace {

void shot(QWidget* w, const QString& name)
{
    const QString dir = qEnvironmentVariable("DIFFLENS_SHOTS_DIR");
    if (dir.isEmpty()) return;
    QDir().mkpath(dir);
    QApplication::processEvents();
    w->grab().save(QDir(dir).filePath(name + QStringLiteral(".png")));
}

} // namespace

class TestAppFirstScreen : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    int m_windows = 0;

    std::unique_ptr<MainWindow> makeWindow(const QString& model, const QString& settingsFile, bool interactive = false)
    {
        MainWindow::Options o;
        o.model = model;
        o.device = QStringLiteral("cpu");
        o.restoreState = false;
        o.autoSample = true;
        o.interactive = interactive;
        o.settings = std::make_unique<QSettings>(settingsFile, QSettings::IniFormat);
        auto w = std::make_unique<MainWindow>(std::move(o));
        w->resize(1500, 920);
        w->show();
        return w;
    }
    QString freshSettings() { return m_dir.filePath(QStringLiteral("first-%1.ini").arg(++m_windows)); }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QVERIFY(m_dir.isValid());
    }

    void firstStartShowsTheTrueStep()
    {
        auto w = makeWindow(QStringLiteral("exact:8gaussians"), freshSettings());
        QSignalSpy done(w.get(), &MainWindow::runFinished);
        QVERIFY(done.wait(120000));
        const RunSettings s = w->controlPanel()->settings();
        QCOMPARE(s.referenceSource, QStringLiteral("dataset"));
        QCOMPARE(s.mode, RunSettings::FromReference);
        QVERIFY(w->reference().isValid());
        QTest::qWait(100);
        const auto& f = w->centralView()->pointView()->frame();
        QVERIFY(f.hasReference && f.referenceIsSource);
        QVERIFY(f.selected >= 0 && !f.meanModel.isEmpty());
        const QString hint = w->centralView()->hint();
        QVERIFY2(hint.contains(QStringLiteral("true step")), qPrintable(hint));
        shot(w.get(), QStringLiteral("first_screen_points"));
    }

    void firstStartOfAnImageModel()
    {
        // An image model that needs no download: the exact denoiser of a few discs.
        const QString images = difflens::test::writeDiscImages(m_dir.filePath(QStringLiteral("discs")), 6, 14, 0, 3, 2);
        auto w = makeWindow(QStringLiteral("exact:%1?n=6").arg(images), freshSettings());
        QSignalSpy done(w.get(), &MainWindow::runFinished);
        QVERIFY(done.wait(120000));
        QTest::qWait(100);
        const QStringList columns = w->centralView()->imageGrid()->columns();
        QCOMPARE(columns.size(), 6); // x_t, x0^, mu_theta, mu~, x_0, |mu_theta - mu~|
        QCOMPARE(columns[3], QStringLiteral("μ̃ (true step)"));
        // Sampling from noise keeps the reference but calls mu~ the step toward it.
        RunSettings s = w->controlPanel()->settings();
        s.mode = RunSettings::Sample;
        s.sampler = QStringLiteral("DDIM");
        s.steps = 10;
        w->sample(s);
        QVERIFY(done.wait(120000));
        QTest::qWait(100);
        QCOMPARE(w->centralView()->imageGrid()->columns()[3], QStringLiteral("μ̃ (toward x₀)"));
        QVERIFY(w->centralView()->hint().contains(QStringLiteral("only points toward x₀")));
        shot(w.get(), QStringLiteral("first_screen_images_from_noise"));
    }

    void aChosenSettingIsKept()
    {
        // Someone who chose "no reference" before is not overruled.
        const QString file = freshSettings();
        {
            QSettings ini(file, QSettings::IniFormat);
            ini.setValue(QStringLiteral("reference/source"), QStringLiteral("none"));
        }
        auto w = makeWindow(QStringLiteral("exact:8gaussians"), file);
        QSignalSpy done(w.get(), &MainWindow::runFinished);
        QVERIFY(done.wait(120000));
        QCOMPARE(w->controlPanel()->settings().referenceSource, QStringLiteral("none"));
        QVERIFY(w->centralView()->hint().contains(QStringLiteral("click a data point")));
    }

    void tourWalksFiveStepsAndIsSkippable()
    {
        const QString file = freshSettings();
        auto w = makeWindow(QStringLiteral("exact:8gaussians"), file);
        QSignalSpy done(w.get(), &MainWindow::runFinished);
        QVERIFY(done.wait(120000));
        QVERIFY(!w->tour()); // not interactive: no tour by itself
        w->startTour();
        Tour* tour = w->tour();
        QVERIFY(tour);
        QCOMPARE(tour->stepCount(), 5);
        QCOMPARE(tour->currentStep(), 0);
        QVERIFY(!tour->highlight().isEmpty());
        const QRect first = tour->highlight();
        tour->next();
        QCOMPARE(tour->currentStep(), 1);
        QVERIFY(tour->highlight() != first);
        tour->next();
        tour->back();
        QCOMPARE(tour->currentStep(), 1);
        shot(w.get(), QStringLiteral("tour_step_2"));
        QSignalSpy finished(tour, &Tour::finished);
        QTest::keyClick(tour, Qt::Key_Escape);
        QCOMPARE(finished.size(), 1);
        QCOMPARE(finished.first().first().toBool(), false);
        QTRY_VERIFY(!w->tour());
        w.reset();
        QCOMPARE(QSettings(file, QSettings::IniFormat).value(QStringLiteral("help/tourShown")).toBool(), true);
    }

    void tourRunsByItselfOnce()
    {
        const QString file = freshSettings();
        {
            auto w = makeWindow(QStringLiteral("exact:8gaussians"), file, /*interactive=*/true);
            QTRY_VERIFY_WITH_TIMEOUT(w->tour() != nullptr, 20000);
            for (int i = 0; i < 5; ++i) w->tour()->next(); // Next through to Done
            QTRY_VERIFY(!w->tour());
        }
        QCOMPARE(QSettings(file, QSettings::IniFormat).value(QStringLiteral("help/tourShown")).toBool(), true);
        auto again = makeWindow(QStringLiteral("exact:8gaussians"), file, /*interactive=*/true);
        QTest::qWait(2500);
        QVERIFY(!again->tour());
    }
};

QTEST_MAIN(TestAppFirstScreen)
#include "test_app_first_screen.moc"
