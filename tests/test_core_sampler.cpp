// The reverse process (core/sampler.h) and trajectories (core/trajectory.h): timestep plans against
// diffusers' numpy formulas, DDPM / DDIM with the exact denoiser of Gaussian data against the Gaussian,
// seeding and the order of random draws, cancellation, misbehaving models, and Trajectory re-derivation, save
// and float16.
#include "core/diffusion.h"
#include "core/errors.h"
#include "core/exact.h"
#include "core/sampler.h"
#include "core/tensor_io.h"
#include "core/trajectory.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <functional>

using namespace difflens;

namespace {

SchedulerConfig baseConfig(int T = 1000)
{
    SchedulerConfig c;
    c.numTrainTimesteps = T;
    c.clipSample = false; // the Gaussians below reach outside [-1, 1]
    return c;
}

QString listString(const std::vector<long>& v)
{
    QStringList parts;
    for (long x : v)
        parts << QString::number(x);
    return parts.join(',');
}

double maxAbs(const torch::Tensor& a, const torch::Tensor& b)
{
    return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<double>();
}

/** A denoiser that returns whatever a function makes of (x, t): for misbehaving models. */
class FunctionDenoiser final : public Denoiser
{
public:
    explicit FunctionDenoiser(std::function<torch::Tensor(const torch::Tensor&, const torch::Tensor&)> f)
        : m_f(std::move(f))
    {
    }
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& t) override { return m_f(x, t); }
    torch::Device device() const override { return torch::kCPU; }
    void moveTo(torch::Device) override {}
    std::string kind() const override { return "test"; }

private:
    std::function<torch::Tensor(const torch::Tensor&, const torch::Tensor&)> m_f;
};

/**
 * Mean and variance (per coordinate) of the sampler's output when the data is N(m, s^2) and the model is the
 * exact denoiser: every step is affine in x_t, E[x_0|x_t] = m (1 - abar s^2/v) + sqrt(abar) s^2/v x_t with
 * v = abar s^2 + 1 - abar, so the law stays Gaussian and its moments follow in closed form from x_T ~ N(0,
 * 1). Written from core/MATH.md (Ho et al. Eq. 7 and Algorithm 2; Song et al. Eq. 12), not from the
 * sampler.
 */
std::pair<double, double> chainMoments(const ReverseProcess& p, double m, double s)
{
    double M = 0.0, V = 1.0;
    const auto& abar = p.schedule().alphaBars();
    for (int i = 0; i < p.stepCount(); ++i) {
        const long t = p.timesteps()[static_cast<size_t>(i)];
        const double a = abar[static_cast<size_t>(t)], ap = p.alphaBarPrev(i);
        const double v = a * s * s + 1.0 - a;
        const double k0 = m * (1.0 - a * s * s / v), k1 = std::sqrt(a) * s * s / v; // x0^ = k0 + k1 x
        double A, B, noiseVar;
        if (p.kind() == SamplerKind::Ddpm) {
            const double beta = 1.0 - a / ap;
            const double c1 = std::sqrt(ap) * beta / (1.0 - a),
                         c2 = std::sqrt(1.0 - beta) * (1.0 - ap) / (1.0 - a);
            A = c1 * k1 + c2;
            B = c1 * k0;
            noiseVar = t > 0 ? beta * (1.0 - ap) / (1.0 - a) : 0.0;
        } else {
            const double sig2 = p.eta() * p.eta() * (1.0 - ap) / (1.0 - a) * (1.0 - a / ap);
            const double d = std::sqrt(std::max(0.0, 1.0 - ap - sig2));
            // eps^ = (x - sqrt(a) x0^) / sqrt(1 - a)
            const double e1 = (1.0 - std::sqrt(a) * k1) / std::sqrt(1.0 - a),
                         e0 = -std::sqrt(a) * k0 / std::sqrt(1.0 - a);
            A = std::sqrt(ap) * k1 + d * e1;
            B = std::sqrt(ap) * k0 + d * e0;
            noiseVar = sig2;
        }
        M = A * M + B;
        V = A * A * V + noiseVar;
    }
    return {M, V};
}

std::shared_ptr<GaussianMixtureDenoiser> gaussian2d(const NoiseSchedule& s, double m0, double m1, double sd)
{
    return std::make_shared<GaussianMixtureDenoiser>(s, torch::tensor({{m0, m1}}), torch::tensor({sd}));
}

std::shared_ptr<GaussianMixtureDenoiser> threeBlobs(const NoiseSchedule& s)
{
    return std::make_shared<GaussianMixtureDenoiser>(s, torch::tensor({{-2.0, 0.0}, {1.0, 1.5}, {1.0, -1.5}}),
                                                     torch::tensor({0.3, 0.2, 0.4}),
                                                     torch::tensor({1.0, 2.0, 1.0}));
}

