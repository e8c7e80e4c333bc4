// Run files (core/run_file.h): a saved run reads back to the same trajectory, so every re-derived quantity
// (x_t, x0^, mu_theta, mu~, KL) of every step is bitwise the one of the live run; summaries, settings and the
// header survive; a 1,000-step run of 64 Fashion-MNIST-sized images opens and derives its first step within
// 1 s; corrupt, truncated, foreign and newer files are refused with one sentence.
#include "core/errors.h"
#include "core/run_file.h"
#include "core/tensor_io.h"
#include "core/trajectory.h"
#include "models/registry.h"

#include <QElapsedTimer>
#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

#include <torch/torch.h>

using namespace difflens;

namespace {

template <class F> QString errorOf(F&& f)
{
    try {
        f();
    } catch (const DataError& e) {
        return QString::fromStdString(e.what());
    } catch (const std::exception& e) {
        return "(not a DataError) " + QString::fromStdString(e.what());
    }
    return {};
}

bool same(const torch::Tensor& a, const torch::Tensor& b)
{
    if (a.defined() != b.defined()) return false;
    return !a.defined() || (a.sizes() == b.sizes() && torch::equal(a, b));
}

} // namespace

class TestCoreRunFile : public QObject
{
    Q_OBJECT

    QTemporaryDir m_tmp;
    QString m_runPath;

