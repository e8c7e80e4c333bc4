// [torch] The app's side of run files: RunRecord <-> what the window holds. Summaries travel as tensors
// ("t", "kl", "mean_gap", "seconds", "tracked" [n, K, 2], "histogram" [n, bins]) and the 2-D background
// points as "data_points", so an opened run draws the same pixels as the live one.
#include "app/logic/run_files.h"

#include "app/logic/model_runtime.h"
#include "core/errors.h"
#include "core/run_file.h"
#include "core/trajectory.h"

#include <QFileInfo>

#include <torch/torch.h>

namespace difflens::gui {

namespace {

QString qs(const std::string& s)
{
    return QString::fromStdString(s);
}

nlohmann::json settingsJson(const widgets::RunSettings& s)
{
    using widgets::RunSettings;
    return {{"mode", s.mode == RunSettings::FromReference ? "from_reference"
                     : s.mode == RunSettings::Forward     ? "forward"
                                                          : "sample"},
            {"sampler", s.sampler.toStdString()},
            {"steps", s.steps},
            {"eta", s.eta},
            {"sde_noise", s.sdeNoise},
            {"class_index", s.classIndex},
            {"guidance", s.guidance},
            {"clipped_eps", s.clippedEps},
            {"seed", s.seed},
            {"batch", s.batch},
            {"t0", s.t0},
            {"reference_source", s.referenceSource.toStdString()},
            {"reference_index", s.referenceIndex},
            {"reference_file", s.referenceFile.toStdString()},
            {"model", s.model.toStdString()}};
}

widgets::RunSettings settingsFrom(const nlohmann::json& j)
{
    using widgets::RunSettings;
    RunSettings s;
    if (!j.is_object()) return s;
    const std::string mode = j.value("mode", std::string("sample"));
    s.mode = mode == "from_reference" ? RunSettings::FromReference : mode == "forward" ? RunSettings::Forward : RunSettings::Sample;
    s.sampler = qs(j.value("sampler", s.sampler.toStdString()));
    s.steps = j.value("steps", s.steps);
    s.eta = j.value("eta", s.eta);
    s.sdeNoise = j.value("sde_noise", s.sdeNoise);
    s.classIndex = j.value("class_index", s.classIndex);
    s.guidance = j.value("guidance", s.guidance);
    s.clippedEps = j.value("clipped_eps", s.clippedEps);
    s.seed = j.value("seed", s.seed);
    s.batch = j.value("batch", s.batch);
    s.t0 = j.value("t0", s.t0);
    s.referenceSource = qs(j.value("reference_source", s.referenceSource.toStdString()));
    s.referenceIndex = j.value("reference_index", s.referenceIndex);
    s.referenceFile = qs(j.value("reference_file", std::string()));
    s.model = qs(j.value("model", std::string()));
    return s;
}

torch::Tensor doubles(const QVector<StepSummary>& steps, double StepSummary::*member)
{
    auto t = torch::empty({steps.size()}, torch::kFloat64);
    double* out = t.data_ptr<double>();
    for (int i = 0; i < steps.size(); ++i) out[i] = steps[i].*member;
    return t;
}

/** A float64 CPU copy whose data_ptr can be read directly. */
torch::Tensor readable(const torch::Tensor& t)
{
    return t.defined() ? t.to(torch::kCPU, torch::kFloat64).contiguous() : t;
}

} // namespace

QString runFileFilter()
{
    return QObject::tr("Diffusion Lens runs (*%1);;All files (*)").arg(QLatin1String(kRunFileExtension));
}

bool hasDenoiser(const Model& model)
{
    return model.runtime && model.runtime->loaded.denoiser != nullptr;
}

void saveRunFile(const QString& path, const Model& model, const std::shared_ptr<const Trajectory>& trajectory,
                 const widgets::RunSettings& settings, const QVector<StepSummary>& summaries, bool trueStep)
{
    const ModelInfo& info = model.info;
    RunRecord run;
    run.modelSpec = info.spec.toStdString();
    run.modelName = info.name.toStdString();
    run.data = model.runtime ? model.runtime->loaded.package.data : DataSpec();
    if (!run.data.known()) {
        run.data = info.isImage ? DataSpec::images(info.channels, info.height, info.width) : DataSpec::points(info.dim);
        run.data.low = info.low;
        run.data.high = info.high;
        run.data.dataset = info.dataset.toStdString();
    }
    run.scheduler = trajectory->process().config();
    if (model.runtime) run.architecture = model.runtime->loaded.package.architecture;
    run.seed = static_cast<uint64_t>(settings.seed);
    run.noiseReference = trueStep && trajectory->reference().defined();
    run.trajectory = trajectory;
    run.settings = settingsJson(settings);
    run.settings["model_format"] = modelFormatName(info.format).toStdString();
    const int n = std::min<int>(summaries.size(), trajectory->recordedSteps());
    const QVector<StepSummary> steps = summaries.mid(0, n);
    if (n > 0) {
        auto t = torch::empty({n}, torch::kInt64);
        for (int i = 0; i < n; ++i) t.data_ptr<int64_t>()[i] = static_cast<int64_t>(steps[i].t);
        run.summaries["t"] = t;
        run.summaries["kl"] = doubles(steps, &StepSummary::meanKl);
        run.summaries["mean_gap"] = doubles(steps, &StepSummary::meanGap);
        run.summaries["seconds"] = doubles(steps, &StepSummary::seconds);
        const int k = steps[0].tracked.size();
        if (k > 0) {
            auto tracked = torch::full({n, k, 2}, std::nan(""), torch::kFloat64);
            double* out = tracked.data_ptr<double>();
            for (int i = 0; i < n; ++i)
                for (int j = 0; j < std::min(k, static_cast<int>(steps[i].tracked.size())); ++j) {
                    out[(i * k + j) * 2] = steps[i].tracked[j].x();
                    out[(i * k + j) * 2 + 1] = steps[i].tracked[j].y();
                }
            run.summaries["tracked"] = tracked;
        }
        const int bins = steps[0].histogram.size();
        if (bins > 0) {
            auto histogram = torch::zeros({n, bins}, torch::kFloat64);
            double* out = histogram.data_ptr<double>();
            for (int i = 0; i < n; ++i)
                for (int b = 0; b < std::min(bins, static_cast<int>(steps[i].histogram.size())); ++b)
                    out[i * bins + b] = steps[i].histogram[b];
            run.summaries["histogram"] = histogram;
        }
    }
    if (!model.dataPoints.isEmpty()) {
        auto points = torch::empty({model.dataPoints.size(), 2}, torch::kFloat64);
        double* out = points.data_ptr<double>();
        for (int i = 0; i < model.dataPoints.size(); ++i) {
            out[2 * i] = model.dataPoints[i].x();
            out[2 * i + 1] = model.dataPoints[i].y();
        }
        run.summaries["data_points"] = points;
    }
    saveRun(path.toStdString(), run);
}

OpenedRun openRunFile(const QString& path)
{
    RunRecord run = loadRun(path.toStdString());
    if (!run.data.known())
        throw DataError("'" + path.toStdString() + "' is a damaged run file (it does not say what its data is)");
    OpenedRun out;
    out.path = path;
    out.modelSpec = qs(run.modelSpec);
    out.trajectory = run.trajectory;
    out.settings = settingsFrom(run.settings);
    out.trueStep = run.noiseReference;
    if (!run.settings.contains("sampler")) {
        // A run saved by difflens-cli: what ran is in the run record itself.
        out.settings.sampler = qs(samplerName(run.sampler.kind));
        out.settings.steps = run.trajectory ? run.trajectory->stepCount() : run.sampler.steps;
        out.settings.eta = run.sampler.eta;
        out.settings.sdeNoise = run.sampler.sdeNoise;
        out.settings.clippedEps = run.sampler.clippedModelOutput;
        out.settings.seed = static_cast<qint64>(run.seed);
        if (run.trajectory) out.settings.batch = static_cast<int>(run.trajectory->batch());
        out.settings.mode = run.noiseReference ? widgets::RunSettings::FromReference : widgets::RunSettings::Sample;
    }

    auto model = std::make_shared<Model>();
    auto runtime = std::make_shared<ModelRuntime>();
    runtime->loaded.package.path = run.modelSpec;
    runtime->loaded.package.name = run.modelName;
    runtime->loaded.package.data = run.data;
    runtime->loaded.package.scheduler = run.scheduler;
    runtime->loaded.package.architecture = run.architecture;
    ModelInfo& info = model->info;
    info.spec = out.modelSpec;
    info.name = qs(run.modelName.empty() ? run.modelSpec : run.modelName);
    info.format = parseModelFormat(qs(run.settings.value("model_format", std::string())));
    info.description = QObject::tr("Opened from the run file %1; its model (%2) is not loaded.")
                           .arg(QFileInfo(path).fileName(), out.modelSpec);
    info.isImage = run.data.isImage();
    info.shape = run.data.shape;
    if (info.isImage) {
        info.channels = static_cast<int>(run.data.shape[0]);
        info.height = static_cast<int>(run.data.shape[1]);
        info.width = static_cast<int>(run.data.shape[2]);
    } else {
        info.dim = static_cast<int>(run.data.shape[0]);
    }
    info.low = run.data.low;
    info.high = run.data.high;
    info.dataset = qs(run.data.dataset);
    info.dataText = qs(run.data.describe());
    info.scheduler = run.scheduler;
    info.device = QStringLiteral("cpu");
    info.alphaBarT = NoiseSchedule::fromConfig(run.scheduler).alphaBars().back();
    if (const auto it = run.summaries.find("data_points"); it != run.summaries.end() && it->second.dim() == 2) {
        const auto p = readable(it->second);
        const int64_t columns = p.size(1);
        const double* v = p.data_ptr<double>();
        for (int64_t i = 0; i < p.size(0); ++i)
            model->dataPoints.push_back(QPointF(v[i * columns], columns > 1 ? v[i * columns + 1] : 0.0));
    }
    model->runtime = runtime;
    out.model = model;

    const auto get = [&run](const char* name) {
        const auto it = run.summaries.find(name);
        return it == run.summaries.end() ? torch::Tensor() : readable(it->second);
    };
    const auto t = get("t"), kl = get("kl"), gap = get("mean_gap"), seconds = get("seconds"),
               tracked = get("tracked"), histogram = get("histogram");
    const int64_t n = t.defined() ? t.size(0) : 0;
    const auto fits = [n](const torch::Tensor& v, int64_t dims) { return v.defined() && v.size(0) == n && v.dim() == dims; };
    for (int64_t i = 0; i < n; ++i) {
        StepSummary s;
        s.t = static_cast<long>(t.data_ptr<double>()[i]);
        if (fits(kl, 1)) s.meanKl = kl.data_ptr<double>()[i];
        if (fits(gap, 1)) s.meanGap = gap.data_ptr<double>()[i];
        if (fits(seconds, 1)) s.seconds = seconds.data_ptr<double>()[i];
        if (fits(tracked, 3)) {
            const int64_t k = tracked.size(1);
            const double* v = tracked.data_ptr<double>() + i * k * 2;
            for (int64_t j = 0; j < k; ++j) s.tracked.push_back(QPointF(v[2 * j], v[2 * j + 1]));
        }
        if (fits(histogram, 2)) {
            const int64_t bins = histogram.size(1);
            const double* v = histogram.data_ptr<double>() + i * bins;
            s.histogram = QVector<double>(v, v + bins);
        }
        out.summaries.push_back(std::move(s));
    }
    if (run.trajectory->reference().defined()) {
        const auto ref = run.trajectory->reference().slice(0, 0, 1).to(torch::kFloat32).contiguous();
        out.reference.values.assign(ref.data_ptr<float>(), ref.data_ptr<float>() + ref.numel());
        out.reference.label = QObject::tr("the run's reference");
    }
    return out;
}

} // namespace difflens::gui