SamplerOptions pointOptions(uint64_t seed, int64_t batch)
{
    SamplerOptions o;
    o.seed = seed;
    o.batch = batch;
    o.sampleShape = {2};
    return o;
}

} // namespace

class TestCoreSampler : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void timestepPlans_data()
    {
        QTest::addColumn<QString>("spacing");
        QTest::addColumn<int>("T");
        QTest::addColumn<int>("n");
        QTest::addColumn<int>("offset");
        QTest::addColumn<QString>("expected");
        // Written from diffusers' set_timesteps formulas (numpy; np.round rounds half to even):
        //   linspace: np.linspace(0, T - 1, n).round()[::-1]
        //   leading:  (np.arange(0, n) * (T // n)).round()[::-1] + steps_offset
        //   trailing: np.round(np.arange(T, 0, -T / n)) - 1
        QTest::newRow("linspace 1000/10")
            << "linspace" << 1000 << 10 << 0 << "999,888,777,666,555,444,333,222,111,0";
        QTest::newRow("linspace 1000/7 (ties)")
            << "linspace" << 1000 << 7 << 0 << "999,832,666,500,333,166,0";
        QTest::newRow("linspace 1000/3 (tie)") << "linspace" << 1000 << 3 << 0 << "999,500,0";
        QTest::newRow("linspace 50/7") << "linspace" << 50 << 7 << 0 << "49,41,33,24,16,8,0";
        QTest::newRow("linspace 10/4") << "linspace" << 10 << 4 << 0 << "9,6,3,0";
        QTest::newRow("linspace 1000/1") << "linspace" << 1000 << 1 << 0 << "0";
        // numpy's linspace computes i * ((T - 1) / (n - 1)), not exactly: 13 * (999 / 26) =
        // 499.49999999999994 rounds to 499 where the exact 499.5 would round (half to even) to 500.
        QTest::newRow("linspace 1000/27 (inexact step)")
            << "linspace" << 1000 << 27 << 0
            << "999,961,922,884,845,807,768,730,692,653,615,576,538,499,461,423,384,346,307,269,231,192,154,"
               "115,77,38,0";
        QTest::newRow("linspace 30/15 (inexact step)")
            << "linspace" << 30 << 15 << 0 << "29,27,25,23,21,19,17,15,12,10,8,6,4,2,0";
        QTest::newRow("leading 1000/10")
            << "leading" << 1000 << 10 << 0 << "900,800,700,600,500,400,300,200,100,0";
        QTest::newRow("leading 1000/10 offset 1")
            << "leading" << 1000 << 10 << 1 << "901,801,701,601,501,401,301,201,101,1";
        QTest::newRow("leading 1000/7") << "leading" << 1000 << 7 << 0 << "852,710,568,426,284,142,0";
        QTest::newRow("leading 50/7 offset 1") << "leading" << 50 << 7 << 1 << "43,36,29,22,15,8,1";
        QTest::newRow("leading 10/3") << "leading" << 10 << 3 << 0 << "6,3,0";
        QTest::newRow("trailing 1000/10")
            << "trailing" << 1000 << 10 << 0 << "999,899,799,699,599,499,399,299,199,99";
        QTest::newRow("trailing 1000/7") << "trailing" << 1000 << 7 << 0 << "999,856,713,570,428,285,142";
        QTest::newRow("trailing 1000/3") << "trailing" << 1000 << 3 << 0 << "999,666,332";
        QTest::newRow("trailing 50/7") << "trailing" << 50 << 7 << 0 << "49,42,35,28,20,13,6";
        QTest::newRow("trailing 10/4 (ties)") << "trailing" << 10 << 4 << 0 << "9,7,4,1";
        // numpy's arange fills start + i * (x[1] - x[0]); with T / n inexact, x[3] of T = 1000, n = 48 is
        // 937.4999999999999 (rounds to 937, minus 1: 936), where the exact 937.5 rounds half to even to 938.
        QTest::newRow("trailing 1000/48 (inexact step)")
            << "trailing" << 1000 << 48 << 0
            << "999,978,957,936,916,895,874,853,832,811,791,770,749,728,707,686,666,645,624,603,582,561,541,"
               "520,499,"
               "478,457,436,416,395,374,353,332,311,291,270,249,228,207,186,166,145,124,103,82,61,41,20";
        QTest::newRow("trailing 7/6 (inexact step)") << "trailing" << 7 << 6 << 0 << "6,5,4,2,1,0";
    }

    void timestepPlans()
    {
        QFETCH(QString, spacing);
        QFETCH(int, T);
        QFETCH(int, n);
        QFETCH(int, offset);
        QFETCH(QString, expected);
        SchedulerConfig c = baseConfig(T);
        c.timestepSpacing = spacing.toStdString();
        c.stepsOffset = offset;
        // The inexact-step rows pin numpy's floating-point grid (i * step, T + i * delta) at rounding ties.
        for (SamplerKind kind : {SamplerKind::Ddpm, SamplerKind::Ddim}) {
            QCOMPARE(listString(ReverseProcess::planTimesteps(c, kind, n)), expected);
            QCOMPARE(listString(ReverseProcess(c, kind, n).timesteps()), expected);
        }
    }

    void defaultStepCounts()
    {
        const SchedulerConfig c = baseConfig(1000);
        const auto full = ReverseProcess(c, SamplerKind::Ddpm).timesteps();
        QCOMPARE(static_cast<int>(full.size()), 1000);
        QCOMPARE(full.front(), 999L);
        QCOMPARE(full.back(), 0L);
        QCOMPARE(ReverseProcess(c, SamplerKind::Ddim).stepCount(), 50);
        QCOMPARE(ReverseProcess(baseConfig(20), SamplerKind::Ddim).stepCount(), 20);
    }

    void previousTimesteps()
    {
        SchedulerConfig c = baseConfig(1000);
        // DDPM: the next kept timestep (respacing), -1 after the last.
        const ReverseProcess ddpm(c, SamplerKind::Ddpm, 10);
        for (int i = 0; i < 9; ++i)
            QCOMPARE(ddpm.prevTimestep(i), ddpm.timesteps()[static_cast<size_t>(i + 1)]);
        QCOMPARE(ddpm.prevTimestep(9), -1L);
        QCOMPARE(ddpm.alphaBarPrev(9), 1.0);
        QCOMPARE(ddpm.alphaBarPrev(0), ddpm.schedule().alphaBars()[800]);
        // DDIM: t - T // n even with trailing spacing (diffusers); set_alpha_to_one picks abar_prev of the
        // end.
        c.timestepSpacing = "trailing";
        const ReverseProcess ddim(c, SamplerKind::Ddim, 10);
        for (int i = 0; i < 10; ++i)
            QCOMPARE(ddim.prevTimestep(i), ddim.timesteps()[static_cast<size_t>(i)] - 100);
        QCOMPARE(ddim.prevTimestep(9), -1L);
        QCOMPARE(ddim.alphaBarPrev(9), 1.0);
        c.setAlphaToOne = false;
        const ReverseProcess ddimFinal(c, SamplerKind::Ddim, 10);
        QCOMPARE(ddimFinal.alphaBarPrev(9), ddimFinal.schedule().alphaBars()[0]);
    }

    void startTimestepCutsThePlan()
    {
        const ReverseProcess p(baseConfig(1000), SamplerKind::Ddpm, 100, 0.0, 455);
        QCOMPARE(p.timesteps().front(), 450L);
        QCOMPARE(p.stepCount(), 46);
        for (long t : p.timesteps())
            QVERIFY(t <= 455);
        // Below the first kept step: still one step.
        QCOMPARE(ReverseProcess(baseConfig(1000), SamplerKind::Ddpm, 10, 0.0, 5).stepCount(), 1);
    }

    void badPlansThrow_data()
    {
        QTest::addColumn<QString>("spacing");
        QTest::addColumn<int>("T");
        QTest::addColumn<int>("steps");
        QTest::addColumn<int>("offset");
        QTest::addColumn<double>("eta");
        QTest::addColumn<int>("startT");
        QTest::addColumn<QString>("expected");
        QTest::newRow("more steps than T")
            << "leading" << 1000 << 1001 << 0 << 0.0 << -1 << "cannot sample with 1001 steps";
        QTest::newRow("negative steps")
            << "leading" << 1000 << -3 << 0 << 0.0 << -1 << "steps must be positive";
        QTest::newRow("offset past T")
            << "leading" << 10 << 10 << 1 << 0.0 << -1 << "gives timestep 10 outside 0..9";
        QTest::newRow("negative eta")
            << "leading" << 1000 << 10 << 0 << -0.5 << -1 << "eta must be a number >= 0";
        QTest::newRow("NaN eta") << "leading" << 1000 << 10 << 0 << std::nan("") << -1
                                 << "eta must be a number >= 0";
        QTest::newRow("start past T")
            << "leading" << 1000 << 10 << 0 << 0.0 << 1000 << "start timestep 1000 is outside 0..999";
    }

    void badPlansThrow()
    {
        QFETCH(QString, spacing);
        QFETCH(int, T);
        QFETCH(int, steps);
        QFETCH(int, offset);
        QFETCH(double, eta);
        QFETCH(int, startT);
        QFETCH(QString, expected);
        SchedulerConfig c = baseConfig(T);
        c.timestepSpacing = spacing.toStdString();
        c.stepsOffset = offset;
        try {
            ReverseProcess p(c, SamplerKind::Ddpm, steps, eta, startT);
            QFAIL("no ConfigError");
        } catch (const ConfigError& e) {
            QVERIFY2(QString(e.what()).contains(expected), e.what());
        }
        QVERIFY_THROWS_EXCEPTION(ConfigError, parseSamplerKind("lcm"));
    }

    void exactGaussian_data()
    {
        QTest::addColumn<QString>("sampler");
        QTest::addColumn<int>("steps");
        QTest::addColumn<double>("eta");
        QTest::addColumn<QString>("spacing");
        QTest::addColumn<double>("biasBound"); // max |Var/s^2 - 1| of the exact chain law (discretisation)
        // Closed-form chain variances for s = 0.5 (relative to s^2): DDPM 1000 steps -1.6%; DDPM 100 strided
        // -12% (fixed_small drops the c1^2 Var[x0|x_t] term of the true reverse variance, which matters for
        // big steps); DDIM eta 0 at 100 steps -5.5%, at 200 steps -2.8%; DDIM eta 1 = DDPM strided.
        QTest::newRow("ddpm 1000") << "ddpm" << 0 << 0.0 << "leading" << 0.02;
        QTest::newRow("ddpm 100 strided") << "ddpm" << 100 << 0.0 << "leading" << 0.13;
        QTest::newRow("ddpm 100 strided trailing") << "ddpm" << 100 << 0.0 << "trailing" << 0.13;
        QTest::newRow("ddim eta 0, 200") << "ddim" << 200 << 0.0 << "leading" << 0.03;
        QTest::newRow("ddim eta 0, 100") << "ddim" << 100 << 0.0 << "leading" << 0.06;
        QTest::newRow("ddim eta 1, 100") << "ddim" << 100 << 1.0 << "leading" << 0.13;
    }

    // Data N(m, s^2 I) in 2-D with m = (1, -0.5), s = 0.5, the exact denoiser (GaussianMixtureDenoiser with
    // one component), 10,000 samples. Per coordinate, the sample mean must lie within 4 standard errors (4 s
    // / sqrt(n) = 0.02) of m (the chain's own mean bias is < 0.005), and the variance pooled over both
    // coordinates within 4 standard errors (4 s^2 sqrt(2 / (2n - 1)) = 4% of s^2) of the chain's exact
    // variance, which itself lies within biasBound of s^2. So the check against N(m, s^2) is |var/s^2 - 1| <
    // 4% + biasBound.
    void exactGaussian()
    {
        QFETCH(QString, sampler);
        QFETCH(int, steps);
        QFETCH(double, eta);
        QFETCH(QString, spacing);
        QFETCH(double, biasBound);
        const double m[2] = {1.0, -0.5}, s = 0.5;
        const int64_t n = 10000;
        SchedulerConfig c = baseConfig(1000);
        c.timestepSpacing = spacing.toStdString();
        const ReverseProcess process(c, parseSamplerKind(sampler.toStdString()), steps, eta);
        const auto model = gaussian2d(process.schedule(), m[0], m[1], s);
        const auto result = runSampler(*model, process, pointOptions(7, n));
        QCOMPARE(result.steps, process.stepCount());
        QVERIFY(!result.cancelled);
        const auto x = result.sample.to(torch::kFloat64);
        QCOMPARE(x.sizes().vec(), (std::vector<int64_t>{n, 2}));

        const double seMean = s / std::sqrt(static_cast<double>(n));
        const double seVar = s * s * std::sqrt(2.0 / (2.0 * n - 1.0));
        const double var = (x - x.mean(0, true)).pow(2).sum().item<double>() / (2.0 * (n - 1));
        for (int d = 0; d < 2; ++d) {
            const auto [M, V] = chainMoments(process, m[d], s);
            const double mean = x.select(1, d).mean().item<double>();
            QVERIFY2(std::abs(mean - m[d]) < 4 * seMean,
                     qPrintable(QString("dim %1: mean %2 vs m %3").arg(d).arg(mean).arg(m[d])));
            QVERIFY2(std::abs(mean - M) < 4 * seMean,
                     qPrintable(QString("dim %1: mean %2 vs chain %3").arg(d).arg(mean).arg(M)));
            QVERIFY2(std::abs(V / (s * s) - 1.0) < biasBound,
                     qPrintable(QString("chain variance %1").arg(V)));
            QVERIFY2(std::abs(var - V) < 4 * seVar,
                     qPrintable(QString("variance %1 vs chain %2 (se %3)").arg(var).arg(V).arg(seVar)));
        }
        QVERIFY2(std::abs(var / (s * s) - 1.0) < 4 * seVar / (s * s) + biasBound,
                 qPrintable(QString("variance %1 vs s^2 %2").arg(var).arg(s * s)));
        // Independent coordinates.
        const auto xc = x - x.mean(0, true);
        const double corr = (xc.select(1, 0) * xc.select(1, 1)).mean().item<double>() / var;
        QVERIFY2(std::abs(corr) < 4.0 / std::sqrt(static_cast<double>(n)), qPrintable(QString::number(corr)));
    }

    void seededRunsRepeat()
    {
        const ReverseProcess process(baseConfig(1000), SamplerKind::Ddpm, 50);
        const auto model = threeBlobs(process.schedule());
        const auto a = runSampler(*model, process, pointOptions(42, 64)).sample;
        const auto b = runSampler(*model, process, pointOptions(42, 64)).sample;
        const auto c = runSampler(*model, process, pointOptions(43, 64)).sample;
        QVERIFY(torch::equal(a, b));
        QVERIFY2(maxAbs(a, c) > 0.1, "different seeds gave the same samples");
        QVERIFY(torch::isfinite(a).all().item<bool>());
    }

    // diffusers' order of random draws: x_T is the generator's first randn(shape); then one randn(shape) per
    // step that adds noise, after the model call. Re-run the loop by hand with describe()/next() and compare
    // bitwise.
    void drawOrderMatchesDiffusers()
    {
        for (SamplerKind kind : {SamplerKind::Ddpm, SamplerKind::Ddim}) {
            const ReverseProcess process(baseConfig(1000), kind, 20, kind == SamplerKind::Ddim ? 0.7 : 0.0);
            const auto model = threeBlobs(process.schedule());
            const auto sample = runSampler(*model, process, pointOptions(5, 16)).sample;

            c10::InferenceMode guard;
            auto gen = at::make_generator<at::CPUGeneratorImpl>(5);
            auto x = torch::randn({16, 2}, gen);
            for (int i = 0; i < process.stepCount(); ++i) {
                const auto t = torch::full({16}, process.timesteps()[static_cast<size_t>(i)], torch::kInt64);
                const auto r = process.describe(i, x, model->forward(x, t));
                QCOMPARE(r.addsNoise, kind == SamplerKind::Ddim || r.t > 0);
                x = process.next(r, r.addsNoise ? torch::randn({16, 2}, gen) : torch::Tensor());
            }
            QVERIFY2(torch::equal(x, sample), qPrintable(QString::fromStdString(samplerName(kind))));

            // With an explicit x_T equal to that first draw, deterministic DDIM gives the same result.
            if (kind == SamplerKind::Ddim) {
                const ReverseProcess det(baseConfig(1000), SamplerKind::Ddim, 20, 0.0);
                auto g2 = at::make_generator<at::CPUGeneratorImpl>(9);
                SamplerOptions o = pointOptions(9, 16);
                const auto fromSeed = runSampler(*model, det, o).sample;
                o.init = torch::randn({16, 2}, g2);
                o.seed = 12345; // unused: eta = 0 draws nothing after x_T
                QVERIFY(torch::equal(runSampler(*model, det, o).sample, fromSeed));
            }
        }
    }

    // DDIM with use_clipped_model_output (GLIDE): the eps of the update is (x_t - sqrt(abar) x0^) / sqrt(1 - abar)
    // from the clipped x0^, and the mean combines that eps with the same x0^. Where nothing is clipped it changes
    // nothing; where the clip bites it changes the step. The fused loop and the tensor path give the same bits.
    void clippedModelOutputRederivesEps()
    {
        SchedulerConfig config = baseConfig(1000);
        config.clipSample = true; // the blobs reach beyond [-1, 1]: x0^ is clipped
        SamplerSettings on{SamplerKind::Ddim, 20, 0.0};
        on.clippedModelOutput = true;
        const ReverseProcess rederived(config, on), kept(config, SamplerKind::Ddim, 20, 0.0);
        const auto model = threeBlobs(rederived.schedule());
        c10::InferenceMode guard;
        auto gen = at::make_generator<at::CPUGeneratorImpl>(11);
        const auto x = torch::randn({64, 2}, gen) * 2.0;
        const int i = 10;
        const auto t = torch::full({64}, rederived.timesteps()[static_cast<size_t>(i)], torch::kInt64);
        const auto out = model->forward(x, t);
        const auto r = rederived.describe(i, x, out), k = kept.describe(i, x, out);
        QVERIFY(torch::equal(r.x0Pred, k.x0Pred));
        QVERIFY(r.x0Pred.abs().max().item<double>() <= 1.0);
        QVERIFY(torch::equal(k.eps, out)); // diffusers' default: the model's eps
        const double ab = r.alphaBar, abPrev = r.alphaBarPrev;
        const auto expected = (x.to(torch::kFloat64) - std::sqrt(ab) * r.x0Pred.to(torch::kFloat64)) / std::sqrt(1.0 - ab);
        QVERIFY2(maxAbs(r.eps, expected) < 1e-5, qPrintable(QString::number(maxAbs(r.eps, expected))));
        const auto mean = std::sqrt(abPrev) * r.x0Pred.to(torch::kFloat64) + std::sqrt(1.0 - abPrev) * expected;
        QVERIFY(maxAbs(r.meanModel, mean) < 1e-5);
        // Rows whose x0^ was clipped moved; rows left inside [-1, 1] did not (beyond float rounding).
        const auto raw = ((x - std::sqrt(1.0 - ab) * out) / std::sqrt(ab)).abs().amax(1);
        const auto moved = (r.meanModel - k.meanModel).abs().amax(1);
        const auto far = raw > 1.2, inside = raw < 1.0;
        QVERIFY(far.any().item<bool>() && inside.any().item<bool>());
        QVERIFY(moved.masked_select(far).min().item<double>() > 1e-3);
        QVERIFY(moved.masked_select(inside).max().item<double>() < 1e-5);
        // The tensor path (a non-contiguous x_t is not fused) gives the fused loop's bits.
        const auto xStrided = x.t().contiguous().t();
        QVERIFY(!xStrided.is_contiguous());
        const auto g = rederived.describe(i, xStrided, out);
        QVERIFY(torch::equal(g.eps, r.eps) && torch::equal(g.meanModel, r.meanModel));
        // A whole run: the option changes the samples of clipped data, and only DDIM reads it.
        QVERIFY(maxAbs(runSampler(*model, rederived, pointOptions(3, 256)).sample,
                       runSampler(*model, kept, pointOptions(3, 256)).sample) > 1e-2);
        SamplerSettings ddpmOn{SamplerKind::Ddpm, 20};
        ddpmOn.clippedModelOutput = true;
        QVERIFY(torch::equal(runSampler(*model, ReverseProcess(config, ddpmOn), pointOptions(3, 64)).sample,
                             runSampler(*model, ReverseProcess(config, SamplerKind::Ddpm, 20), pointOptions(3, 64)).sample));
    }

    void noisedReferenceStart()
    {
        // --t0: x at the first kept step is q(x_t|x_0) of the reference with the seed's first draw.
        const ReverseProcess process(baseConfig(1000), SamplerKind::Ddpm, 100, 0.0, 300);
        const auto model = threeBlobs(process.schedule());
        SamplerOptions o = pointOptions(3, 4);
        o.reference = torch::tensor({{0.5, -1.0}});
        o.noiseReference = true;
        torch::Tensor firstXt;
        runSampler(*model, process, o, [&](const StepRecord& r) {
            if (r.index == 0) firstXt = r.xt.clone();
        });
        auto gen = at::make_generator<at::CPUGeneratorImpl>(3);
        const double ab = process.schedule().alphaBars()[300];
        const auto want = diffusion::qSample(o.reference.expand({4, 2}), ab, torch::randn({4, 2}, gen));
        QVERIFY(maxAbs(firstXt, want) < 1e-6);
    }

    void cancelStopsWithinOneStep()
    {
        const ReverseProcess process(baseConfig(1000), SamplerKind::Ddpm, 50);
        const auto model = threeBlobs(process.schedule());
        std::atomic_bool cancel{false};
        int seen = 0;
        const auto result = runSampler(
            *model, process, pointOptions(1, 8),
            [&](const StepRecord& r) {
                ++seen;
                if (r.index == 4) cancel.store(true);
            },
            &cancel);
        QVERIFY(result.cancelled);
        QCOMPARE(result.steps, 5);
        QCOMPARE(seen, 5);
        QVERIFY(result.sample.defined());
        // Cancelled before the first step: nothing runs, the sample is x_T.
        std::atomic_bool already{true};
        const auto none = runSampler(*model, process, pointOptions(1, 8), {}, &already);
        QVERIFY(none.cancelled);
        QCOMPARE(none.steps, 0);
        auto gen = at::make_generator<at::CPUGeneratorImpl>(1);
        QVERIFY(torch::equal(none.sample, torch::randn({8, 2}, gen)));
    }

    void misbehavingModelsThrow_data()
    {
        QTest::addColumn<int>("which");
        QTest::addColumn<QString>("variance");
        QTest::addColumn<QString>("expected");
        QTest::newRow("wrong width")
            << 0 << "fixed_small"
            << "the model's output has shape [4, 3] but its input x_t has shape [4, 2]";
        QTest::newRow("wrong batch")
            << 1 << "fixed_small"
            << "the model's output has shape [1, 2] but its input x_t has shape [4, 2]";
        QTest::newRow("doubled, not learned")
            << 2 << "fixed_small"
            << "the model's output has shape [4, 4] but its input x_t has shape [4, 2]";
        QTest::newRow("tripled, learned") << 3 << "learned_range"
                                          << "learned_range expects the same shape or dimension 1 doubled";
        QTest::newRow("NaN") << 4 << "fixed_small"
                             << "the model returned NaN or infinite values at timestep 999";
        QTest::newRow("Inf later") << 5 << "fixed_small"
                                   << "the model returned NaN or infinite values at timestep 989";
    }

    void misbehavingModelsThrow()
    {
        QFETCH(int, which);
        QFETCH(QString, variance);
        QFETCH(QString, expected);
        SchedulerConfig c = baseConfig(1000);
        c.varianceType = variance.toStdString();
        const ReverseProcess process(c, SamplerKind::Ddpm);
        FunctionDenoiser model([which](const torch::Tensor& x, const torch::Tensor& t) -> torch::Tensor {
            switch (which) {
            case 0:
                return torch::zeros({x.size(0), 3});
            case 1:
                return torch::zeros({1, 2});
            case 2:
                return torch::zeros({x.size(0), 4});
            case 3:
                return torch::zeros({x.size(0), 6});
            case 4:
                return torch::full_like(x, std::nan(""));
            default:
                return t[0].item<long>() < 990 ? torch::full_like(x, INFINITY) : torch::zeros_like(x);
            }
        });
        int steps = 0;
        try {
            runSampler(model, process, pointOptions(0, 4), [&](const StepRecord&) { ++steps; });
            QFAIL("no ModelError");
        } catch (const ModelError& e) {
            QVERIFY2(QString(e.what()).contains(expected), e.what());
            QVERIFY2(!QString(e.what()).contains('\n'), e.what());
        }
        QCOMPARE(steps, which == 5 ? 10 : 0); // it stops at the first bad step
    }

    void badReferenceThrows()
    {
        const ReverseProcess process(baseConfig(1000), SamplerKind::Ddpm, 10);
        const auto model = threeBlobs(process.schedule());
        SamplerOptions o = pointOptions(0, 4);
        o.reference = torch::zeros({4, 3});
        QVERIFY_THROWS_EXCEPTION(DataError, runSampler(*model, process, o));
        o.reference = torch::zeros({3, 2}); // neither 1 nor B
        QVERIFY_THROWS_EXCEPTION(DataError, runSampler(*model, process, o));
        SamplerOptions noShape;
        QVERIFY_THROWS_EXCEPTION(DataError, runSampler(*model, process, noShape));
    }

    void trajectoryReDerivesSteps_data()
    {
        QTest::addColumn<QString>("sampler");
        QTest::addColumn<int>("steps");
        QTest::addColumn<QString>("variance");
        QTest::newRow("ddpm 25") << "ddpm" << 25 << "fixed_small";
        QTest::newRow("ddpm 25 learned_range") << "ddpm" << 25 << "learned_range";
        QTest::newRow("ddim 25 eta 0.5") << "ddim" << 25 << "fixed_small";
    }

    // What a Trajectory re-derives from the stored x_t and raw outputs equals what the sampler handed to the
    // callback (float32 storage: same inputs, same arithmetic; 1e-6 allows for nothing but rounding).
    void trajectoryReDerivesSteps()
    {
        QFETCH(QString, sampler);
        QFETCH(int, steps);
        QFETCH(QString, variance);
        SchedulerConfig c = baseConfig(1000);
        c.varianceType = variance.toStdString();
        const SamplerKind kind = parseSamplerKind(sampler.toStdString());
        auto process =
            std::make_shared<ReverseProcess>(c, kind, steps, kind == SamplerKind::Ddim ? 0.5 : 0.0);
        auto exact = threeBlobs(process->schedule());
        const bool learned = variance == "learned_range";
        // learned_range: the exact eps plus a variance fraction varying with x (tanh keeps it in [-1, 1]).
        FunctionDenoiser model([&](const torch::Tensor& x, const torch::Tensor& t) {
            const auto eps = exact->forward(x, t);
            return learned ? torch::cat({eps, torch::tanh(x)}, 1) : eps;
        });
        const auto reference =
            torch::tensor({{-2.0, 0.1}, {1.0, 1.4}, {0.9, -1.6}, {-1.8, -0.2}, {0.0, 0.0}, {1.0, 1.0}});
        Trajectory traj(process, reference, false);
        Trajectory half(process, reference, false, torch::kFloat16);
        std::vector<StepRecord> seen;
        SamplerOptions o = pointOptions(11, 6);
        o.reference = reference;
        const auto result = runSampler(model, *process, o, [&](const StepRecord& r) {
            traj.record(r);
            half.record(r);
            StepRecord copy = r;
            for (torch::Tensor* tp :
                 {&copy.xt, &copy.x0Pred, &copy.meanModel, &copy.xPrev, &copy.kl, &copy.eps})
                if (tp->defined()) *tp = tp->clone();
            seen.push_back(copy);
        });
        QCOMPARE(traj.recordedSteps(), process->stepCount());
        QVERIFY(traj.complete());
        QCOMPARE(traj.batch(), int64_t(6));
        for (int i = 0; i < traj.stepCount(); ++i) {
            const StepRecord r = traj.step(i);
            const StepRecord& s = seen[static_cast<size_t>(i)];
            QCOMPARE(r.t, s.t);
            QCOMPARE(r.tPrev, s.tPrev);
            QCOMPARE(r.addsNoise, s.addsNoise);
            QCOMPARE(r.klIsDecoderNll, s.klIsDecoderNll);
            QVERIFY(std::isnan(s.sigma) ? std::isnan(r.sigma) : r.sigma == s.sigma);
            QVERIFY(maxAbs(r.xt, s.xt) == 0.0);
            QVERIFY(maxAbs(traj.state(i), s.xt) == 0.0);
            QVERIFY2(maxAbs(r.x0Pred, s.x0Pred) < 1e-6, qPrintable(QString("step %1").arg(i)));
            QVERIFY(maxAbs(r.eps, s.eps) < 1e-6);
            QVERIFY(maxAbs(r.meanModel, s.meanModel) < 1e-6);
            QVERIFY(maxAbs(r.xPrev, s.xPrev) == 0.0);
            QCOMPARE(r.kl.defined(), s.kl.defined());
            if (s.kl.defined() && torch::isfinite(s.kl).all().item<bool>())
                QVERIFY(maxAbs(r.kl, s.kl) <= 1e-6 * std::max(1.0, s.kl.abs().max().item<double>()));
            if (learned && kind == SamplerKind::Ddpm) QVERIFY(r.modelLogVariance.defined());

            // float16 storage: x_t and the raw output carry half's 2^-11 relative rounding; what is derived
            // from them stays within a few of those ulps of the values' scale (|x| < 8 here).
            const StepRecord h = half.step(i);
            QVERIFY(maxAbs(half.state(i), s.xt) <= 1e-3 * std::max(1.0, s.xt.abs().max().item<double>()));
            QVERIFY2(maxAbs(h.meanModel, s.meanModel) < 1e-2,
                     qPrintable(QString("step %1: %2").arg(i).arg(maxAbs(h.meanModel, s.meanModel))));
            QVERIFY(maxAbs(h.eps, s.eps) < 1e-2);
        }
        QVERIFY(torch::equal(traj.state(traj.stepCount()), result.sample));
        QCOMPARE(half.bytes() * 2, traj.bytes());
        QVERIFY_THROWS_EXCEPTION(Error, traj.step(traj.stepCount()));

        // Save and load back: a dict torch.load reads, here through the core's own reader.
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const std::string path = dir.filePath("trajectory.pt").toStdString();
        traj.save(path);
        const auto d = loadTensorDict(path);
        const int n = process->stepCount();
        for (const char* key : {"timesteps", "prev_timesteps", "x", "model_output", "x0_pred", "mean_model",
                                "sigma", "reference", "kl", "posterior_mean"})
            QVERIFY2(d.count(key), key);
        QCOMPARE(d.at("x").sizes().vec(), (std::vector<int64_t>{n + 1, 6, 2}));
        QCOMPARE(d.at("model_output").sizes().vec(), (std::vector<int64_t>{n, 6, learned ? 4 : 2}));
        QCOMPARE(d.at("kl").sizes().vec(), (std::vector<int64_t>{n, 6}));
        QCOMPARE(d.at("sigma").scalar_type(), torch::kFloat64);
        QCOMPARE(d.at("timesteps").scalar_type(), torch::kInt64);
        QVERIFY(torch::equal(d.at("reference"), reference));
        for (int i = 0; i < n; ++i) {
            QCOMPARE(d.at("timesteps")[i].item<long>(), process->timesteps()[static_cast<size_t>(i)]);
            QCOMPARE(d.at("prev_timesteps")[i].item<long>(), process->prevTimestep(i));
            QVERIFY(torch::equal(d.at("x")[i], seen[static_cast<size_t>(i)].xt));
            QVERIFY(maxAbs(d.at("mean_model")[i], seen[static_cast<size_t>(i)].meanModel) < 1e-6);
            QVERIFY(maxAbs(d.at("x0_pred")[i], seen[static_cast<size_t>(i)].x0Pred) < 1e-6);
        }
        QVERIFY(torch::equal(d.at("x")[n], result.sample));
    }

    void emptyTrajectoryRefusesToSave()
    {
        auto process = std::make_shared<ReverseProcess>(baseConfig(100), SamplerKind::Ddpm, 10);
        Trajectory traj(process, {}, false);
        QCOMPARE(traj.recordedSteps(), 0);
        QVERIFY_THROWS_EXCEPTION(Error, traj.save("/tmp/never-written.pt"));
        QVERIFY_THROWS_EXCEPTION(Error, traj.state(1));
    }

    void tensorFilesRoundTrip()
    {
        QTemporaryDir dir;
        const std::string path = dir.filePath("x.pt").toStdString();
        const auto x = torch::arange(12, torch::kFloat32).reshape({3, 4});
        saveTensor(path, x);
        QVERIFY(torch::equal(loadTensor(path), x));
        QVERIFY_THROWS_EXCEPTION(Error, loadTensor(dir.filePath("missing.pt").toStdString()));
        QVERIFY_THROWS_EXCEPTION(Error, loadTensorDict(path)); // a tensor, not a dict
    }
};

QTEST_APPLESS_MAIN(TestCoreSampler)
#include "test_core_sampler.moc"
