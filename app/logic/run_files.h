#pragma once
// Run files in the app (core/run_file.h holds the format): a live run (its model's facts, the panel's
// settings, the trajectory as recorded, the per-step summaries) to a file, and a file back to what the window
// shows. An opened run needs no model: its ModelHandle carries the facts the frames need (data shape, range,
// schedule, the data points drawn behind 2-D runs) and no denoiser, so what needs the model (sampling, the
// score field, the bound) is off until the model itself is opened.
#include "app/logic/frames.h"
#include "app/logic/model.h"
#include "widgets/types.h"

#include <QString>
#include <QVector>

#include <memory>

namespace difflens {
class Trajectory;
}

namespace difflens::gui {

/** The file name filter of run files and their extension. */
inline constexpr const char* kRunFileExtension = ".dlrun";
QString runFileFilter();

struct OpenedRun
{
    QString path;
    ModelHandle model; ///< facts only (hasDenoiser() is false): the frames need nothing more
    QString modelSpec; ///< what to open to get the model back
    std::shared_ptr<const Trajectory> trajectory;
    QVector<StepSummary> summaries;
    widgets::RunSettings settings; ///< as the panel had them when the run was made
    Reference reference;
    bool trueStep = true; ///< x_T was the noised reference (mu~ is the true step)
};

/** Writes the run; throws core's errors (IoError when the path is not writable). */
void saveRunFile(const QString& path, const Model& model, const std::shared_ptr<const Trajectory>& trajectory,
                 const widgets::RunSettings& settings, const QVector<StepSummary>& summaries, bool trueStep);
/** Reads a run; throws DataError with one sentence for a corrupt, truncated, foreign or newer file. */
OpenedRun openRunFile(const QString& path);

/** Whether the model can run (false for the facts-only model of an opened run). */
bool hasDenoiser(const Model& model);

} // namespace difflens::gui
