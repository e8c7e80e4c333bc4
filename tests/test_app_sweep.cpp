// Steps versus quality: the sweep (models/nfe_sweep.h) spends the model calls it says, orders the solvers as
// the theory does on the exact mixture, puts the exact denoiser's rows beside a network's, refuses bad input
// with one sentence; the app's dialog runs it on a worker, plots one curve per row and can be stopped.
#include "app/gui/main_window.h"
#include "tests/support/test_window.h"
#include "app/gui/sweep_dialog.h"
#include "core/errors.h"
#include "models/nfe_sweep.h"
#include "widgets/nfe_plot.h"

#include <QSettings>
#include <QSignalSpy>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>

using namespace difflens;
using namespace difflens::gui;

class TestAppSweep : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;

    std::unique_ptr<MainWindow> makeWindow(const QString& model)
    {
        auto w = std::make_unique<MainWindow>(difflens::test::testWindowOptions(model, m_dir.filePath(QStringLiteral("sweep.ini"))));
        QSignalSpy ready(w.get(), &MainWindow::modelReady);
        if (!w->model()) ready.wait(60000);
        return w;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QVERIFY(m_dir.isValid());
    }

    void sweepSpendsItsBudgetAndRanksTheSolvers()
    {
        // On the exact 8gaussians mixture the error is the solver's alone: DPM-Solver++ 2M at 10 calls lies
        // closer to the data than DDIM at 10 (the independent figure: 0.9x against 1.2x the floor).
        NfeSweepOptions o;
        o.model = "exact:8gaussians";
        o.nfes = {10};
        o.samplers = {"ddim", "dpmpp-2m", "heun"};
        o.numSamples = 4000;
        int calls = 0;
        const NfeSweepResult r = runNfeSweep(o, [&](int done, int total) {
            ++calls;
            QCOMPARE(total, 3);
            QCOMPARE(done, calls);
        });
        QCOMPARE(calls, 3);
        QCOMPARE(static_cast<int>(r.rows.size()), 3); // an exact model has no second, exact row
        QVERIFY(r.floor > 0);
        QCOMPARE(r.metric, std::string("sliced_wasserstein"));
        const double ddim = r.rows[0].value[0], dpm = r.rows[1].value[0];
        QVERIFY2(dpm < ddim, qPrintable(QStringLiteral("dpm++ 2m %1, ddim %2").arg(dpm / r.floor).arg(ddim / r.floor)));
        QCOMPARE(r.rows[0].modelCalls[0], 10);
        QCOMPARE(r.rows[2].modelCalls[0], 9); // Heun: 5 steps, 2 calls each but the last

        // Bad input: one sentence each.
        o.nfes = {0};
        QVERIFY_THROWS_EXCEPTION(ConfigError, runNfeSweep(o));
        o.nfes = {5};
        o.samplers = {"no-such"};
        QVERIFY_THROWS_EXCEPTION(ConfigError, runNfeSweep(o));
        std::atomic_bool cancel{true};
        o.samplers = {"ddim"};
        QVERIFY_THROWS_EXCEPTION(Cancelled, runNfeSweep(o, {}, &cancel));
    }

    void networkRowsStandBesideTheExactOnes()
    {
        // A trained package: each sampler twice, the network and the exact denoiser of its dataset.
        NfeSweepOptions o;
        o.model = (qEnvironmentVariable("DIFFLENS_SOURCE_DIR") + QStringLiteral("/models/pretrained/moons")).toStdString();
        o.nfes = {5, 20};
        o.samplers = {"dpmpp-2m"};
        o.numSamples = 600;
        const NfeSweepResult r = runNfeSweep(o);
        QCOMPARE(static_cast<int>(r.rows.size()), 2);
        QVERIFY(!r.rows[0].exact);
        QVERIFY(r.rows[1].exact);
        QVERIFY(r.rows[1].denoiser.rfind("exact:moons", 0) == 0);
        for (const auto& row : r.rows)
            for (double v : row.value) QVERIFY(std::isfinite(v) && v > 0);
    }

    void dialogRunsOnAWorkerAndStops()
    {
        auto w = makeWindow(QStringLiteral("exact:moons?n=500"));
        QVERIFY(w->model());
        SweepDialog* d = w->openSweep();
        QVERIFY(d);
        d->setSamplers({QStringLiteral("ddim"), QStringLiteral("dpmpp-2m")});
        d->setNfes(QStringLiteral("5, 20"));
        d->setSamples(400);
        QSignalSpy finished(d, &SweepDialog::sweepFinished);
        QVERIFY(d->run());
        QVERIFY(d->isRunning());
        QVERIFY(finished.wait(120000));
        QVERIFY(finished.first().first().toBool());
        QCOMPARE(d->plot()->curveCount(), 2);
        QCOMPARE(d->plot()->pointCount(0), 2);
        QCOMPARE(d->table()->rowCount(), 2);
        QCOMPARE(d->table()->columnCount(), 3);
        QVERIFY2(d->status().contains(QStringLiteral("floor")), qPrintable(d->status()));
        QVERIFY(d->table()->item(1, 2)->text().endsWith(QStringLiteral("×")));

        // Stopped at once: one finished(false), a message, nothing shown changes.
        d->setNfes(QStringLiteral("50, 100, 200, 500"));
        finished.clear();
        QVERIFY(d->run());
        d->cancel();
        QVERIFY(finished.wait(120000));
        QCOMPARE(finished.size(), 1);
        QVERIFY(!finished.first().first().toBool());
        QVERIFY2(d->status().contains(QStringLiteral("cancelled")), qPrintable(d->status()));
        QCOMPARE(d->plot()->curveCount(), 2);

        // Bad budgets: a sentence, no run.
        d->setNfes(QStringLiteral("5, ten"));
        QVERIFY(!d->run());
        QVERIFY(d->status().contains(QStringLiteral("ten")));
    }
};

QTEST_MAIN(TestAppSweep)
#include "test_app_sweep.moc"
