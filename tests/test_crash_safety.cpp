// Crash-safe writes, proven by killing difflens-cli with SIGKILL (no handler runs, nothing is flushed) at
// seeded random moments and while it writes, then checking what is on disk:
// - train: 30 kills of one chained run (each kill, then --resume); some kills are timed to land while a
//   checkpoint or package file is being written (a *.tmp file exists). Every resume must start from a
//   checkpoint boundary that never goes back, and the finished package's loss.csv and loss_by_t.csv must be
//   byte for byte those of an uninterrupted run with the same seed (resume is exact: weights, Adam, RNG,
//   log).
// - export: the old GIF stays whole or the new one is complete, never a mix or a stub.
// - the atomic tensor writer (dataset --out, saveTensor -> writeFileAtomic): the same for a .pt file.
// Small on purpose (a 2-D MLP, short runs): the whole file runs in well under two minutes on one core.
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QThread>
#include <QtTest>

#include <algorithm>
#include <csignal>
#include <functional>
#include <sys/types.h>

namespace {

QString envOr(const char* name, const QString& fallback)
{
    const QString v = qEnvironmentVariable(name);
    return v.isEmpty() ? fallback : v;
}

QByteArray readAll(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

bool anyTemporary(const QString& dir, const QStringList& patterns)
{
    return !QDir(dir).entryList(patterns, QDir::Files | QDir::Hidden).isEmpty();
}

/** How a kill went: whether the process was still running, and whether a temporary file was open. */
struct Kill
{
    bool killed = false;      // false: it had finished before the moment came
    bool duringWrite = false; // a temporary file existed when the signal was sent
    QByteArray err;           // its stderr up to then
    int exitCode = -1;        // when it was not killed
    bool running = false;     // still running after the waits (a hung or very slow run)
};

} // namespace

class TestCrashSafety : public QObject
{
    Q_OBJECT

    QString m_cli;
    QTemporaryDir m_tmp;
    QRandomGenerator m_rng{20240601}; // fixed seed: the same moments every run

    QProcessEnvironment env() const
    {
        auto e = QProcessEnvironment::systemEnvironment();
        e.remove("DIFFLENS_PROGRESS");
        e.insert("OMP_NUM_THREADS", "1");
        return e;
    }

    /** Runs to the end; returns the exit code (-1: crashed or timed out). */
    int run(const QStringList& args, QByteArray* err = nullptr)
    {
        QProcess p;
        p.setProcessEnvironment(env());
        p.start(m_cli, args);
        if (!p.waitForFinished(120000)) {
            p.kill();
            p.waitForFinished();
            return -1;
        }
        if (err) *err = p.readAllStandardError();
        return p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    }

    /**
     * Starts the CLI and sends SIGKILL `delayMs` after stderr shows `ready` (the work has begun), or, with
     * `onWrite`, as soon as a file matching `patterns` appears in `dir` (mid-write).
     */
    Kill startAndKill(const QStringList& args, const QString& ready, int delayMs, bool onWrite,
                      const QString& dir, const QStringList& patterns)
    {
        const QString log = m_tmp.filePath(QStringLiteral("stderr.log"));
        QFile::remove(log);
        QProcess p;
        p.setProcessEnvironment(env());
        p.setStandardErrorFile(log);
        p.start(m_cli, args);
        Kill k;
        if (!p.waitForStarted(30000)) return k;
        QElapsedTimer clock;
        clock.start();
        qint64 readyAt = -1;
        while (p.state() == QProcess::Running && clock.elapsed() < 60000) {
            if (readyAt < 0 && (ready.isEmpty() || readAll(log).contains(ready.toUtf8())))
                readyAt = clock.elapsed();
            const bool writing = anyTemporary(dir, patterns);
            if (readyAt >= 0 &&
                ((onWrite && writing) || (!onWrite && clock.elapsed() - readyAt >= delayMs))) {
                ::kill(static_cast<pid_t>(p.processId()), SIGKILL);
                k.killed = true;
                k.duringWrite = writing;
                break;
            }
            QThread::usleep(150);
            p.waitForFinished(0); // lets QProcess notice an exit
        }
        p.waitForFinished(30000);
        k.running = p.state() != QProcess::NotRunning;
        if (!k.killed) k.killed = p.exitStatus() == QProcess::CrashExit;
        if (!k.killed && !k.running) k.exitCode = p.exitCode();
        k.err = readAll(log);
        return k;
    }

