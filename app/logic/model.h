#pragma once
// A loaded model as the GUI sees it: plain facts (ModelInfo) plus an opaque runtime (the denoiser and the
// dataset tensors, defined in model_runtime.h, which only the torch-side files include).
#include "core/schedule.h"
#include "widgets/types.h"

#include <QPointF>
#include <QString>
#include <QStringList>
#include <QVector>

#include <limits>
#include <memory>
#include <vector>

namespace difflens::gui {

struct ModelRuntime;

/** A 1-D Gaussian mixture sum_k w_k N(m_k, s_k^2): the closed-form data density of gmm1d. */
struct Mixture1d
{
    std::vector<double> means, stds, weights;
    bool isEmpty() const { return means.empty(); }
};

/** How a model is stored: a TorchScript file, a built-in net's weights, or an exact denoiser (no file). */
enum class ModelFormat
{
    Unknown,
    TorchScript,
    Builtin,
    Exact
};
/** "torchscript" | "builtin" | "exact" (core's package format names); "" for Unknown. */
inline QString modelFormatName(ModelFormat format)
{
    switch (format) {
    case ModelFormat::TorchScript: return QStringLiteral("torchscript");
    case ModelFormat::Builtin: return QStringLiteral("builtin");
    case ModelFormat::Exact: return QStringLiteral("exact");
    case ModelFormat::Unknown: break;
    }
    return {};
}
/** The format a package or run file names (parsed once, where the model is opened); Unknown for any other. */
inline ModelFormat parseModelFormat(const QString& name)
{
    for (ModelFormat f : {ModelFormat::TorchScript, ModelFormat::Builtin, ModelFormat::Exact})
        if (name == modelFormatName(f)) return f;
    return ModelFormat::Unknown;
}

struct ModelInfo
{
    QString spec;        ///< what openModel was given: a folder, a .pt file or exact:NAME
    QString name;        ///< package name (or the spec)
    QString description; ///< describeModel(): one fact per line, for tooltips and the About box
    ModelFormat format = ModelFormat::Unknown;
    QString dataset;     ///< the dataset it was trained on ("" when unknown)
    QString dataText;    ///< "points in 2-D, values in [-4, 4]"
    bool isImage = false;
    int dim = 2; ///< points: 1 or 2
    int channels = 1, height = 0, width = 0;
    double low = -1.0, high = 1.0;
    std::vector<int64_t> shape; ///< per sample
    SchedulerConfig scheduler;
    QString trainingLog;    ///< loss.csv (step, loss, ema_loss), "" when none
    QString lossByTLog;     ///< loss_by_t.csv (t, loss) beside it, "" when none
    int referenceCount = 0; ///< dataset items a reference index can pick
    QString device;
    qint64 parameters = 0;
    Mixture1d mixture; ///< 1-D mixture datasets only
    int numClasses = 0;     ///< class-conditional models: how many classes (0: unconditional)
    QStringList classNames; ///< one per class (the package's names, else "class k")
    /** What the exact q(x_{t-1}|x_t) is computed from, e.g. "the closed-form mixture (8 components)"; "" none. */
    QString exactText;
    int trainingSetSize = 0; ///< items of the finite set the posterior weights w_i run over (0: none)
    double alphaBarT = 0;    ///< abar_T: far from 0 means x_T is not N(0, I)
    /** L_T = KL(q(x_T|x_0) || N(0, I)) of the reference items, bits per dimension (NaN without items). */
    double priorBitsPerDim = std::numeric_limits<double>::quiet_NaN();
    /** abar_T is large enough that the prior term matters (the warning the views show). */
    bool priorWarning() const { return alphaBarT > 1e-3; }

    int T() const { return scheduler.numTrainTimesteps; }
    qint64 numel() const
    {
        qint64 n = 1;
        for (auto s : shape)
            n *= s;
        return shape.empty() ? 0 : n;
    }
    bool isExact() const { return format == ModelFormat::Exact; }
};

struct Model
{
    ModelInfo info;
    QVector<QPointF> dataPoints; ///< points models: the data drawn behind (index = reference index)
    std::shared_ptr<ModelRuntime> runtime;
};

using ModelHandle = std::shared_ptr<const Model>;

/** A reference x_0 as plain values: one sample in the model's per-sample shape (CHW or x, y). */
struct Reference
{
    std::vector<float> values;
    QString label; ///< "dataset item 7", "file shirt.png", "drawing", "data point (1.20, −0.50)"

    bool isValid() const { return !values.empty(); }
};

/**
 * Opens a model (openModel), checks it with one forward pass at t = T/2 (shape and finite values, so a bad
 * file is reported when it is opened, not halfway through a run), and collects its dataset: background points
 * and reference items. device: "auto", "cpu", "cuda[:N]". Throws core's errors with a readable message.
 */
ModelHandle loadModel(const QString& spec, const QString& device);

/** Dataset item `index` as a reference (throws DataError when the model has no dataset or it is out of
 * range). */
Reference datasetReference(const Model& model, int index);
/** An image file resized and cropped to the model's C x H x W (openDataset); throws DataError. */
Reference imageFileReference(const Model& model, const QString& path);
/** A drawing (one channel) as a reference; grey is repeated over the model's channels. */
Reference drawingReference(const Model& model, const widgets::ImageData& drawing);
/** The reference as an image in the model's value range (images only). */
widgets::ImageData referenceImage(const Model& model, const Reference& reference);

} // namespace difflens::gui
