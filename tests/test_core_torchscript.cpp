// The C++ sampler on TorchScript models against scripts/reference_sampler.py, the same seeded loop in Python
// PyTorch (diffusers' DDPMScheduler / DDIMScheduler arithmetic), on the packages scripts/make_test_models.py
// writes (ctest fixture core_testdata). Both sides run the same TorchScript file through the same libtorch
// kernels with the same thread count, draw the same random numbers (CPU generator, same seed, same order) and
// evaluate every tensor expression in the same order with float64 coefficients, so the samples are expected
// to be bitwise identical; the test requires max |C++ - Python| < 1e-5 and reports how far from bitwise they
// are.
#include "core/denoiser.h"
#include "core/errors.h"
#include "core/model_package.h"
#include "core/sampler.h"
#include "core/tensor_io.h"
#include "models/registry.h"

#include <torch/torch.h>

#include <QDir>
#include <QFileInfo>
#include <QProcess>
#include <QProcessEnvironment>
#include <QTemporaryDir>
#include <QtTest>

using namespace difflens;

namespace {

QString envOr(const char* name, const QString& fallback)
{
    const QString v = qEnvironmentVariable(name);
    return v.isEmpty() ? fallback : v;
}

} // namespace

class TestCoreTorchScript : public QObject
{
    Q_OBJECT

    QString m_python, m_source, m_data;
    QTemporaryDir m_tmp;

    /** Runs python with args; returns stdout, fails the test with stderr on a non-zero exit. */
    QByteArray runPython(const QStringList& args, bool* ok)
    {
        QProcess p;
        p.start(m_python, args);
        *ok = p.waitForFinished(120000) && p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
        if (!*ok)
            qWarning().noquote() << "python" << args.join(' ') << "failed:\n" << p.readAllStandardError();
        return p.readAllStandardOutput();
    }

private Q_SLOTS:
    void initTestCase()
    {
        m_python = envOr("DIFFLENS_PYTHON", "/usr/bin/python3");
        m_source = envOr("DIFFLENS_SOURCE_DIR", QStringLiteral(DIFFLENS_TEST_SOURCE_DIR));
        m_data = envOr("DIFFLENS_BINARY_DIR", QStringLiteral(DIFFLENS_TEST_BINARY_DIR)) + "/testdata";
        QVERIFY(m_tmp.isValid());
        if (!QFileInfo::exists(m_data + "/mlp2d/model.pt")) {
            QProcess probe;
            probe.start(m_python, {"-c", "import torch"});
            const bool hasTorch = probe.waitForFinished(60000) && probe.exitCode() == 0;
            if (!hasTorch)
                QSKIP(qPrintable(m_python +
                                 " cannot import torch: the TorchScript test models and the Python reference "
                                 "sampler need PyTorch (Debian: apt install python3-torch)"));
            QFAIL(qPrintable("test models missing in " + m_data +
                             ": run 'ctest -R core_testdata' (scripts/make_test_models.py) first"));
        }
    }

    void packagesRead()
    {
        const auto p = ModelPackage::read((m_data + "/mlp2d").toStdString());
        QCOMPARE(p.name, std::string("mlp2d"));
        QCOMPARE(p.format, std::string("torchscript"));
        QVERIFY(p.hasSchedulerConfig);
        QCOMPARE(p.data.shape, (std::vector<int64_t>{2}));
        QCOMPARE(p.data.low, -4.0);
        QCOMPARE(p.scheduler.clipSample, false);
        const auto u = ModelPackage::read((m_data + "/unet_small").toStdString());
        QVERIFY(u.data.isImage());
        QCOMPARE(u.data.shape, (std::vector<int64_t>{1, 28, 28}));
        QCOMPARE(u.scheduler.clipSample, true);
        const auto v = ModelPackage::read((m_data + "/mlp2d_v").toStdString());
        QCOMPARE(v.scheduler.predictionType, std::string("v_prediction"));
        const auto d = ModelPackage::read((m_data + "/mlp2d_ddim_trailing").toStdString());
        QCOMPARE(d.scheduler.timestepSpacing, std::string("trailing"));
        QCOMPARE(d.scheduler.setAlphaToOne, false);
        // A bare model.pt path reads the files beside it.
        const auto file = ModelPackage::read((m_data + "/mlp2d_learned/model.pt").toStdString());
        QCOMPARE(file.scheduler.varianceType, std::string("learned_range"));
    }

