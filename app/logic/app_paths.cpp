#include "app/logic/app_paths.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QStandardPaths>

namespace difflens::gui {

QStringList pretrainedDirs()
{
    QStringList candidates;
    const QString env = qEnvironmentVariable("DIFFLENS_MODELS_DIR");
    if (!env.isEmpty()) candidates << env;
    if (QCoreApplication::instance())
        candidates << QDir(QCoreApplication::applicationDirPath())
                          .filePath(QStringLiteral("../share/difflens/pretrained"));
#ifdef DIFFLENS_SOURCE_DIR
    candidates << QDir(QStringLiteral(DIFFLENS_SOURCE_DIR)).filePath(QStringLiteral("models/pretrained"));
#endif
    QStringList dirs;
    for (const QString& c : candidates) {
        const QFileInfo info(c);
        const QString canonical = info.canonicalFilePath();
        if (info.isDir() && !canonical.isEmpty() && !dirs.contains(canonical)) dirs << canonical;
    }
    return dirs;
}

QString userModelsDir()
{
    QString base = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
    if (base.isEmpty()) base = QDir::home().filePath(QStringLiteral(".local/share/difflens"));
    return QDir(base).filePath(QStringLiteral("models"));
}

bool isPackageDir(const QString& dir)
{
    const QDir d(dir);
    return d.exists(QStringLiteral("model.pt")) || d.exists(QStringLiteral("difflens.json"));
}

} // namespace difflens::gui
