#pragma once
// Where the app finds its models and keeps the user's own.
#include <QString>
#include <QStringList>

namespace difflens::gui {

/**
 * The folders searched for pretrained packages, in order: $DIFFLENS_MODELS_DIR, <exe dir>/../share/difflens/
 * pretrained (an installed app), the source tree's models/pretrained (a build run from the tree). Only the
 * folders that exist are returned.
 */
QStringList pretrainedDirs();

/** Where models trained in the app are written (AppDataLocation/models); created when one is written. */
QString userModelsDir();

/** True when `dir` looks like a model package (model.pt or difflens.json inside). */
bool isPackageDir(const QString& dir);

} // namespace difflens::gui
