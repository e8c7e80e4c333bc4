// The diffusers solvers (DPM-Solver++ multistep, Euler, Euler ancestral, Heun) against
// scripts/reference_solvers.py, the same algorithms written in Python from diffusers' schedulers: their plans
// (timesteps, sigmas, init_noise_sigma) must agree bit for bit for every spacing, Karras on/off, odd step
// counts and schedules; numpy's formulas and glibc's log/pow are spelled out identically on both sides.
#include "core/errors.h"
#include "core/schedule.h"
#include "core/solver_plan.h"

#include <nlohmann/json.hpp>

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>

using namespace difflens;

namespace {

QString envOr(const char* name, const QString& fallback)
{
    const QString v = qEnvironmentVariable(name);
    return v.isEmpty() ? fallback : v;
}

QString describeMismatch(const char* what, const std::vector<double>& cpp, const nlohmann::json& py)
{
    QString s = QString("%1: C++ has %2 entries, Python %3").arg(what).arg(cpp.size()).arg(py.size());
    for (size_t i = 0; i < std::min(cpp.size(), py.size()); ++i)
        if (cpp[i] != py[i].get<double>()) {
            s += QString("; first difference at %1: %2 vs %3")
                     .arg(i)
                     .arg(cpp[i], 0, 'g', 17)
                     .arg(py[i].get<double>(), 0, 'g', 17);
            break;
        }
    return s;
}

bool sameValues(const std::vector<double>& cpp, const nlohmann::json& py)
{
    if (cpp.size() != py.size()) return false;
    for (size_t i = 0; i < cpp.size(); ++i)
        if (cpp[i] != py[i].get<double>()) return false;
    return true;
}

} // namespace

class TestCoreSolvers : public QObject
{
    Q_OBJECT

    QString m_python, m_source;
    QTemporaryDir m_tmp;
    bool m_hasTorch = false;

    QByteArray runPython(const QStringList& args, bool* ok)
    {
        QProcess p;
        p.start(m_python, args);
        *ok = p.waitForFinished(120000) && p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
        if (!*ok)
            qWarning().noquote() << "python" << args.join(' ') << "failed:\n" << p.readAllStandardError();
        return p.readAllStandardOutput();
    }

    /** A folder holding just scheduler_config.json (what --plan reads). */
    QString configDir(const QString& tag, const nlohmann::json& config)
    {
        const QString dir = m_tmp.filePath(QString(tag).replace(' ', '_'));
        QDir().mkpath(dir);
        QFile f(dir + "/scheduler_config.json");
        if (!f.open(QIODevice::WriteOnly)) return {};
        f.write(QByteArray::fromStdString(config.dump()));
        return dir;
    }

private Q_SLOTS:
    void initTestCase()
    {
        m_python = envOr("DIFFLENS_PYTHON", "/usr/bin/python3");
        m_source = envOr("DIFFLENS_SOURCE_DIR", QStringLiteral(DIFFLENS_TEST_SOURCE_DIR));
        QVERIFY(m_tmp.isValid());
        QProcess probe;
        probe.start(m_python, {"-c", "import torch, numpy"});
        m_hasTorch = probe.waitForFinished(60000) && probe.exitCode() == 0;
    }

    // Closed forms of the helpers, independent of the reference.
    void helpers()
    {
        using namespace solver_plan;
        QCOMPARE(npLinspace(0.0, 999.0, 4), (std::vector<double>{0.0, 333.0, 666.0, 999.0}));
        QCOMPARE(npArangeDown(1000.0, 250.0), (std::vector<double>{1000.0, 750.0, 500.0, 250.0}));
        const std::vector<double> fp = {1.0, 3.0, 7.0};
        QCOMPARE(npInterp(0.5, fp), 2.0);
        QCOMPARE(npInterp(1.0, fp), 3.0);
        QCOMPARE(npInterp(2.0, fp), 7.0);
        // Karras: the end points are the given range, and rho = 7 spaces sigma^(1/7) evenly.
        const auto k = karrasSigmas(0.01, 100.0, 5);
        QCOMPARE(k.size(), size_t(5));
        QVERIFY(std::abs(k.front() - 100.0) < 1e-12 && std::abs(k.back() - 0.01) < 1e-15);
        const double d1 = std::pow(k[0], 1 / 7.0) - std::pow(k[1], 1 / 7.0);
        const double d2 = std::pow(k[3], 1 / 7.0) - std::pow(k[4], 1 / 7.0);
        QVERIFY(std::abs(d1 - d2) < 1e-12);
        // sigma_to_t inverts the table at its entries and interpolates log sigma between them.
        const std::vector<double> logs = {std::log(1.0), std::log(2.0), std::log(8.0)};
        QCOMPARE(sigmaToT(2.0, logs), 1.0);
        QVERIFY(std::abs(sigmaToT(4.0, logs) - 1.5) < 1e-12);
        QCOMPARE(sigmaToT(0.5, logs), 0.0); // below the table: clipped
        QCOMPARE(sigmaToT(100.0, logs), 2.0);
    }

