#include "app/logic/model_state.h"

#include "app/logic/app_paths.h"
#include "app/logic/model_loader.h"
#include "app/logic/run_files.h"
#include "app/logic/settings.h"

#include <QFileInfo>
#include <QFileSystemWatcher>
#include <QTimer>

namespace difflens::gui {

ModelState::ModelState(Settings& settings, QString device, QObject* parent)
    : QObject(parent), m_settings(settings), m_device(std::move(device)), m_loader(new ModelLoader(this))
{
    connect(m_loader, &ModelLoader::loaded, this, &ModelState::onLoaded);
    connect(m_loader, &ModelLoader::failed, this, &ModelState::onFailed);
}

ModelState::~ModelState() = default;

void ModelState::refreshCatalog()
{
    m_catalog.refresh(m_settings.value(keys::modelRecent));
    Q_EMIT catalogChanged();
}

void ModelState::watchModelFolders()
{
    auto* watcher = new QFileSystemWatcher(this);
    for (const QString& dir : pretrainedDirs() + QStringList{userModelsDir()})
        if (QFileInfo(dir).isDir()) watcher->addPath(dir);
    // A package is written file by file: scan once it has been quiet for a moment.
    auto* rescan = new QTimer(this);
    rescan->setSingleShot(true);
    rescan->setInterval(1500);
    connect(watcher, &QFileSystemWatcher::directoryChanged, rescan, qOverload<>(&QTimer::start));
    connect(rescan, &QTimer::timeout, this, &ModelState::refreshCatalog);
}

bool ModelState::isAvailable(const QString& spec)
{
    return spec.startsWith(QLatin1String("exact:")) || (!spec.isEmpty() && QFileInfo::exists(spec));
}

QString ModelState::initialSpec(const QString& asked, bool remembered) const
{
    if (!asked.isEmpty()) return asked;
    if (remembered) {
        const QString last = m_settings.value(keys::modelLast);
        if (isAvailable(last)) return last;
    }
    return m_catalog.defaultSpec();
}

QString ModelState::fallbackAfter(const QString& failed) const
{
    // The last model may have been deleted or moved: the default model, and the exact model that needs no
    // file when the default itself fails.
    const QString exact = QStringLiteral("exact:8gaussians");
    return failed != m_catalog.defaultSpec() ? m_catalog.defaultSpec() : failed != exact ? exact : QString();
}

void ModelState::open(const QString& spec)
{
    if (spec.isEmpty()) return;
    m_loadingSpec = spec;
    m_request = m_loader->load(spec, m_device);
    Q_EMIT loadStarted(spec);
}

bool ModelState::openForRun(const QString& spec)
{
    m_runSpec = isAvailable(spec) ? spec : QString();
    if (m_runSpec.isEmpty()) return false;
    open(m_runSpec);
    return true;
}

QString ModelState::currentName() const
{
    return m_model ? m_catalog.nameFor(m_model->info.spec) : QString();
}

bool ModelState::isMissing() const
{
    return m_model && !hasDenoiser(*m_model);
}

bool ModelState::serves(const QString& spec, const std::vector<int64_t>& shape) const
{
    return m_model && hasDenoiser(*m_model) && m_model->info.spec == spec && m_model->info.shape == shape;
}

void ModelState::onLoaded(int request, const QString& spec, const ModelHandle& model)
{
    if (request != m_request) return;
    m_loadingSpec.clear();
    if (!m_runSpec.isEmpty() && spec == m_runSpec) {
        m_runSpec.clear();
        Q_EMIT runModelLoaded(model);
        return;
    }
    m_model = model;
    QString name = m_catalog.nameFor(spec);
    if (name.isEmpty()) {
        name = m_catalog.add(spec);
        Q_EMIT catalogChanged();
    }
    for (const CatalogEntry& e : m_catalog.entries())
        if (e.name == name && e.source == CatalogEntry::Source::Opened) m_settings.addRecentModel(e.spec);
    m_settings.setValue(keys::modelLast, spec);
    Q_EMIT modelChanged(spec, name);
}

void ModelState::onFailed(int request, const QString& spec, const QString& message)
{
    if (request != m_request) return;
    m_loadingSpec.clear();
    if (!m_runSpec.isEmpty() && spec == m_runSpec) { // the opened run stays, without its model
        m_runSpec.clear();
        Q_EMIT runModelFailed(spec, message);
        return;
    }
    Q_EMIT loadFailed(spec, message);
}

} // namespace difflens::gui
