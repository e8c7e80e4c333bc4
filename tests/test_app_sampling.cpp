// SamplingController: steps arrive in order while the worker records them, cancel stops within one step,
// misbehaving models and invalid settings report failed() with one readable line, a new run supersedes the
// old one, the score field is computed on the worker, large runs are stored in float16.
#include "app/logic/model_runtime.h"
#include "app/logic/sampling_controller.h"
#include "core/denoiser.h"
#include "core/errors.h"
#include "core/tensor_io.h"
#include "core/trajectory.h"

#include <torch/torch.h>

#include <QDir>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include <chrono>
#include <functional>
#include <thread>

using namespace difflens;
using namespace difflens::gui;

namespace {

using ForwardFn = std::function<torch::Tensor(const torch::Tensor&, const torch::Tensor&)>;

/** A denoiser that returns whatever a function makes of (x, t). */
class FunctionDenoiser final : public Denoiser
{
public:
    explicit FunctionDenoiser(ForwardFn f) : m_f(std::move(f)) {}
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& t) override { return m_f(x, t); }
    torch::Device device() const override { return torch::kCPU; }
    void moveTo(torch::Device) override {}
    std::string kind() const override { return "test"; }

private:
    ForwardFn m_f;
};

ModelHandle functionModel(ForwardFn f, DataSpec data = DataSpec::points(2))
{
    LoadedModel loaded;
    loaded.package.name = "test";
    loaded.package.format = "test";
    loaded.package.data = data;
    loaded.package.scheduler.clipSample = data.isImage();
    loaded.denoiser = std::make_shared<FunctionDenoiser>(std::move(f));
    std::vector<int64_t> shape{8};
    shape.insert(shape.end(), data.shape.begin(), data.shape.end());
    return makeModel(QStringLiteral("test:function"), std::move(loaded), torch::kCPU, torch::zeros(shape));
}

SamplingParams params(ModelHandle model, int steps, int batch = 16,
                      const QString& sampler = QStringLiteral("DDPM"))
{
    SamplingParams p;
    p.model = std::move(model);
    p.sampler = sampler;
    p.steps = steps;
    p.batch = batch;
    p.seed = 3;
    return p;
}

bool waitForEnd(QSignalSpy& finished, QSignalSpy& cancelled, QSignalSpy& failed, int ms = 60000)
{
    QElapsedTimer timer;
    timer.start();
    while (finished.isEmpty() && cancelled.isEmpty() && failed.isEmpty() && timer.elapsed() < ms)
        QTest::qWait(5);
    return !(finished.isEmpty() && cancelled.isEmpty() && failed.isEmpty());
}

} // namespace

