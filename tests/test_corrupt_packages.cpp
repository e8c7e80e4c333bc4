// The corrupt-file corpus: every file of every shipped package (models/pretrained/*) is damaged in 22 ways
// (truncated at 10 seeded offsets, 10 single random bit flips, emptied, replaced by a directory) and the
// damaged package is opened by the GUI (MainWindow through its ModelLoader) and by `difflens-cli info
// --model`. Each open either succeeds (the damage was harmless: a flipped digit in a loss value) or ends in
// one clear line that names the file or the package; never a crash, a hang, a sanitizer report or a C++
// backtrace; and the window keeps the model it had.
//
// Runtime: the full corpus is about 1,100 variants; by default each file gets the empty and the directory
// variant plus 4 of its 20 truncations and flips in the GUI, and one variant (plus the empty model.pt) with
// the CLI (a process start per open), chosen with a fixed seed, so the test takes about a minute on an idle
// machine. DIFFLENS_CORRUPT_FULL=1 opens every variant in both.
#include "app/gui/main_window.h"

#include <QApplication>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QRandomGenerator>
#include <QSettings>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

using namespace difflens::gui;

namespace {

QString envOr(const char* name, const QString& fallback)
{
    const QString v = qEnvironmentVariable(name);
    return v.isEmpty() ? fallback : v;
}

/** One way of damaging a file. */
struct Variant
{
    enum Kind
    {
        Truncate,
        FlipBit,
        Empty,
        Directory
    } kind;
    qint64 offset = 0; // Truncate: new size; FlipBit: byte index
    int bit = 0;
    QString describe() const
    {
        switch (kind) {
        case Truncate:
            return QStringLiteral("truncated to %1 bytes").arg(offset);
        case FlipBit:
            return QStringLiteral("bit %1 of byte %2 flipped").arg(bit).arg(offset);
        case Empty:
            return QStringLiteral("emptied");
        case Directory:
            return QStringLiteral("replaced by a directory");
        }
        return {};
    }
};

/** The 22 variants of a file of `size` bytes, the same for every run (seeded by the file's name). */
QVector<Variant> variantsOf(const QString& name, qint64 size)
{
    QRandomGenerator rng(qHash(name) ^ 0x5eed);
    QVector<Variant> v;
    for (int i = 0; i < 10; ++i)
        v.push_back({Variant::Truncate, size > 1 ? qint64(rng.bounded(size)) : 0, 0});
    for (int i = 0; i < 10; ++i)
        v.push_back({Variant::FlipBit, size > 0 ? qint64(rng.bounded(size)) : 0, int(rng.bounded(8))});
    v.push_back({Variant::Empty});
    v.push_back({Variant::Directory});
    return v;
}

bool apply(const QString& path, const QByteArray& original, const Variant& v)
{
    QFile::remove(path);
    if (v.kind == Variant::Directory) return QDir().mkdir(path);
    QByteArray bytes = original;
    if (v.kind == Variant::Truncate) bytes.truncate(int(v.offset));
    if (v.kind == Variant::Empty) bytes.clear();
    if (v.kind == Variant::FlipBit && !bytes.isEmpty())
        bytes[int(v.offset)] = char(bytes[int(v.offset)] ^ (1 << v.bit));
    QFile f(path);
    return f.open(QIODevice::WriteOnly) && f.write(bytes) == bytes.size();
}

bool restore(const QString& path, const QByteArray& original)
{
    QDir(path).removeRecursively();
    QFile::remove(path);
    QFile f(path);
    return f.open(QIODevice::WriteOnly) && f.write(original) == original.size();
}

/** A message a person can act on: one line, naming the package or file, no backtrace or sanitizer report. */
bool isClearMessage(const QString& message, const QString& package, QString* why)
{
    const QString m = message.trimmed();
    if (m.isEmpty()) return *why = QStringLiteral("empty message"), false;
    if (m.contains(QLatin1Char('\n'))) return *why = QStringLiteral("more than one line"), false;
    for (const char* bad : {"Exception raised from", "frame #", "terminate called", "AddressSanitizer",
                            "runtime error:", "Segmentation", "Traceback"})
        if (m.contains(QLatin1String(bad))) return *why = QStringLiteral("contains '%1'").arg(bad), false;
    if (!package.isEmpty() && !m.contains(package))
        return *why = QStringLiteral("does not name '%1'").arg(package), false;
    return true;
}

} // namespace

