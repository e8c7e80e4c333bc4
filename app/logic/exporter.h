#pragma once
// Export of a recorded run for lectures and papers: animated GIF, MP4, PNG frames, a PNG filmstrip/grid, and
// the per-step numbers as CSV. Frames are painted by the same code as the app's panels (widgets/
// image_grid_paint.h and point_paint.h, QtGui only), so an exported frame k is what the app shows at step k. Thread-safe: the job
// builds its own FrameBuilder over the (thread-safe) trajectory and paints QImages, never widgets.
#include "app/logic/frames.h"
#include "app/logic/model.h"

#include <QImage>
#include <QSize>
#include <QString>
#include <QStringList>

#include <atomic>
#include <functional>
#include <memory>
#include <optional>

namespace difflens {
class Trajectory;
struct RgbFrame;
} // namespace difflens

namespace difflens::gui {

/**
 * What an export writes. ExportOptions::format holds its name (the CLI's --format, the tests and the dialog
 * pass names); the export parses the name once and decides on the enum.
 */
enum class ExportFormat
{
    Gif,
    Mp4,
    Frames,    ///< a folder of PNGs
    Filmstrip, ///< one PNG grid
    Csv,       ///< the per-step numbers
    TrajectoryCsv
};
/** "gif" | "mp4" | "frames" | "filmstrip" | "csv" | "trajectory-csv". */
QString exportFormatName(ExportFormat format);
std::optional<ExportFormat> parseExportFormat(const QString& name);
/** GIF and MP4 play at a frame rate and hold their last frame. */
inline bool isAnimation(ExportFormat format)
{
    return format == ExportFormat::Gif || format == ExportFormat::Mp4;
}

/** Which recorded steps an export shows; ExportOptions::frames holds core's spec of it (selectFrames). */
enum class FrameSelection
{
    Log,   ///< n frames, denser near t = 0
    Every, ///< every n-th step
    All
};
/** "log:n", "every:n" or "all". */
QString frameSelectionSpec(FrameSelection selection, int n);

struct ExportOptions
{
    QString format = QStringLiteral("gif"); ///< an ExportFormat's name (exportFormatName)
    /** Image panels by key: xt, x0hat, mu, mutilde, x0, diff (reverse runs); empty: all the run has. */
    QStringList panels;
    int sample = -1; ///< -1: the batch (up to maxRows rows); else that sample only
    int maxRows = 4;
    QString frames = QStringLiteral("log:60"); ///< frameSelectionSpec(): all | every:K | log:N
    bool reverseOrder = false;                 ///< play from the last step back to the first
    double fps = 12.0;
    int loopCount = 0; ///< GIF: 0 loops forever
    double holdLastSeconds = 1.5;
    bool globalPalette = false; ///< GIF: one palette and frame differencing (smaller), else one per frame
    int scale = 4;              ///< output pixels per image pixel (nearest neighbour)
    QSize pointSize = QSize(560, 560); ///< point models: the plot's size
    bool scheduleStrip = true;         ///< an ᾱₜ / βₜ strip with a moving marker under each frame
    int filmstripColumns = 8;
    QString path;
    /** Export the forward process x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps (t = 0..forwardT0) of
     *  forwardReference instead of the recorded reverse run (fixed noise from forwardSeed). */
    bool forwardProcess = false;
    Reference forwardReference;
    int forwardBatch = 4;
    quint64 forwardSeed = 0;
    int forwardT0 = 1000;
};

/** The keys of ExportOptions::panels, in column order. */
QStringList exportPanelKeys();
/** Checks options (keys, formats, ranges); returns "" or a message naming the problem. */
QString validateExportOptions(const ExportOptions& options);

/** One exported frame as an image (thread-safe). alphaBars/betas: the model's schedule, for the strip. */
QImage renderExportFrame(const Frame& frame, const ExportOptions& options, const ModelInfo& info);
/** An image grid frame painted at `size` (what ImagePanelGrid shows), any thread. */
QImage renderGridFrame(const ImageGridFrame& grid, const QSize& size);
/** QImage -> core's RGB frame. */
RgbFrame toRgbFrame(const QImage& image);

/**
 * Writes `total` frames made by render(k) as options.format (gif, mp4, frames: one animation writer; filmstrip:
 * one PNG grid of `filmstripColumns`) to options.path; animation frames take the first frame's size. cancel is
 * checked before the file is finished (render checks it between frames).
 */
void writeFrames(const ExportOptions& options, int total, const std::function<QImage(int)>& render,
                 int filmstripColumns, const std::function<void(int, int)>& progress = {},
                 const std::atomic_bool* cancel = nullptr);

struct ExportResult
{
    int frames = 0;
    qint64 bytes = 0;
    QString path;
};

/**
 * Writes the export of a recorded run (any thread). csv: per-step numbers (step, t, mean KL, mean gap, seconds);
 * trajectory-csv (point models): every sample's x_t at every exported step. progress(done, total); cancel is checked between frames;
 * a cancelled or failed export leaves nothing at the target and an existing file there untouched. Throws
 * difflens::Error (IoError for unwritable paths, Cancelled) with a readable message.
 */
ExportResult runExport(const ModelHandle& model, std::shared_ptr<const Trajectory> trajectory,
                       const QVector<StepSummary>& summaries, const ExportOptions& options,
                       const std::function<void(int, int)>& progress = {},
                       const std::atomic_bool* cancel = nullptr);

/** What an export dialog exports: the current step's preview (GUI thread) and the export job (any thread). */
struct ExportSource
{
    QString title;
    bool isImage = true;
    bool hasReference = false; ///< the reference panels (mu~, x_0, the gap) can be chosen
    bool comparison = false;   ///< two runs side by side: no CSV
    /** The preview image of the current step; *frames: how many frames the options select (0: nothing yet). */
    std::function<QImage(const ExportOptions&, int* frames)> preview;
    std::function<ExportResult(const ExportOptions&, const std::function<void(int, int)>&, const std::atomic_bool*)>
        run;
};

/** The source of one recorded run (runExport), previewed at `currentStep`. */
ExportSource runExportSource(ModelHandle model, std::shared_ptr<const Trajectory> trajectory,
                             QVector<StepSummary> summaries, int currentStep);

} // namespace difflens::gui
