#pragma once
// MainWindow options for tests: a given model on the CPU, no restored state, no automatic sampling, errors
// signalled instead of shown in dialogs, no first screen, settings in their own ini file.
#include "app/gui/main_window.h"

#include <QSettings>

namespace difflens::test {

inline gui::MainWindow::Options testWindowOptions(const QString& model, const QString& settingsFile)
{
    gui::MainWindow::Options o;
    o.model = model;
    o.device = QStringLiteral("cpu");
    o.restoreState = false;
    o.autoSample = false;
    o.interactive = false;
    o.firstScreen = false;
    o.settings = std::make_unique<QSettings>(settingsFile, QSettings::IniFormat);
    return o;
}

} // namespace difflens::test
