#include "app/logic/model_runtime.h"

#include "core/datasets.h"
#include "core/errors.h"
#include "core/exact.h"
#include "core/exact_guidance.h"
#include "core/guidance.h"
#include "core/runtime.h"
#include "core/sampler.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <QDir>
#include <QFileInfo>

#include <filesystem>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace difflens::gui {

namespace {

constexpr int64_t kMaxDataPoints = 2000; // points drawn behind the batch (and pickable as references)
constexpr int64_t kMaxReferenceImages = 1000;

QString qs(const std::string& s)
{
    return QString::fromStdString(s);
}

/** The dataset a model was made from: exact:NAME?... or the package's data.dataset. */
std::string datasetNameOf(const std::string& spec, const ModelPackage& p)
{
    if (spec.rfind("exact:", 0) == 0) {
        std::string rest = spec.substr(6);
        const auto q = rest.find('?');
        return q == std::string::npos ? rest : rest.substr(0, q);
    }
    return p.data.dataset;
}

/** One forward pass on noise at t = T/2; describe() checks the output's shape and finiteness. */
void probe(Denoiser& denoiser, const ModelPackage& p, torch::Device device)
{
    c10::InferenceMode guard;
    std::vector<int64_t> shape{2};
    shape.insert(shape.end(), p.data.shape.begin(), p.data.shape.end());
    auto gen = at::make_generator<at::CPUGeneratorImpl>(0);
    const auto x = torch::randn(shape, gen, torch::kFloat32).to(device);
    // The model's own sampler (flow models take float times), one step: its first time, on noise.
    const ReverseProcess process(p.scheduler, defaultSamplerFor(p.scheduler), 1);
    const auto t = process.floatModelTime()
                       ? torch::full({2}, process.modelTime(0), torch::TensorOptions().dtype(torch::kFloat32).device(device))
                       : torch::full({2}, process.timesteps().front(),
                                     torch::TensorOptions().dtype(torch::kInt64).device(device));
    const auto out = denoiser.forward(x, t);
    process.describe(0, x, out.to(device));
}

} // namespace

