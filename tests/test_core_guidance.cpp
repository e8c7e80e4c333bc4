// Class labels, class-conditional nets and classifier-free guidance (issue #13): labels drawn with the
// points, conditional nets that start as the unconditional one, the guidance combination in diffusers'
// convention with one batched call, bad input with one line each, and the exact conditional and guided
// denoisers of labelled mixtures (the 8gaussians check: class k puts >= 99% of samples in mode k).
#include "core/datasets.h"
#include "core/errors.h"
#include "core/exact_guidance.h"
#include "core/guidance.h"
#include "core/sampler.h"
#include "models/nets.h"
#include "models/registry.h"

#include <QtTest>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <cmath>
#include <limits>

using namespace difflens;

namespace {

const double kNoScale = std::numeric_limits<double>::quiet_NaN();

/** A conditional model with a closed-form output: out(x, c) = 2 x + row(c), row(none) = 3; counts calls. */
class AffineConditional final : public Denoiser
{
public:
    int calls = 0;
    int64_t lastBatch = 0;
    bool learnVariance = false;
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& t) override
    {
        return forwardConditional(x, t, {});
    }
    torch::Tensor forwardConditional(const torch::Tensor& x, const torch::Tensor&,
                                     const torch::Tensor& classes) override
    {
        ++calls;
        lastBatch = x.size(0);
        const auto rows =
            classEmbeddingRows(classes, 3, x.size(0), torch::kCPU).to(torch::kFloat32).unsqueeze(1);
        const auto out = 2.0 * x + rows;
        return learnVariance ? torch::cat({out, -rows.expand_as(x)}, 1) : out;
    }
    torch::Device device() const override { return torch::kCPU; }
    void moveTo(torch::Device) override {}
    std::string kind() const override { return "affine"; }
    int64_t numClasses() const override { return 3; }
};

template <typename F> QString errorOf(F&& f)
{
    try {
        f();
    } catch (const std::exception& e) {
        return QString::fromStdString(e.what());
    }
    return {};
}

SchedulerConfig linearConfig()
{
    SchedulerConfig c;
    c.numTrainTimesteps = 1000;
    c.clipSample = false;
    return c;
}

} // namespace

