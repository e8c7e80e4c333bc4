// Closed forms of the Gaussian diffusion (core/diffusion.h, the schedule tables and
// ReverseProcess::describe): Monte Carlo of the forward marginal q(x_t|x_0) and of the posterior
// q(x_{t-1}|x_t,x_0) drawn from the forward chain, the eps/x0/v conversions, the per-step KL (zero for the
// true noise), normalKl, priorKl and the discretised Gaussian likelihood. Every Monte Carlo draws from a
// fixed seed and compares against the closed form with a tolerance of a stated number of standard errors
// computed from the same sample.
#include "core/diffusion.h"
#include "core/errors.h"
#include "core/sampler.h"
#include "core/schedule.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <QtTest>

#include <array>
#include <cmath>

using namespace difflens;

namespace {

const auto f64 = torch::TensorOptions().dtype(torch::kFloat64);

SchedulerConfig linearConfig(int T = 1000)
{
    SchedulerConfig c;
    c.numTrainTimesteps = T;
    c.clipSample = false;
    return c;
}

double maxAbs(const torch::Tensor& a, const torch::Tensor& b)
{
    return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<double>();
}

struct Moments
{
    double mean, var, seMean, seVar;
};
Moments moments(const torch::Tensor& x)
{
    const double n = static_cast<double>(x.numel());
    const double m = x.mean().item<double>(), v = x.var().item<double>();
    return {m, v, std::sqrt(v / n), v * std::sqrt(2.0 / (n - 1))};
}

// Hand formula: KL(N(m1, s1^2) || N(m2, s2^2)) = log(s2/s1) + (s1^2 + (m1 - m2)^2) / (2 s2^2) - 1/2.
double klHand(double m1, double s1, double m2, double s2)
{
    return std::log(s2 / s1) + (s1 * s1 + (m1 - m2) * (m1 - m2)) / (2 * s2 * s2) - 0.5;
}

double normalCdf(double x)
{
    return 0.5 * std::erfc(-x / std::sqrt(2.0));
}

} // namespace