ModelHandle makeModel(const QString& spec, LoadedModel loaded, torch::Device device,
                      torch::Tensor datasetOverride)
{
    const ModelPackage& p = loaded.package;
    if (!p.data.known())
        throw ModelError("'" + spec.toStdString() +
                         "' does not say what its data is: add a difflens.json beside model.pt with e.g. "
                         "{\"data\": {\"kind\": \"images\", \"shape\": [1, 28, 28], \"range\": [-1, 1]}}");
    if (p.data.isImage() ? p.data.shape.size() != 3
                         : (p.data.shape.size() != 1 || p.data.shape[0] < 1 || p.data.shape[0] > 2))
        throw ModelError("'" + spec.toStdString() + "' has data of shape " + p.data.describe() +
                         ": the app shows 1-D or 2-D points and C x H x W images");
    probe(*loaded.denoiser, p, device);

    auto model = std::make_shared<Model>();
    auto runtime = std::make_shared<ModelRuntime>();
    ModelInfo& info = model->info;
    info.spec = spec;
    info.name = qs(p.name.empty() ? spec.toStdString() : p.name);
    info.description = qs(describeModel(loaded)).trimmed();
    info.format = parseModelFormat(qs(p.format));
    info.isImage = p.data.isImage();
    info.shape = p.data.shape;
    if (info.isImage) {
        info.channels = static_cast<int>(p.data.shape[0]);
        info.height = static_cast<int>(p.data.shape[1]);
        info.width = static_cast<int>(p.data.shape[2]);
    } else {
        info.dim = static_cast<int>(p.data.shape[0]);
    }
    info.low = p.data.low;
    info.high = p.data.high;
    info.scheduler = p.scheduler;
    info.device = qs(deviceName(device));
    info.parameters = loaded.denoiser->parameterCount();
    info.numClasses = static_cast<int>(loaded.denoiser->numClasses());
    for (int c = 0; c < info.numClasses; ++c)
        info.classNames << (c < static_cast<int>(p.classNames.size()) ? qs(p.classNames[static_cast<size_t>(c)])
                                                                      : QStringLiteral("class %1").arg(c));
    if (!p.trainingLog.empty() && QFileInfo::exists(qs(p.trainingLog))) {
        info.trainingLog = qs(p.trainingLog);
        const QString byT = QFileInfo(info.trainingLog).dir().filePath(QStringLiteral("loss_by_t.csv"));
        if (QFileInfo::exists(byT)) info.lossByTLog = byT;
    }
    const std::string datasetName = datasetNameOf(spec.toStdString(), p);
    info.dataset = qs(datasetName);

    // Dataset items: the exact denoiser's own training set when it has one (index i is the item it
    // memorised), else the dataset's first items. Images of a large set are copied out and the set itself
    // dropped.
    torch::Tensor items = datasetOverride;
    // (labelled exact data: the unconditional denoiser inside the class-conditional one)
    auto exactOwner = exactMixtureOf(loaded.denoiser);
    const auto* exact = exactOwner.get();
    // (the probe above ran on the denoiser as opened; a rebuilt one computes the same)
    const bool exactSet = exact && loaded.denoiser->kind() == "exact-set";
    const int64_t wanted = info.isImage ? kMaxReferenceImages : kMaxDataPoints;
    if (exactSet && exact == loaded.denoiser.get() && exact->means().storage().nbytes() > 2 * exact->means().nbytes()) {
        // Dataset::first() returns a slice of the whole shuffled set, so the exact denoiser of 1000
        // Fashion-MNIST items keeps all 60000 (188 MB) alive. Rebuild it on a copy of just its items.
        std::vector<int64_t> shape{exact->means().size(0)};
        shape.insert(shape.end(), p.data.shape.begin(), p.data.shape.end());
        loaded.denoiser = std::make_shared<GaussianMixtureDenoiser>(NoiseSchedule::fromConfig(p.scheduler),
                                                                    exact->means().reshape(shape).clone(),
                                                                    torch::Tensor(), torch::Tensor(), device);
        exact = dynamic_cast<const GaussianMixtureDenoiser*>(loaded.denoiser.get());
    }
    if (!items.defined() && exactSet) {
        auto means = exact->means().to(torch::kCPU, torch::kFloat32);
        std::vector<int64_t> shape{means.size(0)};
        shape.insert(shape.end(), p.data.shape.begin(), p.data.shape.end());
        items = means.reshape(shape).slice(0, 0, wanted).clone();
    }
    if (!datasetName.empty()) {
        try {
            std::vector<int64_t> size = info.isImage ? p.data.shape : std::vector<int64_t>{};
            auto dataset = openDataset(datasetName, size);
            if (const MixtureSpec* m = dataset->mixture()) runtime->mixture = *m;
            // clone(): first() is a slice of the whole shuffled set; keep only the items.
            if (!items.defined()) items = dataset->first(wanted, 1).to(torch::kCPU, torch::kFloat32).clone();
        } catch (const std::exception&) {
            // No dataset (not installed, a path that moved): the model still samples; references come from
            // files or drawings.
        }
    }
    if (items.defined()) {
        const bool fits = items.dim() == static_cast<int64_t>(p.data.shape.size()) + 1 &&
                          std::equal(p.data.shape.begin(), p.data.shape.end(), items.sizes().begin() + 1);
        if (fits) runtime->references = items.contiguous();
    }
    info.referenceCount = runtime->references.defined() ? static_cast<int>(runtime->references.size(0)) : 0;
    if (!info.isImage && runtime->references.defined()) {
        const auto acc = runtime->references.accessor<float, 2>();
        model->dataPoints.reserve(static_cast<int>(acc.size(0)));
        for (int64_t i = 0; i < acc.size(0); ++i)
            model->dataPoints.push_back(QPointF(acc[i][0], info.dim == 2 ? acc[i][1] : 0.0));
    }
    if (runtime->mixture && info.dim == 1 && !info.isImage) {
        const auto m = runtime->mixture->means.to(torch::kFloat64).contiguous();
        const auto s = runtime->mixture->stds.to(torch::kFloat64).contiguous();
        const auto w = runtime->mixture->weights.to(torch::kFloat64).contiguous();
        info.mixture.means.assign(m.data_ptr<double>(), m.data_ptr<double>() + m.numel());
        info.mixture.stds.assign(s.data_ptr<double>(), s.data_ptr<double>() + s.numel());
        info.mixture.weights.assign(w.data_ptr<double>(), w.data_ptr<double>() + w.numel());
    }
    // Labelled exact data for the exact guided field: the exact model's own, or the dataset's labelled mixture.
    {
        std::shared_ptr<Denoiser> inner = loaded.denoiser;
        if (auto guided = std::dynamic_pointer_cast<GuidedDenoiser>(inner)) inner = guided->inner();
        runtime->exactConditional = std::dynamic_pointer_cast<ConditionalMixtureDenoiser>(inner);
        if (!runtime->exactConditional && runtime->mixture && info.numClasses > 0 && !datasetName.empty()) {
            try {
                const auto dataset = openDataset(datasetName);
                if (dataset->numClasses() == info.numClasses)
                    runtime->exactConditional = std::make_shared<ConditionalMixtureDenoiser>(
                        NoiseSchedule::fromConfig(p.scheduler), runtime->mixture->means, runtime->mixture->stds,
                        runtime->mixture->weights, dataset->componentClasses(), dataset->numClasses());
            } catch (const std::exception&) {
                // No labelled mixture: the guided field is shown without its exact counterpart.
            }
        }
        if (runtime->exactConditional && !runtime->exactConditional->device().is_cpu()) runtime->exactConditional.reset();
    }
    // The exact reverse process beside the model, and the finite set its posterior weights run over.
    const NoiseSchedule schedule = NoiseSchedule::fromConfig(p.scheduler);
    auto self = exactMixtureOf(loaded.denoiser);
    if (self && self->device().is_cpu()) {
        runtime->exactData = self;
        info.exactText =
            self->isPointSet()
                ? QStringLiteral("this exact denoiser's %1 training items").arg(self->components())
                : QStringLiteral("this closed-form mixture (%1 components)").arg(self->components());
    } else if (runtime->mixture) {
        runtime->exactData = std::make_shared<GaussianMixtureDenoiser>(
            schedule, runtime->mixture->means, runtime->mixture->stds, runtime->mixture->weights);
        info.exactText = QStringLiteral("the closed-form mixture of %1 (%2 components)")
                             .arg(info.dataset)
                             .arg(runtime->mixture->means.size(0));
    }
    if (runtime->references.defined()) {
        runtime->trainingSet = self && self->isPointSet() && self->device().is_cpu() &&
                                       self->components() == runtime->references.size(0)
                                   ? self
                                   : std::make_shared<GaussianMixtureDenoiser>(schedule, runtime->references);
        info.trainingSetSize = static_cast<int>(runtime->references.size(0));
        if (!runtime->exactData) {
            runtime->exactData = runtime->trainingSet;
            info.exactText = QStringLiteral("the first %1 items of %2 as a finite training set")
                                 .arg(info.trainingSetSize)
                                 .arg(info.dataset.isEmpty() ? QStringLiteral("the data") : info.dataset);
        }
    }
    info.alphaBarT = schedule.alphaBars().back();
    if (runtime->references.defined()) {
        // L_T per dimension, averaged over the items: 0.5 (abar x0^2 + (1 - abar) - 1 - log(1 - abar)) (Ho et
        // al. Eq. 5's prior term for q(x_T|x_0) = N(sqrt(abar) x0, 1 - abar)).
        const double ab = info.alphaBarT;
        const double x0sq = runtime->references.to(torch::kFloat64).pow(2).mean().item<double>();
        info.priorBitsPerDim = 0.5 * (ab * x0sq - ab - std::log1p(-ab)) / std::log(2.0);
    }

    std::string dataText = p.data.describe();
    if (p.data.dataset.empty() && !datasetName.empty()) dataText += ", from " + datasetName;
    info.dataText = qs(dataText);

    runtime->loaded = std::move(loaded);
    runtime->device = device;
    model->runtime = std::move(runtime);
    return model;
}