    /**
     * Writes an old file (seed 1) and a new one (seed 2, timed), then 10 times puts the old file at the target,
     * starts the seed-2 command aimed at it and SIGKILLs it within 80% of the time that command takes on this
     * machine (every second kill waits for a temporary file matching `pattern`): the target must be the old
     * file or the complete new one, never a torn one.
     */
    void killWhileReplacing(const char* what, const std::function<QStringList(const QString&, int)>& args,
                            const QString& name, const QString& pattern, qint64 minBytes)
    {
        const QString oldFile = m_tmp.filePath("old-" + name), newFile = m_tmp.filePath("new-" + name);
        QCOMPARE(run(args(oldFile, 1)), 0);
        QElapsedTimer clock;
        clock.start();
        QCOMPARE(run(args(newFile, 2)), 0);
        const int span = std::max(50, static_cast<int>(clock.elapsed() * 8 / 10)); // a fixed range outlives it on a fast machine
        const QByteArray oldBytes = readAll(oldFile), newBytes = readAll(newFile);
        QVERIFY(oldBytes.size() > minBytes && newBytes.size() > minBytes && oldBytes != newBytes);
        const QString target = m_tmp.filePath(QString::fromLatin1(what).split(' ').first() + "/" + name);
        QVERIFY(QDir().mkpath(QFileInfo(target).absolutePath()));
        int killed = 0, duringWrite = 0;
        for (int i = 0; i < 10; ++i) {
            QFile::remove(target);
            QVERIFY(QFile::copy(oldFile, target));
            const Kill k = startAndKill(args(target, 2), QString(), m_rng.bounded(span), i % 2 == 1,
                                        QFileInfo(target).absolutePath(), {pattern});
            killed += k.killed;
            duringWrite += k.duringWrite;
            const QByteArray now = readAll(target);
            QVERIFY2(now == oldBytes || now == newBytes,
                     qPrintable(
                         QString("kill %1 left a file of %2 bytes that is neither").arg(i).arg(now.size())));
        }
        qInfo("%s: %d kills (%d while the file was being written)", what, killed, duringWrite);
        QVERIFY(killed >= 8);
        QVERIFY(duringWrite >= 3);
    }

private Q_SLOTS:
    void initTestCase()
    {
        const QString bin = envOr("DIFFLENS_BINARY_DIR", QStringLiteral(DIFFLENS_TEST_BINARY_DIR));
        m_cli = bin + "/app/difflens-cli";
        QVERIFY(m_tmp.isValid());
        QVERIFY2(QFileInfo(m_cli).isExecutable(), qPrintable(m_cli + " is not built"));
    }