class TestAppSampling : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { qRegisterMetaType<QVector<QPointF>>(); }

    void stepsArriveInOrder()
    {
        const ModelHandle model = loadModel(QStringLiteral("exact:8gaussians"), QStringLiteral("cpu"));
        SamplingController controller;
        QSignalSpy started(&controller, &SamplingController::started);
        QSignalSpy steps(&controller, &SamplingController::stepsAvailable);
        QSignalSpy progress(&controller, &SamplingController::progress);
        QSignalSpy finished(&controller, &SamplingController::finished);
        QSignalSpy cancelled(&controller, &SamplingController::cancelled);
        QSignalSpy failed(&controller, &SamplingController::failed);
        controller.start(params(model, 300, 64));
        QCOMPARE(started.size(), 1);
        QCOMPARE(started.first().first().toInt(), 300);
        QVERIFY(controller.trajectory());
        QCOMPARE(controller.totalSteps(), 300);
        QVERIFY(controller.isRunning());
        QVERIFY(waitForEnd(finished, cancelled, failed));
        QCOMPARE(failed.size(), 0);
        QCOMPARE(finished.size(), 1);
        QVERIFY(!controller.isRunning());
        QVERIFY(!steps.isEmpty());
        QCOMPARE(steps.first().first().toInt(), 1); // the first step is reported at once
        int last = 0;
        for (const auto& args : steps) {
            const int n = args.first().toInt();
            QVERIFY2(n >= last, "recorded count went backwards");
            last = n;
        }
        QCOMPARE(last, 300);
        QCOMPARE(progress.last().at(0).toInt(), 300);
        QCOMPARE(progress.last().at(1).toInt(), 300);
        // Throttled: far fewer reports than steps (300 exact steps take well under 30 ms each).
        QVERIFY2(steps.size() < 300, qPrintable(QString::number(steps.size())));
        QCOMPARE(controller.recordedSteps(), 300);
        const QVector<StepSummary> summaries = controller.summaries();
        QCOMPARE(summaries.size(), 300);
        const QVector<long> t = controller.timesteps();
        for (int i = 0; i < summaries.size(); ++i) {
            QCOMPARE(summaries[i].t, t[i]);
            if (i > 0) QVERIFY(summaries[i].t < summaries[i - 1].t);
            QCOMPARE(summaries[i].tracked.size(), kTrackedSamples);
        }
        QCOMPARE(controller.summaries(290).size(), 10);

        // File > Save trajectory: a dict torch.load reads.
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("run.pt"));
        controller.saveTrajectory(path);
        const auto saved = loadTensorDict(path.toStdString());
        QVERIFY(saved.count("x"));
        QCOMPARE(saved.at("x").size(0), 301);
        QCOMPARE(saved.at("x").size(1), 64);
    }

    void referenceGivesKlAndGap()
    {
        const ModelHandle model = loadModel(QStringLiteral("exact:8gaussians"), QStringLiteral("cpu"));
        SamplingController controller;
        QSignalSpy finished(&controller, &SamplingController::finished);
        QSignalSpy cancelled(&controller, &SamplingController::cancelled);
        QSignalSpy failed(&controller, &SamplingController::failed);
        SamplingParams p = params(model, 50, 8);
        p.reference = datasetReference(*model, 3);
        p.fromReference = true;
        p.t0 = 300;
        controller.start(p);
        QVERIFY(waitForEnd(finished, cancelled, failed));
        QCOMPARE(finished.size(), 1);
        const QVector<StepSummary> s = controller.summaries();
        QVERIFY(!s.isEmpty());
        QVERIFY(s.first().t <= 300); // started at t0
        QVERIFY(std::isfinite(s.first().meanKl));
        QVERIFY(std::isfinite(s.first().meanGap));
        QVERIFY(!std::isfinite(s.last().meanKl)); // the last step's L_0 is a likelihood, not a KL
    }

    void cancelStopsWithinOneStep()
    {
        const ModelHandle model = functionModel([](const torch::Tensor& x, const torch::Tensor&) {
            std::this_thread::sleep_for(std::chrono::milliseconds(4));
            return torch::zeros_like(x);
        });
        SamplingController controller;
        QSignalSpy steps(&controller, &SamplingController::stepsAvailable);
        QSignalSpy finished(&controller, &SamplingController::finished);
        QSignalSpy cancelled(&controller, &SamplingController::cancelled);
        QSignalSpy failed(&controller, &SamplingController::failed);
        controller.start(params(model, 1000, 4));
        QTRY_VERIFY_WITH_TIMEOUT(controller.recordedSteps() >= 10, 20000);
        controller.cancel();
        const int atRequest = controller.trajectory()->recordedSteps();
        QVERIFY(waitForEnd(finished, cancelled, failed));
        QCOMPARE(finished.size(), 0);
        QCOMPARE(failed.size(), 0);
        QCOMPARE(cancelled.size(), 1);
        const int final = controller.trajectory()->recordedSteps();
        QVERIFY2(
            final <= atRequest + 1,
            qPrintable(QStringLiteral("%1 steps at the request, %2 at the end").arg(atRequest).arg(final)));
        QCOMPARE(cancelled.first().first().toInt(), final);
        QCOMPARE(steps.last().first().toInt(), final);
        QVERIFY(!controller.isRunning());
    }

    void failingModelReportsReadableError_data()
    {
        QTest::addColumn<int>("kind");
        QTest::addColumn<QString>("expected");
        QTest::newRow("NaN output") << 0 << QStringLiteral("NaN");
        QTest::newRow("wrong shape") << 1 << QStringLiteral("shape");
        QTest::newRow("torch error") << 2 << QStringLiteral("multiplied");
        QTest::newRow("plain exception") << 3 << QStringLiteral("out of coffee");
    }

    void failingModelReportsReadableError()
    {
        QFETCH(int, kind);
        QFETCH(QString, expected);
        // Well behaved at t = 0 (the probe when the model is opened), broken during the run.
        const ModelHandle model = functionModel([kind](const torch::Tensor& x, const torch::Tensor& t) {
            if (t[0].item<long>() < 900) return torch::zeros_like(x);
            switch (kind) {
            case 0:
                return torch::full_like(x, std::nan(""));
            case 1:
                return torch::zeros({x.size(0), 1});
            case 2:
                return torch::matmul(x, torch::zeros({3, 3})); // c10::Error with a backtrace in what()
            default:
                throw std::runtime_error("out of coffee");
            }
        });
        SamplingController controller;
        QSignalSpy finished(&controller, &SamplingController::finished);
        QSignalSpy cancelled(&controller, &SamplingController::cancelled);
        QSignalSpy failed(&controller, &SamplingController::failed);
        controller.start(params(model, 100));
        QVERIFY(waitForEnd(finished, cancelled, failed));
        QCOMPARE(finished.size(), 0);
        QCOMPARE(failed.size(), 1);
        const QString message = failed.first().first().toString();
        QVERIFY2(message.contains(expected, Qt::CaseInsensitive), qPrintable(message));
        QVERIFY2(!message.contains(QLatin1Char('\n')), qPrintable(message));
        QVERIFY2(!message.contains(QStringLiteral("Exception raised from")), qPrintable(message));
        QVERIFY(message.size() < 500);
        QVERIFY(!controller.isRunning());
    }

    void invalidSettingsFail_data()
    {
        QTest::addColumn<int>("steps");
        QTest::addColumn<bool>("fromReference");
        QTest::addColumn<QString>("expected");
        QTest::newRow("more steps than T") << 5000 << false << QStringLiteral("5000");
        QTest::newRow("t0 without reference") << 10 << true << QStringLiteral("reference");
    }

    void invalidSettingsFail()
    {
        QFETCH(int, steps);
        QFETCH(bool, fromReference);
        QFETCH(QString, expected);
        const ModelHandle model = loadModel(QStringLiteral("exact:8gaussians"), QStringLiteral("cpu"));
        SamplingController controller;
        QSignalSpy failed(&controller, &SamplingController::failed);
        SamplingParams p = params(model, steps);
        p.fromReference = fromReference;
        controller.start(p);
        QVERIFY(failed.wait(5000));
        QVERIFY2(failed.first().first().toString().contains(expected),
                 qPrintable(failed.first().first().toString()));
        QVERIFY(!controller.isRunning());
    }

    void newRunSupersedesTheOld()
    {
        const ModelHandle slow = functionModel([](const torch::Tensor& x, const torch::Tensor&) {
            std::this_thread::sleep_for(std::chrono::milliseconds(3));
            return torch::zeros_like(x);
        });
        const ModelHandle fast = loadModel(QStringLiteral("exact:8gaussians"), QStringLiteral("cpu"));
        SamplingController controller;
        QSignalSpy finished(&controller, &SamplingController::finished);
        QSignalSpy cancelled(&controller, &SamplingController::cancelled);
        QSignalSpy failed(&controller, &SamplingController::failed);
        controller.start(params(slow, 1000));
        QTRY_VERIFY_WITH_TIMEOUT(controller.recordedSteps() >= 2, 10000);
        controller.start(params(fast, 40, 8, QStringLiteral("DDIM")));
        QCOMPARE(controller.totalSteps(), 40);
        QVERIFY(finished.wait(20000));
        QTest::qWait(50);
        QCOMPARE(finished.size(), 1);
        QCOMPARE(cancelled.size(), 0); // the superseded run's reports are dropped
        QCOMPARE(failed.size(), 0);
        QCOMPARE(controller.recordedSteps(), 40);
    }

    void scoreFieldOnTheWorker()
    {
        const ModelHandle model = loadModel(QStringLiteral("exact:8gaussians"), QStringLiteral("cpu"));
        SamplingController controller;
        QSignalSpy field(&controller, &SamplingController::fieldReady);
        controller.requestField(model, 100, QRectF(-4, -4, 8, 8), 11);
        QVERIFY(field.wait(5000));
        QCOMPARE(field.first().at(0).value<long>(), 100L);
        const auto origins = field.first().at(1).value<QVector<QPointF>>();
        const auto vectors = field.first().at(2).value<QVector<QPointF>>();
        QCOMPARE(origins.size(), 121);
        QCOMPARE(vectors.size(), 121);
        // At small t the score of 8 Gaussians on a ring of radius 2 points inwards far outside the ring.
        const QPointF corner = vectors.first(); // origin near (-3.6, -3.6)
        QVERIFY(corner.x() > 0 && corner.y() > 0);
    }

    void largeRunsAreStoredAsFloat16()
    {
        const ModelHandle model =
            functionModel([](const torch::Tensor& x, const torch::Tensor&) { return torch::zeros_like(x); },
                          DataSpec::images(1, 28, 28));
        SamplingController controller;
        QSignalSpy finished(&controller, &SamplingController::finished);
        QSignalSpy cancelled(&controller, &SamplingController::cancelled);
        QSignalSpy failed(&controller, &SamplingController::failed);
        controller.start(params(model, 200, 64));
        QVERIFY(waitForEnd(finished, cancelled, failed));
        QCOMPARE(finished.size(), 1);
        const qint64 values = (201 + 200) * 64LL * 784;
        QCOMPARE(controller.trajectoryBytes(), values * 2);
        // A small run keeps float32.
        controller.start(params(model, 10, 2));
        finished.clear();
        QVERIFY(finished.wait(10000));
        QCOMPARE(controller.trajectoryBytes(), (11 + 10) * 2LL * 784 * 4);
    }

    void nanTorchScriptModelIsRefusedWhenOpened()
    {
        const QString dir =
            qEnvironmentVariable("DIFFLENS_BINARY_DIR") + QStringLiteral("/testdata/broken_nan");
        if (!QDir(dir).exists())
            QSKIP("the TorchScript test models are not there (scripts/make_test_models.py)");
        try {
            loadModel(dir, QStringLiteral("cpu"));
            QFAIL("a model returning NaN was accepted");
        } catch (const std::exception& e) {
            const QString message = QString::fromStdString(describeException(e));
            QVERIFY2(message.contains(QStringLiteral("NaN")), qPrintable(message));
        }
    }
};

QTEST_GUILESS_MAIN(TestAppSampling)
#include "test_app_sampling.moc"
