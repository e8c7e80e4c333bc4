// TimelineBar: ordered step signals, the recorded limit, timer playback, keyboard.
#include "widgets/timeline_bar.h"

#include <QSignalSpy>
#include <QSlider>
#include <QTest>

using namespace difflens::widgets;

namespace {

QList<int> steps(const QSignalSpy& spy)
{
    QList<int> out;
    for (const QList<QVariant>& args : spy)
        out << args.at(0).toInt();
    return out;
}

} // namespace

class TestTimelineBar : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void stepSignalsArriveInOrder()
    {
        TimelineBar bar;
        bar.setStepCount(10);
        QSignalSpy spy(&bar, &TimelineBar::currentStepChanged);
        bar.stepForward();
        bar.stepForward();
        bar.stepForward();
        bar.stepBack();
        bar.jumpToEnd();
        bar.jumpToStart();
        bar.stepBack(); // already at 0: no signal
        QCOMPARE(steps(spy), (QList<int>{1, 2, 3, 2, 9, 0}));
        bar.setCurrentStep(42); // clamped
        QCOMPARE(bar.currentStep(), 9);
    }

    void cannotPassTheRecordedSteps()
    {
        TimelineBar bar;
        bar.setStepCount(50);
        bar.setAvailableSteps(5);
        QSignalSpy spy(&bar, &TimelineBar::currentStepChanged);
        bar.jumpToEnd();
        QCOMPARE(bar.currentStep(), 4);
        bar.stepForward();
        QCOMPARE(bar.currentStep(), 4);
        bar.setCurrentStep(30);
        QCOMPARE(bar.currentStep(), 4);
        // Dragging the slider past the recording snaps back.
        auto* slider = bar.findChild<QSlider*>();
        QVERIFY(slider);
        slider->setValue(40);
        QCOMPARE(bar.currentStep(), 4);
        QCOMPARE(slider->value(), 4);
        QCOMPARE(steps(spy), (QList<int>{4}));
        bar.setAvailableSteps(20);
        bar.jumpToEnd();
        QCOMPARE(bar.currentStep(), 19);
        // Fewer steps recorded than the current one (a new run): the current step follows.
        bar.setAvailableSteps(3);
        QCOMPARE(bar.currentStep(), 2);
    }

    void playAdvancesWithTheTimerAndStopsAtTheEnd()
    {
        TimelineBar bar;
        bar.setStepCount(6);
        bar.setFps(100);
        QSignalSpy stepSpy(&bar, &TimelineBar::currentStepChanged);
        QSignalSpy playSpy(&bar, &TimelineBar::playingChanged);
        bar.play();
        QVERIFY(bar.isPlaying());
        QVERIFY(stepSpy.wait(500));
        QTRY_COMPARE_WITH_TIMEOUT(bar.currentStep(), 5, 2000);
        QTRY_VERIFY_WITH_TIMEOUT(!bar.isPlaying(), 1000);
        QCOMPARE(steps(stepSpy), (QList<int>{1, 2, 3, 4, 5}));
        QCOMPARE(playSpy.count(), 2);
        QCOMPARE(playSpy.at(0).at(0).toBool(), true);
        QCOMPARE(playSpy.at(1).at(0).toBool(), false);
    }

    void playFollowsARecordingRun()
    {
        TimelineBar bar;
        bar.setStepCount(100);
        bar.setAvailableSteps(3);
        bar.setFps(100);
        bar.play();
        QTRY_COMPARE_WITH_TIMEOUT(bar.currentStep(), 2, 1000);
        QTest::qWait(60);
        QVERIFY(bar.isPlaying()); // waiting for more steps, not stopped
        bar.setAvailableSteps(6);
        QTRY_COMPARE_WITH_TIMEOUT(bar.currentStep(), 5, 1000);
        bar.pause();
        QVERIFY(!bar.isPlaying());
    }

    void keyboardControlsPlayback()
    {
        TimelineBar bar;
        bar.setStepCount(10);
        bar.setTimestepLabels({1000, 900, 800, 700, 600, 500, 400, 300, 200, 100});
        bar.show();
        QVERIFY(QTest::qWaitForWindowExposed(&bar));
        bar.setFocus();
        QTest::keyClick(&bar, Qt::Key_Right);
        QTest::keyClick(&bar, Qt::Key_Right);
        QCOMPARE(bar.currentStep(), 2);
        QTest::keyClick(&bar, Qt::Key_End);
        QCOMPARE(bar.currentStep(), 9);
        QTest::keyClick(&bar, Qt::Key_Left);
        QCOMPARE(bar.currentStep(), 8);
        QTest::keyClick(&bar, Qt::Key_Home);
        QCOMPARE(bar.currentStep(), 0);
        QTest::keyClick(&bar, Qt::Key_Space);
        QVERIFY(bar.isPlaying());
        QTest::keyClick(&bar, Qt::Key_Space);
        QVERIFY(!bar.isPlaying());
    }
};

QTEST_MAIN(TestTimelineBar)
#include "test_w_timeline_bar.moc"