ModelHandle loadModel(const QString& spec, const QString& device)
{
    const torch::Device d = resolveDevice(device.isEmpty() ? "auto" : device.toStdString());
    ModelHandle model = makeModel(spec, openModel(spec.toStdString(), d), d);
#if defined(__GLIBC__)
    // Opening an image dataset allocates and frees a few hundred MB (decoding, a permutation); give it back.
    malloc_trim(0);
#endif
    return model;
}

torch::Tensor referenceTensor(const ModelInfo& info, const Reference& reference)
{
    if (!reference.isValid()) return {};
    if (static_cast<qint64>(reference.values.size()) != info.numel())
        throw DataError("the reference has " + std::to_string(reference.values.size()) +
                        " values but the model's samples have " + std::to_string(info.numel()));
    std::vector<int64_t> shape{1};
    shape.insert(shape.end(), info.shape.begin(), info.shape.end());
    return torch::from_blob(const_cast<float*>(reference.values.data()), shape, torch::kFloat32).clone();
}

Reference datasetReference(const Model& model, int index)
{
    const auto& items = model.runtime->references;
    if (!items.defined() || items.size(0) == 0)
        throw DataError(
            "this model has no dataset to pick a reference from: choose an image file or draw one");
    if (index < 0 || index >= items.size(0))
        throw DataError("dataset item " + std::to_string(index) + " is out of range 0.." +
                        std::to_string(items.size(0) - 1));
    const auto item = items[index].contiguous();
    Reference r;
    r.values.assign(item.data_ptr<float>(), item.data_ptr<float>() + item.numel());
    if (model.info.isImage) {
        r.label = QStringLiteral("dataset item %1").arg(index);
    } else {
        r.label = model.info.dim == 2
                      ? QStringLiteral("data point %1 (%2, %3)")
                            .arg(index)
                            .arg(r.values[0], 0, 'f', 2)
                            .arg(r.values[1], 0, 'f', 2)
                      : QStringLiteral("data point %1 (%2)").arg(index).arg(r.values[0], 0, 'f', 2);
    }
    return r;
}