class TestCorruptPackages : public QObject
{
    Q_OBJECT

    QString m_cli, m_source;
    QTemporaryDir m_tmp;
    bool m_full = false;
    int m_guiOpens = 0, m_guiLoaded = 0, m_cliRuns = 0, m_cliLoaded = 0, m_files = 0, m_corpus = 0;

    /** Which of a file's variants this run opens (all with DIFFLENS_CORRUPT_FULL=1). */
    QVector<int> chosen(const QString& name, int count, int perFile) const
    {
        QVector<int> all;
        for (int i = 0; i < count; ++i)
            all.push_back(i);
        if (m_full) return all;
        QVector<int> pick{count - 2, count - 1}; // empty and directory, always
        QRandomGenerator rng(qHash(name) ^ 0xc0ffee);
        QVector<int> rest = all.mid(0, count - 2);
        for (int i = 0; i < perFile && !rest.isEmpty(); ++i)
            pick.push_back(rest.takeAt(int(rng.bounded(rest.size()))));
        return pick;
    }

private Q_SLOTS:
    void initTestCase()
    {
        const QString bin = envOr("DIFFLENS_BINARY_DIR", QStringLiteral(DIFFLENS_TEST_BINARY_DIR));
        m_source = envOr("DIFFLENS_SOURCE_DIR", QStringLiteral(DIFFLENS_TEST_SOURCE_DIR));
        m_cli = bin + "/app/difflens-cli";
        m_full = qEnvironmentVariableIntValue("DIFFLENS_CORRUPT_FULL") != 0;
        QVERIFY(m_tmp.isValid());
        QVERIFY2(QFileInfo(m_cli).isExecutable(), qPrintable(m_cli + " is not built"));
    }

    void corruptPackagesGiveClearMessages_data()
    {
        QTest::addColumn<QString>("package");
        const QDir pretrained(m_source + "/models/pretrained");
        const auto entries = pretrained.entryInfoList(QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name);
        QVERIFY(entries.size() >= 8);
        for (const QFileInfo& e : entries)
            QTest::newRow(qPrintable(e.fileName())) << e.absoluteFilePath();
    }

