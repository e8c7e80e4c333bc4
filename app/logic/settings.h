#pragma once
// The app's settings: typed keys with their defaults declared here, stored in QSettings under dotted names
// ("sampler.steps" is the INI entry steps in group [sampler]). Nothing else in the app calls QSettings.
#include "widgets/types.h"

#include <QByteArray>
#include <QString>
#include <QStringList>
#include <QVariant>

#include <memory>

class QSettings;

namespace difflens::gui {

template <typename T> struct SettingKey
{
    const char* name; ///< dotted, e.g. "sampler.steps"
    T fallback;
};

namespace keys {
inline const SettingKey<QString> modelLast{"model.last", QString()};
inline const SettingKey<QStringList> modelRecent{"model.recent", QStringList()};
/** Run files opened or saved, most recent first (File > Open recent run). */
inline const SettingKey<QStringList> runRecent{"run.recent", QStringList()};
inline const SettingKey<QString> samplerKind{"sampler.kind", QStringLiteral("ddpm")};
inline const SettingKey<double> samplerSdeNoise{"sampler.sde_noise", 1.0};
inline const SettingKey<int> samplerSteps{"sampler.steps", 1000};
inline const SettingKey<double> samplerEta{"sampler.eta", 0.0};
inline const SettingKey<qint64> samplerSeed{"sampler.seed", 0};
inline const SettingKey<int> samplerBatch{"sampler.batch", 16};
/** The batch is remembered per kind of data: a grid of images wants ~16, a point cloud hundreds. */
inline const SettingKey<int> samplerBatchImages{"sampler.batchImages", 16};
inline const SettingKey<int> samplerBatchPoints{"sampler.batchPoints", 500};
inline const SettingKey<int> samplerMode{"sampler.mode", 0}; // RunSettings::Mode
inline const SettingKey<int> samplerT0{"sampler.t0", 500};
inline const SettingKey<QString> referenceSource{"reference.source", QStringLiteral("none")};
inline const SettingKey<int> referenceIndex{"reference.index", 0};
inline const SettingKey<QString> referenceFile{"reference.file", QString()};
inline const SettingKey<QByteArray> windowGeometry{"window.geometry", QByteArray()};
inline const SettingKey<QByteArray> windowState{"window.state", QByteArray()};
/** Help > Tour runs by itself once, on the first start (then only from the menu). */
inline const SettingKey<bool> tourShown{"help.tourShown", false};
inline const SettingKey<double> presentationFontScale{"presentation.fontScale", 1.6};
inline const SettingKey<int> playbackFps{"playback.fps", 30};
inline const SettingKey<bool> viewScoreField{"view.scoreField", false};
inline const SettingKey<QString> scheduleCompare{"schedule.compare", QString()};
inline const SettingKey<QString> trainDataset{"train.dataset", QStringLiteral("moons")};
inline const SettingKey<int> trainSteps{"train.steps", 3000};
inline const SettingKey<int> trainBatch{"train.batch", 512};
inline const SettingKey<double> trainLr{"train.lr", 1e-3};
} // namespace keys

class Settings
{
public:
    /** store: where the values live; null: QSettings() of the application (organisation / name). */
    explicit Settings(std::unique_ptr<QSettings> store = nullptr);
    ~Settings();
    Settings(const Settings&) = delete;
    Settings& operator=(const Settings&) = delete;

    template <typename T> T value(const SettingKey<T>& key) const
    {
        const QVariant v = raw(key.name);
        return v.isValid() && v.canConvert<T>() ? v.value<T>() : key.fallback;
    }
    template <typename T> void setValue(const SettingKey<T>& key, const T& value)
    {
        setRaw(key.name, QVariant::fromValue(value));
    }

    /** Whether a value was ever stored (else value() gives the default). */
    template <typename T> bool isSet(const SettingKey<T>& key) const { return raw(key.name).isValid(); }

    /** The sampler and reference fields of the control panel (the model is stored apart). */
    widgets::RunSettings runSettings() const;
    void setRunSettings(const widgets::RunSettings& s);
    /** Most recent first, at most 10, no duplicates. */
    void addRecentModel(const QString& spec);
    void sync();
    QString fileName() const;

private:
    QVariant raw(const char* dottedName) const;
    void setRaw(const char* dottedName, const QVariant& v);
    std::unique_ptr<QSettings> m_store;
};

} // namespace difflens::gui
