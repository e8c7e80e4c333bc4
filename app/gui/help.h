#pragma once
// The Help menu's texts.
#include <QString>

class QWidget;

namespace difflens::gui {

/** Calls Q_INIT_RESOURCE for the icons and help pages (they live in the GUI's static library). */
void initResources();
void showAbout(QWidget* parent, const QString& modelDescription);
/** "What am I looking at?": the panels and the question they answer (resources/help/what.html). */
void showWhatAmILookingAt(QWidget* parent);
QString whatAmILookingAtHtml();
/** The explanation panel's text in forward mode: the forward formula at t and the true reverse step from
 * there. */
QString forwardExplanationHtml(long t, int T, double alphaBar, double c1, double c2, double betaTilde);

} // namespace difflens::gui
