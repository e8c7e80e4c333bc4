// Exact denoisers (issue: the exact reverse process): posterior weights, score, memorisation, one-point sets,
// the closed-form variational bound of the exact Gaussian denoiser, and numerical robustness.
#include "core/datasets.h"
#include "core/diffusion.h"
#include "core/errors.h"
#include "core/exact.h"
#include "core/exact_kernel.h"
#include "core/metrics.h"
#include "core/sampler.h"

#include <QtTest>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <atomic>
#include <cmath>
#include <thread>
#include <limits>

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
    // E[x_0|x_t] of a finite set, every fast path (blockwise online softmax for points; for images the fused
    // kernel on each instruction set the CPU has, and the float32 [B, K] BLAS products), against the weighted mean
    // computed in float64 by brute force. D = 100 leaves a partial last register, batch 20 a second chunk of
    // queries.
    void expectedX0MatchesBruteForce_data()
    {
        QTest::addColumn<int>("dim");
        QTest::addColumn<int>("batch");
        QTest::addColumn<int>("isa"); // kernels::KernelIsa: 0 the BLAS products, 1 AVX2, 2 AVX-512
        QTest::newRow("points, D = 2 (blockwise)") << 2 << 16 << 0;
        QTest::newRow("images, D = 784 (BLAS products)") << 784 << 16 << 0;
        for (int isa : {1, 2}) {
            const char* name = isa == 1 ? "AVX2" : "AVX-512";
            QTest::addRow("images, D = 784 (kernel, %s)", name) << 784 << 16 << isa;
            QTest::addRow("D = 100, batch 20 (kernel, %s)", name) << 100 << 20 << isa;
            QTest::addRow("D = 100, batch 3 (kernel, %s)", name) << 100 << 3 << isa;
        }
    }
    /** Limits the kernel to `isa` for one test; false (and the test skips) where this CPU has less. */
    static bool useKernel(int isa)
    {
        kernels::setFusedKernelLimit(static_cast<kernels::KernelIsa>(isa));
        return static_cast<int>(kernels::fusedKernelIsa()) == isa;
    }
    void expectedX0MatchesBruteForce()
    {
        QFETCH(int, dim);
        QFETCH(int, batch);
        QFETCH(int, isa);
        const auto restore = qScopeGuard([] { kernels::setFusedKernelLimit(kernels::KernelIsa::Avx512); });
        if (!useKernel(isa)) QSKIP("this CPU does not have that instruction set");
        const auto sched = NoiseSchedule::fromConfig(config(1000));
        auto gen = at::make_generator<at::CPUGeneratorImpl>(5);
        const int64_t n = dim > 64 ? 1000 : 3000;
        const auto items = torch::rand({n, dim}, gen, torch::kFloat32) * 2.0 - 1.0; // like images in [-1, 1]
        GaussianMixtureDenoiser exact(sched, items);
        const auto items64 = items.to(torch::kFloat64);
        for (int t : {0, 30, 200, 600, 999}) {
            const double ab = sched.alphaBars()[t];
            // x_t near the set (a noised item) and far from it (pure noise).
            const auto x0 = items.slice(0, 0, batch);
            const auto xt = (std::sqrt(ab) * x0 + std::sqrt(1.0 - ab) * torch::randn({batch, dim}, gen, torch::kFloat32));
            const auto d2 = (xt.to(torch::kFloat64).unsqueeze(1) - std::sqrt(ab) * items64.unsqueeze(0)).pow(2).sum(2);
            const auto w = torch::softmax(-d2 / (2.0 * (1.0 - ab)), 1);
            const auto brute = torch::matmul(w, items64);
            const double err = (exact.expectedX0(xt, ab).to(torch::kFloat64) - brute).abs().max().item<double>();
            QVERIFY2(err < 2e-4, qPrintable(QString("t=%1 max |diff| %2").arg(t).arg(err)));
        }
    }
    // The Exact q tab's one pass (posteriorView: x_t and a y as two queries) against the three calls it replaces.
    void posteriorViewMatchesTheSeparateCalls()
    {
        const auto sched = NoiseSchedule::fromConfig(config(1000));
        auto gen = at::make_generator<at::CPUGeneratorImpl>(10);
        const auto items = torch::rand({3000, 1, 28, 28}, gen, torch::kFloat32) * 2.0 - 1.0;
        GaussianMixtureDenoiser exact(sched, items);
        for (int t : {20, 300, 900}) {
            const double ab = sched.alphaBars()[t];
            const auto x = std::sqrt(ab) * items[7] + std::sqrt(1.0 - ab) * torch::randn({1, 28, 28}, gen);
            // y near item 42, but not on it.
            const auto y = items[42] + 0.05 * torch::randn({1, 28, 28}, gen);
            const PosteriorView v = exact.posteriorView(x.unsqueeze(0), ab, y);
            const auto w = exact.weights(x.unsqueeze(0), ab).squeeze(0).to(torch::kFloat64);
            QVERIFY2((v.weights - w).abs().max().item<double>() < 1e-5, qPrintable(QString("t=%1").arg(t)));
            QVERIFY((v.expectedX0 - exact.expectedX0(x.unsqueeze(0), ab)).abs().max().item<double>() < 1e-5);
            const auto [index, squared] = exact.nearest(y);
            QCOMPARE(v.nearest, index);
            QCOMPARE(index, int64_t{42});
            QVERIFY(std::abs(v.nearestSquared - squared) < 1e-3 * squared);
            const PosteriorView noY = exact.posteriorView(x.unsqueeze(0), ab, torch::Tensor());
            QCOMPARE(noY.nearest, int64_t{-1});
            QVERIFY(torch::allclose(noY.weights, v.weights, 0, 1e-9));
        }
    }
    // The app calls the exact denoiser from several threads at once (the sampling job, the bound, the frames):
    // two threads, each starting the kernel's own worker threads, get the bits of a lone call.
    void fusedKernelFromTwoThreadsAtOnce()
    {
        const auto sched = NoiseSchedule::fromConfig(config(1000));
        auto gen = at::make_generator<at::CPUGeneratorImpl>(9);
        const auto items = torch::rand({6000, 784}, gen, torch::kFloat32) * 2.0 - 1.0;
        GaussianMixtureDenoiser exact(sched, items);
        const double ab = sched.alphaBars()[700];
        const auto xa = std::sqrt(ab) * items.slice(0, 0, 16) + std::sqrt(1.0 - ab) * torch::randn({16, 784}, gen);
        const auto xb = std::sqrt(ab) * items.slice(0, 16, 32) + std::sqrt(1.0 - ab) * torch::randn({16, 784}, gen);
        const auto alone = [&](const torch::Tensor& x) {
            c10::InferenceMode guard;
            return exact.expectedX0(x, ab);
        };
        const auto ea = alone(xa), eb = alone(xb);
        std::atomic<int> mismatches{0};
        const auto hammer = [&](const torch::Tensor& x, const torch::Tensor& expected) {
            for (int i = 0; i < 20; ++i)
                if (!torch::equal(alone(x), expected)) ++mismatches;
        };
        std::thread other([&] { hammer(xb, eb); });
        hammer(xa, ea);
        other.join();
        QCOMPARE(mismatches.load(), 0);
    }
    // The fused kernel: the same bits for any number of threads (fixed ranges merged in order), items of zero
    // weight left out (log 0 = -inf logits), and a NaN query gives a NaN row without touching the others.
    void fusedKernelThreadsZeroWeightsAndNaN_data()
    {
        QTest::addColumn<int>("isa");
        QTest::newRow("AVX2") << 1;
        QTest::newRow("AVX-512") << 2;
    }
    void fusedKernelThreadsZeroWeightsAndNaN()
    {
        QFETCH(int, isa);
        const auto restore = qScopeGuard([] { kernels::setFusedKernelLimit(kernels::KernelIsa::Avx512); });
        if (!useKernel(isa)) QSKIP("this CPU does not have that instruction set");
        const auto sched = NoiseSchedule::fromConfig(config(1000));
        auto gen = at::make_generator<at::CPUGeneratorImpl>(8);
        const auto items = torch::rand({6000, 784}, gen, torch::kFloat32) * 2.0 - 1.0;
        auto weights = torch::ones({6000}, torch::kFloat64);
        weights.slice(0, 3000).zero_();
        GaussianMixtureDenoiser exact(sched, items, torch::Tensor(), weights);
        GaussianMixtureDenoiser firstHalf(sched, items.slice(0, 0, 3000).clone());
        const double ab = sched.alphaBars()[800]; // weights spread over many items
        auto xt = std::sqrt(ab) * items.slice(0, 0, 16) + std::sqrt(1.0 - ab) * torch::randn({16, 784}, gen);
        const int threads = torch::get_num_threads();
        torch::set_num_threads(1);
        const auto one = exact.expectedX0(xt, ab);
        torch::set_num_threads(2);
        const auto two = exact.expectedX0(xt, ab);
        torch::set_num_threads(threads);
        QVERIFY(torch::equal(one, two));
        const double err = (one - firstHalf.expectedX0(xt, ab)).abs().max().item<double>();
        QVERIFY2(err < 1e-5, qPrintable(QString("zero-weight items moved E[x0|xt] by %1").arg(err)));
        // The spread posterior really is spread (the check above would be weak on one winning item).
        QVERIFY(1.0 / exact.weights(xt.slice(0, 0, 1), ab).pow(2).sum().item<double>() > 10.0);
        xt[3][100] = std::numeric_limits<float>::quiet_NaN();
        const auto withNaN = exact.expectedX0(xt, ab);
        QVERIFY(torch::isnan(withNaN[3]).all().item<bool>());
        QVERIFY(torch::allclose(withNaN.narrow(0, 0, 3), one.narrow(0, 0, 3), 0, 1e-6));
    }
    // q(x_{t-1}|x_t) pointwise against Bayes: q(x_t|x_{t-1}) q_{t-1}(x_{t-1}) / q_t(x_t), with the one-step
    // kernel N(sqrt(abar_t/abar_prev) x_{t-1}, 1 - abar_t/abar_prev) (also for strided steps), for a
    // Gaussian-mixture (8gaussians, gmm1d) and a finite set.
    void reverseMixtureIsBayesRule_data()
    {
        QTest::addColumn<QString>("data");
        QTest::newRow("8gaussians") << "8gaussians";
        QTest::newRow("gmm1d") << "gmm1d";
        QTest::newRow("set") << "set";
    }
    void reverseMixtureIsBayesRule()
    {
        QFETCH(QString, data);
        const auto sched = NoiseSchedule::fromConfig(config(1000));
        auto gen = at::make_generator<at::CPUGeneratorImpl>(11);
        std::unique_ptr<GaussianMixtureDenoiser> exact;
        if (data == "set") {
            exact = std::make_unique<GaussianMixtureDenoiser>(sched, torch::randn({50, 2}, gen, torch::kFloat32));
        } else {
            auto ds = openDataset(data.toStdString());
            const auto* mix = ds->mixture();
            QVERIFY(mix);
            exact = std::make_unique<GaussianMixtureDenoiser>(sched, mix->means, mix->stds, mix->weights);
        }
        const int64_t D = exact->means().size(1);
        for (int t : {20, 150, 600, 999}) {
            for (int stride : {1, 25}) {
                const double ab = sched.alphaBars()[t], abPrev = sched.alphaBars()[std::max(0, t - stride)];
                const auto xt = torch::randn({1, D}, gen, torch::kFloat64) * 1.5;
                const auto r = exact->reverseStep(xt, ab, abPrev);
                QVERIFY(std::abs(r.weights.sum().item<double>() - 1.0) < 1e-9);
                // Points where the mixture has mass: around its mean, a few of its own widths away.
                const double spread = std::sqrt((r.variances * r.weights).sum().item<double>());
                const auto y = r.mean().unsqueeze(0) + torch::randn({12, D}, gen, torch::kFloat64) * spread;
                const auto lhs = r.logDensity(y);
                const double alpha = ab / abPrev;
                const auto kernel = -0.5 * double(D) * std::log(2 * M_PI * (1 - alpha)) -
                                    (xt - std::sqrt(alpha) * y).pow(2).sum(1) / (2 * (1 - alpha));
                const auto rhs = kernel + exact->logDensity(y.to(torch::kFloat32), abPrev).to(torch::kFloat64) -
                                 exact->logDensity(xt.to(torch::kFloat32), ab).to(torch::kFloat64);
                const double err = (lhs - rhs).abs().max().item<double>();
                QVERIFY2(err < 2e-3, qPrintable(QString("t=%1 stride=%2 err=%3").arg(t).arg(stride).arg(err)));
            }
        }
    }
    // Its mean is the exact denoiser's mu = c1 E[x_0|x_t] + c2 x_t (Ho et al. Eq. 7 with x0^ = E[x_0|x_t]).
    void reverseMixtureMeanIsTheExactMu()
    {
        const auto sched = NoiseSchedule::fromConfig(config(1000));
        auto ds = openDataset("8gaussians");
        const auto* mix = ds->mixture();
        GaussianMixtureDenoiser exact(sched, mix->means, mix->stds, mix->weights);
        auto gen = at::make_generator<at::CPUGeneratorImpl>(2);
        for (int t : {1, 300, 900}) {
            const double ab = sched.alphaBars()[t], abPrev = sched.alphaBars()[t - 1];
            const auto xt = torch::randn({1, 2}, gen, torch::kFloat32) * 2.0;
            const auto post = diffusion::posterior(ab, abPrev);
            const auto mu = post.c1 * exact.expectedX0(xt, ab).to(torch::kFloat64) + post.c2 * xt.to(torch::kFloat64);
            const auto r = exact.reverseStep(xt, ab, abPrev);
            QVERIFY2((r.mean() - mu.squeeze(0)).abs().max().item<double>() < 1e-4, qPrintable(QString("t=%1").arg(t)));
        }
        // Effective number of components: all 8 (symmetric) for x_t = 0 at t = T; one near a mode at small t.
        QVERIFY(exact.reverseStep(torch::zeros({2}), sched.alphaBars()[999], sched.alphaBars()[998])
                    .effectiveComponents() > 7.9);
        const auto nearMode = (mix->means[2] * std::sqrt(sched.alphaBars()[5])).to(torch::kFloat32);
        QVERIFY(exact.reverseStep(nearMode, sched.alphaBars()[5], sched.alphaBars()[4]).effectiveComponents() < 1.01);
        // The nearest component mean, against brute force.
        GaussianMixtureDenoiser set(sched, torch::randn({300, 5}, gen, torch::kFloat32));
        for (int i = 0; i < 5; ++i) {
            const auto x = torch::randn({5}, gen, torch::kFloat32);
            const auto d = (set.means() - x.unsqueeze(0)).pow(2).sum(1);
            const auto [index, dist] = set.nearest(x);
            QCOMPARE(index, d.argmin().item<int64_t>());
            QVERIFY(std::abs(dist - d.min().item<double>()) < 1e-4);
        }
        // One training point: every step follows it, and the last step lands on it exactly.
        GaussianMixtureDenoiser one(sched, torch::tensor({0.5f, -0.25f}).reshape({1, 2}));
        const auto r = one.reverseStep(torch::tensor({2.f, 1.f}), sched.alphaBars()[0], 1.0);
        QCOMPARE(r.effectiveComponents(), 1.0);
        QVERIFY(r.variances.item<double>() == 0.0);
        QVERIFY((r.means - torch::tensor({0.5, -0.25}, torch::kFloat64)).abs().max().item<double>() < 1e-6);
        QVERIFY_EXCEPTION_THROWN(one.reverseStep(torch::zeros({3}), 0.5, 0.6), ModelError);
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
