#include "app/logic/vlb_controller.h"

#include "app/logic/model_runtime.h"
#include "core/errors.h"
#include "core/exact.h"
#include "core/metrics.h"
#include "widgets/format.h"
#include "widgets/palette.h"

#include <torch/torch.h>

namespace difflens::gui {

namespace {

widgets::VlbSeries toSeries(const metrics::VlbResult& r, const QString& name, const QColor& color)
{
    widgets::VlbSeries s;
    s.name = name;
    s.color = color;
    for (size_t i = 0; i < r.t.size(); ++i) {
        s.t.push_back(static_cast<double>(r.t[i] + 1)); // papers' t: the term at t is L_{t-1}
        s.termBits.push_back(r.termBits[i]);
    }
    s.priorBits = r.priorBits;
    s.totalBits = r.totalBits;
    return s;
}

} // namespace

VlbController::VlbController(QObject* parent) : QObject(parent)
{
    qRegisterMetaType<QVector<widgets::VlbSeries>>();
    connect(&m_runner, &JobRunner::progress, this, &VlbController::progress);
    connect(&m_runner, &JobRunner::finished, this,
            [this](int job, JobOutcome outcome, const QString& message) {
                if (job != m_runner.currentJob()) return; // superseded by a later start()
                if (outcome == JobOutcome::Cancelled) Q_EMIT cancelled();
                if (outcome == JobOutcome::Failed) Q_EMIT failed(message);
                // Ok: the completion emitted finished(series, summary).
            });
}

VlbController::~VlbController() = default;

void VlbController::start(const ModelHandle& model, int items, quint64 seed)
{
    m_runner.start(
        [this, items, seed](JobContext& ctx) -> JobRunner::Completion {
            // Worker thread.
            const ModelHandle& model = ctx.modelHandle();
            if (!model || !model->runtime) throw Error("no model is open");
            const ModelInfo& info = model->info;
            auto& rt = *model->runtime;
            if (!rt.references.defined() || rt.references.size(0) < 1)
                throw DataError("the bound needs data items: this model has no dataset to draw them from");
            const int64_t total = rt.references.size(0);
            const int64_t n = std::clamp<int64_t>(items, 1, total);
            c10::InferenceMode guard;
            const auto x0 = rt.references.slice(0, 0, n).contiguous();
            const auto sched = NoiseSchedule::fromConfig(info.scheduler);

            struct Job
            {
                Denoiser* denoiser;
                std::shared_ptr<Denoiser> owner;
                QString name;
                QColor color;
            };
            std::vector<Job> jobs;
            const QString itemsText =
                info.isImage ? QStringLiteral("%1 images").arg(n) : QStringLiteral("%1 points").arg(n);
            // The model is shared with the sampling job: the runner serves it behind the forward lock.
            const std::shared_ptr<Denoiser> serialized = ctx.model();
            jobs.push_back(
                {serialized.get(), serialized,
                 (info.isExact() ? QStringLiteral("exact, %1 of its own") : QStringLiteral("p_θ, %1"))
                     .arg(itemsText),
                 widgets::palette::model()});
            if (!info.isExact() && rt.exactData) {
                if (!rt.exactData->isPointSet()) {
                    jobs.push_back({rt.exactData.get(), nullptr,
                                    QStringLiteral("exact mixture (the best any p_θ can do)"),
                                    widgets::palette::exact()});
                } else if (total > n) {
                    // The exact denoiser of the other items: these are new to it.
                    auto heldOut = std::make_shared<GaussianMixtureDenoiser>(
                        sched, rt.references.slice(0, n, total).contiguous());
                    jobs.push_back({heldOut.get(), heldOut,
                                    QStringLiteral("exact, other %1 items (new data)").arg(total - n),
                                    widgets::palette::difference()});
                    jobs.push_back({rt.exactData.get(), nullptr,
                                    QStringLiteral("exact, all %1 items (memorised)").arg(total),
                                    widgets::palette::exact()});
                }
            }
            const int T = info.T();
            const int calls = T * static_cast<int>(jobs.size());
            QVector<widgets::VlbSeries> series;
            QStringList lines;
            for (size_t j = 0; j < jobs.size(); ++j) {
                const int offset = T * static_cast<int>(j);
                const auto r = metrics::variationalBound(
                    *jobs[j].denoiser, info.scheduler, x0.to(jobs[j].denoiser->device()), info.isImage, seed,
                    [&](int done, int) {
                        if (done % 20 == 0 || done == T) {
                            const int d = offset + done;
                            ctx.progress(d, calls);
                        }
                    },
                    ctx.cancelFlag());
                ctx.checkCancelled();
                series.push_back(toSeries(r, jobs[j].name, jobs[j].color));
                if (j == 0)
                    lines << QStringLiteral("%1: <b>%2</b> bits/dim; of it L_T = %3 and L₀ = %4")
                                 .arg(jobs[j].name.toHtmlEscaped(), widgets::formatSig(r.totalBits, 4),
                                      widgets::formatSig(r.priorBits, 2),
                                      widgets::formatSig(r.termBits.empty() ? 0.0 : r.termBits[0], 3));
            }
            if (series.size() == 3)
                lines << QStringLiteral(
                             "<i>The exact q(xₜ₋₁|xₜ) of a finite set bounds its own items at %1 and new "
                             "ones at %2 bits/dim: it memorises. p_θ generalises.</i>")
                             .arg(widgets::formatSig(series[2].totalBits, 3),
                                  widgets::formatSig(series[1].totalBits, 3));
            const QString summary = lines.join(QStringLiteral("<br>"));
            return [this, series, summary] { Q_EMIT finished(series, summary); };
        },
        model);
}

} // namespace difflens::gui
