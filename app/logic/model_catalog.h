#pragma once
// The models the app offers: pretrained packages, models trained in the app, exact denoisers, and files the
// user opened (remembered). A list of (name shown, spec opened); no torch, nothing is loaded here.
#include <QString>
#include <QStringList>
#include <QVector>

namespace difflens::gui {

struct CatalogEntry
{
    enum class Source
    {
        Pretrained,
        Trained, ///< trained in the app (user models folder)
        Exact,
        Opened ///< opened with File > Open model…, remembered in the recent list
    };
    QString name; ///< shown in the model list; unique
    QString spec; ///< what openModel takes
    Source source = Source::Exact;
    QString tooltip;
};

class ModelCatalog
{
public:
    /** The exact denoisers always offered (they need no file; Fashion-MNIST needs Debian's dataset package).
     */
    static QStringList exactSpecs();

    /** Scans the pretrained and user folders again; `recent` are opened specs to keep listed. */
    void refresh(const QStringList& recent = {});
    const QVector<CatalogEntry>& entries() const { return m_entries; }
    QStringList names() const;
    /** The spec of a listed name, or "" when unknown. */
    QString specFor(const QString& name) const;
    /** The name a spec is listed under; "" when it is not listed. */
    QString nameFor(const QString& spec) const;
    /** Lists a spec (an opened file or folder) and returns its name. */
    QString add(const QString& spec, CatalogEntry::Source source = CatalogEntry::Source::Opened);
    /** The model shown at first start: fashion-mnist, else moons (pretrained), else exact:8gaussians. */
    QString defaultSpec() const;

private:
    QString uniqueName(const QString& base, const QString& spec) const;
    QVector<CatalogEntry> m_entries;
};

} // namespace difflens::gui
