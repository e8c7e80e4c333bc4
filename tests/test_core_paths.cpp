// Gaussian probability paths (issue: every Gaussian path through the same lens): conversions between every
// prediction type on the VP chain and flow matching, the exact denoiser on any path, the convergence orders of
// Euler and Heun, the SDE family's shared marginals, memorisation on the flow path, the flow-matching trainer,
// and a TorchScript flow model sampled bitwise like a Python loop written from diffusers' FlowMatchEuler.
#include "core/datasets.h"
#include "core/errors.h"
#include "core/exact.h"
#include "core/metrics.h"
#include "core/path.h"
#include "core/sampler.h"
#include "core/tensor_io.h"
#include "core/trainer.h"
#include "models/nets.h"
#include "models/registry.h"

#include <QtTest>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <cmath>

using namespace difflens;

namespace {

SchedulerConfig vpConfig()
{
    SchedulerConfig c;
    c.clipSample = false;
    return c;
}

torch::Tensor sortedW1(const torch::Tensor& a, const torch::Tensor& b)
{
    // 1-D Wasserstein-1 between equal-size samples: the mean gap of the sorted values.
    return (std::get<0>(a.flatten().sort()) - std::get<0>(b.flatten().sort())).abs().mean();
}

/** x at every step of a run (index i: x before step i; the last entry is the final sample). */
std::vector<torch::Tensor> runStates(Denoiser& model, const ReverseProcess& p, const torch::Tensor& init,
                                     uint64_t seed, std::vector<double>* times = nullptr)
{
    SamplerOptions o;
    o.init = init;
    o.seed = seed;
    std::vector<torch::Tensor> states;
    const auto result = runSampler(model, p, o, [&](const StepRecord& r) {
        states.push_back(r.xt.clone());
        if (times) times->push_back(r.point.time);
    });
    states.push_back(result.sample);
    if (times) times->push_back(0.0);
    return states;
}

QString envOr(const char* name, const QString& fallback)
{
    const QString v = qEnvironmentVariable(name);
    return v.isEmpty() ? fallback : v;
}

} // namespace