    void trainResumesFromTheLastCompleteCheckpoint()
    {
        constexpr int kSteps = 1500, kEvery = 25, kKills = 30;
        const auto trainArgs = [&](const QString& out) {
            return QStringList{"train",
                               "--dataset",
                               "moons",
                               "--arch",
                               "mlp",
                               "--hidden",
                               "64",
                               "--blocks",
                               "2",
                               "--batch",
                               "64",
                               "--steps",
                               QString::number(kSteps),
                               "--checkpoint-every",
                               QString::number(kEvery),
                               "--seed",
                               "7",
                               "--threads",
                               "1",
                               "--out",
                               out};
        };
        const QString reference = m_tmp.filePath(QStringLiteral("train-reference"));
        QCOMPARE(run(trainArgs(reference)), 0);
        const QByteArray referenceLog = readAll(reference + "/loss.csv");
        QCOMPARE(referenceLog.count('\n'), kSteps + 1);

        const QString dir = m_tmp.filePath(QStringLiteral("train-killed"));
        const QRegularExpression fromStep(QStringLiteral("from step (\\d+) to"));
        int lastFrom = 0, killed = 0, duringWrite = 0, resumes = 0, completed = 0;
        bool finished = false;
        // Kill until kKills kills have landed: a run that completes between kills (a fast machine) is checked
        // against the reference at once and training starts again from scratch.
        for (int i = 0; killed < kKills && i < 10 * kKills; ++i) {
            if (finished) {
                QCOMPARE(readAll(dir + "/loss.csv"), referenceLog);
                ++completed;
                QVERIFY(QDir(dir).removeRecursively());
                lastFrom = 0;
                finished = false;
            }
            QStringList args = trainArgs(dir);
            const bool resume = QFileInfo::exists(dir + "/checkpoint.pt");
            if (resume) args << "--resume";
            // Every third kill waits for a file being written; the others come 0-400 ms into the training.
            const bool onWrite = i % 3 == 2;
            const Kill k = startAndKill(args, QStringLiteral("from step"), m_rng.bounded(400), onWrite, dir,
                                        {QStringLiteral("*.tmp")});
            const auto m = fromStep.match(QString::fromUtf8(k.err));
            QVERIFY2(m.hasMatch() || !k.killed, k.err.constData());
            if (m.hasMatch()) {
                const int from = m.captured(1).toInt();
                // The run starts where the last complete checkpoint left off: a checkpoint boundary, never
                // earlier than before (a torn checkpoint would fail to load or send it back).
                QVERIFY2(from % kEvery == 0, qPrintable(QString("resumed from step %1").arg(from)));
                QVERIFY2(from >= lastFrom,
                         qPrintable(QString("went back from %1 to %2").arg(lastFrom).arg(from)));
                if (resume) ++resumes;
                lastFrom = from;
            }
            killed += k.killed;
            duringWrite += k.duringWrite;
            finished = !k.killed;
            // A run that was not killed must have completed: say why not, with its stderr.
            QVERIFY2(!finished || (!k.running && k.exitCode == 0),
                     qPrintable(QString("run %1 ended with exit code %2%3:\n%4")
                                    .arg(i)
                                    .arg(k.exitCode)
                                    .arg(k.running ? " (still running after 90 s)" : "")
                                    .arg(QString::fromUtf8(k.err.right(2000)))));
        }
        if (!finished) {
            QByteArray err;
            // The last kill may have come before the first checkpoint of a fresh run: then it starts over.
            QStringList last = trainArgs(dir);
            if (QFileInfo::exists(dir + "/checkpoint.pt")) last << "--resume";
            const int code = run(last, &err);
            QVERIFY2(code == 0, qPrintable(QString("the last resume exited %1:\n%2").arg(code).arg(QString::fromUtf8(err.right(2000)))));
        }
        qInfo("train: %d kills (%d while a checkpoint or package file was being written), %d resumes, %d runs "
              "completed between kills", killed, duringWrite, resumes, completed);
        QCOMPARE(killed, kKills);
        QVERIFY2(duringWrite >= 5, "too few kills landed while a file was written");
        QVERIFY(resumes >= kKills - 3 - completed); // the first run of each cycle starts fresh
        QCOMPARE(readAll(dir + "/loss.csv"), referenceLog);
        QCOMPARE(readAll(dir + "/loss_by_t.csv"), readAll(reference + "/loss_by_t.csv"));
        QCOMPARE(readAll(dir + "/model.pt").size(), readAll(reference + "/model.pt").size());
    }

    void exportLeavesTheOldFileOrTheNewOne()
    {
        killWhileReplacing(
            "export",
            [](const QString& out, int seed) {
                return QStringList{"export",  "--model", "exact:moons", "--format", "gif",
                                   "--num-samples", "64", "--steps", "40", "--frames", "all",
                                   "--seed", QString::number(seed), "--out", out};
            },
            QStringLiteral("run.gif"), QStringLiteral(".*partial*"), 1000);
    }

    void tensorWriterLeavesTheOldFileOrTheNewOne()
    {
        killWhileReplacing(
            "tensor writer",
            [](const QString& out, int seed) {
                return QStringList{"dataset", "moons", "--num", "2000000", "--seed", QString::number(seed),
                                   "--out", out};
            },
            QStringLiteral("x.pt"), QStringLiteral("*.tmp"), 1000000);
    }
};

QTEST_GUILESS_MAIN(TestCrashSafety)
#include "test_crash_safety.moc"