    void corruptPackagesGiveClearMessages()
    {
        QFETCH(QString, package);
        // A working copy: damage one file at a time, then put it back.
        const QString copy = m_tmp.filePath(QFileInfo(package).fileName());
        QVERIFY(QDir().mkpath(copy));
        QStringList files;
        for (const QFileInfo& f : QDir(package).entryInfoList(QDir::Files, QDir::Name)) {
            QVERIFY(QFile::copy(f.absoluteFilePath(), copy + "/" + f.fileName()));
            files << f.fileName();
        }
        // A package folder opens as itself; a folder holding one model file (the classifier) opens the file.
        const bool isPackage =
            QFileInfo::exists(copy + "/difflens.json") || QFileInfo::exists(copy + "/model.pt");
        const QString spec = isPackage || files.size() != 1 ? copy : copy + "/" + files.first();
        const QString named = QFileInfo(copy).fileName();

        MainWindow::Options o;
        o.model = QStringLiteral("exact:8gaussians");
        o.device = QStringLiteral("cpu");
        o.restoreState = false;
        o.autoSample = false;
        o.interactive = false;
        o.settings = std::make_unique<QSettings>(m_tmp.filePath(named + ".ini"), QSettings::IniFormat);
        MainWindow window(std::move(o));
        {
            QSignalSpy ready(&window, &MainWindow::modelReady);
            QVERIFY(window.model() || ready.wait(60000));
        }

        for (const QString& file : files) {
            const QString path = copy + "/" + file;
            const QByteArray original = [&] {
                QFile f(path);
                return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
            }();
            const auto variants = variantsOf(named + "/" + file, original.size());
            ++m_files;
            m_corpus += variants.size();
            const QVector<int> gui = chosen(named + "/" + file, variants.size(), 4);
            // The CLI costs a process start per open: one seeded variant per file, and the empty model.pt.
            QVector<int> cli = chosen(named + "/" + file + "/cli", variants.size(), 1);
            if (!m_full) {
                cli = cli.mid(2);
                if (file == QLatin1String("model.pt")) cli << variants.size() - 2;
            }
            for (int i = 0; i < variants.size(); ++i) {
                if (!gui.contains(i) && !cli.contains(i)) continue;
                const Variant& v = variants[i];
                const QString what = file + " " + v.describe();
                QVERIFY2(apply(path, original, v), qPrintable(what));
                if (gui.contains(i)) {
                    const ModelHandle before = window.model();
                    QSignalSpy ready(&window, &MainWindow::modelReady),
                        error(&window, &MainWindow::errorShown);
                    window.openModel(spec);
                    QTRY_VERIFY2_WITH_TIMEOUT(ready.count() + error.count() > 0,
                                              qPrintable(what + ": the GUI gave no answer"), 60000);
                    ++m_guiOpens;
                    if (error.count() > 0) {
                        // "Could not open SPEC:\nMESSAGE": the loader's own message is the second part.
                        const QString shown = error.first().at(1).toString();
                        const QString message = shown.section(QLatin1Char('\n'), 1);
                        // The first line names the package; the loader's message is one clear line.
                        QString why;
                        QVERIFY2(shown.contains(named),
                                 qPrintable(what + ": does not name the package: " + shown));
                        QVERIFY2(isClearMessage(message, QString(), &why),
                                 qPrintable(what + ": " + why + ": " + message));
                        QVERIFY2(window.model() == before,
                                 qPrintable(what + ": the window dropped its model"));
                    } else {
                        ++m_guiLoaded;
                    }
                }
                if (cli.contains(i)) {
                    QProcess p;
                    p.start(m_cli, {"info", "--model", spec, "--device", "cpu"});
                    QVERIFY2(p.waitForFinished(120000), qPrintable(what + ": the CLI hung"));
                    ++m_cliRuns;
                    const QString err = QString::fromUtf8(p.readAllStandardError());
                    QVERIFY2(p.exitStatus() == QProcess::NormalExit,
                             qPrintable(what + ": the CLI crashed: " + err));
                    if (p.exitCode() == 0) {
                        ++m_cliLoaded;
                        QVERIFY(p.readAllStandardOutput().contains("model:"));
                    } else {
                        QCOMPARE(p.exitCode(), 1);
                        QString why;
                        QVERIFY2(err.startsWith(QStringLiteral("difflens-cli info: error: ")),
                                 qPrintable(what + ": " + err));
                        QVERIFY2(isClearMessage(err, named, &why),
                                 qPrintable(what + ": " + why + ": " + err));
                    }
                }
                QVERIFY(restore(path, original));
            }
        }
    }

    void cleanupTestCase()
    {
        qInfo("corpus: %d files x 22 variants = %d; opened %d in the GUI (%d loaded: harmless damage) and %d "
              "with "
              "the CLI (%d loaded)%s",
              m_files, m_corpus, m_guiOpens, m_guiLoaded, m_cliRuns, m_cliLoaded,
              m_full ? " (full corpus)" : "");
    }
};

QTEST_MAIN(TestCorruptPackages)
#include "test_corrupt_packages.moc"
