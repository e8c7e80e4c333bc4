#include "app/gui/help.h"

#include "app/logic/app_paths.h"
#include "widgets/format.h"
#include "widgets/palette.h"

#include <QApplication>
#include <QDialog>
#include <QDialogButtonBox>
#include <QFile>
#include <QIcon>
#include <QMessageBox>
#include <QTextBrowser>
#include <QVBoxLayout>

#include <cmath>

static void initDifflensResources()
{
    // Outside any namespace: Q_INIT_RESOURCE declares a global function.
    Q_INIT_RESOURCE(difflens);
}

namespace difflens::gui {

void initResources()
{
    static bool done = false;
    if (!done) initDifflensResources();
    done = true;
}

void showAbout(QWidget* parent, const QString& modelDescription)
{
    QMessageBox box(parent);
    box.setWindowTitle(QObject::tr("About Diffusion Lens"));
    box.setIconPixmap(QIcon(QStringLiteral(":/difflens/icons/difflens.svg")).pixmap(96, 96));
    box.setTextFormat(Qt::RichText);
    box.setText(QObject::tr("<h3>Diffusion Lens %1</h3>"
                            "<p>A diffusion model denoising step by step, beside the closed-form posterior "
                            "q(xₜ₋₁ | xₜ, x₀) it is trained to match.</p>"
                            "<p>Qt %2 · LibTorch · QCustomPlot</p>")
                    .arg(QApplication::applicationVersion(), QString::fromLatin1(qVersion())));
    if (!modelDescription.isEmpty())
        box.setInformativeText(
            QStringLiteral("<pre style=\"font-size:small\">%1</pre>").arg(modelDescription.toHtmlEscaped()));
    box.exec();
}

QString whatAmILookingAtHtml()
{
    initResources();
    QFile file(QStringLiteral(":/difflens/help/what.html"));
    if (!file.open(QIODevice::ReadOnly))
        return QObject::tr("<p>The help page is missing from this build.</p>");
    return QString::fromUtf8(file.readAll());
}

void showWhatAmILookingAt(QWidget* parent)
{
    QDialog dialog(parent);
    dialog.setWindowTitle(QObject::tr("What am I looking at?"));
    auto* layout = new QVBoxLayout(&dialog);
    auto* text = new QTextBrowser(&dialog);
    text->setOpenExternalLinks(true);
    text->setHtml(whatAmILookingAtHtml());
    layout->addWidget(text);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, &dialog);
    QObject::connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
    layout->addWidget(buttons);
    dialog.resize(640, 720);
    dialog.exec();
}

QString forwardExplanationHtml(long t, int T, double alphaBar, double c1, double c2, double betaTilde)
{
    namespace palette = widgets::palette;
    auto colored = [](const QString& text, const QColor& c) {
        return QStringLiteral("<span style=\"color:%1\">%2</span>").arg(c.name(), text);
    };
    auto num = [](double v) { return QStringLiteral("<b>%1</b>").arg(widgets::formatSig(v)); };
    const QString xt = colored(QStringLiteral("xₜ"), palette::xt());
    const QString x0 = colored(QStringLiteral("x₀"), palette::reference());
    const QString mu = colored(QStringLiteral("μ̃"), palette::posterior());
    const double signal = std::sqrt(alphaBar), noise = std::sqrt(std::max(0.0, 1.0 - alphaBar));
    QString h;
    h += QObject::tr("<h3 style=\"margin-bottom:2px\">Forward process: t = %1 of %2</h3>").arg(t).arg(T);
    h += QObject::tr("<p style=\"color:%1; margin-top:0px\">No model runs here: noise is added to the "
                     "reference in closed form.</p>")
             .arg(palette::mutedText().name());
    h += QObject::tr("<p><b>1 · Jumping straight to t</b> (Ho et al. Eq. 4)</p>");
    h += QStringLiteral(
             "<p style=\"margin-left:12px\">%1 = √ᾱₜ · %2 + √(1 − ᾱₜ) · ε,&nbsp;&nbsp; ε ~ N(0, I) fixed</p>")
             .arg(xt, x0);
    h += QStringLiteral("<p style=\"margin-left:12px\">ᾱₜ = %1, so %2 = %3 · %4 + %5 · ε</p>")
             .arg(num(alphaBar), xt, num(signal), x0, num(noise));
    h += QObject::tr("<p>%1 % of the variance of %2 is signal. Each row uses its own ε, so the rows show "
                     "different noisy versions of the same %3; move t and the signal fades while the noise "
                     "grows.</p>")
             .arg(widgets::formatSig(100.0 * alphaBar, 3), xt, x0);
    if (t >= 1) {
        h += QObject::tr("<p><b>2 · The way back, knowing %1</b> (Ho et al. Eqs. 6–7)</p>").arg(x0);
        h += QStringLiteral("<p style=\"margin-left:12px\">q(xₜ₋₁ | %1, %2) = N(%3, β̃ₜ I),&nbsp;&nbsp; %3 = "
                            "%4 · %2 + %5 · %1,&nbsp;&nbsp; β̃ₜ = %6</p>")
                 .arg(xt, x0, mu, num(c1), num(c2), num(betaTilde));
        h += QObject::tr(
                 "<p>This step needs %1. Sampling starts from noise without it: that is why a network "
                 "p<sub>θ</sub> learns to stand in for it. Switch the mode to “Denoise reference from t₀” "
                 "to see how much of %1 the model recovers from this t.</p>")
                 .arg(x0);
    }
    return h;
}

} // namespace difflens::gui
