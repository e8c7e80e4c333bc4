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

    QString m_python, m_source, m_data;
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
        m_data = envOr("DIFFLENS_BINARY_DIR", QStringLiteral(DIFFLENS_TEST_BINARY_DIR)) + "/testdata";
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
        QVERIFY(std::abs(sigmaToT(4.0, logs) - 4.0 / 3.0) < 1e-12); // log 4 is a third of the way from log 2 to log 8
        QCOMPARE(sigmaToT(0.5, logs), 0.0); // below the table: clipped
        QCOMPARE(sigmaToT(100.0, logs), 2.0);
    }

    void planMatchesReference_data()
    {
        QTest::addColumn<QString>("sampler");
        QTest::addColumn<QString>("spacing");
        QTest::addColumn<bool>("karras");
        QTest::addColumn<QString>("steps"); // one reference call plans them all
        QTest::addColumn<int>("offset");
        QTest::addColumn<int>("T");
        QTest::addColumn<QString>("schedule");
        const QString steps = "1,3,7,10,20,33,50,999";
        for (const char* sampler : {"dpmpp-2m", "euler"})
            for (const char* spacing : {"linspace", "leading", "trailing"})
                for (bool karras : {false, true}) {
                    const QString tag = QString("%1 %2%3").arg(sampler, spacing, karras ? " karras" : "");
                    QTest::newRow(qPrintable(tag)) << sampler << spacing << karras << steps << 0 << 1000 << "linear";
                }
        QTest::newRow("dpm leading offset 1") << "dpmpp-2m" << "leading" << false << "25" << 1 << 1000 << "scaled_linear";
        QTest::newRow("euler leading offset 1") << "euler" << "leading" << false << "25" << 1 << 1000 << "scaled_linear";
        QTest::newRow("dpm cosine T 50 karras") << "dpmpp-3m" << "linspace" << true << "5,12" << 0 << 50
                                                << "squaredcos_cap_v2";
        QTest::newRow("heun cosine T 50") << "heun" << "trailing" << false << "12" << 0 << 50 << "squaredcos_cap_v2";
        QTest::newRow("heun karras") << "heun" << "linspace" << true << "12" << 0 << 1000 << "scaled_linear";
    }

    void planMatchesReference()
    {
        if (!m_hasTorch) QSKIP(qPrintable(m_python + " cannot import torch and numpy: no Python reference"));
        QFETCH(QString, sampler);
        QFETCH(QString, spacing);
        QFETCH(bool, karras);
        QFETCH(QString, steps);
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
        const auto out = runPython({m_source + "/scripts/reference_solvers.py", "--model", dir, "--sampler", sampler,
                                    "--plan", "--plan-steps", steps, karras ? "--karras" : "--no-karras"},
                                   &ok);
        QVERIFY(ok);
        const auto plans = nlohmann::json::parse(out.toStdString());
        const auto config = SchedulerConfig::fromJsonText(cfg.dump());
        const auto alphaBars = NoiseSchedule::fromConfig(config).alphaBars();
        solver_plan::PlanOptions o;
        o.timestepSpacing = spacing.toStdString();
        o.stepsOffset = offset;
        o.useKarrasSigmas = karras;
        QCOMPARE(plans.size(), static_cast<size_t>(steps.split(',').size()));
        for (const auto& py : plans) {
            const int n = py["steps"].get<int>();
            const auto plan = sampler.startsWith("dpmpp") ? solver_plan::planDpmSolver(o, alphaBars, n)
                                                          : solver_plan::planKarrasFamily(o, alphaBars, n);
            QVERIFY2(sameValues(plan.timesteps, py["timesteps"]),
                     qPrintable(QString("%1 steps: ").arg(n) + describeMismatch("timesteps", plan.timesteps, py["timesteps"])));
            QVERIFY2(sameValues(plan.sigmas, py["sigmas"]),
                     qPrintable(QString("%1 steps: ").arg(n) + describeMismatch("sigmas", plan.sigmas, py["sigmas"])));
            QCOMPARE(plan.initNoiseSigma, py["init_noise_sigma"].get<double>());
            // Not trivially equal: a real descending plan ending at sigma 0 (rounded plans may repeat a timestep
            // when the steps come near T, as diffusers' do).
            QCOMPARE(plan.sigmas.size(), size_t(n) + 1);
            QCOMPARE(plan.sigmas.back(), 0.0);
            QVERIFY(plan.sigmas.front() > 0.0);
            for (size_t i = 0; i + 1 < plan.sigmas.size(); ++i) QVERIFY(plan.sigmas[i] >= plan.sigmas[i + 1]);
        }
    }

    void runMatchesReference_data()
    {
        QTest::addColumn<QString>("model");
        QTest::addColumn<QString>("sampler");
        QTest::addColumn<int>("steps");
        QTest::addColumn<int>("seed");
        QTest::addColumn<QStringList>("options"); // reference_solvers.py options, mirrored on the config below
        QTest::addColumn<QString>("init");        // unit noise z under testdata/tensors, or empty
        const QStringList none;
        QTest::newRow("dpmpp-2m 10") << "mlp2d" << "dpmpp-2m" << 10 << 1 << none << "";
        QTest::newRow("dpmpp-2m 25 (no lower order)") << "mlp2d" << "dpmpp-2m" << 25 << 2 << none << "";
        QTest::newRow("dpmpp-3m 10") << "mlp2d" << "dpmpp-3m" << 10 << 3 << none << "";
        QTest::newRow("dpmpp-3m 20 trailing") << "mlp2d" << "dpmpp-3m" << 20 << 4 << QStringList{"--spacing", "trailing"} << "";
        QTest::newRow("dpmpp-1m 7 linspace") << "mlp2d" << "dpmpp-1m" << 7 << 5 << QStringList{"--spacing", "linspace"} << "";
        QTest::newRow("dpmpp-2m heun type 12") << "mlp2d" << "dpmpp-2m" << 12 << 6 << QStringList{"--solver-type", "heun"} << "";
        QTest::newRow("dpmpp-2m karras 10") << "mlp2d" << "dpmpp-2m" << 10 << 7 << QStringList{"--karras"} << "";
        QTest::newRow("dpmpp-3m karras 16 no lower order") << "mlp2d" << "dpmpp-3m" << 16 << 8
                                                           << QStringList{"--karras", "--no-lower-order-final"} << "";
        QTest::newRow("dpmpp-2m v") << "mlp2d_v" << "dpmpp-2m" << 10 << 9 << none << "";
        QTest::newRow("dpmpp-3m sample") << "mlp2d_sample" << "dpmpp-3m" << 12 << 10 << none << "";
        QTest::newRow("dpmpp-2m learned_range") << "mlp2d_learned" << "dpmpp-2m" << 10 << 11 << none << "";
        QTest::newRow("euler 10 leading") << "mlp2d" << "euler" << 10 << 12 << none << "";
        QTest::newRow("euler 12 linspace karras") << "mlp2d" << "euler" << 12 << 13
                                                  << QStringList{"--spacing", "linspace", "--karras"} << "";
        QTest::newRow("euler v 15 trailing") << "mlp2d_v" << "euler" << 15 << 14 << QStringList{"--spacing", "trailing"} << "";
        QTest::newRow("euler sample 9 from init") << "mlp2d_sample" << "euler" << 9 << 15 << none << "init_points.pt";
        QTest::newRow("euler-ancestral 10") << "mlp2d" << "euler-ancestral" << 10 << 16 << none << "";
        QTest::newRow("euler-ancestral v karras 20") << "mlp2d_v" << "euler-ancestral" << 20 << 17
                                                     << QStringList{"--karras", "--spacing", "linspace"} << "";
        QTest::newRow("heun 10") << "mlp2d" << "heun" << 10 << 18 << none << "";
        QTest::newRow("heun v karras 8") << "mlp2d_v" << "heun" << 8 << 19 << QStringList{"--karras"} << "";
        QTest::newRow("heun unet clipped 4") << "unet_small" << "heun" << 4 << 20 << none << "init_image.pt";
    }

    void runMatchesReference()
    {
        if (!m_hasTorch) QSKIP(qPrintable(m_python + " cannot import torch: no Python reference"));
        if (!QFileInfo::exists(m_data + "/mlp2d/model.pt"))
            QFAIL(qPrintable("test models missing in " + m_data + ": run 'ctest -R core_testdata' first"));
        QFETCH(QString, model);
        QFETCH(QString, sampler);
        QFETCH(int, steps);
        QFETCH(int, seed);
        QFETCH(QStringList, options);
        QFETCH(QString, init);
        const QString dir = m_data + "/" + model;
        const QString initPath = init.isEmpty() ? QString() : m_data + "/tensors/" + init;

        auto loaded = openModel(dir.toStdString(), torch::kCPU);
        SchedulerConfig config = loaded.package.scheduler;
        for (int k = 0; k < options.size(); ++k) {
            if (options[k] == "--spacing") config.timestepSpacing = options[++k].toStdString();
            if (options[k] == "--karras") config.useKarrasSigmas = true;
            if (options[k] == "--solver-type") config.solverType = options[++k].toStdString();
            if (options[k] == "--no-lower-order-final") config.lowerOrderFinal = false;
        }
        SamplerSettings settings;
        settings.kind = parseSamplerKind(sampler.toStdString());
        settings.solverOrder = solverOrderOfName(sampler.toStdString());
        settings.steps = steps;
        const auto process = std::make_shared<const ReverseProcess>(config, settings);
        QVERIFY(process->diffusersSolver());
        SamplerOptions o;
        o.seed = static_cast<uint64_t>(seed);
        o.batch = 16;
        o.sampleShape = loaded.package.data.shape;
        if (!initPath.isEmpty()) o.init = loadTensor(initPath.toStdString());
        Trajectory trajectory(process, {}, false);
        int calls = 0;
        struct Counting final : Denoiser
        {
            Denoiser& inner;
            int& calls;
            Counting(Denoiser& d, int& c) : inner(d), calls(c) {}
            torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& t) override
            {
                ++calls;
                return inner.forward(x, t);
            }
            torch::Device device() const override { return inner.device(); }
            void moveTo(torch::Device d) override { inner.moveTo(d); }
            std::string kind() const override { return inner.kind(); }
        } counting(*loaded.denoiser, calls);
        const auto cpp = runSampler(counting, *process, o, [&](const StepRecord& r) { trajectory.record(r); }).sample;
        QCOMPARE(calls, process->modelCalls());
        QCOMPARE(process->modelCalls(), sampler == "heun" ? 2 * steps - 1 : steps);

        const QString out = m_tmp.filePath(QString("run_%1.pt").arg(QTest::currentDataTag()).replace(' ', '_'));
        QStringList args = {m_source + "/scripts/reference_solvers.py", "--model", dir, "--sampler", sampler, "--steps",
                            QString::number(steps), "--seed", QString::number(seed), "--num-samples", "16",
                            "--threads", QString::number(torch::get_num_threads()), "--out", out};
        args << options;
        if (!initPath.isEmpty()) args << "--init" << initPath;
        bool ok = false;
        runPython(args, &ok);
        QVERIFY(ok);
        const auto py = loadTensor(out.toStdString());
        QCOMPARE(py.sizes().vec(), cpp.sizes().vec());
        QVERIFY(torch::isfinite(cpp).all().item<bool>());
        QVERIFY(cpp.std().item<double>() > 1e-3);
        const double diff = (cpp - py).abs().max().item<double>();
        qInfo().noquote() << QString("%1: %2 steps, %3 model calls, max |C++ - Python| = %4%5")
                                 .arg(QTest::currentDataTag())
                                 .arg(process->stepCount())
                                 .arg(calls)
                                 .arg(diff, 0, 'g', 3)
                                 .arg(torch::equal(cpp, py) ? " (bitwise identical)" : "");
        QVERIFY2(diff < 1e-5, qPrintable(QString("max abs difference %1").arg(diff)));

        // The recorded trajectory re-derives each step: x0^ and the update match what the run did (for
        // DPM-Solver++ that needs the earlier x0^ re-derived too), and the last state is the sample.
        QVERIFY(torch::equal(trajectory.state(process->stepCount()), cpp));
        for (int i = 0; i < process->stepCount(); ++i) {
            const auto r = trajectory.step(i);
            QCOMPARE(static_cast<int>(r.x0Weights.size()), r.solverOrder);
            double sum = 0;
            for (double w : r.x0Weights) sum += w;
            QVERIFY(std::abs(sum - 1.0) < 1e-9);
            if (settings.kind != SamplerKind::EulerAncestral) {
                const double gap = (r.meanModel - r.xPrev).abs().max().item<double>();
                QVERIFY2(gap < 1e-4 * (1.0 + r.xPrev.abs().max().item<double>()),
                         qPrintable(QString("step %1: re-derived update off by %2").arg(i).arg(gap)));
                // The displayed weights reproduce the update: x_prev = c x_t + x0Coef sum_k w_k x0^(i - k).
                auto combined = r.stateCoef * r.xt;
                for (size_t k = 0; k < r.x0Weights.size(); ++k)
                    combined = combined + (r.x0Coef * r.x0Weights[k]) * trajectory.step(i - static_cast<int>(k)).x0Pred;
                if (settings.kind != SamplerKind::Heun)
                    QVERIFY2((combined - r.xPrev).abs().max().item<double>() < 1e-3 * (1.0 + r.xPrev.abs().max().item<double>()),
                             qPrintable(QString("step %1: weights do not reproduce the update").arg(i)));
            }
        }
    }

    // A multistep solver needs fewer model calls for the same quality: on the exact 8gaussians mixture (no
    // network error) DPM-Solver++ 2M at 10 steps lands closer to the data than DDIM at 10 steps.
    void dpmSolverBeatsDdimOnExactMixture()
    {
        auto m = openModel("exact:8gaussians", torch::kCPU);
        const auto data = openDataset("8gaussians");
        auto gen = at::make_generator<at::CPUGeneratorImpl>(21);
        const int64_t n = 4000;
        const auto real = data->sample(n, gen), real2 = data->sample(n, gen);
        const auto run = [&](SamplerSettings s) {
            SamplerOptions o;
            o.seed = 5;
            o.batch = n;
            o.sampleShape = {2};
            return runSampler(*m.denoiser, ReverseProcess(m.package.scheduler, s), o).sample;
        };
        SamplerSettings dpm;
        dpm.kind = SamplerKind::DpmSolver;
        dpm.solverOrder = 2;
        dpm.steps = 10;
        SamplerSettings ddim;
        ddim.kind = SamplerKind::Ddim;
        ddim.steps = 10;
        const double floor = metrics::slicedWasserstein(real2, real, 256, 1);
        const double wDpm = metrics::slicedWasserstein(run(dpm), real, 256, 1);
        const double wDdim = metrics::slicedWasserstein(run(ddim), real, 256, 1);
        qInfo("8gaussians exact, 10 steps: sliced W DPM-Solver++ 2M %.4f (%.2fx floor), DDIM %.4f (%.2fx), floor %.4f",
              wDpm, wDpm / floor, wDdim, wDdim / floor, floor);
        QVERIFY2(wDpm < wDdim, qPrintable(QString("%1 vs %2").arg(wDpm).arg(wDdim)));
    }

    // A package whose scheduler_config.json names a solver class opens with that solver and its keys.
    void packageClassPicksTheSolver()
    {
        const auto c = SchedulerConfig::fromJsonText(R"({"_class_name": "DPMSolverMultistepScheduler",
            "solver_order": 3, "use_karras_sigmas": true, "solver_type": "heun"})");
        QCOMPARE(defaultSamplerFor(c), SamplerKind::DpmSolver);
        QCOMPARE(c.timestepSpacing, std::string("linspace")); // the class's default, not DDPMScheduler's
        SamplerSettings s;
        s.kind = defaultSamplerFor(c);
        s.steps = 12;
        const ReverseProcess p(c, s);
        QCOMPARE(p.label(), std::string("dpmpp-3m"));
        QCOMPARE(p.solverOrderAt(0), 1);
        QCOMPARE(p.solverOrderAt(1), 2);
        QCOMPARE(p.solverOrderAt(5), 3);
        QCOMPARE(p.solverOrderAt(10), 2); // lower_order_final with fewer than 15 steps
        QCOMPARE(p.solverOrderAt(11), 1);
        QVERIFY(!p.floatModelTime());
        const auto heun = SchedulerConfig::fromJsonText(R"({"_class_name": "HeunDiscreteScheduler"})");
        QCOMPARE(defaultSamplerFor(heun), SamplerKind::Heun);
        QCOMPARE(heun.betaStart, 0.00085);
        QCOMPARE(defaultSamplerFor(SchedulerConfig::fromJsonText(R"({"_class_name": "EulerAncestralDiscreteScheduler"})")),
                 SamplerKind::EulerAncestral);
        QCOMPARE(defaultSamplerFor(SchedulerConfig::fromJsonText(R"({"_class_name": "EulerDiscreteScheduler"})")),
                 SamplerKind::Euler);
        // A config round trip keeps the solver keys.
        const auto back = SchedulerConfig::fromJsonText(c.toJsonText());
        QCOMPARE(back.solverOrder, 3);
        QCOMPARE(back.useKarrasSigmas, true);
        QCOMPARE(back.solverType, std::string("heun"));
    }

    void badInputGetsOneClearLine_data()
    {
        QTest::addColumn<QString>("json");
        QTest::addColumn<QString>("sampler");
        QTest::addColumn<int>("order");
        QTest::addColumn<int>("steps");
        QTest::addColumn<QString>("message");
        QTest::newRow("unknown sampler") << "{}" << "dpm++" << 0 << 10 << "unknown sampler 'dpm++'";
        QTest::newRow("order 4") << "{}" << "dpmpp-2m" << 4 << 10 << "order 4 is out of range";
        QTest::newRow("config order 0") << R"({"solver_order": 0})" << "ddpm" << 0 << 10 << "solver_order 0 is out of range";
        QTest::newRow("solver type") << R"({"solver_type": "bh2"})" << "ddpm" << 0 << 10 << "unknown solver_type 'bh2'";
        QTest::newRow("algorithm") << R"({"algorithm_type": "sde-dpmsolver++"})" << "ddpm" << 0 << 10
                                   << "algorithm_type 'sde-dpmsolver++' is not supported";
        QTest::newRow("thresholding") << R"({"thresholding": true})" << "ddpm" << 0 << 10 << "thresholding = true";
        QTest::newRow("too many steps") << "{}" << "euler" << 0 << 1001 << "cannot sample with 1001 steps";
        QTest::newRow("dpm repeats a timestep") << "{}" << "dpmpp-2m" << 0 << 1000 << "repeats timestep";
        QTest::newRow("flow model") << R"({"_class_name": "FlowMatchEulerDiscreteScheduler"})" << "dpmpp-2m" << 0 << 10
                                    << "cannot sample a flow-matching model";
    }

    void badInputGetsOneClearLine()
    {
        QFETCH(QString, json);
        QFETCH(QString, sampler);
        QFETCH(int, order);
        QFETCH(int, steps);
        QFETCH(QString, message);
        try {
            const auto c = SchedulerConfig::fromJsonText(json.toStdString());
            SamplerSettings s;
            s.kind = parseSamplerKind(sampler.toStdString());
            s.solverOrder = order > 0 ? order : solverOrderOfName(sampler.toStdString());
            s.steps = steps;
            ReverseProcess p(c, s);
            QFAIL("no ConfigError");
        } catch (const ConfigError& e) {
            const QString what = e.what();
            QVERIFY2(what.contains(message), e.what());
            QVERIFY2(!what.contains('\n'), e.what());
        }
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
