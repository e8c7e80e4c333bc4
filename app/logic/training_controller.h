#pragma once
// Trains a built-in MLP on a point dataset on a worker thread (core's Trainer: AdamW, EMA, Ho et al.
// Algorithm 1), streams the loss, and writes a model package the catalogue lists.
#include "app/logic/job_runner.h"

#include <QObject>
#include <QString>

#include <atomic>
#include <memory>

namespace difflens::gui {

struct TrainingParams
{
    QString dataset = QStringLiteral("moons"); ///< a point dataset (core's datasetNames())
    qint64 steps = 3000;
    qint64 batch = 512;
    double lr = 1e-3;
    int hidden = 128;
    int blocks = 3;
    int timesteps = 1000;
    QString betaSchedule = QStringLiteral("linear");
    quint64 seed = 0;
    QString outputDir; ///< the package folder to write (created)
    QString device = QStringLiteral("auto");
};

class TrainingController final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TrainingController)

public:
    explicit TrainingController(QObject* parent = nullptr);
    ~TrainingController() override;

    /** The point datasets a model can be trained on here. */
    static QStringList pointDatasets();
    /** A new folder name under `parent` for `dataset` (dataset, dataset-2, ...). */
    static QString freshPackageDir(const QString& parent, const QString& dataset);

    void start(const TrainingParams& params);
    /** Stops at the next step; cancelled(step) follows once. */
    void cancel() { m_runner.cancel(); }
    bool isRunning() const { return m_runner.isRunning(); }
    const JobRunner& runner() const { return m_runner; }

Q_SIGNALS:
    void progress(qint64 step, qint64 total, double loss, double emaLoss, double stepsPerSecond);
    /** The package is written; `packageDir` opens with openModel. */
    void finished(const QString& packageDir, double seconds);
    void cancelled(qint64 step);
    void failed(const QString& message);

private:
    std::shared_ptr<std::atomic<qint64>> m_stepReached; ///< the current job's step (its worker writes it)
    JobRunner m_runner{QStringLiteral("difflens trainer")}; ///< last: stopped before the rest goes
};

} // namespace difflens::gui
