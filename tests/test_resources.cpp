// Resource limits (core/resources.h): memory sizes parsed and printed, the limit's message naming the
// estimate and the limit, the parameter counts behind the built-in nets' estimates against the nets
// themselves, every entry point that allocates refusing an impossible request before allocating (a built-in
// net from difflens.json, an exact denoiser, `difflens-cli sample/train/dataset` with and without
// --max-memory), and the GUI's sampling controller recording only what its budget allows and saying so.
#include "app/logic/model_runtime.h"
#include "app/logic/sampling_controller.h"
#include "core/datasets.h"
#include "core/errors.h"
#include "core/exact.h"
#include "core/exact_guidance.h"
#include "core/image_decode.h"
#include "core/resources.h"
#include "core/tensor_io.h"
#include "core/trajectory.h"
#include "models/nets.h"
#include "models/registry.h"

#include <torch/torch.h>

#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QProcess>
#include <QSignalSpy>
#include <QtTest>

using namespace difflens;

namespace {

constexpr double GiB = 1024.0 * 1024.0 * 1024.0;

QString cliPath()
{
    const QString bin = qEnvironmentVariable("DIFFLENS_BINARY_DIR", QStringLiteral(DIFFLENS_TEST_BINARY_DIR));
    return bin + "/app/difflens-cli";
}

double parameters(torch::nn::Module& net)
{
    double n = 0;
    for (const auto& p : net.parameters())
        n += static_cast<double>(p.numel());
    return n;
}

/** Restores the default limit when a test that set one ends, even on failure. */
struct LimitGuard
{
    explicit LimitGuard(double bytes) { setMemoryLimitBytes(bytes); }
    ~LimitGuard() { setMemoryLimitBytes(0); }
};

} // namespace

