// ExplanationPanel: the step's numbers appear with 4 significant digits, in the sampler's own formula.
#include "widgets/explanation_panel.h"

#include <QTest>
#include <QTextDocumentFragment>

#include <cmath>

using namespace difflens::widgets;

namespace {

StepNumbers ddpmStep()
{
    StepNumbers n;
    n.stepIndex = 265;
    n.stepCount = 1000;
    n.T = 1000;
    n.t = 734;
    n.tPrev = 733;
    n.alphaBar = 0.0042578;
    n.alphaBarPrev = 0.0043213;
    n.beta = 0.0146983;
    n.alpha = 1 - n.beta;
    n.c1 = n.beta * std::sqrt(n.alphaBarPrev) / (1 - n.alphaBar);
    n.c2 = std::sqrt(n.alpha) * (1 - n.alphaBarPrev) / (1 - n.alphaBar);
    n.betaTilde = n.beta * (1 - n.alphaBarPrev) / (1 - n.alphaBar);
    n.sigma = std::sqrt(n.betaTilde);
    n.sampler = QStringLiteral("DDPM");
    return n;
}

} // namespace

class TestExplanationPanel : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void ddpmStepShowsItsNumbers()
    {
        ExplanationPanel panel;
        panel.setNumbers(ddpmStep());
        const QString text = panel.toPlainText();
        QVERIFY(text.contains(QStringLiteral("Step 266 of 1000")));
        QVERIFY(text.contains(QStringLiteral("t = 734 → 733")));
        QVERIFY(text.contains(QStringLiteral("ᾱₜ = 0.004258")));
        QVERIFY(text.contains(QStringLiteral("0.06525")));  // sqrt(abar_t)
        QVERIFY(text.contains(QStringLiteral("0.9979")));   // sqrt(1 - abar_t)
        QVERIFY(text.contains(QStringLiteral("= 0.9926"))); // c2
        QVERIFY(text.contains(QStringLiteral("xₜ₋₁ = μ_θ + σₜ z")));
        QVERIFY(text.contains(QStringLiteral("σₜ² = β̃ₜ")));
        QVERIFY(!text.contains(QStringLiteral("η =")));
        // No reference: the KL is not invented, the student is told how to get it.
        QVERIFY(!text.contains(QStringLiteral("nats")));
        QVERIFY(text.contains(QStringLiteral("Choose a reference")));
        QVERIFY(text.contains(QStringLiteral("Why learn p_θ")));
        QVERIFY(text.contains(QStringLiteral("q(x₀ | xₜ)")));
    }

    void referenceAddsKlAndGap()
    {
        StepNumbers n = ddpmStep();
        n.hasReference = true;
        n.kl = 0.0123456;
        n.meanGap = 0.04567;
        const QString text = QTextDocumentFragment::fromHtml(ExplanationPanel::html(n)).toPlainText();
        QVERIFY(text.contains(QStringLiteral("0.01235 nats")));
        QVERIFY(text.contains(QStringLiteral("0.04567")));
        QVERIFY(!text.contains(QStringLiteral("Choose a reference")));
    }

    void ddimStepUsesEtaAndStridedNames()
    {
        StepNumbers n = ddpmStep();
        n.sampler = QStringLiteral("DDIM");
        n.tPrev = 714;
        n.eta = 0.0;
        n.sigma = 0.0;
        const QString text = QTextDocumentFragment::fromHtml(ExplanationPanel::html(n)).toPlainText();
        QVERIFY(text.contains(QStringLiteral("η = 0")));
        QVERIFY(text.contains(QStringLiteral("deterministic")));
        QVERIFY(text.contains(QStringLiteral("xₜ′")));
        QVERIFY(text.contains(QStringLiteral("strided: t′ = 714")));
    }

    void lastStepAddsNoNoiseAndPredictionTypesDiffer()
    {
        StepNumbers n = ddpmStep();
        n.t = 1;
        n.tPrev = 0;
        QVERIFY(QTextDocumentFragment::fromHtml(ExplanationPanel::html(n))
                    .toPlainText()
                    .contains(QStringLiteral("no noise is added")));
        n.predictionType = QStringLiteral("v_prediction");
        QVERIFY(ExplanationPanel::html(n).contains(QStringLiteral("v-prediction")));
        n.predictionType = QStringLiteral("sample");
        QVERIFY(ExplanationPanel::html(n).contains(QStringLiteral("directly")));
    }

    void clearShowsTheIntroduction()
    {
        ExplanationPanel panel;
        panel.setNumbers(ddpmStep());
        QVERIFY(panel.hasNumbers());
        panel.clearNumbers();
        QVERIFY(!panel.hasNumbers());
        QVERIFY(panel.toPlainText().contains(QStringLiteral("One reverse step, explained")));
        panel.setFontPixelSize(22);
        QCOMPARE(panel.font().pixelSize(), 22);
    }
};

QTEST_MAIN(TestExplanationPanel)
#include "test_w_explanation_panel.moc"
