// Export of the built-in nets to PyTorch (models/pytorch_export.h): each shipped kind (MLP on 1-D and 2-D
// points, the Fashion-MNIST UNet) is exported, Debian's Python torch loads state_dict.pt into the exported
// difflens_net.py and runs it on fixed inputs, and its output must match the C++ forward pass to 1e-5.
// Models that cannot be exported (TorchScript, exact) and unwritable output folders get one clear error.
#include "core/errors.h"
#include "core/model_package.h"
#include "core/tensor_io.h"
#include "models/pytorch_export.h"
#include "models/registry.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <torch/torch.h>

namespace {

QString envOr(const char* name, const QString& fallback)
{
    const QString v = qEnvironmentVariable(name);
    return v.isEmpty() ? fallback : v;
}

// Runs the exported module the way a user would: import it from OUT, load, call.
const char* kRunExported = R"(
import sys, torch
sys.path.insert(0, sys.argv[1])
import difflens_net
net = difflens_net.load(sys.argv[1])
inputs = torch.load(sys.argv[2])
with torch.no_grad():
    out = net(inputs["x"], inputs["t"])
torch.save(out, sys.argv[3])
)";

/** The message of what `f` throws as T; empty when it throws nothing or something else. */
template <class T, class F> QString messageOf(F&& f)
{
    try {
        f();
    } catch (const T& e) {
        return QString::fromStdString(e.what());
    } catch (...) {
        return "(another exception)";
    }
    return {};
}

} // namespace

class TestModelsExport : public QObject
{
    Q_OBJECT

    QString m_source, m_python, m_noPython;
    QTemporaryDir m_tmp;

private Q_SLOTS:
    void initTestCase()
    {
        m_source = envOr("DIFFLENS_SOURCE_DIR", QStringLiteral(DIFFLENS_TEST_SOURCE_DIR));
        m_python = envOr("DIFFLENS_PYTHON", "/usr/bin/python3");
        QVERIFY(m_tmp.isValid());
        QProcess p;
        p.start(m_python, {"-c", "import torch"});
        if (!p.waitForFinished(60000) || p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0)
            m_noPython = m_python + " cannot import torch: the Python side is not checked";
        torch::set_num_threads(1);
    }

    void matchesTheCppForward_data()
    {
        QTest::addColumn<QString>("package");
        QTest::addColumn<QString>("architecture");
        QTest::newRow("MLP, 2-D points (moons)") << "moons" << "mlp";
        QTest::newRow("MLP, 1-D points (gmm1d)") << "gmm1d" << "mlp";
        QTest::newRow("UNet, Fashion-MNIST") << "fashion-mnist" << "unet";
    }

    void matchesTheCppForward()
    {
        QFETCH(QString, package);
        QFETCH(QString, architecture);
        const std::string spec = (m_source + "/models/pretrained/" + package).toStdString();
        const QString out = m_tmp.filePath(package);
        const difflens::PytorchExport exported = difflens::exportForPytorch(spec, out.toStdString());
        QCOMPARE(QString::fromStdString(exported.architecture), architecture);
        QCOMPARE(exported.files.size(), size_t(4));
        for (const auto& file : exported.files) QVERIFY2(QFile::exists(QString::fromStdString(file)), file.c_str());

        // The state_dict holds exactly the net's parameters, by the names the C++ module gives them.
        const auto model = difflens::openModel(spec, torch::kCPU);
        const auto weights = difflens::loadTensorDict((out + "/state_dict.pt").toStdString());
        QCOMPARE(int64_t(weights.size()), exported.tensors);
        QCOMPARE(exported.parameters, model.denoiser->parameterCount());
        // The exported metadata opens as data (not as a difflens package) and keeps the schedule.
        const auto scheduler = difflens::SchedulerConfig::fromFile((out + "/scheduler_config.json").toStdString());
        QCOMPARE(scheduler.toJsonText(), model.package.scheduler.toJsonText());

        // Fixed inputs over the whole range of t, values as the sampler sees them (noise around the data).
        torch::manual_seed(20240601);
        std::vector<int64_t> shape = {6};
        shape.insert(shape.end(), model.package.data.shape.begin(), model.package.data.shape.end());
        const auto x = torch::randn(shape) * (architecture == "mlp" ? 2.0 : 1.0);
        const auto t = torch::tensor({0, 1, 17, 250, 640, 999}, torch::kInt64);
        const auto expected = model.denoiser->forward(x, t);
        QVERIFY2(expected.abs().max().item<double>() > 0.05, "the C++ output is too small to tell nets apart");

        if (!m_noPython.isEmpty()) QSKIP(qPrintable(m_noPython));
        const QString in = out + "/check_in.pt", result = out + "/check_out.pt";
        difflens::saveTensorDict(in.toStdString(), {{"x", x}, {"t", t}});
        QProcess p;
        p.start(m_python, {"-c", kRunExported, out, in, result});
        QVERIFY(p.waitForFinished(120000));
        QVERIFY2(p.exitCode() == 0, p.readAllStandardError().constData());
        const auto actual = difflens::loadTensor(result.toStdString());
        QCOMPARE(actual.sizes().vec(), expected.sizes().vec());
        const double maxDiff = (actual - expected).abs().max().item<double>();
        qInfo("%s: max |python - C++| = %.3g over %lld outputs", qPrintable(package), maxDiff,
              static_cast<long long>(expected.numel()));
        QVERIFY2(maxDiff < 1e-5, qPrintable(QString::number(maxDiff)));
    }

    void refusesWhatHasNoWeights()
    {
        const std::string out = m_tmp.filePath("refused").toStdString();
        const QString exact =
            messageOf<difflens::ConfigError>([&] { difflens::exportForPytorch("exact:moons", out); });
        QVERIFY2(exact.contains("exact denoiser") && exact.contains("nothing to export"), qPrintable(exact));

        // A TorchScript file is refused from its metadata alone: PyTorch opens it as it is.
        QDir(m_tmp.path()).mkpath("script");
        QFile file(m_tmp.filePath("script/model.pt"));
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("not read");
        file.close();
        const QString script = messageOf<difflens::ConfigError>(
            [&] { difflens::exportForPytorch(m_tmp.filePath("script").toStdString(), out); });
        QVERIFY2(script.contains("TorchScript") && script.contains("torch.jit.load") &&
                     script.contains("nothing to export"),
                 qPrintable(script));
        QVERIFY2(!QDir(QString::fromStdString(out)).exists(), "a refused export must not create OUT");

        const QString missing =
            messageOf<difflens::ModelError>([&] { difflens::exportForPytorch("/nonexistent/package", out); });
        QVERIFY2(missing.contains("'/nonexistent/package' does not exist"), qPrintable(missing));
    }

    void unwritableOutput()
    {
        const std::string moons = (m_source + "/models/pretrained/moons").toStdString();
        QFile file(m_tmp.filePath("a_file"));
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.close();
        const QString underFile = messageOf<difflens::IoError>(
            [&] { difflens::exportForPytorch(moons, m_tmp.filePath("a_file/out").toStdString()); });
        QVERIFY2(underFile.contains("cannot create the output folder") && underFile.contains("a_file/out"),
                 qPrintable(underFile));
        const QString isFile = messageOf<difflens::IoError>(
            [&] { difflens::exportForPytorch(moons, m_tmp.filePath("a_file").toStdString()); });
        QVERIFY2(isFile.contains("it is a file, not a folder"), qPrintable(isFile));
    }
};

QTEST_GUILESS_MAIN(TestModelsExport)
#include "test_models_export.moc"