class TestGuidance : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    // Labels come from the same draws: the points are identical with and without them, and each label is
    // the part of the shape the point was drawn from.
    void labelsAreTheDrawnParts()
    {
        for (const char* name : {"8gaussians", "gmm1d", "moons", "rings", "checkerboard", "spirals"}) {
            auto ds = openDataset(name);
            auto g1 = at::make_generator<at::CPUGeneratorImpl>(5),
                 g2 = at::make_generator<at::CPUGeneratorImpl>(5);
            torch::Tensor labels;
            const auto plain = ds->sample(4000, g1);
            const auto withLabels = ds->sample(4000, g2, &labels);
            QVERIFY2(torch::equal(plain, withLabels), name);
            QVERIFY(labels.scalar_type() == torch::kInt64);
            QCOMPARE(labels.size(0), int64_t(4000));
            QVERIFY(labels.min().item<int64_t>() >= 0 && labels.max().item<int64_t>() < ds->numClasses());
            QCOMPARE(static_cast<int>(ds->classNames().size()), ds->numClasses());
            // Every class occurs.
            QCOMPARE(std::get<0>(at::_unique(labels)).size(0), static_cast<int64_t>(ds->numClasses()));
        }
        auto gen = at::make_generator<at::CPUGeneratorImpl>(1);
        torch::Tensor labels;
        // 8gaussians: the nearest mode is the label (modes 1.53 apart, std 0.2).
        auto g8 = openDataset("8gaussians");
        auto x = g8->sample(4000, gen, &labels);
        const auto nearest = torch::cdist(x, g8->mixture()->means).argmin(1);
        QVERIFY(nearest.eq(labels).to(torch::kFloat64).mean().item<double>() > 0.999);
        // rings: radius 0.8 + label.
        x = openDataset("rings")->sample(4000, gen, &labels);
        QVERIFY((x.norm(2, 1) - 0.8 - labels.to(torch::kFloat32)).abs().max().item<float>() < 0.5);
        // moons: the upper moon (0) lies above the lower one (1) on average.
        x = openDataset("moons")->sample(4000, gen, &labels);
        const auto y = x.select(1, 1);
        QVERIFY(y.index({labels == 0}).mean().item<float>() >
                y.index({labels == 1}).mean().item<float>() + 0.5);
        // checkerboard: the square 2 (floor(x1) + 2) + (x2 below its column's upper square).
        x = openDataset("checkerboard")->sample(4000, gen, &labels);
        const auto col = torch::floor(x.select(1, 0)) + 2.0;
        const auto upperFloor = torch::floor(x.select(1, 0)).remainder(2.0);
        const auto lower = (x.select(1, 1) < upperFloor).to(torch::kFloat32);
        QVERIFY(torch::equal((col * 2.0 + lower).to(torch::kInt64), labels));
        // Unlabelled datasets say so when asked for labels.
        QVERIFY(
            errorOf([&] { openDataset("swissroll")->sample(4, gen, &labels); }).contains("no class labels"));
        QCOMPARE(openDataset("swissroll")->numClasses(), 0);
    }

    // A conditional net starts as the unconditional one (zero class embedding); with a trained embedding the
    // null class is still forward(x, t); the architecture JSON says num_classes only when conditional.
    void conditionalNets()
    {
        torch::manual_seed(0);
        MlpConfig c;
        c.numClasses = 3;
        MlpNet net(c);
        MlpNet plain(MlpConfig{});
        QVERIFY(!plain.config().toJson().contains("num_classes"));
        QCOMPARE(MlpConfig::fromJson(c.toJson()).numClasses, 3);
        QCOMPARE(copyMatchingWeights(plain, net), static_cast<int>(plain.parameters().size()));
        const auto x = torch::randn({6, 2});
        const auto t = torch::arange(6, torch::kInt64) * 100;
        const auto cls = torch::tensor({0, 1, 2, -1, 0, 2}, torch::kInt64);
        torch::NoGradGuard g;
        QVERIFY(torch::allclose(net.forwardConditional(x, t, cls), plain.forward(x, t), 1e-6, 1e-6));
        for (auto& p : net.named_parameters())
            if (p.key().find("class_embed") != std::string::npos) p.value().normal_();
        const auto out = net.forwardConditional(x, t, cls);
        QVERIFY(torch::allclose(out[3], plain.forward(x, t)[3], 1e-6, 1e-6)); // the null class
        QVERIFY((out[0] - plain.forward(x, t)[0]).abs().max().item<float>() > 1e-3);
        QVERIFY(torch::allclose(net.forward(x, t), plain.forward(x, t), 1e-6, 1e-6));
        QVERIFY(errorOf([&] {
                    net.forwardConditional(x, t, torch::full({6}, 3, torch::kInt64));
                }).contains("class 3 is outside this model's classes 0..2"));
        QVERIFY(errorOf([&] { plain.forwardConditional(x, t, cls); }).contains("not class-conditional"));
        QVERIFY(
            errorOf([&] { plain.forwardConditional(x, t, torch::full({6}, -1, torch::kInt64)); }).isEmpty());

        UnetConfig u;
        u.base = 8;
        u.size = 8;
        u.mults = {1, 2};
        u.attention = false;
        u.numClasses = 10;
        UnetNet unet(u);
        for (auto& p : unet.parameters())
            p.normal_(0, 0.1);
        const auto img = torch::randn({2, 1, 8, 8});
        const auto t2 = torch::tensor({10, 500}, torch::kInt64);
        const auto a = unet.forwardConditional(img, t2, torch::tensor({1, 1}, torch::kInt64));
        const auto b = unet.forwardConditional(img, t2, torch::tensor({7, 7}, torch::kInt64));
        QVERIFY(a.sizes() == img.sizes());
        QVERIFY((a - b).abs().max().item<float>() > 1e-4);
        QCOMPARE(UnetConfig::fromJson(u.toJson()).numClasses, 10);
    }

    // diffusers' convention out~ = out(x, none) + w (out(x, c) - out(x, none)), one batched call of 2B.
    void guidanceCombination()
    {
        auto model = std::make_shared<AffineConditional>();
        const auto x = torch::randn({5, 2});
        const auto t = torch::full({5}, 10, torch::kInt64);
        for (double w : {0.0, 1.0, 3.0, 7.5}) {
            GuidedDenoiser guided(model, 2, w);
            model->calls = 0;
            const auto out = guided.forward(x, t);
            // out(x, 2) = 2x + 2, out(x, none) = 2x + 3: guided = 2x + 3 - w.
            QVERIFY(torch::allclose(out, 2.0 * x + 3.0 - w, 1e-6, 1e-6));
            QCOMPARE(model->calls, 1);
            QCOMPARE(model->lastBatch, int64_t((w == 0.0 || w == 1.0) ? 5 : 10));
        }
        GuidedDenoiser guided(model, 0, 3.0);
        guided.forward(x, t);
        QVERIFY(torch::allclose(guided.lastParts().conditional, 2.0 * x, 1e-6, 1e-6));
        QVERIFY(torch::allclose(guided.lastParts().unconditional, 2.0 * x + 3.0, 1e-6, 1e-6));
        // Learned variance channels are the conditional ones, not guided.
        model->learnVariance = true;
        const auto lv = guided.forward(x, t);
        QCOMPARE(lv.size(1), int64_t(4));
        QVERIFY(torch::allclose(lv.slice(1, 0, 2), 2.0 * x + 3.0 - 9.0, 1e-6, 1e-6));
        QVERIFY(torch::allclose(lv.slice(1, 2, 4), torch::zeros_like(x), 1e-6, 1e-6));
    }

    void badInputOneLineEach()
    {
        auto model = std::make_shared<AffineConditional>();
        const QString range = errorOf([&] { GuidedDenoiser(model, 3, 2.0); });
        QVERIFY2(range == "class 3 is outside this model's classes 0..2", qPrintable(range));
        const QString negative = errorOf([&] { GuidedDenoiser(model, 1, -1.0); });
        QVERIFY2(negative.startsWith("the guidance scale must be a number >= 0") &&
                     negative.endsWith("got -1"),
                 qPrintable(negative));
        QVERIFY(errorOf([&] {
                    validateGuidance(0, 1, kNoScale);
                }).startsWith("this model is not class-conditional"));
        QVERIFY(
            errorOf([&] { validateGuidance(0, -1, 3.0); }).startsWith("this model is not class-conditional"));
        QVERIFY(errorOf([&] { validateGuidance(10, -1, 3.0); }).contains("needs a class"));
        QVERIFY(errorOf([&] { validateGuidance(10, 4, kNoScale); }).isEmpty());
        QVERIFY(errorOf([&] { validateGuidance(0, -1, kNoScale); }).isEmpty());
        for (const QString& e : {range, negative})
            QVERIFY(!e.contains('\n'));
    }

    // E[x_0 | x_t, c] from class c's components: the conditional eps* is the exact denoiser of that component
    // alone, and the guided eps~ is -sqrt(1 - abar) ((1 - w) score(x) + w score(x | c)).
    void exactConditionalAndGuidedScores()
    {
        auto ds = openDataset("8gaussians");
        const auto& mix = *ds->mixture();
        const auto sched = NoiseSchedule::fromConfig(linearConfig());
        auto exact = std::make_shared<ConditionalMixtureDenoiser>(sched, mix.means, mix.stds, mix.weights,
                                                                  ds->componentClasses(), 8);
        GaussianMixtureDenoiser mode3(sched, mix.means.slice(0, 3, 4), mix.stds.slice(0, 3, 4));
        auto gen = at::make_generator<at::CPUGeneratorImpl>(2);
        const auto x = torch::randn({64, 2}, gen, torch::kFloat32) * 2.0;
        for (long ti : {5L, 300L, 800L}) {
            const auto t = torch::full({64}, ti, torch::kInt64);
            const double ab = sched.alphaBars()[static_cast<size_t>(ti)];
            const auto cond = exact->forwardConditional(x, t, torch::full({64}, 3, torch::kInt64));
            QVERIFY(torch::allclose(cond, mode3.forward(x, t), 1e-5, 1e-5));
            for (double w : {1.0, 3.0, 7.0}) {
                GuidedDenoiser guided(exact, 3, w);
                const auto score =
                    (1.0 - w) * exact->all()->score(x, ab) + w * exact->ofClass(3).score(x, ab);
                QVERIFY(torch::allclose(guided.forward(x, t), -std::sqrt(1.0 - ab) * score, 1e-4, 1e-4));
            }
        }
        // Mixed classes in one batch match the per-class calls.
        const auto t = torch::full({64}, 400, torch::kInt64);
        const auto mixed = torch::arange(64, torch::kInt64).remainder(9) - 1; // -1..7
        const auto out = exact->forwardConditional(x, t, mixed);
        for (int64_t c = -1; c < 8; ++c) {
            const auto idx = (mixed == c).nonzero().squeeze(1);
            const auto ref = exact->forwardConditional(x.index_select(0, idx), t.index_select(0, idx),
                                                       torch::full({idx.size(0)}, c, torch::kInt64));
            QVERIFY(torch::allclose(out.index_select(0, idx), ref, 1e-6, 1e-6));
        }
    }

    // The check: the exact conditional sampler on 8gaussians with class k puts >= 99% of samples in
    // mode k.
    void exactConditionalSamplerStaysInMode()
    {
        auto ds = openDataset("8gaussians");
        const auto& mix = *ds->mixture();
        const auto cfg = linearConfig();
        const auto sched = NoiseSchedule::fromConfig(cfg);
        auto exact = std::make_shared<ConditionalMixtureDenoiser>(sched, mix.means, mix.stds, mix.weights,
                                                                  ds->componentClasses(), 8);
        ReverseProcess process(cfg, SamplerKind::Ddpm, 250);
        for (int64_t k : {0, 3, 6}) {
            GuidedDenoiser guided(exact, k, 1.0);
            SamplerOptions o;
            o.seed = static_cast<uint64_t>(k);
            o.batch = 1000;
            o.sampleShape = {2};
            const auto x = runSampler(guided, process, o).sample;
            const auto inMode =
                torch::cdist(x, mix.means).argmin(1).eq(k).to(torch::kFloat64).mean().item<double>();
            qInfo("class %lld: %.2f%% of 1000 samples in mode %lld", static_cast<long long>(k), 100 * inMode,
                  static_cast<long long>(k));
            QVERIFY(inMode >= 0.99);
        }
    }

    // A TorchScript conditional model (forward(x, t, class)) takes -1 for none; its package gives the class
    // count.
    void torchScriptConditional()
    {
        const QByteArray bin = qgetenv("DIFFLENS_BINARY_DIR");
        const std::string dir = (bin.isEmpty() ? std::string(".") : bin.toStdString()) + "/testdata/";
        if (!QFileInfo::exists(QString::fromStdString(dir + "mlp2d_cond/model.pt")))
            QSKIP(
                "the test models are missing (the core_testdata fixture needs /usr/bin/python3 with torch)");
        auto cond = openModel(dir + "mlp2d_cond", torch::kCPU);
        auto plain = openModel(dir + "mlp2d", torch::kCPU);
        QCOMPARE(cond.denoiser->numClasses(), int64_t(3));
        QCOMPARE(plain.denoiser->numClasses(), int64_t(0));
        const auto x = torch::randn({4, 2});
        const auto t = torch::tensor({1, 200, 500, 999}, torch::kInt64);
        const auto base = plain.denoiser->forward(x, t);
        QVERIFY(torch::allclose(cond.denoiser->forward(x, t), base, 1e-5, 1e-5));
        const auto out = cond.denoiser->forwardConditional(x, t, torch::tensor({0, 1, 2, -1}, torch::kInt64));
        const auto table = torch::tensor({{1.0f, 0.0f}, {0.0f, 2.0f}, {-3.0f, 0.5f}, {0.0f, 0.0f}});
        QVERIFY(torch::allclose(out, base + table, 1e-5, 1e-5));
        GuidedDenoiser guided(cond.denoiser, 2, 3.0);
        QVERIFY(torch::allclose(guided.forward(x, t), base + 3.0 * torch::tensor({-3.0f, 0.5f}), 1e-5, 1e-5));
        QVERIFY(errorOf([&] {
                    cond.denoiser->forwardConditional(x, t, torch::full({4}, 3, torch::kInt64));
                }).contains("outside this model's classes 0..2"));
        QVERIFY(errorOf([&] {
                    GuidedDenoiser(plain.denoiser, 0, 2.0);
                }).startsWith("this model is not class-conditional"));
    }

    // The tilted target integrates to 1 on its grid; at w = 1 it is p(x | c) itself.
    void tiltedTarget()
    {
        auto ds = openDataset("gmm1d");
        const auto& mix = *ds->mixture();
        const auto grid = regularGrid(1, -4, 4, 800);
        const double cell = 8.0 / 800;
        for (double w : {1.0, 3.0, 7.0}) {
            const auto logp = tiltedLogDensity(mix, ds->componentClasses(), 1, w, grid, cell);
            QVERIFY(std::abs(logp.exp().sum().item<double>() * cell - 1.0) < 1e-9);
        }
        const auto one = tiltedLogDensity(mix, ds->componentClasses(), 1, 1.0, grid, cell).exp();
        const auto normal =
            torch::exp(-(grid.squeeze(1) - 0.5).pow(2) / (2 * 0.25)) / std::sqrt(2 * M_PI * 0.25);
        QVERIFY((one - normal).abs().max().item<double>() < 1e-6);
        const auto g2 = regularGrid(2, -1, 1, 4);
        QCOMPARE(g2.size(0), int64_t(16));
        QVERIFY(torch::allclose(g2[1], torch::tensor({-0.25, -0.75}, torch::kFloat64)));
    }
};

QTEST_GUILESS_MAIN(TestGuidance)
#include "test_core_guidance.moc"
