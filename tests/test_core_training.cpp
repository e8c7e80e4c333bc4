// Training, datasets and metrics (issue: p_theta that ships): the loss falls with a fixed seed, a resumed
// checkpoint continues exactly, a failed save keeps the old checkpoint, every dataset has the right shapes and
// ranges, metrics are ~0 for identical sets and large for shifted ones, and bad inputs get clear errors.
#include "core/datasets.h"
#include "core/errors.h"
#include "core/metrics.h"
#include "core/trainer.h"
#include "models/nets.h"

#include <QTemporaryDir>
#include <QtTest>

#include <ATen/CPUGeneratorImpl.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>

using namespace difflens;
namespace fs = std::filesystem;

namespace {

std::shared_ptr<DenoiserNet> smallMlp(bool xSkip = false)
{
    MlpConfig c;
    c.dim = 2;
    c.hidden = 64;
    c.blocks = 2;
    c.embed = 32;
    c.xSkip = xSkip;
    return makeNet(c.toJson());
}

TrainOptions options(int64_t steps)
{
    TrainOptions o;
    o.steps = steps;
    o.batch = 256;
    o.lr = 2e-3;
    o.warmupSteps = 20;
    o.seed = 3;
    o.logEvery = 0;
    o.checkpointEvery = 0;
    return o;
}

std::shared_ptr<const Dataset> dataset(const std::string& name)
{
    return std::shared_ptr<const Dataset>(openDataset(name));
}

double meanLoss(const std::vector<LossLogEntry>& log, size_t from, size_t to)
{
    double s = 0;
    for (size_t i = from; i < to; ++i) s += log[i].loss;
    return s / static_cast<double>(to - from);
}

bool fashionMnistInstalled()
{
    return fs::exists(fashionMnistDir() + "/train-images-idx3-ubyte.gz");
}

} // namespace

