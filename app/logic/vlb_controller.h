#pragma once
// Evaluates the variational bound (improved-diffusion's calc_bpd_loop: every L_{t-1}, L_T and L_0) of the
// model on a few dataset items, on a worker thread, and beside it the bound of the exact denoiser: of the
// other items (the items are new to it: a finite set generalises badly) and of a set that contains them
// (it has memorised them). T model calls per series; cancellable between calls.
#include "app/logic/job_runner.h"
#include "app/logic/model.h"
#include "widgets/types.h"

#include <QObject>
#include <QVector>

namespace difflens::gui {

class VlbController final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(VlbController)

public:
    explicit VlbController(QObject* parent = nullptr);
    ~VlbController() override;

    /** items: how many dataset items to evaluate on (at most the model's reference items). */
    void start(const ModelHandle& model, int items, quint64 seed = 0);
    /** Stops the bound at its next model call; cancelled() follows once. */
    void cancel() { m_runner.cancel(); }
    bool isRunning() const { return m_runner.isRunning(); }
    /** The worker the bound runs on (tests count its jobs). */
    const JobRunner& runner() const { return m_runner; }
    /** Items evaluated by default: fewer for images (each series is T UNet calls). */
    static int defaultItems(const ModelInfo& info) { return info.isImage ? 8 : 256; }

Q_SIGNALS:
    /** done of total model calls over all series. */
    void progress(int done, int total);
    /** Every series, model first; `summary` is one line per series for the panel. Each start ends in one of
     *  finished, cancelled or failed (a start superseded by another ends in nothing here: the runner's
     *  finished reports it). */
    void finished(const QVector<difflens::widgets::VlbSeries>& series, const QString& summary);
    void cancelled();
    void failed(const QString& message);

private:
    JobRunner m_runner{QStringLiteral("difflens bound")};
};

} // namespace difflens::gui
