// `difflens --smoke-test`: the app starts on its default model, samples, draws the steps, and exits 0.
#include <QProcess>
#include <QtTest>

class TestAppSmoke : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void smokeTestExitsCleanly()
    {
        const QString exe = qEnvironmentVariable("DIFFLENS_BINARY_DIR") + QStringLiteral("/app/difflens");
        QVERIFY2(QFileInfo::exists(exe), qPrintable(exe));
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
        p.setProcessEnvironment(env);
        p.start(exe, {QStringLiteral("--smoke-test")});
        QVERIFY(p.waitForStarted());
        QVERIFY2(p.waitForFinished(150000), "difflens --smoke-test did not finish");
        const QString out = QString::fromUtf8(p.readAllStandardOutput());
        const QString err = QString::fromUtf8(p.readAllStandardError());
        QVERIFY2(p.exitStatus() == QProcess::NormalExit, qPrintable(err));
        QVERIFY2(p.exitCode() == 0, qPrintable(out + err));
        QVERIFY2(out.contains(QStringLiteral("sampled 20 steps")), qPrintable(out));
    }

    void helpListsTheOptions()
    {
        const QString exe = qEnvironmentVariable("DIFFLENS_BINARY_DIR") + QStringLiteral("/app/difflens");
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
        p.setProcessEnvironment(env);
        p.start(exe, {QStringLiteral("--help")});
        QVERIFY(p.waitForFinished(30000));
        const QString out = QString::fromUtf8(p.readAllStandardOutput());
        for (const char* option : {"--model", "--device", "--presentation", "--smoke-test"})
            QVERIFY2(out.contains(QLatin1String(option)), option);
    }
};

QTEST_GUILESS_MAIN(TestAppSmoke)
#include "test_app_smoke.moc"
