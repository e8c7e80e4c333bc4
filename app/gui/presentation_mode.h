#pragma once
// Presentation mode, one part for every window that has it (the main window, the compare window): full
// screen, the chrome hidden (menus, toolbars, docks, the status bar), chosen widgets' text scaled up for a
// lecture hall; leaving it brings back exactly what was there (dock layout, which chrome was visible,
// maximised or not, the fonts).
#include <QByteArray>
#include <QFont>
#include <QList>
#include <QPointer>
#include <QWidget>

class QMainWindow;

namespace difflens::gui {

class PresentationMode
{
public:
    explicit PresentationMode(QMainWindow* window) : m_window(window) {}

    /** Widgets hidden while on (restored to their own visibility when off). */
    void setChrome(const QList<QWidget*>& chrome);
    /** Widgets whose font grows by `scale` while on. */
    void setLargeText(const QList<QWidget*>& widgets, double scale);

    bool isOn() const { return m_on; }
    /** Returns false when nothing changed (already in that mode). */
    bool set(bool on);

private:
    QMainWindow* m_window;
    QList<QPointer<QWidget>> m_chrome, m_large;
    QList<bool> m_chromeWasVisible;
    QList<QFont> m_fonts;
    double m_scale = 1.4;
    QByteArray m_state;
    bool m_wasMaximized = false;
    bool m_on = false;
};

} // namespace difflens::gui