    void parameterCountMatchesPython()
    {
        for (const char* name : {"mlp2d", "unet_small"}) {
            bool ok = false;
            const QString dir = m_data + "/" + name;
            const auto out = runPython({"-c",
                                        "import sys, torch; m = torch.jit.load(sys.argv[1]); "
                                        "print(sum(p.numel() for p in m.parameters()))",
                                        dir + "/model.pt"},
                                       &ok);
            QVERIFY(ok);
            TorchScriptDenoiser model((dir + "/model.pt").toStdString(), torch::kCPU);
            QCOMPARE(model.parameterCount(), out.trimmed().toLongLong());
            QVERIFY(model.parameterCount() > 1000);
        }
    }

    void brokenFilesThrow()
    {
        try {
            TorchScriptDenoiser((m_data + "/corrupt/model.pt").toStdString(), torch::kCPU);
            QFAIL("no ModelError");
        } catch (const ModelError& e) {
            QVERIFY2(QString(e.what()).contains("is not a TorchScript model"), e.what());
            QVERIFY2(!QString(e.what()).contains("Exception raised from"), e.what());
        }
        try {
            TorchScriptDenoiser((m_data + "/nothing-here/model.pt").toStdString(), torch::kCPU);
            QFAIL("no ModelError");
        } catch (const ModelError& e) {
            QVERIFY2(QString(e.what()).contains("does not exist"), e.what());
        }
        // A model that fails inside forward (2-D MLP given 3-D points): ModelError naming the input shape.
        TorchScriptDenoiser mlp((m_data + "/mlp2d/model.pt").toStdString(), torch::kCPU);
        try {
            mlp.forward(torch::zeros({4, 3}), torch::zeros({4}, torch::kInt64));
            QFAIL("no ModelError");
        } catch (const ModelError& e) {
            QVERIFY2(QString(e.what()).contains("failed on input of shape [4, 3]"), e.what());
        }
    }

    void matchesPythonReference_data()
    {
        QTest::addColumn<QString>("model");
        QTest::addColumn<QString>("sampler");
        QTest::addColumn<int>("steps");
        QTest::addColumn<double>("eta");
        QTest::addColumn<int>("seed");
        QTest::addColumn<int>("batch");
        QTest::addColumn<QString>("init"); // file under testdata/tensors, or empty: x_T from the seed
        QTest::newRow("ddpm full") << "mlp2d"
                                   << "ddpm" << 0 << 0.0 << 0 << 16 << "";
        QTest::newRow("ddpm 50") << "mlp2d"
                                 << "ddpm" << 50 << 0.0 << 1 << 16 << "";
        QTest::newRow("ddpm 100 from init") << "mlp2d"
                                            << "ddpm" << 100 << 0.0 << 2 << 8 << "init_points.pt";
        QTest::newRow("ddim eta 0") << "mlp2d"
                                    << "ddim" << 50 << 0.0 << 3 << 16 << "";
        QTest::newRow("ddim eta 1") << "mlp2d"
                                    << "ddim" << 50 << 1.0 << 4 << 16 << "";
        QTest::newRow("v_prediction ddpm full") << "mlp2d_v"
                                                << "ddpm" << 0 << 0.0 << 5 << 16 << "";
        QTest::newRow("v_prediction ddim") << "mlp2d_v"
                                           << "ddim" << 25 << 0.0 << 6 << 16 << "";
        QTest::newRow("sample ddpm full") << "mlp2d_sample"
                                          << "ddpm" << 0 << 0.0 << 7 << 16 << "";
        QTest::newRow("learned_range ddpm full") << "mlp2d_learned"
                                                 << "ddpm" << 0 << 0.0 << 8 << 16 << "";
        QTest::newRow("learned_range ddpm 50") << "mlp2d_learned"
                                               << "ddpm" << 50 << 0.0 << 9 << 16 << "";
        QTest::newRow("ddim trailing, no alpha one") << "mlp2d_ddim_trailing"
                                                     << "ddim" << 50 << 0.0 << 10 << 16 << "";
        QTest::newRow("ddim trailing eta 0.5") << "mlp2d_ddim_trailing"
                                               << "ddim" << 20 << 0.5 << 11 << 16 << "";
        QTest::newRow("unet ddpm 50 clipped") << "unet_small"
                                              << "ddpm" << 50 << 0.0 << 12 << 2 << "";
        QTest::newRow("unet ddim 20 from init") << "unet_small"
                                                << "ddim" << 20 << 0.0 << 13 << 2 << "init_image.pt";
        // DDIM with eps re-derived from the clipped x0^ (diffusers' use_clipped_model_output=True).
        QTest::newRow("ddim eta 1 clipped eps") << "mlp2d"
                                                << "ddim-clipped-eps" << 50 << 1.0 << 14 << 16 << "";
        QTest::newRow("unet ddim 20 clipped eps") << "unet_small"
                                                  << "ddim-clipped-eps" << 20 << 0.0 << 15 << 2 << "init_image.pt";
    }