class TestTraining : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { torch::set_num_threads(2); }

    void lossFallsWithFixedSeed()
    {
        torch::manual_seed(0);
        Trainer trainer(smallMlp(), smallMlp(), dataset("8gaussians"), SchedulerConfig{}, options(400), torch::kCPU);
        QVERIFY(trainer.run({}, nullptr));
        const auto& log = trainer.log();
        QCOMPARE(static_cast<int>(log.size()), 400);
        const double first = meanLoss(log, 0, 20), last = meanLoss(log, 380, 400);
        qInfo("L_simple: first 20 steps %.4f, last 20 steps %.4f (factor %.2f)", first, last, first / last);
        // An untrained eps-model predicts ~0, so L_simple starts near E|eps|^2 = 1; 400 steps of this MLP on
        // 8 gaussians reach about a third of it. The factor 2 leaves room for seeds while catching a broken step.
        QVERIFY(first > 0.8);
        QVERIFY2(first / last > 2.0, "training did not lower the loss enough");
        const auto byT = trainer.lossByT(10);
        QCOMPARE(static_cast<int>(byT.size()), 10);
        // The eps loss is largest at small t (noise is hard to see) and small at large t (x_t ~ eps).
        QVERIFY(byT.front().second > byT.back().second);
    }

    void xSkipExtrapolatesLinearly()
    {
        // The architecture key: absent (every package made before it) = off; written only when on.
        MlpConfig c;
        QVERIFY(!MlpConfig::fromJson(c.toJson()).xSkip);
        QVERIFY(!c.toJson().contains("x_skip"));
        c.xSkip = true;
        QVERIFY(MlpConfig::fromJson(c.toJson()).xSkip);
        QCOMPARE(MlpConfig::fromJson(c.toJson()).parameterCount(), c.parameterCount());

        // What it is for: at t = T - 1, x_t is nearly pure noise and the best eps is about x_t itself. Inputs of
        // norm 12 lie far outside what training showed the net (N(0, I) at large t). Without the linear path the
        // net's prediction there comes from its periodic sin/cos features of x and stays bounded (a small
        // fraction of |x|); with it the prediction follows x. Same seed, data and steps for both.
        const auto far = [](bool xSkip) {
            torch::manual_seed(0);
            auto net = smallMlp(xSkip), ema = smallMlp(xSkip);
            Trainer trainer(net, ema, dataset("8gaussians"), SchedulerConfig{}, options(2000), torch::kCPU);
            if (!trainer.run({}, nullptr)) return std::pair<double, double>{-1.0, -1.0};
            torch::NoGradGuard g;
            const auto angle = torch::arange(64, torch::kFloat32) * (2.0 * 3.141592653589793 / 64.0);
            const auto x = torch::stack({torch::cos(angle), torch::sin(angle)}, 1) * 12.0;
            const auto eps = net->forward(x, torch::full({64}, 999, torch::kInt64)); // not the EMA: it lags
            const double ratio = (eps.norm(2, 1) / x.norm(2, 1)).mean().item<double>();
            const double cosine = ((eps * x).sum(1) / (eps.norm(2, 1) * x.norm(2, 1))).mean().item<double>();
            return std::pair<double, double>{ratio, cosine};
        };
        const auto [plainRatio, plainCos] = far(false);
        const auto [skipRatio, skipCos] = far(true);
        qInfo("|eps^| / |x| at |x| = 12, t = 999: without x_skip %.3f (cos %.3f), with it %.3f (cos %.3f)",
              plainRatio, plainCos, skipRatio, skipCos);
        QVERIFY2(plainRatio >= 0.0 && skipRatio >= 0.0, "training failed");
        QVERIFY2(skipRatio > 0.8 && skipRatio < 1.2 && skipCos > 0.95, "x_skip does not follow x_t far out");
        QVERIFY2(plainRatio < 0.5, "the plain MLP follows x far out: the check above proves nothing");
    }

    void resumeContinuesExactly()
    {
        QTemporaryDir dir;
        const std::string ckpt = dir.filePath("checkpoint.pt").toStdString();
        torch::manual_seed(1);
        auto netA = smallMlp(), emaA = smallMlp();
        Trainer uninterrupted(netA, emaA, dataset("moons"), SchedulerConfig{}, options(30), torch::kCPU);
        uninterrupted.run({}, nullptr);

        torch::manual_seed(1); // same initial weights as run A
        auto netB = smallMlp(), emaB = smallMlp();
        Trainer first(netB, emaB, dataset("moons"), SchedulerConfig{}, options(20), torch::kCPU);
        first.run({}, nullptr, ckpt);
        torch::manual_seed(99); // different initial weights: resume must overwrite them all
        Trainer second(smallMlp(), smallMlp(), dataset("moons"), SchedulerConfig{}, options(30), torch::kCPU);
        second.resume(ckpt);
        QCOMPARE(second.currentStep(), int64_t(20));
        second.run({}, nullptr);
        QCOMPARE(second.log().size(), uninterrupted.log().size());
        for (size_t i = 0; i < 30; ++i)
            QVERIFY2(second.log()[i].loss == uninterrupted.log()[i].loss, qPrintable(QString("step %1").arg(i + 1)));
        const auto pa = uninterrupted.emaNet()->parameters(), pb = second.emaNet()->parameters();
        for (size_t i = 0; i < pa.size(); ++i) QVERIFY(torch::equal(pa[i], pb[i]));
    }

    void failedSaveKeepsOldCheckpoint()
    {
        QTemporaryDir dir;
        const std::string ckpt = dir.filePath("checkpoint.pt").toStdString();
        Trainer trainer(smallMlp(), smallMlp(), dataset("moons"), SchedulerConfig{}, options(10), torch::kCPU);
        trainer.run({}, nullptr, ckpt);
        std::ifstream in(ckpt, std::ios::binary);
        const std::string before((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        trainer.setTotalSteps(15);
        trainer.run({}, nullptr);
        fs::create_directory(ckpt + ".tmp"); // the temporary file cannot be created: the write fails
        QVERIFY_THROWS_EXCEPTION(IoError, trainer.saveCheckpoint(ckpt));
        std::ifstream again(ckpt, std::ios::binary);
        const std::string after((std::istreambuf_iterator<char>(again)), std::istreambuf_iterator<char>());
        QVERIFY(before == after);
        Trainer resumed(smallMlp(), smallMlp(), dataset("moons"), SchedulerConfig{}, options(20), torch::kCPU);
        resumed.resume(ckpt);
        QCOMPARE(resumed.currentStep(), int64_t(10));
    }

    void corruptCheckpointIsClear()
    {
        QTemporaryDir dir;
        const std::string ckpt = dir.filePath("bad.pt").toStdString();
        std::ofstream(ckpt) << "not a checkpoint";
        Trainer trainer(smallMlp(), smallMlp(), dataset("moons"), SchedulerConfig{}, options(10), torch::kCPU);
        try {
            trainer.resume(ckpt);
            QFAIL("expected ModelError");
        } catch (const ModelError& e) {
            QVERIFY(QString(e.what()).contains("cannot resume"));
        }
    }

    void pointDatasetsShapesAndRanges_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<int>("dim");
        for (const char* n : {"moons", "8gaussians", "swissroll", "checkerboard", "spirals", "rings"})
            QTest::newRow(n) << n << 2;
        QTest::newRow("gmm1d") << "gmm1d" << 1;
    }
    void pointDatasetsShapesAndRanges()
    {
        QFETCH(QString, name);
        QFETCH(int, dim);
        auto ds = openDataset(name.toStdString());
        QCOMPARE(ds->spec().shape, std::vector<int64_t>{dim});
        auto gen = at::make_generator<at::CPUGeneratorImpl>(0);
        const auto x = ds->sample(5000, gen);
        QCOMPARE(x.sizes().vec(), (std::vector<int64_t>{5000, dim}));
        QVERIFY(torch::isfinite(x).all().item<bool>());
        QVERIFY(x.abs().max().item<double>() < ds->spec().high);
        QVERIFY(x.std().item<double>() > 0.3); // not collapsed
        QVERIFY(torch::equal(ds->first(100, 4), ds->first(100, 4))); // seeded
    }
    void mixtureSamplesFollowWeights()
    {
        auto ds = openDataset("8gaussians");
        auto gen = at::make_generator<at::CPUGeneratorImpl>(0);
        const auto cov = metrics::modeCoverage(ds->sample(8000, gen), *ds->mixture());
        for (double c : cov) QVERIFY(std::abs(c - 0.125) < 0.02);
    }
    void fashionMnist()
    {
        if (!fashionMnistInstalled()) QSKIP("dataset-fashion-mnist is not installed");
        torch::Tensor labels;
        const auto test = readFashionMnist(fashionMnistDir(), "test", &labels);
        QCOMPARE(test.sizes().vec(), (std::vector<int64_t>{10000, 1, 28, 28}));
        QCOMPARE(labels.size(0), int64_t(10000));
        QCOMPARE(test.min().item<double>(), -1.0);
        QCOMPARE(test.max().item<double>(), 1.0);
        QCOMPARE(labels.max().item<int64_t>(), int64_t(9));
        auto ds = openDataset("fashion-mnist");
        QCOMPARE(ds->size(), int64_t(60000));
        QCOMPARE(ds->first(8).sizes().vec(), (std::vector<int64_t>{8, 1, 28, 28}));
        // The dataset keeps the 8-bit pixels and decodes what it hands out: the same values, bitwise, as indexing
        // the decoded training set with the same seeded permutation (first) or the same draws (sample).
        torch::Tensor trainLabels, firstLabels;
        const auto train = readFashionMnist(fashionMnistDir(), "train", &trainLabels);
        auto gen = at::make_generator<at::CPUGeneratorImpl>(5);
        const auto perm = torch::randperm(60000, gen, torch::kInt64).slice(0, 0, 300);
        const auto first = ds->first(300, 5, &firstLabels);
        QVERIFY(torch::equal(first, train.index_select(0, perm)));
        QVERIFY(torch::equal(firstLabels, trainLabels.index_select(0, perm)));
        auto g1 = at::make_generator<at::CPUGeneratorImpl>(9), g2 = at::make_generator<at::CPUGeneratorImpl>(9);
        const auto idx = torch::randint(60000, {64}, g2, torch::kInt64);
        QVERIFY(torch::equal(ds->sample(64, g1), train.index_select(0, idx)));
    }
    void missingFashionMnistSaysWhatToInstall()
    {
        qputenv("DIFFLENS_FASHION_MNIST_DIR", "/nonexistent/fashion");
        try {
            openDataset("fashion-mnist");
            qunsetenv("DIFFLENS_FASHION_MNIST_DIR");
            QFAIL("expected DataError");
        } catch (const DataError& e) {
            qunsetenv("DIFFLENS_FASHION_MNIST_DIR");
            QVERIFY(QString(e.what()).contains("apt-get install dataset-fashion-mnist"));
        }
    }
    void imageFolderAndErrors()
    {
        QTemporaryDir dir;
        for (int k = 0; k < 3; ++k) {
            cv::Mat img(40 + 10 * k, 60, CV_8UC3, cv::Scalar(10 * k, 100, 200));
            cv::imwrite(dir.filePath(QString("img%1.png").arg(k)).toStdString(), img);
        }
        std::ofstream(dir.filePath("notes.txt").toStdString()) << "ignored";
        std::ofstream(dir.filePath("broken.png").toStdString()) << "not a png";
        auto ds = openDataset(dir.path().toStdString(), {1, 28, 28});
        QCOMPARE(ds->size(), int64_t(3));
        const auto x = ds->first(3);
        QCOMPARE(x.sizes().vec(), (std::vector<int64_t>{3, 1, 28, 28}));
        QVERIFY(x.min().item<double>() >= -1.0 && x.max().item<double>() <= 1.0);
        auto rgb = openDataset(dir.filePath("img0.png").toStdString(), {3, 32, 32});
        QCOMPARE(rgb->first(1).sizes().vec(), (std::vector<int64_t>{1, 3, 32, 32}));
        // Red channel of (B=0, G=100, R=200) maps to 200 / 127.5 - 1.
        QVERIFY(std::abs(rgb->first(1)[0][0][5][5].item<double>() - (200 / 127.5 - 1)) < 1e-5);

        QTemporaryDir empty;
        QVERIFY_THROWS_EXCEPTION(DataError, openDataset(empty.path().toStdString()));
        try {
            openDataset("no-such-dataset");
            QFAIL("expected DataError");
        } catch (const DataError& e) {
            QVERIFY(QString(e.what()).contains("unknown dataset"));
            QVERIFY(QString(e.what()).contains("moons"));
        }
    }
    void imageDensityPoints()
    {
        QTemporaryDir dir;
        cv::Mat img(64, 64, CV_8UC1, cv::Scalar(255));
        cv::rectangle(img, cv::Rect(8, 8, 16, 48), cv::Scalar(0), cv::FILLED); // a dark bar on the left
        const std::string path = dir.filePath("bar.png").toStdString();
        cv::imwrite(path, img);
        auto ds = openDataset("points:" + path);
        const auto x = ds->first(2000);
        QCOMPARE(x.sizes().vec(), (std::vector<int64_t>{2000, 2}));
        QVERIFY(x.select(1, 0).max().item<double>() < 0.0); // all points left of the centre
    }
    void metricsZeroForIdenticalLargeForShifted()
    {
        auto gen = at::make_generator<at::CPUGeneratorImpl>(0);
        const auto a = torch::randn({3000, 2}, gen, torch::kFloat32);
        const auto b = torch::randn({3000, 2}, gen, torch::kFloat32);
        QVERIFY(metrics::slicedWasserstein(a, a) < 1e-9);
        QVERIFY(std::abs(metrics::mmd(a, a)) < 1e-9);
        const double swFloor = metrics::slicedWasserstein(a, b), swShift = metrics::slicedWasserstein(a, b + 2.0);
        QVERIFY(swFloor < 0.1);
        // A shift by (2, 2) moves every 1-D projection by 2 (u . (1, 1)) with u uniform on the circle: RMS 2.
        QVERIFY(std::abs(swShift - 2.0) < 0.2);
        QVERIFY(metrics::mmd(a, b + 2.0) > 20 * std::abs(metrics::mmd(a, b)));
        // Frechet distance of a shifted Gaussian is |shift|^2.
        const auto f1 = torch::randn({4000, 8}, gen, torch::kFloat32), f2 = torch::randn({4000, 8}, gen, torch::kFloat32);
        QVERIFY(metrics::frechetDistance(f1, f1) < 1e-6);
        const double fd = metrics::frechetDistance(f1, f2 + 1.0);
        QVERIFY2(std::abs(fd - 8.0) < 0.5, qPrintable(QString::number(fd)));
        const auto nn = metrics::nearestNeighbours(a.slice(0, 0, 50), a);
        QVERIFY(nn.distance.max().item<double>() < 1e-3);
        QVERIFY(torch::equal(nn.index, torch::arange(50)));
    }

    void dataFloorAveragesFreshDraws()
    {
        // gmm1d's mean is sum_k pi_k m_k; the mean over 8 draws of 500 points of each draw's sample mean must be
        // within 4 standard errors of it, and the draws must differ (the generator moves on between them).
        const auto ds = openDataset("gmm1d");
        const auto* mix = ds->mixture();
        QVERIFY(mix);
        const double mean = (mix->weights.to(torch::kFloat64) * mix->means.to(torch::kFloat64).squeeze(1)).sum().item<double>();
        const double var = (mix->weights.to(torch::kFloat64) *
                            (mix->stds.to(torch::kFloat64).pow(2) + mix->means.to(torch::kFloat64).squeeze(1).pow(2)))
                               .sum()
                               .item<double>() -
                           mean * mean;
        auto gen = at::make_generator<at::CPUGeneratorImpl>(3);
        const auto f = metrics::dataFloor(*ds, 500, gen, [](const torch::Tensor& x) { return x.to(torch::kFloat64).mean().item<double>(); });
        QCOMPARE(f.draws, metrics::kFloorDraws);
        QVERIFY(f.min < f.mean && f.mean < f.max);
        const double stderrOfMean = std::sqrt(var / (500.0 * f.draws));
        QVERIFY2(std::abs(f.mean - mean) < 4 * stderrOfMean, qPrintable(QString("%1 vs %2").arg(f.mean).arg(mean)));
        QVERIFY_EXCEPTION_THROWN(metrics::dataFloor(*ds, 10, gen, [](const torch::Tensor&) { return 0.0; }, 0), ConfigError);
    }
};

QTEST_APPLESS_MAIN(TestTraining)
#include "test_core_training.moc"
