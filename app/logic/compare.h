#pragma once
// Compare (Run > Compare with...): two runs side by side on one timeline, and what differs between them.
// This is the part without widgets: a side (a live or opened run with what made it), the second run's
// settings (A's with one setting changed, from the same x_T), how one timeline maps to each side's steps
// (the same step index, or the nearest path time when the step plans differ), the difference row's frame,
// and the comparison's export (one GIF / MP4 / filmstrip painted by the app's own renderers).
#include "app/logic/exporter.h"
#include "app/logic/frames.h"
#include "app/logic/model.h"
#include "app/logic/run_files.h"
#include "widgets/types.h"

#include <QString>
#include <QVector>

#include <atomic>
#include <functional>
#include <memory>

namespace difflens {
class Trajectory;
}

namespace difflens::gui {

/** One run of a comparison. */
struct CompareSide
{
    QString name;      ///< "A" or "B"
    ModelHandle model; ///< may be the facts-only model of an opened run (the frames need nothing more)
    QString modelSpec; ///< what opens the model (a package path or exact:...)
    std::shared_ptr<const Trajectory> trajectory;
    QVector<StepSummary> summaries;
    widgets::RunSettings settings;
    Reference reference;
    bool trueStep = false; ///< x_T was the noised reference
    bool isValid() const { return model && trajectory; }
    int steps() const;    ///< steps of the run (0 without one)
    int recorded() const; ///< steps recorded so far
};

/** A saved run as a side of a comparison. */
CompareSide compareSide(const OpenedRun& run, const QString& name);

/** "DDPM · 1000 steps · seed 0" (and the model, class and guidance when they are set). */
QString describeSide(const CompareSide& side, bool withModel);

/** What "compare with..." may change. */
enum class CompareChange
{
    Sampler,
    Steps,
    Schedule, ///< exact denoisers only: their beta schedule is part of the spec (exact:NAME?schedule=...)
    Model,
    Guidance, ///< class-conditional models only
};
QString compareChangeName(CompareChange change);

struct CompareRequest
{
    CompareChange change = CompareChange::Sampler;
    QString text;       ///< Sampler: a --sampler name; Schedule: a beta_schedule name; Model: a spec
    int steps = 50;     ///< Steps
    double guidance = 3.0; ///< Guidance (w, with A's class or class 0 when A had none)
};

/** The second run: A's settings with one change, from the same x_T (same seed, batch and start). */
struct ComparePlan
{
    widgets::RunSettings settings;
    QString modelSpec;
    QString change; ///< what changed, e.g. "sampler: DDPM → DDIM"
};

/** B's settings, or a message naming why the change cannot be made (same value, no guidance, ...). */
ComparePlan planComparison(const CompareSide& a, const CompareRequest& request, QString* error);

/** An exact denoiser's spec with schedule=NAME set (replacing any schedule it had). */
QString exactSpecWithSchedule(const QString& spec, const QString& betaSchedule);

/** Whether two models make samples of the same shape (so they can start from one x_T); "" or why not. */
QString sameDataShape(const ModelInfo& a, const ModelInfo& b);

/** How the one timeline maps to the sides' steps. */
enum class CompareAlign
{
    Step, ///< the same step index (clamped to each run's last step)
    Time, ///< the same path time t/T (0 = data, 1 = noise): the nearest step of the other run
};

struct CompareTimeline
{
    QVector<int> stepA, stepB; ///< per timeline position
    QVector<long> labels;      ///< t (1..T) of the run with more steps, for the timeline
    bool driverIsA = true;     ///< whose step plan the timeline follows
    int size() const { return static_cast<int>(stepA.size()); }
};

/** The timeline over both step plans (complete plans; what is not recorded yet is clamped when shown). */
CompareTimeline alignRuns(const Trajectory& a, const Trajectory& b, CompareAlign align);
/** The same for two sides; A's steps alone while B has no run. */
CompareTimeline alignRuns(const CompareSide& a, const CompareSide& b, CompareAlign align);
/** Timeline positions whose steps both runs have recorded (A's alone without B). */
int availablePositions(const CompareTimeline& timeline, const CompareSide& a, const CompareSide& b);

/** Root-mean-square difference of the two runs' x_t and x0^ over the batch they share (NaN when none). */
struct CompareNumbers
{
    double xt = 0, x0 = 0;
    int samples = 0;
};
CompareNumbers compareNumbers(const Trajectory& a, int stepA, const Trajectory& b, int stepB);

/** The parting curve: compareNumbers at up to `points` timeline positions both runs have recorded. */
struct CompareCurve
{
    QVector<double> t, xt, x0; ///< t: the timeline's label (1..T of the run with more steps)
};
CompareCurve compareCurve(const CompareSide& a, const CompareSide& b, const CompareTimeline& timeline, int points = 200);

/**
 * The difference row at (stepA, stepB): images: |x_t(A) - x_t(B)| and |x0^(A) - x0^(B)| per sample as heat
 * maps; points: A's x_t with B's beside it, a line from each sample to its twin (same x_T). `data`: the
 * points drawn behind (2-D) or the data density (1-D), taken from A's frame. `numbers` (optional) gets the rms
 * differences it computed on the way (the same as compareNumbers).
 */
Frame differenceFrame(const CompareSide& a, int stepA, const CompareSide& b, int stepB, int maxRows,
                      const Frame& frameA, CompareNumbers* numbers = nullptr);

/** One exported frame of a comparison: A | B | their difference in one row, each titled. */
QImage renderCompareFrame(const Frame& a, const Frame& b, const Frame& difference, const CompareSide& sideA,
                          const CompareSide& sideB, const ExportOptions& options);

/**
 * Writes the comparison (gif, mp4, frames or filmstrip) along the timeline of `align`. Same guarantees as
 * runExport: cancel between frames, nothing left at the target on failure, core's errors with a message.
 */
ExportResult runCompareExport(const CompareSide& a, const CompareSide& b, CompareAlign align,
                              const ExportOptions& options, const std::function<void(int, int)>& progress = {},
                              const std::atomic_bool* cancel = nullptr);

/** The export dialog's source for the comparison (previewed at timeline `position`). */
ExportSource compareExportSource(const CompareSide& a, const CompareSide& b, CompareAlign align, int position);

} // namespace difflens::gui
