// Every input the fuzzers found a bug with (tests/fuzz/regressions/<harness>/) and every seed of the corpora
// (tests/fuzz/corpus/<harness>/), fed through the very harness code that found it (the tests/fuzz/*.cpp
// bodies compiled here as named functions): the loader must answer with a typed error or a value, never an
// untyped exception, an abort or, in the sanitize build, a sanitizer report. The rows name the file, so a
// failure says which input came back.
#include "tests/fuzz/fuzz_common.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QtTest>

namespace {

QString sourceDir()
{
    const QString v = qEnvironmentVariable("DIFFLENS_SOURCE_DIR");
    return v.isEmpty() ? QStringLiteral(DIFFLENS_TEST_SOURCE_DIR) : v;
}

} // namespace

class TestFuzzRegressions : public QObject
{
    Q_OBJECT

    void addRows(const QString& kind)
    {
        const QDir root(sourceDir() + "/tests/fuzz/" + kind);
        for (const QString& harness : root.entryList(QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name))
            for (const QString& file : QDir(root.filePath(harness)).entryList(QDir::Files, QDir::Name))
                QTest::newRow(qPrintable(kind + "/" + harness + "/" + file))
                    << harness << root.filePath(harness + "/" + file);
    }

    void feed()
    {
        QFETCH(QString, harness);
        QFETCH(QString, file);
        const auto& all = difflens::fuzz::targets();
        const auto it = all.find(harness.toStdString());
        QVERIFY2(it != all.end(), qPrintable("no harness named " + harness));
        QFile f(file);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray bytes = f.readAll();
        QCOMPARE(it->second(reinterpret_cast<const uint8_t*>(bytes.constData()), size_t(bytes.size())), 0);
    }

private Q_SLOTS:
    void everyHarnessIsHere()
    {
        // Nine loaders of outside data (tests/fuzz/CMakeLists.txt); a harness missing here would go untested.
        QCOMPARE(int(difflens::fuzz::targets().size()), 9);
    }

    void crashInputs_data()
    {
        QTest::addColumn<QString>("harness");
        QTest::addColumn<QString>("file");
        addRows(QStringLiteral("regressions"));
    }
    void crashInputs() { feed(); }

    void seedCorpus_data()
    {
        QTest::addColumn<QString>("harness");
        QTest::addColumn<QString>("file");
        addRows(QStringLiteral("corpus"));
    }
    void seedCorpus() { feed(); }
};

QTEST_GUILESS_MAIN(TestFuzzRegressions)
#include "test_fuzz_regressions.moc"
