#include "app/logic/compare.h"

#include "app/logic/frame_builder.h"
#include "app/logic/sampling_controller.h"
#include "app/logic/schedule_series.h"
#include "core/errors.h"
#include "core/export.h"
#include "core/sampler.h"
#include "core/trajectory.h"
#include "widgets/format.h"
#include "widgets/image_utils.h"
#include "widgets/palette.h"
#include "widgets/point_paint.h"

#include <QFileInfo>

#include <c10/core/InferenceMode.h>
#include <QPainter>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

namespace difflens::gui {

namespace {

QString samplerLabel(const CompareSide& side, const QString& name)
{
    if (side.model)
        for (const auto& [key, label] : samplerChoices(side.model->info.scheduler))
            if (key.compare(name, Qt::CaseInsensitive) == 0) return label;
    return name.toUpper();
}

/** A run's sampler, parsed from its settings' name (nullopt for a name this build does not know). */
std::optional<SamplerKind> samplerKindOf(const QString& name)
{
    try {
        return parseSamplerKind(name.toLower().toStdString());
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

QString modelLabel(const QString& spec)
{
    if (spec.startsWith(QLatin1String("exact:"))) return spec;
    return QFileInfo(spec).fileName().isEmpty() ? spec : QFileInfo(spec).fileName();
}

QString scheduleOf(const CompareSide& side)
{
    return side.model ? QString::fromStdString(side.model->info.scheduler.betaSchedule) : QString();
}

torch::Tensor rows(const torch::Tensor& x, int64_t n)
{
    return x.slice(0, 0, n).to(torch::kCPU, torch::kFloat32).contiguous();
}

double rms(const torch::Tensor& d)
{
    return d.numel() > 0 ? std::sqrt(d.pow(2).mean().item<double>()) : std::numeric_limits<double>::quiet_NaN();
}

widgets::ImageData imageOf(const torch::Tensor& x, int64_t j)
{
    widgets::ImageData img;
    img.channels = static_cast<int>(x.size(1));
    img.height = static_cast<int>(x.size(2));
    img.width = static_cast<int>(x.size(3));
    img.low = 0.0;
    img.high = 1.0;
    const int64_t n = static_cast<int64_t>(img.channels) * img.height * img.width;
    const float* p = x.data_ptr<float>() + j * n;
    img.values.assign(p, p + n);
    return img;
}

QVector<QPointF> pointsOf(const torch::Tensor& x)
{
    const auto c = x.to(torch::kCPU, torch::kFloat32).reshape({x.size(0), -1}).contiguous();
    const auto acc = c.accessor<float, 2>();
    QVector<QPointF> out;
    out.reserve(static_cast<int>(acc.size(0)));
    for (int64_t i = 0; i < acc.size(0); ++i)
        out.push_back(QPointF(acc[i][0], acc.size(1) > 1 ? acc[i][1] : 0.0));
    return out;
}

/** The recorded step nearest to `step` (what is shown while a run still samples). */
int recordedStep(const Trajectory& t, int step)
{
    return std::clamp(step, 0, std::max(0, t.recordedSteps() - 1));
}

QString stepText(const Trajectory& t, int step)
{
    return QStringLiteral("t = %1").arg(t.process().timesteps()[static_cast<size_t>(step)] + 1);
}

} // namespace

CompareSide compareSide(const OpenedRun& run, const QString& name)
{
    CompareSide side;
    side.name = name;
    side.model = run.model;
    side.modelSpec = run.modelSpec;
    side.trajectory = run.trajectory;
    side.summaries = run.summaries;
    side.settings = run.settings;
    side.reference = run.reference;
    side.trueStep = run.trueStep;
    return side;
}

QString describeSide(const CompareSide& side, bool withModel)
{
    const auto& s = side.settings;
    QStringList parts;
    if (withModel) parts << modelLabel(side.modelSpec);
    parts << samplerLabel(side, s.sampler);
    if (side.trajectory) parts << QStringLiteral("%1 steps").arg(side.trajectory->stepCount());
    if (samplerKindOf(s.sampler) == SamplerKind::Ddim && s.eta > 0)
        parts << QStringLiteral("η = %1").arg(widgets::formatSig(s.eta, 2));
    if (side.model && side.model->info.isExact() && !side.model->info.scheduler.isFlow()) parts << scheduleOf(side);
    if (side.model && side.model->info.numClasses > 0 && s.classIndex >= 0)
        parts << QStringLiteral("class %1, w = %2")
                     .arg(side.model->info.classNames.value(s.classIndex, QString::number(s.classIndex)),
                          widgets::formatSig(s.guidance, 3));
    parts << QStringLiteral("seed %1").arg(s.seed);
    return parts.join(QStringLiteral(" · "));
}

QString compareChangeName(CompareChange change)
{
    switch (change) {
    case CompareChange::Sampler: return QStringLiteral("sampler");
    case CompareChange::Steps: return QStringLiteral("steps");
    case CompareChange::Schedule: return QStringLiteral("schedule");
    case CompareChange::Model: return QStringLiteral("model");
    case CompareChange::Guidance: return QStringLiteral("guidance");
    }
    return {};
}

QString exactSpecWithSchedule(const QString& spec, const QString& betaSchedule)
{
    const int q = static_cast<int>(spec.indexOf(QLatin1Char('?')));
    const QString base = q < 0 ? spec : spec.left(q);
    QStringList query = q < 0 ? QStringList() : spec.mid(q + 1).split(QLatin1Char('&'), Qt::SkipEmptyParts);
    query.erase(std::remove_if(query.begin(), query.end(),
                               [](const QString& kv) { return kv.startsWith(QLatin1String("schedule=")); }),
                query.end());
    query << QStringLiteral("schedule=") + betaSchedule;
    return base + QLatin1Char('?') + query.join(QLatin1Char('&'));
}

QString sameDataShape(const ModelInfo& a, const ModelInfo& b)
{
    if (a.shape == b.shape && a.isImage == b.isImage) return {};
    return QStringLiteral("%1 makes %2 but %3 makes %4: two runs start from one x_T only when their samples have "
                          "the same shape")
        .arg(modelLabel(a.spec), a.dataText, modelLabel(b.spec), b.dataText);
}

ComparePlan planComparison(const CompareSide& a, const CompareRequest& r, QString* error)
{
    ComparePlan plan;
    plan.settings = a.settings;
    plan.modelSpec = a.modelSpec;
    auto fail = [&](const QString& message) {
        if (error) *error = message;
        return ComparePlan();
    };
    if (!a.isValid()) return fail(QStringLiteral("there is no run to compare with: sample first"));
    if (a.settings.mode == widgets::RunSettings::Forward)
        return fail(QStringLiteral("the forward process has no sampler to compare: run the reverse process first"));
    const ModelInfo& info = a.model->info;
    switch (r.change) {
    case CompareChange::Sampler: {
        bool known = false;
        for (const auto& [key, label] : samplerChoices(info.scheduler)) known |= key.compare(r.text, Qt::CaseInsensitive) == 0;
        if (!known) return fail(QStringLiteral("'%1' is not a sampler for this model").arg(r.text));
        if (r.text.compare(a.settings.sampler, Qt::CaseInsensitive) == 0)
            return fail(QStringLiteral("run A already uses %1: choose another sampler").arg(samplerLabel(a, r.text)));
        plan.settings.sampler = r.text.toLower();
        // DDPM runs every timestep; the others keep A's step count unless it was DDPM's full chain.
        if (samplerKindOf(plan.settings.sampler) != SamplerKind::Ddpm &&
            samplerKindOf(a.settings.sampler) == SamplerKind::Ddpm)
            plan.settings.steps = std::min(a.settings.steps, 50);
        plan.change = QStringLiteral("sampler: %1 → %2").arg(samplerLabel(a, a.settings.sampler), samplerLabel(a, r.text));
        break;
    }
    case CompareChange::Steps:
        if (r.steps < 1 || r.steps > info.T())
            return fail(QStringLiteral("steps must be 1..%1 (the model's T)").arg(info.T()));
        if (a.trajectory && r.steps == a.trajectory->stepCount())
            return fail(QStringLiteral("run A already has %1 steps: choose another count").arg(r.steps));
        // DDPM always runs the whole chain: fewer steps are DDIM's.
        if (samplerKindOf(a.settings.sampler) == SamplerKind::Ddpm && r.steps != info.T())
            plan.settings.sampler = QString::fromStdString(samplerName(SamplerKind::Ddim));
        plan.settings.steps = r.steps;
        plan.change = QStringLiteral("steps: %1 → %2").arg(a.trajectory ? a.trajectory->stepCount() : a.settings.steps).arg(r.steps);
        break;
    case CompareChange::Schedule:
        if (!info.isExact())
            return fail(QStringLiteral("a trained network only knows the schedule it was trained with: compare "
                                       "schedules with an exact denoiser (exact:NAME), or compare two models"));
        if (info.scheduler.isFlow()) return fail(QStringLiteral("the flow path has no beta schedule"));
        if (r.text.toStdString() == info.scheduler.betaSchedule)
            return fail(QStringLiteral("run A already uses the %1 schedule").arg(r.text));
        plan.modelSpec = exactSpecWithSchedule(a.modelSpec, r.text);
        plan.change = QStringLiteral("schedule: %1 → %2").arg(scheduleOf(a), r.text);
        break;
    case CompareChange::Model:
        if (r.text.isEmpty()) return fail(QStringLiteral("choose the model for run B"));
        if (r.text == a.modelSpec) return fail(QStringLiteral("run A already uses %1").arg(modelLabel(r.text)));
        plan.modelSpec = r.text;
        plan.change = QStringLiteral("model: %1 → %2").arg(modelLabel(a.modelSpec), modelLabel(r.text));
        break;
    case CompareChange::Guidance:
        if (info.numClasses < 1)
            return fail(QStringLiteral("%1 is not class-conditional: there is no guidance to change").arg(modelLabel(a.modelSpec)));
        if (!(r.guidance >= 0 && r.guidance <= 50)) return fail(QStringLiteral("the guidance scale w must be in [0, 50]"));
        if (a.settings.classIndex >= 0 && r.guidance == a.settings.guidance)
            return fail(QStringLiteral("run A already uses w = %1").arg(widgets::formatSig(r.guidance, 3)));
        if (plan.settings.classIndex < 0) plan.settings.classIndex = 0;
        plan.settings.guidance = r.guidance;
        plan.change = a.settings.classIndex < 0
                          ? QStringLiteral("guidance: none → class %1, w = %2")
                                .arg(info.classNames.value(0, QStringLiteral("0")), widgets::formatSig(r.guidance, 3))
                          : QStringLiteral("guidance: w = %1 → %2")
                                .arg(widgets::formatSig(a.settings.guidance, 3), widgets::formatSig(r.guidance, 3));
        break;
    }
    if (error) error->clear();
    return plan;
}

CompareTimeline alignRuns(const Trajectory& a, const Trajectory& b, CompareAlign align)
{
    CompareTimeline out;
    const int na = a.stepCount(), nb = b.stepCount();
    out.driverIsA = na >= nb;
    const Trajectory& driver = out.driverIsA ? a : b;
    const Trajectory& other = out.driverIsA ? b : a;
    const int n = std::max(na, nb);
    for (int i = 0; i < n; ++i) {
        int j = 0;
        if (align == CompareAlign::Step) {
            j = std::min(i, other.stepCount() - 1);
        } else {
            // The other run's step whose x_t sits nearest in path time (ties: the earlier, noisier step).
            const double time = driver.process().point(i).time;
            double best = std::numeric_limits<double>::infinity();
            for (int k = 0; k < other.stepCount(); ++k) {
                const double d = std::abs(other.process().point(k).time - time);
                if (d < best) best = d, j = k;
            }
        }
        out.stepA << (out.driverIsA ? i : j);
        out.stepB << (out.driverIsA ? j : i);
        out.labels << driver.process().timesteps()[static_cast<size_t>(i)] + 1;
    }
    return out;
}

int CompareSide::steps() const
{
    return trajectory ? trajectory->stepCount() : 0;
}

int CompareSide::recorded() const
{
    return trajectory ? trajectory->recordedSteps() : 0;
}

CompareTimeline alignRuns(const CompareSide& a, const CompareSide& b, CompareAlign align)
{
    if (a.trajectory && b.trajectory) return alignRuns(*a.trajectory, *b.trajectory, align);
    CompareTimeline out;
    for (int i = 0; i < a.steps(); ++i) {
        out.stepA << i;
        out.stepB << 0;
        out.labels << a.trajectory->process().timesteps()[static_cast<size_t>(i)] + 1;
    }
    return out;
}

int availablePositions(const CompareTimeline& timeline, const CompareSide& a, const CompareSide& b)
{
    int n = 0;
    while (n < timeline.size() && timeline.stepA[n] < a.recorded() && (!b.trajectory || timeline.stepB[n] < b.recorded()))
        ++n;
    return n;
}

CompareNumbers compareNumbers(const Trajectory& a, int stepA, const Trajectory& b, int stepB)
{
    CompareNumbers n;
    n.xt = n.x0 = std::numeric_limits<double>::quiet_NaN();
    if (a.recordedSteps() < 1 || b.recordedSteps() < 1) return n;
    stepA = recordedStep(a, stepA);
    stepB = recordedStep(b, stepB);
    c10::InferenceMode guard;
    const int64_t shared = std::min(a.batch(), b.batch());
    n.samples = static_cast<int>(shared);
    n.xt = rms(rows(a.state(stepA), shared) - rows(b.state(stepB), shared));
    n.x0 = rms(rows(a.step(stepA).x0Pred, shared) - rows(b.step(stepB).x0Pred, shared));
    return n;
}

CompareCurve compareCurve(const CompareSide& a, const CompareSide& b, const CompareTimeline& timeline, int points)
{
    CompareCurve c;
    if (!a.isValid() || !b.isValid()) return c;
    const int available = availablePositions(timeline, a, b);
    if (available < 1) return c;
    const int n = std::min(available, std::max(2, points));
    int last = -1;
    for (int k = 0; k < n; ++k) {
        const int p = n > 1 ? static_cast<int>(std::lround(double(k) * (available - 1) / (n - 1))) : 0;
        if (p == last) continue;
        last = p;
        const CompareNumbers numbers = compareNumbers(*a.trajectory, timeline.stepA[p], *b.trajectory, timeline.stepB[p]);
        c.t << timeline.labels[p];
        c.xt << numbers.xt;
        c.x0 << numbers.x0;
    }
    return c;
}

Frame differenceFrame(const CompareSide& a, int stepA, const CompareSide& b, int stepB, int maxRows,
                      const Frame& frameA, CompareNumbers* numbers)
{
    Frame f;
    if (!a.isValid() || !b.isValid() || a.trajectory->recordedSteps() < 1 || b.trajectory->recordedSteps() < 1) return f;
    const Trajectory& ta = *a.trajectory;
    const Trajectory& tb = *b.trajectory;
    stepA = recordedStep(ta, stepA);
    stepB = recordedStep(tb, stepB);
    c10::InferenceMode guard;
    const int64_t shared = std::min(ta.batch(), tb.batch());
    const torch::Tensor xa = rows(ta.state(stepA), shared), xb = rows(tb.state(stepB), shared);
    const torch::Tensor x0a = rows(ta.step(stepA).x0Pred, shared), x0b = rows(tb.step(stepB).x0Pred, shared);
    const double rmsXt = rms(xa - xb), rmsX0 = rms(x0a - x0b);
    if (numbers) *numbers = CompareNumbers{rmsXt, rmsX0, static_cast<int>(shared)};
    f.step = stepA;
    f.t = ta.process().timesteps()[static_cast<size_t>(stepA)] + 1;
    f.isImage = a.model->info.isImage;
    const QString caption = QStringLiteral("%1 %2 vs %3 %4 · rms |Δxₜ| = %5, |Δx̂₀| = %6")
                                .arg(a.name, stepText(ta, stepA), b.name, stepText(tb, stepB),
                                     widgets::formatSig(rmsXt, 3), widgets::formatSig(rmsX0, 3));
    if (f.isImage) {
        const int64_t n = std::min<int64_t>(shared, std::max(1, maxRows));
        const torch::Tensor dxt = (xa - xb).abs().slice(0, 0, n).contiguous();
        const torch::Tensor dx0 = (x0a - x0b).abs().slice(0, 0, n).contiguous();
        const double maxXt = dxt.numel() ? dxt.max().item<double>() : 0.0;
        const double maxX0 = dx0.numel() ? dx0.max().item<double>() : 0.0;
        ImageGridFrame& g = f.grid;
        g.titles = {QStringLiteral("|xₜ(%1) − xₜ(%2)|").arg(a.name, b.name),
                    QStringLiteral("|x̂₀(%1) − x̂₀(%2)|").arg(a.name, b.name)};
        g.colors = {widgets::palette::difference(), widgets::palette::difference()};
        g.subtitles = {QStringLiteral("max %1").arg(widgets::formatSig(maxXt, 2)),
                       QStringLiteral("max %1").arg(widgets::formatSig(maxX0, 2))};
        for (int64_t j = 0; j < n; ++j) {
            g.cells.push_back({widgets::heatMap(imageOf(dxt, j), maxXt > 0 ? maxXt : 1.0),
                               widgets::heatMap(imageOf(dx0, j), maxX0 > 0 ? maxX0 : 1.0)});
            g.rowLabels << QStringLiteral("#%1").arg(j + 1);
        }
        g.caption = caption;
    } else {
        widgets::PointFrame& p = f.points;
        p.dim = a.model->info.dim;
        p.caption = caption;
        p.data = frameA.points.data;
        if (p.dim == 1) {
            p.densityX = frameA.points.densityX;
            p.densityY = frameA.points.densityY;
            p.densityName = frameA.points.densityName;
        }
        p.xt = pointsOf(xa);
        p.paired = pointsOf(xb);
        p.xtName = QStringLiteral("xₜ of %1").arg(a.name);
        p.pairedName = QStringLiteral("xₜ of %1 (same x_T)").arg(b.name);
    }
    return f;
}

} // namespace difflens::gui
