#pragma once
// Turns a recorded run (or the forward process) into what the views draw at one step: the image grid or the
// point frame, the explanation's numbers, the (t, x) density of 1-D runs. Runs on the GUI thread and never
// calls the model: every quantity is re-derived from the recorded trajectory (Trajectory::step), and the last
// few frames are cached so stepping back and forth costs nothing.
#include "app/logic/frames.h"
#include "app/logic/model.h"

#include <QRectF>

#include <memory>

namespace difflens {
class Trajectory;
}

namespace difflens::gui {

class FrameBuilder
{
public:
    enum class Mode
    {
        None,
        Reverse, ///< a recorded reverse run
        Forward  ///< x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps for t = 0..t0, eps fixed
    };

    /** The 1-D density of x over (t, x) and a few sample paths (DensityTimeView's input). */
    struct DensityMap
    {
        int T = 0;
        int bins = 0;
        double xmin = 0, xmax = 0;
        QVector<double> values; ///< T * bins, t-major
        QVector<QVector<QPointF>> paths;
        bool isEmpty() const { return values.isEmpty(); }
    };

    FrameBuilder();
    ~FrameBuilder();
    FrameBuilder(const FrameBuilder&) = delete;
    FrameBuilder& operator=(const FrameBuilder&) = delete;

    void setModel(ModelHandle model);
    const ModelHandle& model() const;
    void clear();

    /**
     * Frames of a reverse run read `trajectory` as it grows; appendSummaries feeds the per-step scalars.
     * trueStep: x_t was made from the reference (a run from the noised reference), so mu~(x_t, x_0) is the
     * true step; false (a run from pure noise): it is only the step toward the reference, and labelled so.
     */
    void setReverse(std::shared_ptr<const Trajectory> trajectory, bool trueStep = true);
    void appendSummaries(const QVector<StepSummary>& summaries);
    const QVector<StepSummary>& summaries() const;
    /** The reverse run shown (null in other modes). */
    std::shared_ptr<const Trajectory> trajectory() const;
    /** Forward mode: frames t = 0..t0 of the reference noised with `batch` fixed noises drawn from `seed`. */
    void setForward(const Reference& x0, int batch, quint64 seed, int t0);

    Mode mode() const;
    /** Frames that can be shown now (reverse: recorded steps). */
    int availableFrames() const;
    /** Frames the run will have. */
    int totalFrames() const;
    /** t (1..T, 0 for x_0) of each frame, for the timeline. */
    QVector<long> timestepLabels() const;

    /** Frame `step` (clamped to the available ones); invalid Frame when there is none. */
    Frame frame(int step);

    /** Rows of the image grid (samples shown); default 16. */
    void setMaxRows(int rows);
    /**
     * The Exact q tab's parts of a frame (Frame::exactStep, Frame::gallery); on by default. The window turns it
     * off while the tab is hidden (the 2-D weights w_i of the main view are made either way).
     */
    void setExactEnabled(bool on);
    bool exactEnabled() const;
    /** The score field in 2-D frames; frames ask for it with needsField(). */
    void setFieldEnabled(bool on);
    bool fieldEnabled() const;
    bool needsField(long t) const;
    /** The model's score (and the exact score, empty when the model has no exact data) on a grid at t. */
    void setField(long t, const QVector<QPointF>& origins, const QVector<QPointF>& vectors,
                  const QVector<QPointF>& exactVectors = {});

    /** 1-D models: the density over (t, x) so far. */
    DensityMap densityMap() const;

    /** The data range the point views show: the model's value range (at least [-1, 1]), square in 2-D. */
    static QRectF viewRange(const ModelInfo& info);

private:
    struct Impl;
    std::unique_ptr<Impl> m;
};

} // namespace difflens::gui