    void matchesPythonReference()
    {
        QFETCH(QString, model);
        QFETCH(QString, sampler);
        QFETCH(int, steps);
        QFETCH(double, eta);
        QFETCH(int, seed);
        QFETCH(int, batch);
        QFETCH(QString, init);
        const QString dir = m_data + "/" + model;
        const QString initPath = init.isEmpty() ? QString() : m_data + "/tensors/" + init;

        // C++: the package as the app and CLI open it.
        const auto loaded = openModel(dir.toStdString(), torch::kCPU);
        const QString clippedSuffix = QStringLiteral("-clipped-eps");
        const bool clippedEps = sampler.endsWith(clippedSuffix);
        if (clippedEps) sampler.chop(clippedSuffix.size());
        SamplerSettings settings{parseSamplerKind(sampler.toStdString()), steps, eta};
        settings.clippedModelOutput = clippedEps;
        const ReverseProcess process(loaded.package.scheduler, settings);
        SamplerOptions o;
        o.seed = static_cast<uint64_t>(seed);
        o.batch = batch;
        o.sampleShape = loaded.package.data.shape;
        if (!initPath.isEmpty()) o.init = loadTensor(initPath.toStdString());
        const auto cpp = runSampler(*loaded.denoiser, process, o).sample;

        // Python, with the same thread count.
        const QString out =
            m_tmp.filePath(QString("ref_%1.pt").arg(QTest::currentDataTag()).replace(' ', '_'));
        QStringList args = {m_source + "/scripts/reference_sampler.py",
                            "--model",
                            dir,
                            "--sampler",
                            sampler,
                            "--steps",
                            QString::number(steps),
                            "--eta",
                            QString::number(eta, 'g', 17),
                            "--seed",
                            QString::number(seed),
                            "--num-samples",
                            QString::number(batch),
                            "--threads",
                            QString::number(torch::get_num_threads()),
                            "--out",
                            out};
        if (!initPath.isEmpty()) args << "--init" << initPath;
        if (clippedEps) args << "--clipped-model-output";
        bool ok = false;
        runPython(args, &ok);
        QVERIFY(ok);
        const auto py = loadTensor(out.toStdString());

        QCOMPARE(py.sizes().vec(), cpp.sizes().vec());
        QVERIFY(torch::isfinite(cpp).all().item<bool>());
        // Not a trivial agreement: the samples vary and stay in a sane range.
        QVERIFY(cpp.std().item<double>() > 1e-3);
        QVERIFY(cpp.abs().max().item<double>() < 50.0);
        const double diff = (cpp - py).abs().max().item<double>();
        qInfo().noquote() << QString("%1: %2 steps, max |C++ - Python| = %3%4")
                                 .arg(QTest::currentDataTag())
                                 .arg(process.stepCount())
                                 .arg(diff, 0, 'g', 3)
                                 .arg(torch::equal(cpp, py) ? " (bitwise identical)" : "");
        QVERIFY2(diff < 1e-5, qPrintable(QString("max abs difference %1").arg(diff)));
    }

    // The reference is not trivially equal to anything the C++ side produces: another seed gives another
    // sample.
    void seedMatters()
    {
        const auto loaded = openModel((m_data + "/mlp2d").toStdString(), torch::kCPU);
        const ReverseProcess process(loaded.package.scheduler, SamplerKind::Ddpm, 50);
        SamplerOptions o;
        o.batch = 16;
        o.sampleShape = {2};
        o.seed = 1;
        const auto a = runSampler(*loaded.denoiser, process, o).sample;
        o.seed = 2;
        const auto b = runSampler(*loaded.denoiser, process, o).sample;
        QVERIFY((a - b).abs().max().item<double>() > 0.1);
    }
};

QTEST_GUILESS_MAIN(TestCoreTorchScript)
#include "test_core_torchscript.moc"
