// Exact denoisers (issue: the exact reverse process): posterior weights, score, memorisation, one-point sets,
// the closed-form variational bound of the exact Gaussian denoiser, and numerical robustness.
#include "core/datasets.h"
#include "core/exact.h"
#include "core/metrics.h"
#include "core/sampler.h"

#include <QtTest>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <cmath>

using namespace difflens;

namespace {
SchedulerConfig config(int T, bool clip = false)
{
    SchedulerConfig c;
    c.numTrainTimesteps = T;
    c.betaSchedule = T == 1000 ? "linear" : "linear_improved";
    c.clipSample = clip;
    return c;
}
} // namespace

class TestExact : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void weightsSumToOneAndMatchBruteForce()
    {
        const auto sched = NoiseSchedule::fromConfig(config(1000));
        auto gen = at::make_generator<at::CPUGeneratorImpl>(3);
        const auto points = torch::randn({300, 2}, gen, torch::kFloat32) * 2.0;
        GaussianMixtureDenoiser exact(sched, points);
        const auto x = torch::randn({16, 2}, gen, torch::kFloat32);
        for (int t : {0, 50, 400, 999}) {
            const double ab = sched.alphaBars()[t];
            const auto w = exact.weights(x, ab).to(torch::kFloat64);
            QVERIFY(torch::allclose(w.sum(1), torch::ones({16}, torch::kFloat64), 0, 1e-9));
            // Brute force: w_i proportional to exp(-|x - sqrt(abar) x_i|^2 / (2 (1 - abar))), in float64.
            const auto d2 = (x.to(torch::kFloat64).unsqueeze(1) - std::sqrt(ab) * points.to(torch::kFloat64).unsqueeze(0))
                                .pow(2).sum(2);
            const auto logits = -d2 / (2.0 * (1.0 - ab));
            const auto brute = torch::softmax(logits, 1);
            QVERIFY2((w - brute).abs().max().item<double>() < 2e-5, qPrintable(QString("t=%1").arg(t)));
        }
    }
    void weightsStayFiniteFarAway()
    {
        const auto sched = NoiseSchedule::fromConfig(config(1000));
        const auto points = torch::tensor({0.f, 0.f, 1.f, 1.f, -1.f, 2.f}).reshape({3, 2});
        GaussianMixtureDenoiser exact(sched, points);
        const auto far = torch::full({4, 2}, 1e4f);
        for (int t : {0, 10, 999}) {
            const auto w = exact.weights(far, sched.alphaBars()[t]);
            QVERIFY(torch::isfinite(w).all().item<bool>());
            QVERIFY(std::abs(w.sum(1).mean().item<double>() - 1.0) < 1e-9);
            const auto eps = exact.forward(far, torch::full({4}, t, torch::kInt64));
            QVERIFY(torch::isfinite(eps).all().item<bool>());
        }
    }
    void onePointSetRecoversIt()
    {
        const auto sched = NoiseSchedule::fromConfig(config(1000));
        const auto point = torch::tensor({0.7f, -1.3f}).reshape({1, 2});
        GaussianMixtureDenoiser exact(sched, point);
        auto gen = at::make_generator<at::CPUGeneratorImpl>(1);
        const auto x = torch::randn({8, 2}, gen, torch::kFloat32) * 3.0;
        for (int t : {1, 300, 999}) {
            const double ab = sched.alphaBars()[t];
            const auto eps = exact.forward(x, torch::full({8}, t, torch::kInt64));
            const auto x0 = (x - std::sqrt(1.0 - ab) * eps) / std::sqrt(ab);
            QVERIFY2((x0 - point).abs().max().item<double>() < 1e-3, qPrintable(QString("t=%1").arg(t)));
        }
    }
    void mixtureScoreMatchesFiniteDifferences()
    {
        const auto sched = NoiseSchedule::fromConfig(config(1000));
        auto ds = openDataset("8gaussians");
        const auto* mix = ds->mixture();
        QVERIFY(mix);
        GaussianMixtureDenoiser exact(sched, mix->means, mix->stds, mix->weights);
        auto gen = at::make_generator<at::CPUGeneratorImpl>(5);
        const auto x = (torch::randn({10, 2}, gen, torch::kFloat32) * 2.0).to(torch::kFloat64);
        for (int t : {5, 100, 500}) {
            const double ab = sched.alphaBars()[t], h = 1e-3;
            const auto score = exact.score(x.to(torch::kFloat32), ab).to(torch::kFloat64);
            for (int k = 0; k < 2; ++k) {
                auto dx = torch::zeros_like(x);
                dx.select(1, k).fill_(h);
                const auto fd = (exact.logDensity((x + dx).to(torch::kFloat32), ab).to(torch::kFloat64) -
                                 exact.logDensity((x - dx).to(torch::kFloat32), ab).to(torch::kFloat64)) / (2 * h);
                const double err = (fd - score.select(1, k)).abs().max().item<double>();
                QVERIFY2(err < 0.05 + 0.01 * score.abs().max().item<double>(),
                         qPrintable(QString("t=%1 dim=%2 err=%3").arg(t).arg(k).arg(err)));
            }
        }
    }
    void finiteSetSamplingMemorises()
    {
        const auto c = config(1000);
        auto ds = openDataset("moons");
        const auto train = ds->first(64, 0);
        GaussianMixtureDenoiser exact(NoiseSchedule::fromConfig(c), train);
        for (auto kind : {SamplerKind::Ddpm, SamplerKind::Ddim}) {
            ReverseProcess process(c, kind, kind == SamplerKind::Ddpm ? 0 : 100);
            SamplerOptions o;
            o.batch = 200;
            o.sampleShape = {2};
            o.seed = 11;
            const auto samples = runSampler(exact, process, o).sample;
            const auto nn = metrics::nearestNeighbours(samples, train);
            // Every sample lands on a training point (distances ~0), far below the typical spacing of moons.
            const auto fresh = metrics::nearestNeighbours(ds->first(200, 99), train);
            qInfo("%s: NN distance mean %.4f max %.4f; fresh data %.4f", samplerName(kind).c_str(),
                  nn.distance.mean().item<double>(), nn.distance.max().item<double>(), fresh.distance.mean().item<double>());
            // The last step x_0 = E[x_0|x_1] sits within sqrt(1 - abar_1) ~ 0.01 of a training point.
            QVERIFY(nn.distance.mean().item<double>() < 0.02);
            QVERIFY(nn.distance.max().item<double>() < 0.1);
            QVERIFY(fresh.distance.mean().item<double>() > 10 * nn.distance.mean().item<double>());
        }
    }
    void exactGaussianVlbMatchesClosedForm()
    {
        // Data N(m, s^2 I) in d = 2; the exact (1-component) denoiser with fixed_small variances.
        const int T = 100, d = 2;
        const double m = 0.5, s = 0.8;
        const auto c = config(T);
        const auto sched = NoiseSchedule::fromConfig(c);
        GaussianMixtureDenoiser exact(sched, torch::full({1, d}, m), torch::full({1}, s));
        auto gen = at::make_generator<at::CPUGeneratorImpl>(2);
        const int64_t B = 4000;
        const auto x0 = m + s * torch::randn({B, d}, gen, torch::kFloat32);
        const auto vlb = metrics::variationalBound(exact, c, x0, false, 7);
        // Closed form (nats): L_{t-1} = c1^2 d Var[x0|x_t] / (2 beta~_t), Var[x0|x_t] = s^2 (1-a)/(a s^2 + 1 - a);
        // L_0 = d/2 log(2 pi v) + d Var[x0|x_1] / (2 v) with v the clipped beta~; L_T from the Gaussian KL.
        double nats = 0;
        auto postVar = [&](double a) { return s * s * (1 - a) / (a * s * s + 1 - a); };
        for (int k = 1; k < T; ++k) {
            const double a = sched.alphaBars()[k];
            const double c1 = sched.posteriorMeanCoef1()[k];
            nats += c1 * c1 * d * postVar(a) / (2 * sched.posteriorVariance()[k]);
        }
        const double v = sched.posteriorVariance()[1];
        const double l0 = 0.5 * d * std::log(2 * M_PI * v) + d * postVar(sched.alphaBars()[0]) / (2 * v);
        const double aT = sched.alphaBars().back();
        const double lT = 0.5 * d * (-1 - std::log(1 - aT) + (1 - aT) + aT * (m * m + s * s));
        const double expected = (nats + l0 + lT) / (std::log(2.0) * d);
        qInfo("VLB Monte Carlo %.5f bits/dim, closed form %.5f", vlb.totalBits, expected);
        QVERIFY(std::abs(vlb.totalBits - expected) < 0.03 * std::abs(expected) + 0.01);
        QVERIFY(std::abs(vlb.priorBits - lT / (std::log(2.0) * d)) < 0.02 * std::abs(lT) + 1e-4);
    }
};

QTEST_APPLESS_MAIN(TestExact)
#include "test_core_exact.moc"
