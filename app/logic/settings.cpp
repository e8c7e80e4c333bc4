#include "app/logic/settings.h"

#include <QSettings>

namespace difflens::gui {

namespace {
QString storageKey(const char* dotted)
{
    return QString::fromLatin1(dotted).replace(QLatin1Char('.'), QLatin1Char('/'));
}
} // namespace

Settings::Settings(std::unique_ptr<QSettings> store) : m_store(std::move(store))
{
    if (!m_store) m_store = std::make_unique<QSettings>();
}

Settings::~Settings() = default;

QVariant Settings::raw(const char* dottedName) const
{
    return m_store->value(storageKey(dottedName));
}

void Settings::setRaw(const char* dottedName, const QVariant& v)
{
    m_store->setValue(storageKey(dottedName), v);
}

widgets::RunSettings Settings::runSettings() const
{
    widgets::RunSettings s;
    const int mode = value(keys::samplerMode);
    s.mode = mode == widgets::RunSettings::FromReference ? widgets::RunSettings::FromReference
             : mode == widgets::RunSettings::Forward     ? widgets::RunSettings::Forward
                                                         : widgets::RunSettings::Sample;
    // Older settings stored "DDPM" / "DDIM": names are the CLI's, compared in lower case.
    s.sampler = value(keys::samplerKind).toLower();
    s.steps = value(keys::samplerSteps);
    s.eta = value(keys::samplerEta);
    s.sdeNoise = value(keys::samplerSdeNoise);
    s.seed = value(keys::samplerSeed);
    s.batch = value(keys::samplerBatch);
    s.t0 = value(keys::samplerT0);
    s.referenceSource = value(keys::referenceSource);
    s.referenceIndex = value(keys::referenceIndex);
    s.referenceFile = value(keys::referenceFile);
    return s;
}

void Settings::setRunSettings(const widgets::RunSettings& s)
{
    setValue(keys::samplerMode, static_cast<int>(s.mode));
    setValue(keys::samplerKind, s.sampler);
    setValue(keys::samplerSteps, s.steps);
    setValue(keys::samplerEta, s.eta);
    setValue(keys::samplerSdeNoise, s.sdeNoise);
    setValue(keys::samplerSeed, s.seed);
    setValue(keys::samplerBatch, s.batch);
    setValue(keys::samplerT0, s.t0);
    setValue(keys::referenceSource, s.referenceSource);
    setValue(keys::referenceIndex, s.referenceIndex);
    setValue(keys::referenceFile, s.referenceFile);
}

void Settings::addRecentModel(const QString& spec)
{
    QStringList recent = value(keys::modelRecent);
    recent.removeAll(spec);
    recent.prepend(spec);
    while (recent.size() > 10)
        recent.removeLast();
    setValue(keys::modelRecent, recent);
}

void Settings::sync()
{
    m_store->sync();
}

QString Settings::fileName() const
{
    return m_store->fileName();
}

} // namespace difflens::gui
