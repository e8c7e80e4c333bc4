// The app's plumbing without a model: typed settings with defaults and dotted keys, the model catalogue
// (pretrained folders, exact models, opened files, the first-start default), and the training-log reader.
#include "app/logic/app_paths.h"
#include "app/logic/model_catalog.h"
#include "app/logic/settings.h"
#include "app/gui/side_panels.h"

#include <QFile>
#include <QSettings>
#include <QTemporaryDir>
#include <QtTest>

using namespace difflens::gui;
namespace widgets = difflens::widgets;

namespace {

void writeFile(const QString& path, const QByteArray& text)
{
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(text);
}

void makePackage(const QString& dir)
{
    QVERIFY(QDir().mkpath(dir));
    writeFile(dir + QStringLiteral("/model.pt"), "not read by the catalogue");
    writeFile(dir + QStringLiteral("/difflens.json"), "{}");
}

} // namespace

class TestAppSupport : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void settingsHaveDefaultsAndRoundTrip()
    {
        QTemporaryDir dir;
        const QString file = dir.filePath(QStringLiteral("s.ini"));
        {
            Settings s(std::make_unique<QSettings>(file, QSettings::IniFormat));
            QCOMPARE(s.value(keys::samplerSteps), 1000);
            QCOMPARE(s.value(keys::samplerKind), QStringLiteral("ddpm"));
            QCOMPARE(s.value(keys::presentationFontScale), 1.6);
            QVERIFY(s.value(keys::modelLast).isEmpty());
            widgets::RunSettings r;
            r.mode = widgets::RunSettings::FromReference;
            r.sampler = QStringLiteral("ddim");
            r.steps = 50;
            r.eta = 0.5;
            r.seed = 42;
            r.batch = 9;
            r.t0 = 321;
            r.referenceSource = QStringLiteral("dataset");
            r.referenceIndex = 7;
            s.setRunSettings(r);
            s.setValue(keys::modelLast, QStringLiteral("exact:gmm1d"));
            for (int i = 0; i < 12; ++i)
                s.addRecentModel(QStringLiteral("/m/%1").arg(i));
            s.addRecentModel(QStringLiteral("/m/3"));
            s.sync();
        }
        Settings s(std::make_unique<QSettings>(file, QSettings::IniFormat));
        const widgets::RunSettings r = s.runSettings();
        QCOMPARE(r.mode, widgets::RunSettings::FromReference);
        QCOMPARE(r.sampler, QStringLiteral("ddim"));
        QCOMPARE(r.steps, 50);
        QCOMPARE(r.eta, 0.5);
        QCOMPARE(r.seed, 42);
        QCOMPARE(r.batch, 9);
        QCOMPARE(r.t0, 321);
        QCOMPARE(r.referenceIndex, 7);
        QCOMPARE(s.value(keys::modelLast), QStringLiteral("exact:gmm1d"));
        const QStringList recent = s.value(keys::modelRecent);
        QCOMPARE(recent.size(), 10);
        QCOMPARE(recent.first(), QStringLiteral("/m/3"));
        QCOMPARE(recent.count(QStringLiteral("/m/3")), 1);
        // Dotted keys are INI groups.
        QSettings raw(file, QSettings::IniFormat);
        QCOMPARE(raw.value(QStringLiteral("sampler/steps")).toInt(), 50);
    }

    void catalogueListsPackagesAndExactModels()
    {
        QTemporaryDir dir;
        makePackage(dir.filePath(QStringLiteral("moons")));
        makePackage(dir.filePath(QStringLiteral("zebra")));
        makePackage(dir.filePath(QStringLiteral("fashion-mnist")));
        QVERIFY(QDir().mkpath(dir.filePath(QStringLiteral("empty")))); // not a package
        qputenv("DIFFLENS_MODELS_DIR", dir.path().toUtf8());
        ModelCatalog c;
        c.refresh();
        const QStringList names = c.names();
        QVERIFY2(names.contains(QStringLiteral("moons (pretrained)")),
                 qPrintable(names.join(QStringLiteral(", "))));
        QVERIFY(names.contains(QStringLiteral("zebra (pretrained)")));
        QVERIFY(!names.join(QString()).contains(QStringLiteral("empty (")));
        for (const QString& spec : ModelCatalog::exactSpecs())
            QVERIFY(names.contains(spec));
        QCOMPARE(c.specFor(QStringLiteral("exact:gmm1d")), QStringLiteral("exact:gmm1d"));
        // The default is the image model when one ships (the first folder searched wins), else moons.
        QCOMPARE(c.defaultSpec(), QFileInfo(dir.filePath(QStringLiteral("fashion-mnist"))).canonicalFilePath());
        // Opened files get a name of their own and keep it.
        QTemporaryDir other;
        makePackage(other.filePath(QStringLiteral("moons")));
        const QString name = c.add(other.filePath(QStringLiteral("moons")));
        QVERIFY(name != QStringLiteral("moons (pretrained)"));
        QCOMPARE(c.add(other.filePath(QStringLiteral("moons"))), name);
        QCOMPARE(c.nameFor(other.filePath(QStringLiteral("moons"))), name);
        c.refresh({});
        QCOMPARE(c.nameFor(other.filePath(QStringLiteral("moons"))), name); // opened entries survive a rescan
        qunsetenv("DIFFLENS_MODELS_DIR");
    }

    void defaultModelWithoutPackages()
    {
        QTemporaryDir dir;
        qputenv("DIFFLENS_MODELS_DIR", dir.path().toUtf8());
        ModelCatalog c;
        c.refresh();
        // The source tree's models/pretrained may hold packages by now; without fashion-mnist or moons there
        // the default is the exact model that always works.
        const QString d = c.defaultSpec();
        QVERIFY2(d == QStringLiteral("exact:8gaussians") || d.endsWith(QStringLiteral("/moons")) ||
                     d.endsWith(QStringLiteral("/fashion-mnist")),
                 qPrintable(d));
        qunsetenv("DIFFLENS_MODELS_DIR");
    }

    void csvColumns()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("loss.csv"));
        writeFile(path, "step,loss,ema_loss\n1,0.9,0.9\n2,0.7,0.88\n\n3,0.5,0.85\n");
        QStringList header;
        QVector<QVector<double>> cols;
        QVERIFY(readCsvColumns(path, header, cols));
        QCOMPARE(header,
                 QStringList({QStringLiteral("step"), QStringLiteral("loss"), QStringLiteral("ema_loss")}));
        QCOMPARE(cols[0], QVector<double>({1, 2, 3}));
        QCOMPARE(cols[2].last(), 0.85);
        QVERIFY(!readCsvColumns(dir.filePath(QStringLiteral("missing.csv")), header, cols));
    }
};

QTEST_MAIN(TestAppSupport)
#include "test_app_support.moc"