class TestCoreDiffusion : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void forwardMarginalMonteCarlo_data()
    {
        QTest::addColumn<QString>("schedule");
        QTest::newRow("linear") << "linear";
        QTest::newRow("cosine") << "squaredcos_cap_v2";
    }

    // Runs the forward chain x_k = sqrt(1 - beta_k) x_{k-1} + sqrt(beta_k) z step by step (Ho et al. Eq. 2)
    // and checks the marginal at several t against q(x_t|x_0) = N(sqrt(abar_t) x_0, 1 - abar_t) (Eq. 4).
    // N = 100,000 per coordinate; tolerance 5 standard errors of the sample mean / variance.
    void forwardMarginalMonteCarlo()
    {
        QFETCH(QString, schedule);
        SchedulerConfig c = linearConfig();
        c.betaSchedule = schedule.toStdString();
        const NoiseSchedule s = NoiseSchedule::fromConfig(c);
        auto gen = at::make_generator<at::CPUGeneratorImpl>(11);
        const int64_t N = 100000;
        const double x0 = 1.7;
        auto x = torch::full({N}, x0, f64);
        for (int k = 0; k < s.size(); ++k) {
            const double b = s.betas()[k];
            x = std::sqrt(1.0 - b) * x + std::sqrt(b) * torch::randn({N}, gen, f64);
            if (k == 0 || k == 9 || k == 99 || k == 299 || k == 599 || k == 999) {
                const auto m = moments(x);
                const double ab = s.alphaBars()[k];
                QVERIFY2(
                    std::abs(m.mean - std::sqrt(ab) * x0) < 5 * m.seMean,
                    qPrintable(QString("k=%1 mean %2 vs %3").arg(k).arg(m.mean).arg(std::sqrt(ab) * x0)));
                QVERIFY2(std::abs(m.var - (1.0 - ab)) < 5 * m.seVar + 1e-12,
                         qPrintable(QString("k=%1 var %2 vs %3").arg(k).arg(m.var).arg(1.0 - ab)));
            }
        }
    }

    void qSampleIsTheMarginal()
    {
        auto gen = at::make_generator<at::CPUGeneratorImpl>(3);
        const auto x0 = torch::randn({5, 3}, gen, f64), noise = torch::randn({5, 3}, gen, f64);
        const double ab = 0.37;
        QVERIFY(maxAbs(diffusion::qSample(x0, ab, noise), std::sqrt(ab) * x0 + std::sqrt(1 - ab) * noise) <
                1e-15);
        // One abar per sample.
        const auto abs = torch::tensor({0.9, 0.5, 0.1, 0.01, 0.999}, f64);
        const auto xt = diffusion::qSample(x0, abs, noise);
        for (int b = 0; b < 5; ++b) {
            const double a = abs[b].item<double>();
            QVERIFY(maxAbs(xt[b], std::sqrt(a) * x0[b] + std::sqrt(1 - a) * noise[b]) < 1e-15);
        }
    }

    void posteriorMonteCarlo_data()
    {
        QTest::addColumn<QString>("schedule");
        QTest::addColumn<int>("t");    // index of x_t
        QTest::addColumn<int>("prev"); // index of x_prev (t - 1, or lower for a strided step); -1: x_0
        QTest::newRow("linear t=1") << "linear" << 1 << 0;
        QTest::newRow("linear t=10") << "linear" << 10 << 9;
        QTest::newRow("linear t=100") << "linear" << 100 << 99;
        QTest::newRow("linear t=999") << "linear" << 999 << 998;
        QTest::newRow("cosine t=500") << "squaredcos_cap_v2" << 500 << 499;
        QTest::newRow("linear strided 500->400") << "linear" << 500 << 400;
        QTest::newRow("cosine strided 999->899") << "squaredcos_cap_v2" << 999 << 899;
        QTest::newRow("linear t=0 -> x0") << "linear" << 0 << -1;
    }

    // Draws x_prev ~ q(x_prev|x_0) and then x_t ~ q(x_t|x_prev) (the forward chain), i.e. samples of the
    // joint q(x_prev, x_t|x_0), and regresses x_prev on x_t. For Gaussians the conditional is linear with
    // homoscedastic residuals, so slope, intercept and residual variance estimate c2, c1 x_0 and beta~
    // (Ho et al. Eq. 6-7). N = 400,000; tolerance 5 standard errors of each regression estimate.
    void posteriorMonteCarlo()
    {
        QFETCH(QString, schedule);
        QFETCH(int, t);
        QFETCH(int, prev);
        SchedulerConfig c = linearConfig();
        c.betaSchedule = schedule.toStdString();
        const NoiseSchedule s = NoiseSchedule::fromConfig(c);
        const double ab = s.alphaBars()[t], abPrev = s.alphaBarAt(prev);
        const double x0 = -0.8;
        const int64_t N = 400000;
        auto gen = at::make_generator<at::CPUGeneratorImpl>(1000 + t);
        const auto xPrev = std::sqrt(abPrev) * x0 + std::sqrt(1.0 - abPrev) * torch::randn({N}, gen, f64);
        const double alpha = ab / abPrev;
        const auto xt = std::sqrt(alpha) * xPrev + std::sqrt(1.0 - alpha) * torch::randn({N}, gen, f64);

        const double mx = xt.mean().item<double>(), my = xPrev.mean().item<double>();
        const double vx = (xt - mx).pow(2).mean().item<double>();
        const double cov = ((xt - mx) * (xPrev - my)).mean().item<double>();
        const double slope = cov / vx, intercept = my - slope * mx;
        const double resVar = (xPrev - intercept - slope * xt).pow(2).mean().item<double>();
        const double seSlope = std::sqrt(resVar / (N * vx));
        const double seIntercept = std::sqrt(resVar / N * (1.0 + mx * mx / vx));
        const double seResVar = resVar * std::sqrt(2.0 / N);

        const auto pc = diffusion::posterior(ab, abPrev);
        QVERIFY2(std::abs(slope - pc.c2) < 5 * seSlope + 1e-12,
                 qPrintable(QString("slope %1 vs c2 %2 (se %3)").arg(slope).arg(pc.c2).arg(seSlope)));
        QVERIFY2(
            std::abs(intercept - pc.c1 * x0) < 5 * seIntercept + 1e-12,
            qPrintable(
                QString("intercept %1 vs c1 x0 %2 (se %3)").arg(intercept).arg(pc.c1 * x0).arg(seIntercept)));
        QVERIFY2(std::abs(resVar - pc.variance) < 5 * seResVar + 1e-15,
                 qPrintable(QString("residual var %1 vs beta~ %2").arg(resVar).arg(pc.variance)));
        QVERIFY(std::abs(pc.beta - (1.0 - alpha)) < 1e-15);
        // For an adjacent step the same numbers are the schedule's tables.
        if (prev == t - 1) {
            QVERIFY(std::abs(pc.c1 - s.posteriorMeanCoef1()[t]) < 1e-12);
            QVERIFY(std::abs(pc.c2 - s.posteriorMeanCoef2()[t]) < 1e-12);
            QVERIFY(std::abs(pc.variance - s.posteriorVariance()[t]) <=
                    1e-12 * s.posteriorVariance()[t] + 1e-300);
        }
    }

    void predictionRoundTrips_data()
    {
        QTest::addColumn<QString>("prediction");
        QTest::addColumn<double>("alphaBar");
        for (const char* p : {"epsilon", "sample", "v_prediction"})
            for (double ab : {0.9999, 0.7, 0.2, 1e-3, 4e-5})
                QTest::newRow(qPrintable(QString("%1 abar=%2").arg(p).arg(ab))) << QString(p) << ab;
    }

    // x_t from (x_0, eps); the training target of each type; fromModelOutput must give back eps and x_0.
    // float64 throughout, so the tolerance is a few ulps amplified by 1/sqrt(abar) or 1/sqrt(1 - abar).
    void predictionRoundTrips()
    {
        QFETCH(QString, prediction);
        QFETCH(double, alphaBar);
        const Prediction p = parsePrediction(prediction.toStdString());
        QCOMPARE(QString::fromStdString(predictionName(p)), prediction);
        auto gen = at::make_generator<at::CPUGeneratorImpl>(5);
        const auto x0 = torch::randn({16, 3}, gen, f64), eps = torch::randn({16, 3}, gen, f64);
        const auto xt = diffusion::qSample(x0, alphaBar, eps);
        const auto abT = torch::full({16}, alphaBar, f64);
        const auto target = diffusion::trainingTarget(p, x0, eps, abT);
        // The targets by hand (v: Salimans & Ho 2022).
        const double sa = std::sqrt(alphaBar), sb = std::sqrt(1.0 - alphaBar);
        const auto expected = p == Prediction::Epsilon  ? eps
                              : p == Prediction::Sample ? x0
                                                        : sa * eps - sb * x0;
        QVERIFY(maxAbs(target, expected) < 1e-14);
        const double tol = 1e-13 / std::min(sa, sb);
        const auto back = diffusion::fromModelOutput(p, xt, target, alphaBar);
        QVERIFY2(maxAbs(back.eps, eps) < tol, qPrintable(QString::number(maxAbs(back.eps, eps))));
        QVERIFY2(maxAbs(back.x0, x0) < tol, qPrintable(QString::number(maxAbs(back.x0, x0))));
        const auto backT = diffusion::fromModelOutput(p, xt, target, abT);
        QVERIFY(maxAbs(backT.eps, back.eps) < 1e-14);
        QVERIFY(maxAbs(backT.x0, back.x0) < 1e-14);
        // x_t is consistent with the recovered pair.
        QVERIFY(maxAbs(sa * back.x0 + sb * back.eps, xt) < 1e-13);
    }

    void unknownPredictionThrows()
    {
        try {
            parsePrediction("score");
            QFAIL("no ConfigError");
        } catch (const ConfigError& e) {
            QVERIFY2(QString(e.what()).contains("unknown prediction_type 'score'"), e.what());
        }
    }

    void normalKlHandFormula()
    {
        const std::vector<std::array<double, 4>> cases = {{0.0, 1.0, 0.0, 1.0},  {1.0, 1.0, 0.0, 1.0},
                                                          {0.3, 0.5, -0.2, 2.0}, {2.0, 0.01, 1.9, 0.02},
                                                          {-1.0, 3.0, 0.5, 0.7}, {0.0, 1e-3, 0.0, 1.0}};
        for (const auto& k : cases) {
            const auto m1 = torch::tensor({k[0]}, f64), m2 = torch::tensor({k[2]}, f64);
            const auto lv1 = torch::tensor({2 * std::log(k[1])}, f64),
                       lv2 = torch::tensor({2 * std::log(k[3])}, f64);
            const double got = diffusion::normalKl(m1, lv1, m2, lv2).item<double>();
            const double want = klHand(k[0], k[1], k[2], k[3]);
            QVERIFY2(std::abs(got - want) < 1e-12 * std::max(1.0, std::abs(want)),
                     qPrintable(QString("%1 vs %2").arg(got).arg(want)));
        }
        QCOMPARE(diffusion::normalKl(torch::tensor({1.0}, f64), torch::tensor({0.0}, f64),
                                     torch::tensor({0.0}, f64), torch::tensor({0.0}, f64))
                     .item<double>(),
                 0.5);
        // Elementwise and non-negative on random inputs.
        auto gen = at::make_generator<at::CPUGeneratorImpl>(8);
        const auto a = torch::randn({100}, gen, f64), b = torch::randn({100}, gen, f64);
        const auto la = torch::randn({100}, gen, f64), lb = torch::randn({100}, gen, f64);
        const auto kl = diffusion::normalKl(a, la, b, lb);
        QCOMPARE(kl.size(0), 100);
        QVERIFY(kl.min().item<double>() >= 0.0);
        QVERIFY(diffusion::normalKl(a, la, a, la).abs().max().item<double>() < 1e-15);
    }

    void gaussianLogLikelihoodHandFormula()
    {
        const auto x = torch::tensor({0.3, -1.0, 2.5}, f64), m = torch::tensor({0.0, -0.5, 2.0}, f64);
        const auto lv = torch::tensor({0.0, std::log(0.25), std::log(4.0)}, f64);
        const auto ll = diffusion::gaussianLogLikelihood(x, m, lv);
        for (int i = 0; i < 3; ++i) {
            const double v = std::exp(lv[i].item<double>()), d = x[i].item<double>() - m[i].item<double>();
            const double want = -0.5 * std::log(2 * M_PI * v) - d * d / (2 * v);
            QVERIFY(std::abs(ll[i].item<double>() - want) < 1e-14);
        }
    }

    void priorKlHandFormula()
    {
        // L_T = sum_d KL(N(sqrt(abar) x0, 1 - abar) || N(0, 1)).
        auto gen = at::make_generator<at::CPUGeneratorImpl>(9);
        const auto x0 = torch::randn({4, 2, 3}, gen, f64);
        for (double ab : {4.0e-5, 0.603, 0.5}) {
            const auto kl = diffusion::priorKl(x0, ab);
            QCOMPARE(kl.dim(), 1);
            QCOMPARE(kl.size(0), 4);
            for (int b = 0; b < 4; ++b) {
                double want = 0;
                const auto flat = x0[b].reshape({-1});
                for (int d = 0; d < 6; ++d)
                    want += klHand(std::sqrt(ab) * flat[d].item<double>(), std::sqrt(1 - ab), 0.0, 1.0);
                QVERIFY2(std::abs(kl[b].item<double>() - want) < 1e-12,
                         qPrintable(QString("abar %1").arg(ab)));
            }
        }
        // The doc's point: linear T = 50 leaves x_T far from N(0, I); T = 1000 does not.
        const auto x = torch::ones({1, 2}, f64);
        const double big =
            diffusion::priorKl(x, NoiseSchedule::fromConfig(linearConfig(50)).alphaBars().back())
                .item<double>();
        const double small =
            diffusion::priorKl(x, NoiseSchedule::fromConfig(linearConfig(1000)).alphaBars().back())
                .item<double>();
        QVERIFY2(big > 0.5, qPrintable(QString::number(big)));
        QVERIFY2(small < 1e-3, qPrintable(QString::number(small)));
    }

    void discretizedLikelihoodNormalises_data()
    {
        QTest::addColumn<double>("mean");
        QTest::addColumn<double>("scale");
        QTest::newRow("centred narrow") << 0.0 << 0.01;
        QTest::newRow("off-centre") << 0.3 << 0.5;
        QTest::newRow("near the edge") << -0.95 << 0.05;
        QTest::newRow("wide") << 0.5 << 2.0;
        QTest::newRow("between bins") << 1.0 / 255.0 << 0.002;
    }

    // The 256 bins of [-1, 1] (centres -1 + 2k/255, edges half-way, the outer bins open) partition the line,
    // so the probabilities sum to 1 up to rounding (float64: 1e-9). Each bin is also within 2e-3 of the exact
    // normal CDF difference (improved-diffusion's tanh approximation of Phi is good to ~2e-4 absolute).
    void discretizedLikelihoodNormalises()
    {
        QFETCH(double, mean);
        QFETCH(double, scale);
        const auto x = -1.0 + 2.0 * torch::arange(256, f64) / 255.0;
        const auto ll = diffusion::discretizedGaussianLogLikelihood(x, torch::full({256}, mean, f64),
                                                                    torch::full({256}, std::log(scale), f64));
        const auto p = ll.exp();
        const double total = p.sum().item<double>();
        QVERIFY2(std::abs(total - 1.0) < 1e-9, qPrintable(QString::number(total, 'g', 15)));
        for (int k = 0; k < 256; ++k) {
            const double c = x[k].item<double>();
            const double hi = k == 255 ? 1.0 : normalCdf((c + 1.0 / 255.0 - mean) / scale);
            const double lo = k == 0 ? 0.0 : normalCdf((c - 1.0 / 255.0 - mean) / scale);
            QVERIFY2(std::abs(p[k].item<double>() - (hi - lo)) < 2e-3, qPrintable(QString("bin %1").arg(k)));
        }
    }

    void helpers()
    {
        const auto x = torch::arange(24, f64).reshape({2, 3, 4});
        QVERIFY(maxAbs(diffusion::sumFlat(x), torch::tensor({66.0, 210.0}, f64)) < 1e-12);
        QVERIFY(maxAbs(diffusion::meanFlat(x), torch::tensor({5.5, 17.5}, f64)) < 1e-12);
        const auto ps = diffusion::perSample(torch::tensor({1.0, 2.0}, f64), x);
        QCOMPARE(ps.sizes().vec(), (std::vector<int64_t>{2, 1, 1}));
        QVERIFY(std::abs(diffusion::bitsPerDim(std::log(2.0) * 3072 * 2.94, 3072) - 2.94) < 1e-12);
    }

    void klZeroForTrueNoise_data()
    {
        QTest::addColumn<QString>("prediction");
        QTest::addColumn<int>("steps");
        QTest::newRow("epsilon, 1000 steps") << "epsilon" << 0;
        QTest::newRow("epsilon, 50 strided") << "epsilon" << 50;
        QTest::newRow("sample, 1000 steps") << "sample" << 0;
        QTest::newRow("v, 1000 steps") << "v_prediction" << 0;
        QTest::newRow("v, 50 strided") << "v_prediction" << 50;
    }

    // describe() with the model output equal to the true target of (x_0, eps) and reference = x_0: mu_theta
    // is mu~ and the variances agree (fixed_small), so L_{t-1} = 0 (float32 rounding: < 1e-5 nats per
    // sample). Perturbing the eps-prediction by delta gives the closed form ||c1 sqrt(1-abar)/sqrt(abar)
    // delta||^2 / (2 beta~).
    void klZeroForTrueNoise()
    {
        QFETCH(QString, prediction);
        QFETCH(int, steps);
        SchedulerConfig c = linearConfig();
        c.predictionType = prediction.toStdString();
        const ReverseProcess process(c, SamplerKind::Ddpm, steps);
        const Prediction p = parsePrediction(c.predictionType);
        auto gen = at::make_generator<at::CPUGeneratorImpl>(21);
        const auto x0 = torch::randn({8, 2}, gen);
        for (int i = 0; i + 1 < process.stepCount(); i += process.stepCount() / 10) {
            const auto eps = torch::randn({8, 2}, gen);
            const long t = process.timesteps()[static_cast<size_t>(i)];
            const double ab = process.schedule().alphaBars()[static_cast<size_t>(t)];
            const auto xt = diffusion::qSample(x0, ab, eps);
            const auto out = diffusion::trainingTarget(p, x0, eps, torch::full({8}, ab, f64));
            const auto r = process.describe(i, xt, out, x0);
            QVERIFY(r.kl.defined());
            QVERIFY(!r.klIsDecoderNll);
            QCOMPARE(r.kl.size(0), 8);
            QVERIFY2(r.kl.abs().max().item<double>() < 1e-5,
                     qPrintable(QString("t=%1 kl=%2").arg(t).arg(r.kl.abs().max().item<double>())));
            QVERIFY(r.meanGap.max().item<double>() < 1e-4);
            QVERIFY(maxAbs(r.posteriorMean, r.c1 * x0 + r.c2 * xt) < 1e-5);
            if (p == Prediction::Epsilon) {
                const auto delta = torch::randn({8, 2}, gen);
                const auto rp = process.describe(i, xt, eps + delta, x0);
                const double k = r.c1 * std::sqrt(1 - ab) / std::sqrt(ab);
                const auto want = (k * delta).pow(2).sum(1).to(torch::kFloat64) / (2 * r.posteriorVariance);
                const double rel = ((rp.kl.to(torch::kFloat64) - want).abs() / want).max().item<double>();
                QVERIFY2(rel < 1e-3, qPrintable(QString("t=%1 rel %2").arg(t).arg(rel)));
            }
        }
        // The last step reports L_0 = -log p(x_0|x_1) instead.
        const int last = process.stepCount() - 1;
        const auto eps = torch::randn({8, 2}, gen);
        const double ab0 = process.schedule().alphaBars()[static_cast<size_t>(process.timesteps().back())];
        const auto xt = diffusion::qSample(x0, ab0, eps);
        const auto r =
            process.describe(last, xt, diffusion::trainingTarget(p, x0, eps, torch::full({8}, ab0, f64)), x0);
        QVERIFY(r.klIsDecoderNll);
        QVERIFY(r.kl.defined() && torch::isfinite(r.kl).all().item<bool>());
    }

    // fixed_large: p has variance beta, q has beta~; with the true noise the means agree and
    // KL = D/2 (-1 + log(beta/beta~) + beta~/beta) (hand formula).
    void klFixedLargeVariance()
    {
        SchedulerConfig c = linearConfig();
        c.varianceType = "fixed_large";
        const ReverseProcess process(c, SamplerKind::Ddpm);
        auto gen = at::make_generator<at::CPUGeneratorImpl>(22);
        const auto x0 = torch::randn({4, 2}, gen), eps = torch::randn({4, 2}, gen);
        for (int i : {0, 500, 990}) {
            const long t = process.timesteps()[static_cast<size_t>(i)];
            const double ab = process.schedule().alphaBars()[static_cast<size_t>(t)];
            const auto r = process.describe(i, diffusion::qSample(x0, ab, eps), eps, x0);
            const double beta = process.schedule().betas()[static_cast<size_t>(t)];
            const double bt = process.schedule().posteriorVariance()[static_cast<size_t>(t)];
            const double want = 2 * 0.5 * (-1 + std::log(beta / bt) + bt / beta);
            QVERIFY2(std::abs(r.kl[0].item<double>() - want) < 1e-4 * want + 1e-6,
                     qPrintable(QString("t=%1 %2 vs %3").arg(t).arg(r.kl[0].item<double>()).arg(want)));
            QVERIFY(std::abs(r.sigma - std::sqrt(beta)) < 1e-12);
        }
    }

    // DDIM with eta = 1 uses sigma^2 = beta~ of the strided step, and then q_sigma(x_prev|x_t,x_0) is the
    // DDPM posterior (Song et al. Eq. 16): same c1, c2 and variance; the KL for the true noise vanishes. With
    // eta = 0 the step is deterministic and the KL to a point mass is reported as NaN.
    void ddimEtaOneIsDdpmPosterior()
    {
        const SchedulerConfig c = linearConfig();
        const ReverseProcess ddim(c, SamplerKind::Ddim, 20, 1.0);
        auto gen = at::make_generator<at::CPUGeneratorImpl>(23);
        const auto x0 = torch::randn({4, 2}, gen), eps = torch::randn({4, 2}, gen);
        for (int i = 0; i + 1 < ddim.stepCount(); ++i) {
            const long t = ddim.timesteps()[static_cast<size_t>(i)];
            const double ab = ddim.schedule().alphaBars()[static_cast<size_t>(t)];
            const double abPrev = ddim.alphaBarPrev(i);
            QCOMPARE(ddim.prevTimestep(i), t - 50);
            const auto r = ddim.describe(i, diffusion::qSample(x0, ab, eps), eps, x0);
            const auto pc = diffusion::posterior(ab, abPrev);
            QVERIFY(std::abs(r.c1 - pc.c1) < 1e-12);
            QVERIFY(std::abs(r.c2 - pc.c2) < 1e-12);
            QVERIFY(std::abs(r.posteriorVariance - pc.variance) < 1e-12 * pc.variance);
            QVERIFY2(r.kl.abs().max().item<double>() < 1e-5,
                     qPrintable(QString::number(r.kl.abs().max().item<double>())));
        }
        const ReverseProcess det(c, SamplerKind::Ddim, 20, 0.0);
        const double ab = det.schedule().alphaBars()[static_cast<size_t>(det.timesteps()[3])];
        const auto r = det.describe(3, diffusion::qSample(x0, ab, eps), eps, x0);
        QCOMPARE(r.sigma, 0.0);
        QVERIFY(!r.addsNoise);
        QVERIFY(torch::isnan(r.kl).all().item<bool>());
        // Deterministic DDIM with the true eps lands exactly on q's mean path: sqrt(abar_prev) x0 + sqrt(1 -
        // abar_prev) eps.
        const double abPrev = det.alphaBarPrev(3);
        QVERIFY(maxAbs(r.meanModel, std::sqrt(abPrev) * x0 + std::sqrt(1 - abPrev) * eps) < 1e-5);
    }
};

QTEST_APPLESS_MAIN(TestCoreDiffusion)
#include "test_core_diffusion.moc"