    void planMatchesReference_data()
    {
        QTest::addColumn<QString>("sampler");
        QTest::addColumn<QString>("spacing");
        QTest::addColumn<bool>("karras");
        QTest::addColumn<int>("steps");
        QTest::addColumn<int>("offset");
        QTest::addColumn<int>("T");
        QTest::addColumn<QString>("schedule");
        for (const char* sampler : {"dpmpp-2m", "euler"})
            for (const char* spacing : {"linspace", "leading", "trailing"})
                for (bool karras : {false, true})
                    for (int steps : {1, 3, 7, 10, 20, 33, 50, 999}) {
                        const QString tag =
                            QString("%1 %2%3 %4").arg(sampler, spacing, karras ? " karras" : "").arg(steps);
                        QTest::newRow(qPrintable(tag))
                            << sampler << spacing << karras << steps << 0 << 1000 << "linear";
                    }
        QTest::newRow("dpm leading offset 1") << "dpmpp-2m"
                                              << "leading" << false << 25 << 1 << 1000 << "scaled_linear";
        QTest::newRow("euler leading offset 1") << "euler"
                                                << "leading" << false << 25 << 1 << 1000 << "scaled_linear";
        QTest::newRow("dpm cosine T 50 karras") << "dpmpp-3m"
                                                << "linspace" << true << 12 << 0 << 50 << "squaredcos_cap_v2";
        QTest::newRow("heun cosine T 50") << "heun"
                                          << "trailing" << false << 12 << 0 << 50 << "squaredcos_cap_v2";
        QTest::newRow("heun karras") << "heun"
                                     << "linspace" << true << 12 << 0 << 1000 << "scaled_linear";
    }

    void planMatchesReference()
    {
        if (!m_hasTorch) QSKIP(qPrintable(m_python + " cannot import torch and numpy: no Python reference"));
        QFETCH(QString, sampler);
        QFETCH(QString, spacing);
        QFETCH(bool, karras);
        QFETCH(int, steps);
        QFETCH(int, offset);
        QFETCH(int, T);
        QFETCH(QString, schedule);
        nlohmann::json cfg = {{"_class_name", "DDPMScheduler"},
                              {"num_train_timesteps", T},
                              {"beta_start", 0.0001},
                              {"beta_end", 0.02},
                              {"beta_schedule", schedule.toStdString()},
                              {"timestep_spacing", spacing.toStdString()},
                              {"steps_offset", offset}};
        const QString dir = configDir(QTest::currentDataTag(), cfg);
        bool ok = false;
        const auto out =
            runPython({m_source + "/scripts/reference_solvers.py", "--model", dir, "--sampler", sampler,
                       "--steps", QString::number(steps), "--plan", karras ? "--karras" : "--no-karras"},
                      &ok);
        QVERIFY(ok);
        const auto py = nlohmann::json::parse(out.toStdString());

        const auto config = SchedulerConfig::fromJsonText(cfg.dump());
        const auto alphaBars = NoiseSchedule::fromConfig(config).alphaBars();
        solver_plan::PlanOptions o;
        o.timestepSpacing = spacing.toStdString();
        o.stepsOffset = offset;
        o.useKarrasSigmas = karras;
        const auto plan = sampler.startsWith("dpmpp") ? solver_plan::planDpmSolver(o, alphaBars, steps)
                                                      : solver_plan::planKarrasFamily(o, alphaBars, steps);
        QVERIFY2(sameValues(plan.timesteps, py["timesteps"]),
                 qPrintable(describeMismatch("timesteps", plan.timesteps, py["timesteps"])));
        QVERIFY2(sameValues(plan.sigmas, py["sigmas"]),
                 qPrintable(describeMismatch("sigmas", plan.sigmas, py["sigmas"])));
        QCOMPARE(plan.initNoiseSigma, py["init_noise_sigma"].get<double>());
        // Not trivially equal: a real descending plan ending at sigma 0 (rounded plans may repeat a timestep
        // when the steps come near T, as diffusers' do).
        QCOMPARE(plan.sigmas.size(), size_t(steps) + 1);
        QCOMPARE(plan.sigmas.back(), 0.0);
        QVERIFY(plan.sigmas.front() > 1.0);
        for (size_t i = 0; i + 1 < plan.sigmas.size(); ++i)
            QVERIFY(plan.sigmas[i] >= plan.sigmas[i + 1]);
    }

    void planRefusesBadSteps()
    {
        const auto alphaBars = NoiseSchedule::fromConfig(SchedulerConfig()).alphaBars();
        for (int steps : {0, -3, 1001}) {
            try {
                solver_plan::planDpmSolver({}, alphaBars, steps);
                QFAIL("no ConfigError");
            } catch (const ConfigError& e) {
                QVERIFY2(QString(e.what()).contains("steps"), e.what());
            }
        }
        solver_plan::PlanOptions o;
        o.timestepSpacing = "sideways";
        QVERIFY_THROWS_EXCEPTION(ConfigError, solver_plan::planKarrasFamily(o, alphaBars, 10));
        o.timestepSpacing = "leading";
        o.stepsOffset = 5; // 990 + 5 > 999
        QVERIFY_THROWS_EXCEPTION(ConfigError, solver_plan::planKarrasFamily(o, alphaBars, 100));
    }
};

QTEST_GUILESS_MAIN(TestCoreSolvers)
#include "test_core_solvers.moc"