    QString path(const QString& name) const { return m_tmp.filePath(name); }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_tmp.isValid());
        torch::set_num_threads(1);
    }

    void roundTripScrubsTheSame_data()
    {
        QTest::addColumn<QString>("sampler");
        QTest::addColumn<bool>("fromReference");
        QTest::newRow("ddpm from noise") << "ddpm" << false;
        QTest::newRow("ddim eta 0 from the noised reference") << "ddim" << true;
        QTest::newRow("heun") << "heun" << false;
    }

    void roundTripScrubsTheSame()
    {
        QFETCH(QString, sampler);
        QFETCH(bool, fromReference);
        auto model = openModel("exact:moons?n=300", torch::kCPU);
        SamplerSettings settings;
        settings.kind = parseSamplerKind(sampler.toStdString());
        settings.steps = 40;
        settings.startT = fromReference ? 400 : -1;
        auto process = std::make_shared<ReverseProcess>(model.package.scheduler, settings);
        SamplerOptions options;
        options.seed = 11;
        options.batch = 16;
        options.sampleShape = model.package.data.shape;
        options.reference = torch::tensor({{0.5, -0.25}}, torch::kFloat32);
        options.noiseReference = fromReference;
        auto live = std::make_shared<Trajectory>(process, options.reference, false, torch::kFloat16);
        std::vector<double> kls;
        runSampler(*model.denoiser, *process, options, [&](const StepRecord& r) {
            live->record(r);
            kls.push_back(r.kl.defined() ? r.kl.mean().item<double>() : std::nan(""));
        });
        QVERIFY(live->complete());

        RunRecord run;
        run.modelSpec = model.package.path;
        run.modelName = "moons (exact)";
        run.data = model.package.data;
        run.scheduler = model.package.scheduler;
        run.seed = options.seed;
        run.noiseReference = fromReference;
        run.trajectory = live;
        run.settings = {{"mode", fromReference ? "from_reference" : "sample"}, {"t0", 400}};
        run.summaries["kl"] = torch::tensor(kls, torch::kFloat64);
        const QString file = path("round_" + sampler + ".dlrun");
        saveRun(file.toStdString(), run);

        const RunRecord back = loadRun(file.toStdString());
        QCOMPARE(QString::fromStdString(back.modelName), QString("moons (exact)"));
        QCOMPARE(back.seed, uint64_t(11));
        QCOMPARE(back.noiseReference, fromReference);
        QCOMPARE(back.settings.value("t0", 0), 400);
        QCOMPARE(back.scheduler.toJsonText(), run.scheduler.toJsonText());
        QCOMPARE(back.sampler.kind, settings.kind);
        QCOMPARE(back.sampler.startT, settings.startT);
        QCOMPARE(back.trajectory->process().timesteps(), process->timesteps());
        QCOMPARE(back.trajectory->storage(), torch::kFloat16);
        QVERIFY(torch::equal(back.summaries.at("kl").nan_to_num(-1), run.summaries.at("kl").nan_to_num(-1)));
        QCOMPARE(back.trajectory->recordedSteps(), live->recordedSteps());
        for (int i = 0; i < live->recordedSteps(); ++i) {
            const StepRecord a = live->step(i), b = back.trajectory->step(i);
            QVERIFY2(same(a.xt, b.xt) && same(a.xPrev, b.xPrev) && same(a.x0Pred, b.x0Pred) &&
                         same(a.meanModel, b.meanModel) && same(a.posteriorMean, b.posteriorMean),
                     qPrintable(QString("step %1").arg(i)));
            QVERIFY(same(a.kl.nan_to_num(-1), b.kl.nan_to_num(-1)));
        }
        QVERIFY(torch::equal(back.trajectory->state(live->stepCount()), live->state(live->stepCount())));
        m_runPath = file;
    }

    void aRunThatStoppedEarlyOpens()
    {
        auto model = openModel("exact:8gaussians", torch::kCPU);
        auto process = std::make_shared<ReverseProcess>(model.package.scheduler, SamplerKind::Ddim, 30);
        SamplerOptions options;
        options.batch = 4;
        options.sampleShape = model.package.data.shape;
        auto live = std::make_shared<Trajectory>(process, torch::Tensor(), false);
        std::atomic_bool cancel{false};
        runSampler(*model.denoiser, *process, options, [&](const StepRecord& r) {
            live->record(r);
            if (r.index == 11) cancel.store(true);
        }, &cancel);
        QCOMPARE(live->recordedSteps(), 12);
        RunRecord run;
        run.scheduler = model.package.scheduler;
        run.trajectory = live;
        saveRun(path("partial.dlrun").toStdString(), run);
        const RunRecord back = loadRun(path("partial.dlrun").toStdString());
        QCOMPARE(back.trajectory->recordedSteps(), 12);
        QCOMPARE(back.trajectory->stepCount(), 30);
        QVERIFY(torch::equal(back.trajectory->step(11).meanModel, live->step(11).meanModel));
    }

    void badFilesGetOneSentence()
    {
        QVERIFY(!m_runPath.isEmpty());
        QFile good(m_runPath);
        QVERIFY(good.open(QIODevice::ReadOnly));
        const QByteArray bytes = good.readAll();
        const auto write = [this](const QString& name, const QByteArray& data) {
            QFile f(path(name));
            f.open(QIODevice::WriteOnly);
            f.write(data);
            return path(name).toStdString();
        };
        const std::string truncated = write("truncated.dlrun", bytes.left(bytes.size() / 2));
        const std::string garbage = write("garbage.dlrun", QByteArray(5000, 'x'));
        const std::string empty = write("empty.dlrun", QByteArray());
        QString e = errorOf([&] { loadRun(truncated); });
        QVERIFY2(e.contains("is not a Diffusion Lens run file, or it is damaged or truncated"), qPrintable(e));
        e = errorOf([&] { loadRun(garbage); });
        QVERIFY2(e.contains("damaged or truncated"), qPrintable(e));
        e = errorOf([&] { loadRun(empty); });
        QVERIFY2(e.contains("damaged or truncated"), qPrintable(e));
        // A tensor file: torch.save of something that is not a run.
        saveTensor(path("tensor.pt").toStdString(), torch::ones({3}));
        e = errorOf([&] { loadRun(path("tensor.pt").toStdString()); });
        QVERIFY2(e.contains("is not a Diffusion Lens run file") && e.contains("holds a Tensor"), qPrintable(e));
        saveTensorDict(path("dict.pt").toStdString(), {{"x", torch::ones({3})}});
        e = errorOf([&] { loadRun(path("dict.pt").toStdString()); });
        QVERIFY2(e.contains("no 'difflens_run' entry"), qPrintable(e));
        // A newer version.
        c10::impl::GenericDict newer(c10::StringType::get(), c10::AnyType::get());
        newer.insert("difflens_run", c10::IValue(int64_t(kRunFileVersion + 1)));
        newer.insert("header", c10::IValue(std::string("{}")));
        writeFileAtomic(path("newer.dlrun").toStdString(), torch::pickle_save(c10::IValue(newer)));
        e = errorOf([&] { loadRun(path("newer.dlrun").toStdString()); });
        QVERIFY2(e.contains("was written by a newer Diffusion Lens (run format version 2; this version reads up to 1)"),
                 qPrintable(e));
        QVERIFY(!e.contains('\n'));
        // A missing file is an IoError naming it.
        try {
            loadRun(path("missing.dlrun").toStdString());
            QFAIL("no error");
        } catch (const IoError& io) {
            QVERIFY(QString(io.what()).contains("missing.dlrun"));
        }
    }

    void largeRunOpensWithinASecond()
    {
        // 1,000 DDPM steps of 64 28x28 images in float16: about 200 MB of states and outputs.
        SchedulerConfig config;
        auto process = std::make_shared<ReverseProcess>(config, SamplerKind::Ddpm, 1000);
        const auto states = torch::randn({1001, 64, 1, 28, 28}).to(torch::kFloat16);
        const auto outputs = torch::randn({1000, 64, 1, 28, 28}).to(torch::kFloat16);
        RunRecord run;
        run.scheduler = config;
        run.data = DataSpec::images(1, 28, 28);
        run.trajectory = std::make_shared<Trajectory>(process, torch::zeros({1, 1, 28, 28}), true, states, outputs, 1000);
        const std::string file = path("large.dlrun").toStdString();
        saveRun(file, run);
        QElapsedTimer clock;
        clock.start();
        const RunRecord back = loadRun(file);
        const StepRecord first = back.trajectory->step(0);
        const double ms = clock.nsecsElapsed() / 1e6;
        qInfo("opened a 1000-step run of 64 images (%.0f MB) and derived step 1 in %.0f ms",
              QFileInfo(QString::fromStdString(file)).size() / 1e6, ms);
        QVERIFY(torch::equal(first.xt, states[0].to(torch::kFloat32)));
        QVERIFY2(ms < 1000.0, qPrintable(QString::number(ms)));
    }
};

QTEST_GUILESS_MAIN(TestCoreRunFile)
#include "test_core_run_file.moc"
