#pragma once
// Evaluates the variational bound (improved-diffusion's calc_bpd_loop: every L_{t-1}, L_T and L_0) of the
// model on a few dataset items, on a worker thread, and beside it the bound of the exact denoiser: of the
// other items (the items are new to it: a finite set generalises badly) and of a set that contains them
// (it has memorised them). T model calls per series; cancellable between calls.
#include "app/logic/model.h"
#include "widgets/types.h"

#include <QObject>
#include <QThread>
#include <QVector>

#include <atomic>
#include <memory>

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
    void cancel();
    bool isRunning() const { return m_running; }
    /** Items evaluated by default: fewer for images (each series is T UNet calls). */
    static int defaultItems(const ModelInfo& info) { return info.isImage ? 8 : 256; }

Q_SIGNALS:
    /** done of total model calls over all series. */
    void progress(int done, int total);
    /** Every series, model first; `summary` is one line per series for the panel. */
    void finished(const QVector<difflens::widgets::VlbSeries>& series, const QString& summary);
    void cancelled();
    void failed(const QString& message);

private:
    QThread m_thread;
    QObject* m_worker = nullptr;
    std::shared_ptr<std::atomic_bool> m_cancel;
    bool m_running = false;
    int m_job = 0;
};

} // namespace difflens::gui
