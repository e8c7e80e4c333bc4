#include "app/gui/presentation_mode.h"

#include <QMainWindow>

namespace difflens::gui {

void PresentationMode::setChrome(const QList<QWidget*>& chrome)
{
    m_chrome.clear();
    for (QWidget* w : chrome)
        m_chrome << w;
}

void PresentationMode::setLargeText(const QList<QWidget*>& widgets, double scale)
{
    m_large.clear();
    for (QWidget* w : widgets)
        m_large << w;
    m_scale = scale;
}

bool PresentationMode::set(bool on)
{
    if (on == m_on) return false;
    m_on = on;
    if (on) {
        m_state = m_window->saveState(); // the docks' places and sizes
        m_wasMaximized = m_window->isMaximized();
        m_chromeWasVisible.clear();
        for (const auto& w : m_chrome) {
            m_chromeWasVisible << (w && w->isVisible());
            if (w) w->hide();
        }
        m_fonts.clear();
        for (const auto& w : m_large) {
            m_fonts << (w ? w->font() : QFont());
            if (!w) continue;
            QFont f = w->font();
            f.setPointSizeF(f.pointSizeF() * m_scale);
            w->setFont(f);
        }
        m_window->showFullScreen();
    } else {
        for (int i = 0; i < m_large.size(); ++i)
            if (m_large[i]) m_large[i]->setFont(m_fonts.value(i));
        for (int i = 0; i < m_chrome.size(); ++i)
            if (m_chrome[i]) m_chrome[i]->setVisible(m_chromeWasVisible.value(i));
        m_window->restoreState(m_state);
        m_wasMaximized ? m_window->showMaximized() : m_window->showNormal();
    }
    return true;
}

} // namespace difflens::gui
