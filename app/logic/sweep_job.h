#pragma once
// The app's steps-versus-quality sweep (models/nfe_sweep.h) as a job on a worker thread: parameters in,
// progress, an atomic cancel checked between runs, one finished signal carrying the result or why there is
// none. Plain values out (no torch in this header).
#include "app/logic/job_runner.h"

#include <QObject>
#include <QString>
#include <QStringList>
#include <QVector>


namespace difflens::gui {

struct SweepParams
{
    QString model;       ///< the spec the app opened (a package or exact:NAME)
    QStringList samplers; ///< --sampler names
    QVector<int> nfes;
    qint64 samples = 0; ///< 0: the default (4000 points, 500 images)
    bool exactRows = true;
    quint64 seed = 0;
    QString device = QStringLiteral("cpu");
};

struct SweepCurveData
{
    QString denoiser, sampler;
    bool exact = false;
    QVector<double> nfe;   ///< the budgets (columns)
    QVector<double> value; ///< the distance (NaN where it could not run)
    QVector<int> calls;    ///< model calls spent (-1: did not run)
    QStringList notes;
};

struct SweepResult
{
    QString model, dataset, metric;
    qint64 samples = 0;
    double floor = 0;
    QVector<SweepCurveData> curves;
    QString note;
};

class SweepJob final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SweepJob)

public:
    explicit SweepJob(QObject* parent = nullptr);
    ~SweepJob() override; ///< cancels and waits for the worker

    /** Starts the sweep (a running one is cancelled first). */
    void start(const SweepParams& params);
    void cancel() { m_runner.cancel(); }
    bool isRunning() const { return m_runner.isRunning(); }

Q_SIGNALS:
    void progress(int done, int total);
    /** Exactly once per start: ok with the result, or cancelled, or failed with one sentence. */
    void finished(bool ok, bool cancelled, const QString& message, const difflens::gui::SweepResult& result);

private:
    JobRunner m_runner{QStringLiteral("difflens sweep")};
};

} // namespace difflens::gui

Q_DECLARE_METATYPE(difflens::gui::SweepResult)
