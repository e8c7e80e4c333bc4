// TrainingController: trains a point MLP on the worker with the loss streaming, writes a package that opens
// as a model with its training log, and stops when cancelled.
#include "app/logic/model.h"
#include "app/logic/training_controller.h"

#include <QDir>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

using namespace difflens::gui;

class TestAppTraining : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void pointDatasetsOnly()
    {
        const QStringList names = TrainingController::pointDatasets();
        QVERIFY(names.contains(QStringLiteral("moons")));
        QVERIFY(names.contains(QStringLiteral("gmm1d")));
        QVERIFY(!names.contains(QStringLiteral("fashion-mnist")));
    }

    void trainsAndWritesAPackage()
    {
        QTemporaryDir dir;
        TrainingController trainer;
        QSignalSpy progress(&trainer, &TrainingController::progress);
        QSignalSpy finished(&trainer, &TrainingController::finished);
        QSignalSpy failed(&trainer, &TrainingController::failed);
        TrainingParams p;
        p.dataset = QStringLiteral("moons");
        p.steps = 60;
        p.batch = 64;
        p.hidden = 32;
        p.blocks = 1;
        p.device = QStringLiteral("cpu");
        p.outputDir = TrainingController::freshPackageDir(dir.path(), p.dataset);
        QCOMPARE(QFileInfo(p.outputDir).fileName(), QStringLiteral("moons-mlp"));
        trainer.start(p);
        QVERIFY(trainer.isRunning());
        QTRY_VERIFY_WITH_TIMEOUT(!finished.isEmpty() || !failed.isEmpty(), 60000);
        QVERIFY2(failed.isEmpty(), failed.isEmpty() ? "" : qPrintable(failed.first().first().toString()));
        QVERIFY(!trainer.isRunning());
        QVERIFY(progress.size() >= 5);
        qint64 last = 0;
        for (const auto& args : progress) {
            QVERIFY(args.at(0).toLongLong() > last);
            last = args.at(0).toLongLong();
            QVERIFY(std::isfinite(args.at(2).toDouble()));
        }
        QCOMPARE(last, 60);
        const QString out = finished.first().first().toString();
        QCOMPARE(out, p.outputDir);
        for (const char* file :
             {"model.pt", "difflens.json", "scheduler_config.json", "loss.csv", "loss_by_t.csv"})
            QVERIFY2(QFileInfo::exists(QDir(out).filePath(QLatin1String(file))), file);
        // The package opens as a model, with its log, and the next name is free.
        const ModelHandle model = loadModel(out, QStringLiteral("cpu"));
        QCOMPARE(model->info.dim, 2);
        QCOMPARE(model->info.dataset, QStringLiteral("moons"));
        QVERIFY(!model->info.trainingLog.isEmpty());
        QVERIFY(!model->info.lossByTLog.isEmpty());
        QVERIFY(model->info.referenceCount > 0);
        QCOMPARE(QFileInfo(TrainingController::freshPackageDir(dir.path(), p.dataset)).fileName(),
                 QStringLiteral("moons-mlp-2"));
    }

    void cancelStops()
    {
        QTemporaryDir dir;
        TrainingController trainer;
        QSignalSpy progress(&trainer, &TrainingController::progress);
        QSignalSpy cancelled(&trainer, &TrainingController::cancelled);
        QSignalSpy finished(&trainer, &TrainingController::finished);
        TrainingParams p;
        p.dataset = QStringLiteral("gmm1d");
        p.steps = 1000000;
        p.batch = 64;
        p.hidden = 32;
        p.device = QStringLiteral("cpu");
        p.outputDir = dir.filePath(QStringLiteral("never"));
        trainer.start(p);
        QVERIFY(progress.wait(30000));
        trainer.cancel();
        QVERIFY(cancelled.wait(30000));
        QVERIFY(finished.isEmpty());
        QVERIFY(cancelled.first().first().toLongLong() < 1000000);
        QVERIFY(!QFileInfo::exists(p.outputDir));
        QVERIFY(!trainer.isRunning());
    }
};

QTEST_GUILESS_MAIN(TestAppTraining)
#include "test_app_training.moc"
