#pragma once
// One colour per quantity, used by every view, so a student who learns "orange is the model" in one panel
// reads every other panel the same way. Based on the Okabe-Ito colour-blind-safe set, with stronger
// values where thin lines must survive a projector.
#include <QColor>

namespace difflens::widgets::palette {

// --- the quantities of a reverse step -------------------------------------------------------------------
/** x_t, the noisy sample (and its histogram, trajectories, abar_t which scales the signal in x_t). */
inline QColor xt()
{
    return QColor(0x00, 0x72, 0xB2);
}
/** The model p_theta: x0^, mu_theta, eps^, the training loss. */
inline QColor model()
{
    return QColor(0xD5, 0x5E, 0x00);
}
/** The analytic posterior q(x_{t-1} | x_t, x_0): mu~, beta~, and the reference x_0 it is conditioned on. */
inline QColor posterior()
{
    return QColor(0x00, 0x9E, 0x73);
}
/** The reference x_0 (the same family as the posterior; drawn as a star, mu~ as a diamond). */
inline QColor reference()
{
    return QColor(0x00, 0x7A, 0x59);
}
/** Differences between model and posterior: |mu_theta - mu~|. */
inline QColor difference()
{
    return QColor(0xC0, 0x2A, 0x8C);
}
/** The exact marginal reverse step q(x_{t-1} | x_t), which p_theta stands in for. */
inline QColor exact()
{
    return QColor(0x5E, 0x3C, 0x99);
}
/** KL(q || p_theta): a divergence between posterior and model. */
inline QColor kl()
{
    return QColor(0x5E, 0x3C, 0x99);
}
/** The second run of a comparison (Compare: run B), beside run A drawn in the x_t colour. */
inline QColor pairedRun()
{
    return QColor(0xE6, 0x9F, 0x00);
}
/** Training data drawn behind everything. */
inline QColor data()
{
    return QColor(0xB4, 0xB9, 0xC0);
}
/** A vector field (score or eps) on a grid. */
inline QColor field()
{
    return QColor(0x7A, 0x86, 0x96);
}

// --- schedule curves ------------------------------------------------------------------------------------
inline QColor beta()
{
    return QColor(0x33, 0x33, 0x33);
}
inline QColor alphaBar()
{
    return xt();
}
inline QColor betaTilde()
{
    return posterior();
}
inline QColor logSnr()
{
    return QColor(0xA6, 0x61, 0x1A);
}

// --- chrome ---------------------------------------------------------------------------------------------
inline QColor background()
{
    return QColor(0xFF, 0xFF, 0xFF);
}
inline QColor plotBackground()
{
    return QColor(0xFB, 0xFB, 0xFC);
}
inline QColor text()
{
    return QColor(0x1A, 0x1A, 0x1A);
}
inline QColor mutedText()
{
    return QColor(0x5F, 0x66, 0x6D);
}
inline QColor axis()
{
    return QColor(0x40, 0x40, 0x40);
}
inline QColor grid()
{
    return QColor(0xE3, 0xE6, 0xEA);
}
inline QColor frame()
{
    return QColor(0xC8, 0xCC, 0xD2);
}
/** The current-t marker line in every plot. */
inline QColor marker()
{
    return QColor(0xD0, 0x1C, 0x1C);
}

/** The colour of a quantity with alpha in [0, 1]. */
inline QColor withAlpha(QColor c, double alpha)
{
    c.setAlphaF(static_cast<float>(alpha));
    return c;
}

/** A fallback cycle for curves without an assigned colour. */
inline QColor cycle(int i)
{
    static const QColor colors[] = {model(), posterior(), exact(), xt(), difference(), logSnr()};
    return colors[((i % 6) + 6) % 6];
}

} // namespace difflens::widgets::palette
