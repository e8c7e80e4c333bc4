#pragma once
// The main window's current model, one part of the window: the catalogue of models the app offers (scanned
// again when packages land in the model folders), opening a model on the loader job, what is loaded, and what
// the GUI may do with it. An opened run shows with a facts-only model; the model it was made with is opened
// behind it and reported apart (runModelLoaded), since it attaches to the run instead of starting afresh.
#include "app/logic/model.h"
#include "app/logic/model_catalog.h"

#include <QObject>

class QTimer;

namespace difflens::gui {

class ModelLoader;
class Settings;

class ModelState final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ModelState)

public:
    /** settings keep the last model and the ones opened from files (they outlive this part). */
    ModelState(Settings& settings, QString device, QObject* parent = nullptr);
    ~ModelState() override;

    // The catalogue.
    const ModelCatalog& catalog() const { return m_catalog; }
    /** Scans the model folders again (the remembered models stay listed); emits catalogChanged. */
    void refreshCatalog();
    /** Lists packages as they appear in the model folders (they are trained for hours while the app runs). */
    void watchModelFolders();
    /** A spec that is there to open: exact:NAME (no file needed) or a path that exists. */
    static bool isAvailable(const QString& spec);
    /** The model to open first: `asked`, else the last one (when `remembered` and still there), else the
     *  default. */
    QString initialSpec(const QString& asked, bool remembered) const;
    /** What to open after `failed` could not be opened and no model is loaded: the default model, then the
     *  exact model that needs no file; "" when those failed too. */
    QString fallbackAfter(const QString& failed) const;

    // Opening.
    /** Opens `spec` on the loader job; the current model stays until it has loaded (modelChanged). */
    void open(const QString& spec);
    /** Opens the model an opened run was made with, when it is there (true); it arrives as runModelLoaded. */
    bool openForRun(const QString& spec);
    /** Whether `spec` is being opened now. */
    bool isOpening(const QString& spec) const { return spec == m_loadingSpec; }
    /** The opened run's model being opened behind it ("" for none). */
    QString runModelSpec() const { return m_runSpec; }

    // The current model.
    const ModelHandle& model() const { return m_model; }
    /** The name the catalogue lists the current model under ("" for none). */
    QString currentName() const;
    /** Shows `model` without opening anything: an opened run's facts-only model, or its own once loaded. */
    void setModel(const ModelHandle& model) { m_model = model; }
    /** The model shown cannot run (the facts-only model of an opened run): sampling, the field and the bound
     *  are off until the model itself is loaded. */
    bool isMissing() const;
    /** The loaded model is the one `run` was made with (same spec and data shape), so it serves the run. */
    bool serves(const QString& spec, const std::vector<int64_t>& shape) const;

Q_SIGNALS:
    void catalogChanged();
    void loadStarted(const QString& spec);
    /** `spec` has loaded and is the current model (listed under `name`). */
    void modelChanged(const QString& spec, const QString& name);
    /** `spec` could not be opened; the current model (if any) stays. */
    void loadFailed(const QString& spec, const QString& message);
    /** The opened run's model has loaded; it is not the current model until setModel. */
    void runModelLoaded(const difflens::gui::ModelHandle& model);
    void runModelFailed(const QString& spec, const QString& message);

private:
    void onLoaded(int request, const QString& spec, const ModelHandle& model);
    void onFailed(int request, const QString& spec, const QString& message);

    Settings& m_settings;
    QString m_device;
    ModelCatalog m_catalog;
    ModelLoader* m_loader = nullptr;
    ModelHandle m_model;
    int m_request = 0;
    QString m_loadingSpec; ///< of the latest request, until it has loaded or failed
    QString m_runSpec;     ///< the opened run's model, being opened behind it
};

} // namespace difflens::gui
