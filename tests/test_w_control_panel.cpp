// ControlPanel: settings round-trip, one settingsChanged per edit, requests, busy state.
#include "widgets/control_panel.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QPushButton>
#include <QSignalSpy>
#include <QTest>

using namespace difflens::widgets;

namespace {

RunSettings sample()
{
    RunSettings s;
    s.model = QStringLiteral("moons-mlp");
    s.mode = RunSettings::FromReference;
    s.sampler = QStringLiteral("ddim");
    s.steps = 50;
    s.eta = 0.25;
    s.seed = 987654;
    s.batch = 64;
    s.t0 = 321;
    s.referenceSource = QStringLiteral("dataset");
    s.referenceIndex = 17;
    return s;
}

QPushButton* button(QWidget& w, const QString& text)
{
    for (QPushButton* b : w.findChildren<QPushButton*>())
        if (b->text() == text) return b;
    return nullptr;
}

} // namespace

class TestControlPanel : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void settingsRoundTrip()
    {
        ControlPanel panel;
        panel.setModels({QStringLiteral("mnist-unet"), QStringLiteral("moons-mlp")});
        panel.setTimesteps(1000);
        panel.setDatasetSize(100);
        QSignalSpy changed(&panel, &ControlPanel::settingsChanged);
        const RunSettings s = sample();
        panel.setSettings(s);
        QCOMPARE(changed.count(), 1);
        QVERIFY(panel.settings() == s);
        QVERIFY(changed.at(0).at(0).value<RunSettings>() == s);

        RunSettings forward = s;
        forward.mode = RunSettings::Forward;
        forward.sampler = QStringLiteral("ddpm");
        forward.referenceSource = QStringLiteral("file");
        forward.referenceFile = QStringLiteral("/tmp/seven.png");
        panel.setSettings(forward);
        QVERIFY(panel.settings() == forward);
    }

    void rangesFollowTimesteps()
    {
        ControlPanel panel;
        panel.setTimesteps(50);
        RunSettings s = sample();
        s.steps = 1000;
        s.t0 = 900;
        panel.setSettings(s);
        QCOMPARE(panel.settings().steps, 50);
        QCOMPARE(panel.settings().t0, 50);
    }

    void sampleButtonEmitsTheSettings()
    {
        ControlPanel panel;
        panel.setModels({QStringLiteral("moons-mlp")});
        panel.setDatasetSize(100);
        panel.setSettings(sample());
        QSignalSpy requested(&panel, &ControlPanel::sampleRequested);
        QPushButton* sampleButton = button(panel, QStringLiteral("Sample"));
        QVERIFY(sampleButton && sampleButton->isEnabled());
        QTest::mouseClick(sampleButton, Qt::LeftButton);
        QCOMPARE(requested.count(), 1);
        QVERIFY(requested.at(0).at(0).value<RunSettings>() == sample());
    }

    void modesThatNeedAReferenceBlockSampleWithoutOne()
    {
        ControlPanel panel;
        panel.setModels({QStringLiteral("moons-mlp")});
        RunSettings s = sample();
        s.referenceSource = QStringLiteral("none");
        panel.setSettings(s);
        QVERIFY(!button(panel, QStringLiteral("Sample"))->isEnabled());
        s.mode = RunSettings::Sample;
        panel.setSettings(s);
        QVERIFY(button(panel, QStringLiteral("Sample"))->isEnabled());
    }

    void etaOnlyForDdim()
    {
        ControlPanel panel;
        panel.setModels({QStringLiteral("m")});
        RunSettings s = sample();
        auto* eta = panel.findChild<QDoubleSpinBox*>();
        QVERIFY(eta);
        panel.setSettings(s);
        QVERIFY(eta->isEnabled());
        s.sampler = QStringLiteral("ddpm");
        panel.setSettings(s);
        QVERIFY(!eta->isEnabled());
    }

    void referenceChoicesAskTheApp()
    {
        ControlPanel panel;
        QSignalSpy file(&panel, &ControlPanel::referenceFileRequested);
        QSignalSpy draw(&panel, &ControlPanel::drawReferenceRequested);
        QComboBox* source = nullptr;
        for (QComboBox* c : panel.findChildren<QComboBox*>())
            if (c->findData(QStringLiteral("draw")) >= 0) source = c;
        QVERIFY(source);
        source->setCurrentIndex(source->findData(QStringLiteral("file")));
        QCOMPARE(file.count(), 1);
        source->setCurrentIndex(source->findData(QStringLiteral("draw")));
        QCOMPARE(draw.count(), 1);
        // Programmatic settings do not pop dialogs.
        RunSettings s = sample();
        s.referenceSource = QStringLiteral("file");
        panel.setSettings(s);
        QCOMPARE(file.count(), 1);
        panel.setReferenceFile(QStringLiteral("/data/three.png"));
        QCOMPARE(panel.settings().referenceFile, QStringLiteral("/data/three.png"));
        QCOMPARE(panel.settings().referenceSource, QStringLiteral("file"));
    }

    void busyStateAndCancel()
    {
        ControlPanel panel;
        panel.setModels({QStringLiteral("m")});
        QSignalSpy cancel(&panel, &ControlPanel::cancelRequested);
        QPushButton* cancelButton = button(panel, QStringLiteral("Cancel"));
        QVERIFY(!cancelButton->isEnabled());
        panel.setBusy(true);
        panel.setProgress(3, 10);
        QVERIFY(panel.isBusy());
        QVERIFY(cancelButton->isEnabled());
        QVERIFY(!button(panel, QStringLiteral("Sample"))->isEnabled());
        QTest::mouseClick(cancelButton, Qt::LeftButton);
        QCOMPARE(cancel.count(), 1);
        panel.setBusy(false);
        QVERIFY(button(panel, QStringLiteral("Sample"))->isEnabled());
    }
};

QTEST_MAIN(TestControlPanel)
#include "test_w_control_panel.moc"