class TestCorePaths : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void pathPointsAreClosedForm()
    {
        const auto flow = ProbabilityPath::flow(1000);
        const auto p = flow.atModelTime(250.0);
        QCOMPARE(p.time, 0.25);
        QCOMPARE(p.a, 0.75);
        QCOMPARE(p.s, 0.25);
        QCOMPARE(p.da, -1.0);
        QCOMPARE(p.ds, 1.0);
        const auto sched = NoiseSchedule::fromConfig(vpConfig());
        const auto vp = ProbabilityPath::vp(sched);
        const auto q = vp.atModelTime(400.0);
        QCOMPARE(q.a2, sched.alphaBars()[400]);               // the float64 table itself
        QCOMPARE(q.a, std::sqrt(sched.alphaBars()[400]));
        QCOMPARE(q.time, 401.0 / 1000.0);
        QVERIFY(q.da < 0 && q.ds > 0);                        // signal fades, noise grows with t
        // The derivative matches a difference quotient of the table over 10 indices (smooth schedule).
        const double fd = (std::sqrt(sched.alphaBars()[405]) - std::sqrt(sched.alphaBars()[395])) / (10.0 / 1000.0);
        QVERIFY2(std::abs(q.da - fd) < 1e-3 * std::abs(fd), qPrintable(QString("%1 vs %2").arg(q.da).arg(fd)));
        // Fractional indices interpolate log sigma: the midpoint's sigma is the geometric mean.
        const auto m = vp.atModelTime(400.5), lo = vp.atModelTime(400), hi = vp.atModelTime(401);
        QVERIFY(std::abs(m.sigma() - std::sqrt(lo.sigma() * hi.sigma())) < 1e-12);
        // Same time on both paths, same SNR bookkeeping: flow's alphaBar() is a^2 / (a^2 + s^2).
        QVERIFY(std::abs(p.alphaBar() - 0.5625 / (0.5625 + 0.0625)) < 1e-15);
        QVERIFY_THROWS_EXCEPTION(ConfigError, flow.atModelTime(1000.5));
        QVERIFY_THROWS_EXCEPTION(ConfigError, vp.atModelTime(1000.0));
    }

    // For random x_0, eps and t, every target computed from every other agrees to float precision.
    void conversionsRoundTrip_data()
    {
        QTest::addColumn<QString>("path");
        QTest::addColumn<double>("modelTime");
        for (double m : {0.0, 10.5, 500.0, 999.0}) QTest::newRow(qPrintable(QString("vp %1").arg(m))) << "vp" << m;
        for (double m : {1.0, 250.0, 730.5, 999.0}) QTest::newRow(qPrintable(QString("flow %1").arg(m))) << "flow" << m;
    }
    void conversionsRoundTrip()
    {
        QFETCH(QString, path);
        QFETCH(double, modelTime);
        const auto p = path == "flow" ? ProbabilityPath::flow(1000)
                                      : ProbabilityPath::vp(NoiseSchedule::fromConfig(vpConfig()));
        const PathPoint pt = p.atModelTime(modelTime);
        auto gen = at::make_generator<at::CPUGeneratorImpl>(7);
        const auto x0 = torch::randn({64, 3}, gen, torch::kFloat64);
        const auto eps = torch::randn({64, 3}, gen, torch::kFloat64);
        const auto x = pt.a * x0 + pt.s * eps;
        for (Prediction pred : {Prediction::Epsilon, Prediction::Sample, Prediction::V, Prediction::Flow}) {
            const auto out = path::target(pred, x0, eps, pt);
            const auto back = path::toEpsAndX0(pred, x, out, pt);
            // Where a or s is tiny, recovering the other is ill-conditioned: compare in x's own scale.
            const double tolX0 = 1e-9 / std::max(pt.a, 1e-3), tolEps = 1e-9 / std::max(pt.s, 1e-3);
            QVERIFY2((back.x0 - x0).abs().max().item<double>() < tolX0, predictionName(pred).c_str());
            QVERIFY2((back.eps - eps).abs().max().item<double>() < tolEps, predictionName(pred).c_str());
        }
        // The velocity is dx/dt along the conditional path: a' x_0 + s' eps; flow matching's eps - x_0.
        const auto u = path::velocity(x0, eps, pt);
        if (path == "flow") QVERIFY((u - (eps - x0)).abs().max().item<double>() < 1e-12);
        // ... and equals (x(t + h) - x(t - h)) / 2h for the same x_0 and eps.
        const double h = 1e-4;
        if (pt.time > 2 * h && pt.time < 1 - 2 * h && path == "flow") {
            const auto ph = p.atTime(pt.time + h), mh = p.atTime(pt.time - h);
            const auto fd = ((ph.a - mh.a) * x0 + (ph.s - mh.s) * eps) / (2 * h);
            QVERIFY((fd - u).abs().max().item<double>() < 1e-8);
        }
        QVERIFY((path::score(eps, pt) * pt.s + eps).abs().max().item<double>() < 1e-12);
        // float32 agrees to float precision too.
        const auto back32 = path::toEpsAndX0(Prediction::Flow, x.to(torch::kFloat32),
                                             path::target(Prediction::Flow, x0, eps, pt).to(torch::kFloat32), pt);
        QVERIFY((back32.x0.to(torch::kFloat64) - x0).abs().max().item<double>() < 1e-4 / std::max(pt.a, 1e-2));
    }

    // E[x_0 | x] uses the same softmax weights on every path: the flow point (a, s) and the VP point with the same
    // SNR, after scaling x by 1 / sqrt(a^2 + s^2), give the same answer.
    void exactDenoiserIsPathGeneral()
    {
        const auto data = openDataset("8gaussians");
        const auto* mix = data->mixture();
        QVERIFY(mix);
        const auto sched = NoiseSchedule::fromConfig(vpConfig());
        GaussianMixtureDenoiser exact(sched, mix->means, mix->stds, mix->weights);
        auto gen = at::make_generator<at::CPUGeneratorImpl>(1);
        const auto x = torch::randn({32, 2}, gen, torch::kFloat32) * 1.5;
        for (double t : {0.1, 0.3, 0.6, 0.9}) {
            const PathPoint f = ProbabilityPath::flowPoint(t);
            const double norm = std::sqrt(f.a2 + f.s2);
            const double ab = f.a2 / (f.a2 + f.s2);
            const auto flowX0 = exact.expectedX0(x, f);
            const auto vpX0 = exact.expectedX0(x / norm, ab);
            QVERIFY2((flowX0 - vpX0).abs().max().item<double>() < 2e-5, qPrintable(QString("t=%1").arg(t)));
            // The exact velocity from the flow exact denoiser's forward equals E[eps|x] - E[x_0|x].
            const auto u = exact.velocity(x, f);
            QVERIFY(((x - f.a * flowX0) / f.s - flowX0 - u).abs().max().item<double>() < 1e-5);
        }
        // Served as a flow model: forward(x, t * 1000) is that velocity.
        exact.usePath(SchedulerConfig::flowMatching());
        const auto out = exact.forward(x, torch::full({32}, 300.0f));
        QVERIFY((out - exact.velocity(x, ProbabilityPath::flowPoint(0.3))).abs().max().item<double>() < 1e-5);
    }

    // With the exact 8gaussians mixture and the same x_T, Euler's error against a 1024-step Heun solution halves
    // when the steps double, Heun's falls about fourfold.
    void eulerAndHeunConvergenceOrders()
    {
        auto m = openModel("exact:8gaussians?path=flow", torch::kCPU);
        auto gen = at::make_generator<at::CPUGeneratorImpl>(11);
        const auto xT = torch::randn({256, 2}, gen, torch::kFloat32);
        const auto solve = [&](SamplerKind k, int steps) {
            SamplerSettings s;
            s.kind = k;
            s.steps = steps;
            const ReverseProcess p(m.package.scheduler, s);
            SamplerOptions o;
            o.init = xT;
            return runSampler(*m.denoiser, p, o).sample.to(torch::kFloat64);
        };
        const auto truth = solve(SamplerKind::Heun, 1024);
        const auto err = [&](SamplerKind k, int n) { return (solve(k, n) - truth).pow(2).sum(1).sqrt().mean().item<double>(); };
        const double e16 = err(SamplerKind::Euler, 16), e32 = err(SamplerKind::Euler, 32);
        const double h16 = err(SamplerKind::Heun, 16), h32 = err(SamplerKind::Heun, 32);
        qInfo("Euler error 16 -> 32 steps: %.5f -> %.5f (ratio %.2f); Heun: %.6f -> %.6f (ratio %.2f)", e16, e32,
              e16 / e32, h16, h32, h16 / h32);
        QVERIFY2(e16 / e32 > 1.6 && e16 / e32 < 2.5, qPrintable(QString::number(e16 / e32)));
        QVERIFY2(h16 / h32 > 3.0 && h16 / h32 < 5.5, qPrintable(QString::number(h16 / h32)));
        QVERIFY(h32 < e32);
        // Heun pays for its order with calls: 2n - 1 model evaluations.
        SamplerSettings s;
        s.kind = SamplerKind::Heun;
        s.steps = 16;
        QCOMPARE(ReverseProcess(m.package.scheduler, s).modelCalls(), 31);
    }

    // For every noise level S the SDE sampler has the same marginals as the ODE (and as q_t itself), while single
    // trajectories get longer and more jagged as S grows.
    void sdeMarginalsDoNotDependOnTheNoise_data()
    {
        QTest::addColumn<QString>("spec");
        QTest::newRow("gmm1d flow") << "exact:gmm1d?path=flow";
        QTest::newRow("8gaussians flow") << "exact:8gaussians?path=flow";
        QTest::newRow("8gaussians vp") << "exact:8gaussians";
    }
    void sdeMarginalsDoNotDependOnTheNoise()
    {
        QFETCH(QString, spec);
        auto m = openModel(spec.toStdString(), torch::kCPU);
        const auto data = openDataset(spec.contains("gmm1d") ? "gmm1d" : "8gaussians");
        const int64_t n = 3000;
        auto gen = at::make_generator<at::CPUGeneratorImpl>(5);
        const auto dim = m.package.data.shape;
        std::vector<int64_t> shape = {n};
        shape.insert(shape.end(), dim.begin(), dim.end());
        const auto xT = torch::randn(shape, gen, torch::kFloat32);
        const auto distance = [&](const torch::Tensor& a, const torch::Tensor& b) {
            return dim[0] == 1 ? sortedW1(a, b).item<double>() : metrics::slicedWasserstein(a, b, 128, 3);
        };
        std::vector<double> lengths;
        for (double S : {0.0, 0.5, 1.0, 2.0}) {
            SamplerSettings s;
            s.kind = SamplerKind::Sde;
            s.steps = 200;
            s.sdeNoise = S;
            const ReverseProcess p(m.package.scheduler, s);
            std::vector<double> times;
            const auto states = runStates(*m.denoiser, p, xT, 100 + static_cast<uint64_t>(S * 10), &times);
            for (double want : {0.75, 0.5, 0.25, 0.0}) {
                size_t k = 0;
                while (k + 1 < times.size() && times[k] > want + 1e-9) ++k;
                const PathPoint pt = m.package.scheduler.isFlow() ? ProbabilityPath::flowPoint(times[k])
                                                                  : p.path().atTime(times[k]);
                // Two independent draws from the true marginal q_t = a x_0 + s eps give the sampling-noise floor.
                const auto q1 = pt.a * data->sample(n, gen) + pt.s * torch::randn(shape, gen, torch::kFloat32);
                const auto q2 = pt.a * data->sample(n, gen) + pt.s * torch::randn(shape, gen, torch::kFloat32);
                const double floor = distance(q1, q2);
                const double d = distance(states[k], q1);
                qInfo("%s S=%.1f t=%.3f: distance to q_t %.4f (floor %.4f)", qPrintable(spec), S, times[k], d, floor);
                QVERIFY2(d < 2.0 * floor + 0.02, qPrintable(QString("S=%1 t=%2: %3 vs floor %4").arg(S).arg(times[k]).arg(d).arg(floor)));
            }
            double length = 0;
            for (size_t k = 0; k + 1 < states.size(); ++k)
                length += (states[k + 1] - states[k]).flatten(1).norm(2, 1).mean().item<double>();
            lengths.push_back(length);
        }
        qInfo("mean path length for S = 0, 0.5, 1, 2: %.2f %.2f %.2f %.2f", lengths[0], lengths[1], lengths[2], lengths[3]);
        for (size_t k = 1; k < lengths.size(); ++k) QVERIFY(lengths[k] > 1.2 * lengths[k - 1]);
    }

    // VP Euler on the probability-flow ODE in (x / a, s / a) is DDIM with eta 0 on the same timesteps.
    void vpEulerIsDdim()
    {
        auto m = openModel("exact:8gaussians", torch::kCPU);
        auto gen = at::make_generator<at::CPUGeneratorImpl>(2);
        const auto xT = torch::randn({64, 2}, gen, torch::kFloat32);
        SamplerOptions o;
        o.init = xT;
        SamplerSettings e;
        e.kind = SamplerKind::Euler;
        e.steps = 20;
        const auto a = runSampler(*m.denoiser, ReverseProcess(m.package.scheduler, e), o).sample;
        const auto b = runSampler(*m.denoiser, ReverseProcess(m.package.scheduler, SamplerKind::Ddim, 20), o).sample;
        QVERIFY2(torch::allclose(a, b, 0, 1e-5), qPrintable(QString::number((a - b).abs().max().item<double>())));
        // ... and Heun at 20 steps lands closer to a 500-step solution than Euler at 20.
        e.steps = 500;
        const auto fine = runSampler(*m.denoiser, ReverseProcess(m.package.scheduler, e), o).sample;
        SamplerSettings h = e;
        h.kind = SamplerKind::Heun;
        h.steps = 20;
        const auto heun = runSampler(*m.denoiser, ReverseProcess(m.package.scheduler, h), o).sample;
        QVERIFY((heun - fine).abs().mean().item<double>() < (a - fine).abs().mean().item<double>());
    }

    // The flow-matching exact sampler of a 50-point set memorises it, like the DDPM one.
    void flowExactSamplerMemorises()
    {
        auto gen = at::make_generator<at::CPUGeneratorImpl>(9);
        const auto points = torch::randn({50, 2}, gen, torch::kFloat32) * 2.0;
        const auto cfg = SchedulerConfig::flowMatching();
        GaussianMixtureDenoiser exact(NoiseSchedule::fromConfig(cfg), points);
        exact.usePath(cfg);
        for (SamplerKind k : {SamplerKind::Euler, SamplerKind::Sde}) {
            SamplerSettings s;
            s.kind = k;
            s.steps = 100;
            SamplerOptions o;
            o.batch = 300;
            o.sampleShape = {2};
            o.seed = 4;
            const auto x = runSampler(exact, ReverseProcess(cfg, s), o).sample;
            const auto d = torch::cdist(x, points).min(1);
            const auto nearest = std::get<0>(d);
            const double within = (nearest < 1e-3).to(torch::kFloat64).mean().item<double>();
            const auto hit = std::get<1>(d);
            const int64_t distinct = std::get<0>(at::_unique(hit)).size(0);
            qInfo("%s: %.1f%% of samples within 1e-3 of a training point, %lld distinct points hit",
                  samplerName(k).c_str(), 100 * within, static_cast<long long>(distinct));
            QVERIFY(within > 0.99);
            QVERIFY(distinct > 35); // it reproduces the set, not one point
        }
    }

    void badInput()
    {
        const auto flow = SchedulerConfig::flowMatching();
        try {
            ReverseProcess(flow, SamplerKind::Ddpm, 10);
            QFAIL("ddpm on a flow model must throw");
        } catch (const ConfigError& e) {
            QVERIFY(QString(e.what()).contains("flow-matching"));
        }
        try {
            SchedulerConfig::fromJsonText(R"({"_class_name": "LCMScheduler"})");
            QFAIL("an unknown scheduler class must throw");
        } catch (const ConfigError& e) {
            QVERIFY(QString(e.what()).contains("FlowMatchEulerDiscreteScheduler"));
            QVERIFY(QString(e.what()).contains("LCMScheduler"));
        }
        QVERIFY_THROWS_EXCEPTION(ConfigError, SchedulerConfig::fromJsonText(R"({"prediction_type": "flow_prediction"})"));
        const auto c = SchedulerConfig::fromJsonText(R"({"_class_name": "FlowMatchEulerDiscreteScheduler", "shift": 3.0})");
        QVERIFY(c.isFlow());
        QCOMPARE(c.shift, 3.0);
        QCOMPARE(c.predictionType, std::string("flow_prediction"));
        QVERIFY(SchedulerConfig::fromJsonText(c.toJsonText()).isFlow()); // round trip
        SamplerSettings s;
        s.kind = SamplerKind::Sde;
        s.sdeNoise = -1;
        QVERIFY_THROWS_EXCEPTION(ConfigError, ReverseProcess(flow, s));
        QCOMPARE(defaultSamplerFor(flow), SamplerKind::Euler);
    }

    // The flow-matching objective trains: the velocity loss falls, and the trained MLP samples near the data.
    void flowTrainerLearns()
    {
        const auto data = std::shared_ptr<const Dataset>(openDataset("8gaussians"));
        MlpConfig mc;
        const auto net = makeNet(mc.toJson()), ema = makeNet(mc.toJson());
        TrainOptions o;
        o.steps = 600;
        o.batch = 256;
        o.lr = 2e-3;
        o.emaDecay = 0.99;
        o.seed = 1;
        const auto cfg = SchedulerConfig::flowMatching();
        Trainer trainer(net, ema, data, cfg, o, torch::kCPU);
        trainer.run({}, nullptr);
        const auto& log = trainer.log();
        double first = 0, last = 0;
        for (int k = 0; k < 20; ++k) first += log[static_cast<size_t>(k)].loss / 20;
        for (size_t k = log.size() - 50; k < log.size(); ++k) last += log[k].loss / 50;
        qInfo("flow matching loss: first 20 steps %.3f, last 50 %.3f", first, last);
        QVERIFY(last < 0.8 * first);
        NetDenoiser model(trainer.emaNet(), "mlp", torch::kCPU);
        SamplerSettings s;
        s.kind = SamplerKind::Euler;
        s.steps = 50;
        SamplerOptions so;
        so.batch = 2000;
        so.sampleShape = {2};
        const auto x = runSampler(model, ReverseProcess(cfg, s), so).sample;
        auto gen = at::make_generator<at::CPUGeneratorImpl>(3);
        const double sw = metrics::slicedWasserstein(x, data->sample(2000, gen), 128, 1);
        const double noise = metrics::slicedWasserstein(torch::randn({2000, 2}), data->sample(2000, gen), 128, 1);
        qInfo("sliced W to the data: %.3f (pure noise %.3f)", sw, noise);
        QVERIFY(sw < 0.5 * noise);
    }

    // A TorchScript flow model made in Python samples the same numbers in difflens as in a Python Euler (and Heun)
    // loop written from diffusers' FlowMatchEulerDiscreteScheduler, with the same seed.
    void torchScriptFlowMatchesPython_data()
    {
        QTest::addColumn<QString>("model");
        QTest::addColumn<QString>("sampler");
        QTest::addColumn<int>("steps");
        QTest::newRow("euler 20") << "mlp2d_flow" << "euler" << 20;
        QTest::newRow("euler 7 shift 3") << "mlp2d_flow_shift3" << "euler" << 7;
        QTest::newRow("heun 10") << "mlp2d_flow" << "heun" << 10;
    }
    void torchScriptFlowMatchesPython()
    {
        QFETCH(QString, model);
        QFETCH(QString, sampler);
        QFETCH(int, steps);
        const QString dataDir = envOr("DIFFLENS_BINARY_DIR", QStringLiteral(DIFFLENS_TEST_BINARY_DIR)) + "/testdata";
        const QString dir = dataDir + "/" + model;
        if (!QFileInfo::exists(dir + "/model.pt")) QSKIP("TorchScript test models missing (ctest -R core_testdata)");
        const QString python = envOr("DIFFLENS_PYTHON", "/usr/bin/python3");
        const QString source = envOr("DIFFLENS_SOURCE_DIR", QStringLiteral(DIFFLENS_TEST_SOURCE_DIR));
        auto loaded = openModel(dir.toStdString(), torch::kCPU);
        QVERIFY(loaded.package.scheduler.isFlow());
        SamplerSettings s;
        s.kind = parseSamplerKind(sampler.toStdString());
        s.steps = steps;
        SamplerOptions o;
        o.seed = 3;
        o.batch = 16;
        o.sampleShape = {2};
        const auto cpp = runSampler(*loaded.denoiser, ReverseProcess(loaded.package.scheduler, s), o).sample;
        QTemporaryDir tmp;
        const QString out = tmp.filePath("ref.pt");
        QProcess p;
        p.start(python, {source + "/scripts/reference_flow.py", "--model", dir, "--sampler", sampler, "--steps",
                         QString::number(steps), "--seed", "3", "--num-samples", "16", "--threads",
                         QString::number(torch::get_num_threads()), "--out", out});
        QVERIFY(p.waitForFinished(120000));
        QVERIFY2(p.exitCode() == 0, p.readAllStandardError().constData());
        const auto py = loadTensor(out.toStdString());
        const double diff = (cpp - py).abs().max().item<double>();
        qInfo("%s: max |C++ - Python| = %g%s", QTest::currentDataTag(), diff, torch::equal(cpp, py) ? " (bitwise)" : "");
        QVERIFY(cpp.std().item<double>() > 0.1);
        if (sampler == "euler")
            QVERIFY2(torch::equal(cpp, py), qPrintable(QString::number(diff)));
        else
            QVERIFY2(diff < 1e-5, qPrintable(QString::number(diff)));
    }
};

QTEST_GUILESS_MAIN(TestCorePaths)
#include "test_core_paths.moc"
