#include "app/logic/model_catalog.h"

#include "app/logic/app_paths.h"
#include "core/exact_kernel.h"

#include <QDir>
#include <QFileInfo>

namespace difflens::gui {

namespace {

QString canonical(const QString& spec)
{
    if (spec.startsWith(QLatin1String("exact:"))) return spec;
    const QString c = QFileInfo(spec).canonicalFilePath();
    return c.isEmpty() ? QDir::cleanPath(spec) : c;
}

} // namespace

QStringList ModelCatalog::exactSpecs()
{
    // Fashion-MNIST twice: the whole training set (interactive on 2 cores with the fused kernel: about 100 DDIM
    // steps a second with AVX-512, 50 with AVX2, README "Benchmarks") and 1,000 images (a set small enough to see
    // every sample memorise one of them). The whole set comes first where the CPU runs the kernel; elsewhere
    // (the BLAS products, about 24 steps a second and 40 ms an Exact q frame) the small one does.
    const QString all = QStringLiteral("exact:fashion-mnist"), small = QStringLiteral("exact:fashion-mnist?n=1000");
    const bool fast = kernels::fusedPosteriorMeanAvailable();
    return {QStringLiteral("exact:8gaussians"), QStringLiteral("exact:gmm1d"), QStringLiteral("exact:moons?n=500"),
            fast ? all : small, fast ? small : all};
}

void ModelCatalog::refresh(const QStringList& recent)
{
    QVector<CatalogEntry> opened;
    for (const CatalogEntry& e : m_entries)
        if (e.source == CatalogEntry::Source::Opened) opened.push_back(e);
    m_entries.clear();
    auto scan = [this](const QString& root, CatalogEntry::Source source, const QString& suffix) {
        const QDir dir(root);
        for (const QString& sub : dir.entryList(QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name)) {
            const QString path = dir.filePath(sub);
            if (!isPackageDir(path) || !nameFor(canonical(path)).isEmpty()) continue;
            CatalogEntry e;
            e.spec = canonical(path);
            e.name = uniqueName(sub + suffix, e.spec);
            e.source = source;
            e.tooltip = path;
            m_entries.push_back(e);
        }
    };
    for (const QString& root : pretrainedDirs())
        scan(root, CatalogEntry::Source::Pretrained, QStringLiteral(" (pretrained)"));
    scan(userModelsDir(), CatalogEntry::Source::Trained, QStringLiteral(" (trained here)"));
    for (const QString& spec : exactSpecs()) {
        CatalogEntry e;
        e.spec = spec;
        e.name = spec;
        e.source = CatalogEntry::Source::Exact;
        e.tooltip = QStringLiteral("Exact denoiser: E[x₀ | xₜ] computed from the data itself (no network)");
        m_entries.push_back(e);
    }
    for (const CatalogEntry& e : opened)
        if (nameFor(e.spec).isEmpty()) add(e.spec);
    for (const QString& spec : recent)
        if (spec.startsWith(QLatin1String("exact:")) || QFileInfo::exists(spec)) add(spec);
}

QStringList ModelCatalog::names() const
{
    QStringList n;
    for (const CatalogEntry& e : m_entries)
        n << e.name;
    return n;
}

QString ModelCatalog::specFor(const QString& name) const
{
    for (const CatalogEntry& e : m_entries)
        if (e.name == name) return e.spec;
    return {};
}

QString ModelCatalog::nameFor(const QString& spec) const
{
    const QString c = canonical(spec);
    for (const CatalogEntry& e : m_entries)
        if (e.spec == c || e.spec == spec) return e.name;
    return {};
}

QString ModelCatalog::uniqueName(const QString& base, const QString& spec) const
{
    QString name = base;
    for (int i = 2; !specFor(name).isEmpty() && specFor(name) != spec; ++i)
        name = QStringLiteral("%1 [%2]").arg(base).arg(i);
    return name;
}

QString ModelCatalog::add(const QString& spec, CatalogEntry::Source source)
{
    const QString existing = nameFor(spec);
    if (!existing.isEmpty()) return existing;
    CatalogEntry e;
    e.spec = canonical(spec);
    e.source = source;
    e.tooltip = e.spec;
    if (e.spec.startsWith(QLatin1String("exact:"))) {
        e.name = e.spec;
    } else {
        const QFileInfo info(e.spec);
        // A bare model.pt says little: name it by its folder.
        const QString base = !info.isDir() && info.fileName() == QLatin1String("model.pt")
                                 ? info.dir().dirName() + QStringLiteral("/model.pt")
                                 : info.fileName();
        e.name =
            uniqueName(base + (source == CatalogEntry::Source::Trained ? QStringLiteral(" (trained here)")
                                                                       : QStringLiteral(" (opened)")),
                       e.spec);
    }
    m_entries.push_back(e);
    return e.name;
}

QString ModelCatalog::defaultSpec() const
{
    for (const QString& wanted : {QStringLiteral("fashion-mnist"), QStringLiteral("moons")})
        for (const CatalogEntry& e : m_entries)
            if (e.source == CatalogEntry::Source::Pretrained && QFileInfo(e.spec).fileName() == wanted)
                return e.spec;
    return QStringLiteral("exact:8gaussians");
}

} // namespace difflens::gui
