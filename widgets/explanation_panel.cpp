#include "widgets/explanation_panel.h"

#include "widgets/format.h"
#include "widgets/palette.h"

#include <QScrollBar>

#include <cmath>
#include <limits>

namespace difflens::widgets {

namespace {

QString colored(const QString& text, const QColor& color)
{
    return QStringLiteral("<span style=\"color:%1\">%2</span>").arg(color.name(), text);
}

QString strong(const QString& text, const QColor& color)
{
    return QStringLiteral("<b style=\"color:%1\">%2</b>").arg(color.name(), text);
}

QString num(double v)
{
    return QStringLiteral("<b>%1</b>").arg(formatSig(v));
}

// The quantities, in the palette's colours so the text reads like the panels.
QString xt()
{
    return colored(QStringLiteral("xₜ"), palette::xt());
}
QString x0()
{
    return colored(QStringLiteral("x₀"), palette::reference());
}
// Bold on purpose: DejaVu Sans (regular) misplaces the combining hat on x and v; the bold face places it.
QString x0hat()
{
    return strong(QStringLiteral("x̂₀"), palette::model());
}
QString vHat()
{
    return strong(QStringLiteral("v̂"), palette::model());
}
QString epsHat()
{
    return colored(QStringLiteral("ε̂"), palette::model());
}
QString muTheta()
{
    return colored(QStringLiteral("μ_θ"), palette::model());
}
QString muTilde()
{
    return colored(QStringLiteral("μ̃"), palette::posterior());
}
QString pTheta()
{
    return colored(QStringLiteral("p_θ"), palette::model());
}

QString section(const QString& title)
{
    return QStringLiteral("<h4 style=\"margin-top:12px; margin-bottom:4px\">%1</h4>").arg(title);
}
QString formula(const QString& body)
{
    return QStringLiteral("<p style=\"margin-left:14px; margin-top:2px; margin-bottom:2px\">%1</p>")
        .arg(body);
}
QString para(const QString& body)
{
    return QStringLiteral("<p style=\"margin-top:4px; margin-bottom:4px\">%1</p>").arg(body);
}

QString whyParagraph()
{
    return section(QStringLiteral("Why learn p_θ when q(xₜ₋₁ | xₜ, x₀) is closed form?")) +
           para(QStringLiteral(
                    "Because that formula needs %1, the clean sample — exactly what we are trying to "
                    "generate. While sampling only %2 is known. Without %1 the best possible step is "
                    "q(xₜ₋₁ | xₜ) = ∫ q(xₜ₋₁ | xₜ, x₀) q(x₀ | xₜ) dx₀, an average over every %1 that "
                    "could have produced %2, and q(x₀ | xₜ) depends on the whole data distribution. "
                    "The network %3 learns that average from examples: %3(xₜ₋₁ | xₜ) ≈ q(xₜ₋₁ | xₜ).")
                    .arg(x0(), xt(), pTheta()));
}

} // namespace

ExplanationPanel::ExplanationPanel(QWidget* parent) : QTextBrowser(parent)
{
    setOpenLinks(false);
    setFrameShape(QFrame::NoFrame);
    QPalette pal = palette();
    pal.setColor(QPalette::Base, palette::background());
    pal.setColor(QPalette::Text, palette::text());
    setPalette(pal);
    document()->setDocumentMargin(10);
    clearNumbers();
}

ExplanationPanel::~ExplanationPanel() = default;

void ExplanationPanel::setNumbers(const StepNumbers& numbers)
{
    m_numbers = numbers;
    m_hasNumbers = true;
    // Keep the reader's place while scrubbing.
    const int scroll = verticalScrollBar()->value();
    setHtml(html(numbers));
    verticalScrollBar()->setValue(scroll);
}

void ExplanationPanel::clearNumbers()
{
    m_numbers = StepNumbers{};
    m_hasNumbers = false;
    setHtml(introductionHtml());
}

void ExplanationPanel::setFontPixelSize(int pixels)
{
    QFont f = font();
    f.setPixelSize(std::max(8, pixels));
    setFont(f);
    document()->setDefaultFont(f);
    setHtml(m_hasNumbers ? html(m_numbers) : introductionHtml());
}

QString ExplanationPanel::introductionHtml()
{
    return section(QStringLiteral("One reverse step, explained")) +
           para(QStringLiteral(
                    "Run or scrub a sampling run: this panel then shows, for the current step, how %1 was "
                    "made from %2, what the model predicts (%3, %4), the posterior mean %5 "
                    "and how far the model is from it.")
                    .arg(xt(), x0(), x0hat(), muTheta(), muTilde())) +
           whyParagraph();
}

QString ExplanationPanel::pathHtml(const StepNumbers& n)
{
    // The Gaussian-path view of one ODE/SDE step (core/MATH.md, "Gaussian paths"): time runs from 1 (noise) to
    // 0 (data) as in diffusers; MIT 6.S184 runs it the other way.
    const bool flow = n.path == QLatin1String("flow");
    const QString xPrev = colored(QStringLiteral("x′"), palette::xt());
    const QString u = colored(QStringLiteral("u_θ(xₜ)"), palette::model());
    const QString uc = colored(QStringLiteral("u(xₜ | x₀)"), palette::posterior());
    QString h;
    h += QStringLiteral("<h3 style=\"margin-bottom:2px\">Step %1 of %2: t = %3 → %4</h3>")
             .arg(n.stepIndex + 1)
             .arg(n.stepCount)
             .arg(formatSig(n.time, 3), formatSig(n.timePrev, 3));
    h += QStringLiteral("<p style=\"color:%1; margin-top:0px\">%2 sampler · %3 · model predicts %4%5</p>")
             .arg(palette::mutedText().name(), n.sampler.toHtmlEscaped(),
                  flow ? QStringLiteral("flow matching (rectified flow)") : QStringLiteral("DDPM chain as a path"),
                  flow ? QStringLiteral("the velocity u") : n.predictionType.toHtmlEscaped(),
                  n.modelCalls > 1 ? QStringLiteral(" · %1 model calls this step").arg(n.modelCalls) : QString());

    h += section(QStringLiteral("1 · The path: how %1 was made").arg(xt()));
    h += formula(QStringLiteral("%1 = aₜ %2 + sₜ ε,&nbsp;&nbsp; aₜ = %3, sₜ = %4")
                     .arg(xt(), x0(), num(n.a), num(n.s)));
    if (flow)
        h += para(QStringLiteral("Flow matching draws a straight line from the data (t = 0) to the noise (t = 1): "
                                 "aₜ = 1 − t, sₜ = t."));
    else
        h += para(QStringLiteral("The DDPM chain is the path aₜ = √ᾱₜ, sₜ = √(1 − ᾱₜ); here t = (index + 1) / T."));

    h += section(QStringLiteral("2 · The velocity: conditional against marginal"));
    h += formula(QStringLiteral("%1 = a′ₜ %2 + s′ₜ ε = %3 · %2 + %4 · ε").arg(uc, x0(), num(n.da), num(n.ds)));
    if (flow) h += formula(QStringLiteral("= ε − %1 = (%2 − %1) / t").arg(x0(), xt()));
    h += para(QStringLiteral("If %1 were known, this closed-form conditional velocity would carry %2 straight to it. "
                             "The marginal velocity u(%2) = E[%3 | %2] averages it over every x₀ that could have "
                             "made %2: that needs the whole data distribution, so a network learns it as %4.")
                  .arg(x0(), xt(), uc, u));

    h += section(QStringLiteral("3 · The sampler's step to %1 (t = %2)").arg(xPrev, formatSig(n.timePrev, 3)));
    const double h0 = n.time - n.timePrev;
    if (n.sampler.startsWith(QLatin1String("SDE"))) {
        h += formula(QStringLiteral("%1 = %2 − h [%3 − (g²/2) ∇log qₜ] + g √h z,&nbsp;&nbsp; h = %4, g = S sₜ = %5")
                         .arg(xPrev, xt(), u, num(h0), num(n.sdeNoise * n.s)));
        h += para(QStringLiteral("Every noise level S gives the same marginals qₜ (the score term pulls back what the "
                                 "noise spreads); only single trajectories change, from smooth curves (S = 0, the "
                                 "ODE) to jagged paths."));
    } else if (n.sampler.startsWith(QLatin1String("Heun"))) {
        h += formula(QStringLiteral("%1 = %2 − h (%3 + u_θ(x̃, t′)) / 2,&nbsp;&nbsp; x̃ = %2 − h %3,&nbsp;&nbsp; h = %4")
                         .arg(xPrev, xt(), u, num(h0)));
        h += para(QStringLiteral("Heun averages the slope at both ends: its error falls about 4× when the steps "
                                 "double (Euler's 2×), for 2 model calls a step."));
    } else {
        h += formula(QStringLiteral("%1 = %2 − h %3,&nbsp;&nbsp; h = %4").arg(xPrev, xt(), u, num(h0)));
        if (!flow) h += para(QStringLiteral("On the DDPM chain this Euler step, taken in x/a against s/a, is DDIM with η = 0."));
    }

    h += section(QStringLiteral("4 · How far is the model from the conditional step?"));
    if (n.hasReference) {
        h += formula(QStringLiteral("rms |%1 − %2| = %3")
                         .arg(u, uc, strong(formatSig(n.velocityGap), palette::difference())));
        h += para(QStringLiteral("The gap is not the model's error: %1 points at this one %2, the model at the average "
                                 "over every x₀ that could have made %3. Near t = 0 it vanishes when %3 is heading "
                                 "to %2 and grows like 1/t when it is heading elsewhere.")
                      .arg(uc, x0(), xt()));
    } else {
        h += para(QStringLiteral("<i>Choose a reference %1 to see the conditional velocity toward it.</i>").arg(x0()));
    }
    h += whyParagraph();
    return h;
}

QString ExplanationPanel::html(const StepNumbers& n)
{
    if (!n.path.isEmpty()) return pathHtml(n);
    const bool strided = n.tPrev != n.t - 1;
    // The previous timestep's name in formulas: t−1, or t′ when the sampler skips timesteps.
    const QString prev = strided ? QStringLiteral("t′") : QStringLiteral("t−1");
    const QString prevSub = strided ? QStringLiteral("ₜ′") : QStringLiteral("ₜ₋₁");
    const QString xPrev = colored(QStringLiteral("x") + prevSub, palette::xt());
    const QString abarPrev = QStringLiteral("ᾱ") + prevSub;
    const double sqrtAbar = std::sqrt(n.alphaBar);
    const double sqrtOneMinus = std::sqrt(std::max(0.0, 1.0 - n.alphaBar));
    QString h;

    h += QStringLiteral("<h3 style=\"margin-bottom:2px\">Step %1 of %2: t = %3 → %4</h3>")
             .arg(n.stepIndex + 1)
             .arg(n.stepCount)
             .arg(n.t)
             .arg(n.tPrev);
    QString predicts = n.predictionType == QLatin1String("sample") ? QStringLiteral("x₀ (sample)")
                       : n.predictionType == QLatin1String("v_prediction")
                           ? QStringLiteral("v (v-prediction)")
                           : QStringLiteral("ε̂ (epsilon)");
    h += QStringLiteral("<p style=\"color:%1; margin-top:0px\">%2 sampler · model predicts %3 · variance %4 "
                        "· T = %5%6</p>")
             .arg(palette::mutedText().name(), n.sampler.toHtmlEscaped(), predicts,
                  n.varianceType.toHtmlEscaped())
             .arg(n.T)
             .arg(strided ? QStringLiteral(" · strided: t′ = %1").arg(n.tPrev) : QString());

    // 1. Forward process (Ho et al. Eq. 4).
    h += section(QStringLiteral("1 · How %1 was made (forward process)").arg(xt()));
    h += formula(QStringLiteral("%1 = √ᾱₜ · %2 + √(1 − ᾱₜ) · ε,&nbsp;&nbsp; ε ~ N(0, I)").arg(xt(), x0()));
    h += formula(QStringLiteral("ᾱₜ = %1, so %2 = %3 · %4 + %5 · ε")
                     .arg(num(n.alphaBar), xt(), num(sqrtAbar), x0(), num(sqrtOneMinus)));
    const double snr =
        n.alphaBar < 1.0 ? n.alphaBar / (1.0 - n.alphaBar) : std::numeric_limits<double>::infinity();
    h += para(QStringLiteral("%1 % of the variance of %2 is signal; SNR = ᾱₜ / (1 − ᾱₜ) = %3.")
                  .arg(formatSig(100.0 * n.alphaBar, 3), xt(), formatSig(snr)));

    // 2. The model (Ho et al. Eq. 11; prediction types as in diffusers).
    h += section(QStringLiteral("2 · What the model predicts"));
    if (n.predictionType == QLatin1String("sample")) {
        h += para(QStringLiteral("The network sees %1 and t and predicts the clean sample %2 directly; "
                                 "its noise estimate follows: %3 = (%1 − √ᾱₜ %2) / √(1 − ᾱₜ).")
                      .arg(xt(), x0hat(), epsHat()));
    } else if (n.predictionType == QLatin1String("v_prediction")) {
        h += para(QStringLiteral("The network sees %1 and t and predicts v = √ᾱₜ ε − √(1 − ᾱₜ) x₀. Then")
                      .arg(xt()));
        h += formula(QStringLiteral("%1 = √ᾱₜ %2 − √(1 − ᾱₜ) %5 = %3 · %2 − %4 · %5")
                         .arg(x0hat(), xt(), num(sqrtAbar), num(sqrtOneMinus), vHat()));
    } else {
        h += para(
            QStringLiteral("The network sees %1 and t and predicts the noise %2. Solving the forward formula "
                           "for x₀:")
                .arg(xt(), epsHat()));
        h += formula(QStringLiteral("%1 = (%2 − √(1 − ᾱₜ) %3) / √ᾱₜ = %4 · %2 − %5 · %3")
                         .arg(x0hat(), xt(), epsHat(), num(sqrtAbar > 0 ? 1.0 / sqrtAbar : NAN),
                              num(sqrtAbar > 0 ? sqrtOneMinus / sqrtAbar : NAN)));
    }
    h += formula(QStringLiteral("%1 = c₁ · %2 + c₂ · %3 = %4 · %2 + %5 · %3")
                     .arg(muTheta(), x0hat(), xt(), num(n.c1), num(n.c2)));

    // 3. The posterior given x_0 (Ho et al. Eqs. 6-7). It is the true step only when x_t was made from this
    // x_0; a run from pure noise never used it, so there it is the step toward the reference.
    const bool toward = n.hasReference && !n.referenceIsSource;
    h += section(toward ? QStringLiteral("3 · The step toward the reference %1").arg(x0())
                        : QStringLiteral("3 · The true step if %1 were known").arg(x0()));
    if (toward)
        h += para(QStringLiteral("This run started from pure noise: %1 was not made from this %2, so the "
                                 "Gaussian below is the step that would lead toward the reference, not the "
                                 "true step of the run. “Denoise reference from t₀” starts from the noised "
                                 "reference, where it is the true step.")
                      .arg(xt(), x0()));
    h += formula(QStringLiteral("q(x%1 | %2, %3) = N(%4, β̃ₜ I),&nbsp;&nbsp; %4 = c₁ · %3 + c₂ · %2")
                     .arg(prevSub, xt(), x0(), muTilde()));
    h += formula(QStringLiteral("c₁ = βₜ √%1 / (1 − ᾱₜ) = %2").arg(abarPrev, num(n.c1)));
    h += formula(QStringLiteral("c₂ = √αₜ (1 − %1) / (1 − ᾱₜ) = %2").arg(abarPrev, num(n.c2)));
    h += formula(QStringLiteral("β̃ₜ = βₜ (1 − %1) / (1 − ᾱₜ) = %2,&nbsp;&nbsp; βₜ = %3, %4 = %5")
                     .arg(abarPrev, num(n.betaTilde), num(n.beta), abarPrev, num(n.alphaBarPrev)));
    h += para(QStringLiteral(
                  "Same c₁ and c₂ as in %1: the model's mean is this posterior mean with its guess %2 in "
                  "place of the unknown %3.")
                  .arg(muTheta(), x0hat(), x0()));

    // 4. The sampler's update.
    h += section(QStringLiteral("4 · The sampler's step to %1").arg(xPrev));
    const QString z = QStringLiteral("z ~ N(0, I)");
    if (n.sampler.compare(QLatin1String("DDIM"), Qt::CaseInsensitive) == 0) {
        // Song et al. 2020 Eq. 12.
        const double sigma2 = n.sigma * n.sigma;
        const double direction = std::sqrt(std::max(0.0, 1.0 - n.alphaBarPrev - sigma2));
        h += formula(QStringLiteral("%1 = √%2 · %3 + √(1 − %2 − σₜ²) · %4 + σₜ z")
                         .arg(xPrev, abarPrev, x0hat(), epsHat()));
        h += formula(
            QStringLiteral("= %1 · %2 + %3 · %4 + %5 · z")
                .arg(num(std::sqrt(n.alphaBarPrev)), x0hat(), num(direction), epsHat(), num(n.sigma)));
        h += formula(QStringLiteral("σₜ = η √((1 − %1)/(1 − ᾱₜ)) √(1 − ᾱₜ/%1) = %2,&nbsp;&nbsp; η = %3")
                         .arg(abarPrev, num(n.sigma), num(n.eta)));
        h += para(n.eta == 0.0 ? QStringLiteral("η = 0: no noise is added, the step is deterministic.")
                               : QStringLiteral("η = 1 adds as much noise as DDPM; η = 0 adds none."));
        if (n.clippedEps)
            h += para(QStringLiteral("Here %1 is re-derived from the clipped %2: %1 = (%3 − √ᾱₜ %2)/√(1 − ᾱₜ) "
                                     "(GLIDE), so both terms agree; with the model's own ε a guided step would "
                                     "carry what the clip removed into %4.")
                          .arg(epsHat(), x0hat(), xt(), xPrev));
    } else if (!n.x0Weights.isEmpty()) {
        // diffusers' solvers: x_prev = a x_t + b D, D a combination of this and earlier data predictions
        // (DPM-Solver++, Lu et al. 2022 Alg. 2; Euler and Heun: D = x0^ in sigma = sqrt((1 - abar)/abar) space).
        h += formula(QStringLiteral("%1 = %2 · %3 + %4 · D,&nbsp;&nbsp; σ = %5 → %6")
                         .arg(xPrev, num(n.stateCoef), xt(), num(n.x0Coef), num(n.solverSigma),
                              num(n.solverSigmaNext)));
        QStringList terms;
        for (int k = 0; k < n.x0Weights.size(); ++k)
            terms << QStringLiteral("%1 · %2<sub>step %3</sub>")
                         .arg(num(n.x0Weights[k]), x0hat())
                         .arg(n.stepIndex + 1 - k);
        h += formula(QStringLiteral("D = ") + terms.join(QStringLiteral(" + ")));
        if (n.x0Weights.size() > 1)
            h += para(QStringLiteral("A multistep solver: D extrapolates the data predictions of the last %1 "
                                     "steps (weights sum to 1), a higher-order step for no extra model call.")
                          .arg(n.x0Weights.size()));
        if (n.sigma > 0)
            h += formula(QStringLiteral("+ σ<sub>up</sub> z,&nbsp;&nbsp; σ<sub>up</sub> = %1 (ancestral noise)")
                             .arg(num(n.sigma)));
    } else if (n.sampler.compare(QLatin1String("exact"), Qt::CaseInsensitive) == 0) {
        h += para(
            QStringLiteral("The exact sampler replaces the network by the ideal denoiser E[x₀ | %1] of the "
                           "training set, so its step is the true q(x%2 | %1). Sampling with it reproduces "
                           "training points: memorisation.")
                .arg(xt(), prevSub));
        h += formula(
            QStringLiteral("%1 = %2 + σₜ z,&nbsp;&nbsp; σₜ = %3").arg(xPrev, muTheta(), num(n.sigma)));
    } else {
        // Ho et al. Algorithm 2.
        h += formula(QStringLiteral("%1 = %2 + σₜ z,&nbsp;&nbsp; %3").arg(xPrev, muTheta(), z));
        const QString varianceRule = n.varianceType.startsWith(QLatin1String("fixed_large"))
                                         ? QStringLiteral("σₜ² = βₜ")
                                     : n.varianceType == QLatin1String("learned_range")
                                         ? QStringLiteral("σₜ² learned between β̃ₜ and βₜ")
                                         : QStringLiteral("σₜ² = β̃ₜ");
        h += formula(QStringLiteral("σₜ = %1 (%2)").arg(num(n.sigma), varianceRule));
        if (n.tPrev == 0)
            h += para(QStringLiteral("Last step: no noise is added, the sample is %1.").arg(muTheta()));
    }

    // 5. Model against truth.
    h += section(toward ? QStringLiteral("5 · How far is %1 from the step toward %2?").arg(pTheta(), x0())
                        : QStringLiteral("5 · How far is %1 from the truth?").arg(pTheta()));
    if (n.hasReference) {
        // With sigma_t = 0 (DDIM, eta = 0) p_theta is a point mass: its KL to a Gaussian is undefined.
        const bool klUndefined = std::isnan(n.kl) && n.sigma == 0.0;
        h += formula(QStringLiteral("KL(q(x%1 | %2, %3) ‖ %4(x%1 | %2)) = %5")
                         .arg(prevSub, xt(), x0(), pTheta(),
                              klUndefined ? QStringLiteral("undefined: the step adds no noise (σₜ = 0), so "
                                                           "p_θ is a point mass")
                                          : num(n.kl) + QStringLiteral(" nats")));
        h += formula(QStringLiteral("rms |%1 − %2| = %3")
                         .arg(muTheta(), muTilde(), strong(formatSig(n.meanGap), palette::difference())));
        if (n.varianceType.startsWith(QLatin1String("fixed_small")) &&
            n.sampler.compare(QLatin1String("DDIM"), Qt::CaseInsensitive) != 0)
            h += para(QStringLiteral("With σₜ² = β̃ₜ both Gaussians have the same variance, so the KL is "
                                     "‖%1 − %2‖² / (2β̃ₜ): all of it comes from the means.")
                          .arg(muTilde(), muTheta()));
    } else {
        h += para(QStringLiteral(
                      "<i>Choose a reference %1 (a training sample, a file or a drawing) to see the true "
                      "posterior %2 and the KL of this step.</i>")
                      .arg(x0(), muTilde()));
    }

    h += whyParagraph();
    return h;
}

} // namespace difflens::widgets