class TestResources : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void memorySizes_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<double>("bytes");
        QTest::newRow("G") << "16G" << 16 * GiB;
        QTest::newRow("GiB") << "1.5GiB" << 1.5 * GiB;
        QTest::newRow("GB") << "2GB" << 2 * GiB;
        QTest::newRow("M") << "512M" << 512.0 * 1024 * 1024;
        QTest::newRow("k") << "64k" << 64.0 * 1024;
        QTest::newRow("bytes") << "800000000" << 8e8;
        QTest::newRow("exponent") << "2e9" << 2e9;
        QTest::newRow("T") << "1T" << 1024 * GiB;
    }
    void memorySizes()
    {
        QFETCH(QString, text);
        QFETCH(double, bytes);
        QCOMPARE(parseMemorySize(text.toStdString()), bytes);
    }

    void badMemorySizes()
    {
        for (const char* bad : {"", "abc", "-1", "0", "12X", "G", "1e999", "nan"}) {
            try {
                parseMemorySize(bad);
                QFAIL(qPrintable(QString("accepted '%1'").arg(bad)));
            } catch (const ConfigError& e) {
                QVERIFY(QString(e.what()).contains(QString("'%1'").arg(bad)));
            }
        }
    }

    void formatsBytes()
    {
        QCOMPARE(QString::fromStdString(formatBytes(8e11)), QString("745 GiB"));
        QCOMPARE(QString::fromStdString(formatBytes(1536)), QString("1.50 KiB"));
        QCOMPARE(QString::fromStdString(formatBytes(17.25 * GiB)), QString("17.2 GiB"));
        QCOMPARE(QString::fromStdString(formatBytes(100)), QString("100 bytes"));
    }

    void defaultLimitIsThreeQuartersOfTheMachine()
    {
        qunsetenv("DIFFLENS_MAX_MEMORY");
        QVERIFY(physicalMemoryBytes() > 256.0 * 1024 * 1024);
        QCOMPARE(memoryLimitBytes(), 0.75 * physicalMemoryBytes());
        qputenv("DIFFLENS_MAX_MEMORY", "3G");
        QCOMPARE(memoryLimitBytes(), 3 * GiB);
        {
            LimitGuard limit(2 * GiB); // the flag wins over the variable
            QCOMPARE(memoryLimitBytes(), 2 * GiB);
        }
        qunsetenv("DIFFLENS_MAX_MEMORY");
    }

    void checkNamesTheEstimateAndTheLimit()
    {
        LimitGuard limit(1 * GiB);
        checkMemory("a small thing", 0.5 * GiB); // fits: no throw
        try {
            checkMemory("sampling 7 samples", 2 * GiB);
            QFAIL("2 GiB passed a 1 GiB limit");
        } catch (const ResourceError& e) {
            const QString m = e.what();
            QVERIFY2(m.startsWith("sampling 7 samples needs about 2.00 GiB"), qPrintable(m));
            QVERIFY2(m.contains("memory limit of 1.00 GiB") && m.contains("--max-memory"), qPrintable(m));
        }
    }

    void parameterCountsMatchTheNets_data()
    {
        QTest::addColumn<QByteArray>("architecture");
        QTest::newRow("mlp default") << QByteArray(R"({"type": "mlp"})");
        QTest::newRow("mlp 1-D learned variance") << QByteArray(
            R"({"type": "mlp", "dim": 1, "hidden": 40, "blocks": 5, "embed": 16, "learn_variance": true})");
        QTest::newRow("unet default") << QByteArray(R"({"type": "unet"})");
        QTest::newRow("unet rgb, 2 res blocks, no attention")
            << QByteArray(R"({"type": "unet", "channels": 3, "size": 16, "base": 16, "mults": [1, 2, 4],)"
                          R"( "res_blocks": 2, "attention": false, "groups": 4, "learn_variance": true})");
    }
    void parameterCountsMatchTheNets()
    {
        QFETCH(QByteArray, architecture);
        const auto arch = nlohmann::json::parse(architecture.toStdString());
        auto net = makeNet(arch);
        QCOMPARE(architectureParameterCount(arch), parameters(*net));
    }

    void hugeArchitecturesAreRefusedBeforeAllocating()
    {
        LimitGuard limit(4 * GiB);
        // 2e9 hidden units: about 4e18 weights. Building it would be an allocator error (or a frozen
        // machine).
        try {
            makeNet(nlohmann::json::parse(R"({"type": "mlp", "hidden": 2000000000, "blocks": 2})"));
            QFAIL("built a net of 2e9 hidden units");
        } catch (const ResourceError& e) {
            QVERIFY2(QString(e.what()).contains("parameters)") && QString(e.what()).contains("4.00 GiB"),
                     e.what());
        }
        // Malformed sizes are configuration errors (groups 0 was a division by zero, 40 levels a bad shift).
        for (const char* bad :
             {R"({"type": "unet", "groups": 0})", R"({"type": "unet", "mults": [1,1,1,1,1,1,1,1,1,1]})",
              R"({"type": "unet", "mults": 3})", R"({"type": "unet", "base": -8})"}) {
            try {
                makeNet(nlohmann::json::parse(bad));
                QFAIL(bad);
            } catch (const ConfigError&) {
            }
        }
    }

    void exactDenoiserIsRefusedBeforeAllocating()
    {
        LimitGuard limit(1 * GiB);
        try {
            openModel("exact:moons?n=2000000000", torch::kCPU);
            QFAIL("opened an exact denoiser of 2e9 points under a 1 GiB limit");
        } catch (const ResourceError& e) {
            QVERIFY2(
                QString(e.what()).startsWith("the exact denoiser of 2000000000 items of moons needs about"),
                e.what());
        }
        QCOMPARE(openModel("exact:moons?n=200", torch::kCPU).denoiser->kind(), std::string("exact-set"));
    }

    // Without n, exact: takes a training set whole (the GUI's default image entry) and 1,000 draws of a
    // generated point set; n= still picks a part.
    void exactSpecDefaultsToTheWholeTrainingSet()
    {
        const auto items = [](const std::string& spec) {
            return exactMixtureOf(openModel(spec, torch::kCPU).denoiser)->components();
        };
        QCOMPARE(items("exact:moons"), int64_t{1000});
        try {
            const int64_t all = openDataset("fashion-mnist")->size();
            QVERIFY(all >= 10000);
            QCOMPARE(items("exact:fashion-mnist"), all);
            QCOMPARE(items("exact:fashion-mnist?n=1000"), int64_t{1000});
        } catch (const DataError& e) {
            QSKIP(e.what()); // no Fashion-MNIST on this machine
        }
    }

    // A damaged .pt whose pickle claims a 2 GB string: LibTorch's unpickler would zero-fill that much before it
    // found the file too short (fuzz_tensor_file: 30 s under ASan). core/pickle_scan refuses it up front; the
    // undamaged file still loads.
    void damagedPickleLengthsAreRefusedBeforeAllocating()
    {
        QTemporaryDir dir;
        const std::string good = dir.filePath("good.pt").toStdString(), bad = dir.filePath("bad.pt").toStdString();
        saveTensor(good, torch::arange(6, torch::kFloat32));
        QCOMPARE(loadTensor(good).sum().item<double>(), 15.0);
        QFile in(QString::fromStdString(good));
        QVERIFY(in.open(QIODevice::ReadOnly));
        QByteArray bytes = in.readAll();
        const int at = bytes.indexOf(QByteArray("storage", 7));
        QVERIFY2(at > 5 && bytes[at - 5] == 'X', "no BINUNICODE 'storage' in the pickle");
        for (int i = 0; i < 4; ++i) bytes[at - 4 + i] = char(i == 3 ? 0x7f : 0xff); // length 2^31 - 1
        QFile out(QString::fromStdString(bad));
        QVERIFY(out.open(QIODevice::WriteOnly) && out.write(bytes) == bytes.size());
        out.close();
        try {
            loadTensor(bad);
            QFAIL("loaded a pickle that claims a 2 GB string");
        } catch (const DataError& e) {
            QVERIFY2(QString(e.what()).contains("claims a string of 2147483647 bytes where the file has"), e.what());
        }
    }

    void zipAndImageHeadersAreCheckedBeforeAllocating()
    {
        // A .pt whose central directory says a stored record holds 4 GB (it holds 24 bytes): LibTorch's getRecord
        // would allocate the claim before reading (fuzz_tensor_file); the zip check refuses it with the numbers.
        QTemporaryDir dir;
        const std::string good = dir.filePath("good.pt").toStdString(), bad = dir.filePath("bad.pt").toStdString();
        saveTensor(good, torch::arange(6, torch::kFloat32));
        QFile in(QString::fromStdString(good));
        QVERIFY(in.open(QIODevice::ReadOnly));
        QByteArray bytes = in.readAll();
        const int entry = bytes.lastIndexOf(QByteArray("PK\x01\x02", 4), bytes.indexOf(QByteArray("PK\x05\x06", 4)));
        QVERIFY2(entry > 0, "no central directory entry");
        int first = bytes.indexOf(QByteArray("PK\x01\x02", 4));
        for (int i = 0; i < 4; ++i) bytes[first + 24 + i] = char(i == 0 ? 0xfe : 0xff); // unpacked 0xFFFFFFFE
        QFile out(QString::fromStdString(bad));
        QVERIFY(out.open(QIODevice::WriteOnly) && out.write(bytes) == bytes.size());
        out.close();
        try {
            loadTensor(bad);
            QFAIL("loaded a record that claims 4 GB");
        } catch (const DataError& e) {
            QVERIFY2(QString(e.what()).contains("damaged zip archive") && QString(e.what()).contains("claims 4294967294 bytes"),
                     e.what());
        }

        // Image headers that claim more than 8192 x 8192 pixels are refused before OpenCV allocates them.
        const auto write = [&](const QString& name, const QByteArray& data) {
            QFile f(dir.filePath(name));
            if (!f.open(QIODevice::WriteOnly) || f.write(data) != data.size()) return std::string();
            return dir.filePath(name).toStdString();
        };
        const auto refused = [](const std::string& path, const char* claim) {
            try {
                decodeImageFile(path, cv::IMREAD_UNCHANGED);
            } catch (const DataError& e) {
                return QString(e.what()).contains(QString("claims ") + claim + " pixels");
            }
            return false;
        };
        QByteArray png("\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\x01\x86\xa0\0\x01\x86\xa0\x08\x00\0\0\0", 29); // 100000^2
        QVERIFY(refused(write("big.png", png), "10000000000"));
        QByteArray jpeg("\xff\xd8\xff\xe0\0\x04\0\0\xff\xc0\0\x11\x08\xea\x60\xea\x60\x03", 18); // 60000^2
        QVERIFY(refused(write("big.jpg", jpeg), "3600000000"));
        QVERIFY(refused(write("big.pgm", QByteArray("P5\n# big\n20000 20000\n255\n")), "400000000"));
        // Under the limit the decoder decides, as before: a valid 2 x 2 PGM decodes.
        const cv::Mat small = decodeImageFile(write("small.pgm", QByteArray("P5 2 2 255\n\x10\x20\x30\x40", 15)),
                                              cv::IMREAD_UNCHANGED);
        QCOMPARE(small.rows, 2);
        QCOMPARE(small.cols, 2);
        QCOMPARE(int(small.at<unsigned char>(1, 1)), 0x40);
    }

    void cliRefusesWithTheNumbers_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("expected");
        QTest::newRow("sample 1e11")
            << QStringList{"sample",  "--model", "exact:8gaussians", "--num-samples", "100000000000",
                           "--steps", "5"}
            << "sampling 100000000000 samples of 2 values needs about";
        QTest::newRow("sample under --max-memory") << QStringList{"sample",
                                                                  "--model",
                                                                  "exact:8gaussians",
                                                                  "--num-samples",
                                                                  "100000",
                                                                  "--steps",
                                                                  "5",
                                                                  "--max-memory",
                                                                  "1M"}
                                                   << "(set with --max-memory)";
        QTest::newRow("trajectory")
            << QStringList{"sample",  "--model", "exact:8gaussians", "--num-samples", "100000",
                           "--steps", "1000",    "--trajectory",     "/tmp/never.pt", "--max-memory=256M"}
            << "with a trajectory of 1000 steps needs about";
        QTest::newRow("train") << QStringList{"train",        "--dataset", "moons",
                                              "--arch",       "mlp",       "--hidden",
                                              "200000",       "--out",     "/tmp/difflens-never-trained",
                                              "--max-memory", "8G"}
                               << "-parameter net with batch 512 needs about";
        QTest::newRow("dataset") << QStringList{"dataset",      "moons", "--num",
                                                "100000000000", "--out", "/tmp/never.pt"}
                                 << "100000000000 samples of moons needs about";
    }
    void cliRefusesWithTheNumbers()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, expected);
        QVERIFY2(QFileInfo(cliPath()).isExecutable(), qPrintable(cliPath() + " is not built"));
        QProcess p;
        p.start(cliPath(), args);
        QVERIFY(p.waitForFinished(60000));
        const QString err = QString::fromUtf8(p.readAllStandardError()).trimmed();
        QCOMPARE(p.exitStatus(), QProcess::NormalExit);
        QCOMPARE(p.exitCode(), 1);
        QVERIFY2(err.contains(expected) && err.contains("memory limit of"), qPrintable(err));
        QVERIFY2(!err.contains('\n') && !err.contains("tried to allocate"), qPrintable(err));
        QVERIFY(!QFileInfo::exists("/tmp/never.pt"));
    }

    void cliRejectsABadLimit()
    {
        QProcess p;
        p.start(cliPath(), {"schedule", "--max-memory", "lots"});
        QVERIFY(p.waitForFinished(60000));
        QCOMPARE(p.exitCode(), 2);
        QVERIFY(p.readAllStandardError().contains("memory size 'lots' is not a size"));
    }

    void guiRecordsWhatItsBudgetAllows()
    {
        using namespace difflens::gui;
        const ModelHandle model = loadModel(QStringLiteral("exact:8gaussians"), QStringLiteral("cpu"));
        SamplingController controller;
        SamplingParams p;
        p.model = model;
        p.sampler = QStringLiteral("DDIM");
        p.steps = 20;
        p.batch = 100;
        // 2-D points in float32: 21 states and 20 outputs of 2 values per sample = 328 bytes; room for 10.
        const double perSample = (21 * 2 + 20 * 2) * 4.0;
        controller.setRecordingBudget(10.5 * perSample);
        QSignalSpy notice(&controller, &SamplingController::notice),
            finished(&controller, &SamplingController::finished);
        controller.start(p);
        QVERIFY(finished.wait(60000));
        QCOMPARE(controller.recordedBatch(), 10);
        QCOMPARE(controller.trajectory()->batch(), 10);
        QCOMPARE(controller.trajectory()->recordedSteps(), 20);
        QCOMPARE(notice.count(), 1);
        QVERIFY2(notice.first().first().toString().startsWith("Recording the first 10 of 100 samples"),
                 qPrintable(notice.first().first().toString()));
        // The summaries still cover the whole batch: its per-step time and count are there for every step.
        QCOMPARE(controller.summaries().size(), 20);

        controller.setRecordingBudget(0); // the default budget holds all 100
        QSignalSpy again(&controller, &SamplingController::finished);
        notice.clear();
        controller.start(p);
        QVERIFY(again.wait(60000));
        QCOMPARE(controller.trajectory()->batch(), 100);
        QCOMPARE(notice.count(), 0);
    }
};

QTEST_GUILESS_MAIN(TestResources)
#include "test_resources.moc"