Reference imageFileReference(const Model& model, const QString& path)
{
    if (!model.info.isImage)
        throw DataError("image files are references for image models; for points, click a data point");
    auto dataset = openDataset(path.toStdString(), model.info.shape);
    const auto items = dataset->first(1);
    if (items.size(0) < 1) throw DataError("'" + path.toStdString() + "' holds no readable image");
    auto item = items[0].to(torch::kFloat32).contiguous();
    // Files are read into [-1, 1]; rescale to the model's range when it differs.
    if (model.info.low != -1.0 || model.info.high != 1.0)
        item = (item + 1.0) * 0.5 * (model.info.high - model.info.low) + model.info.low;
    Reference r;
    r.values.assign(item.data_ptr<float>(), item.data_ptr<float>() + item.numel());
    r.label = QStringLiteral("file %1").arg(QFileInfo(path).fileName());
    return r;
}

Reference drawingReference(const Model& model, const widgets::ImageData& drawing)
{
    const ModelInfo& info = model.info;
    Reference r;
    if (!info.isImage || drawing.height != info.height || drawing.width != info.width || !drawing.isValid())
        return r;
    const size_t plane = static_cast<size_t>(info.height) * info.width;
    r.values.resize(plane * info.channels);
    for (int c = 0; c < info.channels; ++c)
        for (size_t i = 0; i < plane; ++i) {
            const double u = (drawing.values[i] - drawing.low) / (drawing.high - drawing.low);
            r.values[c * plane + i] = static_cast<float>(info.low + u * (info.high - info.low));
        }
    r.label = QStringLiteral("drawing");
    return r;
}

widgets::ImageData referenceImage(const Model& model, const Reference& reference)
{
    widgets::ImageData img;
    if (!model.info.isImage || !reference.isValid()) return img;
    img.channels = model.info.channels;
    img.height = model.info.height;
    img.width = model.info.width;
    img.low = model.info.low;
    img.high = model.info.high;
    img.values = reference.values;
    return img;
}

} // namespace difflens::gui
