// The app's one job shape (app/logic/job_runner.h) and the jobs on it: a completion runs before finished(ok),
// exceptions become one message, cancel and a superseding start() end a job as cancelled, every start()
// ends in exactly one finished() in start order, destroying a runner mid-job stops it. Then the jobs
// together: the bound cancelled reports cancelled() once (it used to report nothing), the bound running
// beside a sampling run on the same network (one forward at a time through the runner's lock), a superseded
// model load reports nothing, and the stress test: sampling, the bound and the score field started,
// cancelled and restarted on a model switched mid-run, 50 times; every job reports exactly once. This test
// is in the ThreadSanitizer subset (scripts/test.sh tsan).
#include "app/logic/job_runner.h"
#include "app/logic/model_loader.h"
#include "app/logic/sampling_controller.h"
#include "app/logic/vlb_controller.h"
#include "core/denoiser.h"
#include "core/errors.h"

#include <torch/torch.h>

#include <QElapsedTimer>
#include <QMap>
#include <QSignalSpy>
#include <QtTest>

#include <atomic>
#include <chrono>
#include <random>
#include <thread>

using namespace difflens;
using namespace difflens::gui;

namespace {

/** Counts the finished() of every job a runner started; fails on a second report or a report out of order. */
class JobLedger
{
public:
    explicit JobLedger(const JobRunner& runner) : m_runner(runner)
    {
        QObject::connect(&runner, &JobRunner::started, &m_context, [this](int job) { m_started << job; });
        QObject::connect(&runner, &JobRunner::finished, &m_context,
                         [this](int job, JobOutcome outcome, const QString& message) {
                             if (m_outcome.contains(job)) m_problems << QStringLiteral("job %1 reported twice").arg(job);
                             if (!m_order.isEmpty() && job < m_order.back())
                                 m_problems << QStringLiteral("job %1 reported after %2").arg(job).arg(m_order.back());
                             m_order << job;
                             if (job == m_runner.currentJob()) ++m_endedCurrent;
                             m_outcome[job] = outcome;
                             m_message[job] = message;
                         });
    }
    int started() const { return m_started.size(); }
    /** Jobs that were still the runner's latest when they reported: what a controller passes on. */
    int endedCurrent() const { return m_endedCurrent; }
    int reported() const { return m_outcome.size(); }
    bool allReported() const { return reported() == started(); }
    int count(JobOutcome o) const
    {
        int n = 0;
        for (auto v : m_outcome)
            n += v == o;
        return n;
    }
    JobOutcome outcome(int job) const { return m_outcome.value(job, JobOutcome::Failed); }
    QString message(int job) const { return m_message.value(job); }
    QStringList problems() const
    {
        QStringList p = m_problems;
        for (int job : m_started)
            if (!m_outcome.contains(job)) p << QStringLiteral("job %1 never reported").arg(job);
        return p;
    }

private:
    const JobRunner& m_runner;
    QObject m_context;
    int m_endedCurrent = 0;
    QVector<int> m_started, m_order;
    QMap<int, JobOutcome> m_outcome;
    QMap<int, QString> m_message;
    QStringList m_problems;
};

/** Spins until `f` stops at its first cancel check (a job that would otherwise run for minutes). */
JobRunner::Body untilCancelled(std::atomic_int* steps = nullptr)
{
    return [steps](JobContext& ctx) -> JobRunner::Completion {
        for (int i = 0;; ++i) {
            ctx.checkCancelled();
            if (steps) steps->store(i);
            ctx.progress(i, 0);
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
    };
}

QString pretrained(const char* name)
{
    return QStringLiteral(QT_TESTCASE_SOURCEDIR "/../models/pretrained/") + QLatin1String(name);
}

SamplingParams run(ModelHandle model, int steps, const QString& sampler = QStringLiteral("ddpm"), int batch = 64)
{
    SamplingParams p;
    p.model = std::move(model);
    p.sampler = sampler;
    p.steps = steps;
    p.batch = batch;
    p.seed = 3;
    return p;
}

} // namespace

class TestAppJobs : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void completionRunsBeforeFinished()
    {
        JobRunner runner(QStringLiteral("test"));
        JobLedger ledger(runner);
        int delivered = 0, deliveredAtFinished = -1;
        connect(&runner, &JobRunner::finished, this, [&] { deliveredAtFinished = delivered; });
        QSignalSpy progress(&runner, &JobRunner::progress);
        const int job = runner.start([&delivered](JobContext& ctx) -> JobRunner::Completion {
            ctx.progress(1, 2);
            ctx.progress(2, 2);
            const int value = 41 + ctx.id(); // the Result, made on the worker
            return [&delivered, value] { delivered = value; };
        });
        QVERIFY(runner.isRunning());
        QTRY_VERIFY(ledger.allReported());
        QCOMPARE(ledger.outcome(job), JobOutcome::Ok);
        QCOMPARE(delivered, 41 + job);
        QCOMPARE(deliveredAtFinished, 41 + job); // the result was there when finished() came
        QCOMPARE(progress.size(), 2);
        QCOMPARE(progress.last().at(0).toInt(), 2);
        QCOMPARE(runner.pendingJobs(), 0);
        QVERIFY(!runner.isRunning());
        QVERIFY2(ledger.problems().isEmpty(), qPrintable(ledger.problems().join(QLatin1Char('\n'))));
    }

    void exceptionsBecomeOneMessage()
    {
        JobRunner runner(QStringLiteral("test"));
        JobLedger ledger(runner);
        const int a = runner.start([](JobContext&) -> JobRunner::Completion {
            throw ModelError("the model returned NaN at t = 3");
        });
        QTRY_VERIFY(ledger.allReported());
        const int b = runner.start([](JobContext&) -> JobRunner::Completion { throw 17; });
        QTRY_VERIFY(ledger.allReported());
        const int c = runner.start([](JobContext&) -> JobRunner::Completion { throw Cancelled(); });
        QTRY_VERIFY(ledger.allReported());
        bool ran = false;
        const int d = runner.start([&ran](JobContext&) -> JobRunner::Completion {
            return [&ran] {
                ran = true;
                throw IoError("cannot write '/nowhere/x.gif'");
            };
        });
        QTRY_VERIFY(ledger.allReported());
        QCOMPARE(ledger.outcome(a), JobOutcome::Failed);
        QVERIFY2(ledger.message(a).contains(QStringLiteral("NaN at t = 3")), qPrintable(ledger.message(a)));
        QCOMPARE(ledger.outcome(b), JobOutcome::Failed);
        QVERIFY(!ledger.message(b).isEmpty());
        QCOMPARE(ledger.outcome(c), JobOutcome::Cancelled);
        QVERIFY(ledger.message(c).isEmpty());
        QVERIFY(ran);
        QCOMPARE(ledger.outcome(d), JobOutcome::Failed); // the completion failing fails the job
        QVERIFY(ledger.message(d).contains(QStringLiteral("/nowhere/x.gif")));
    }

    void cancelAndSupersede()
    {
        JobRunner runner(QStringLiteral("test"));
        JobLedger ledger(runner);
        std::atomic_int steps{-1};
        const int a = runner.start(untilCancelled(&steps));
        QTRY_VERIFY(steps.load() >= 3);
        runner.cancel();
        QTRY_VERIFY(ledger.allReported());
        QCOMPARE(ledger.outcome(a), JobOutcome::Cancelled);

        // A start() while a job runs: the running one ends cancelled, then the new one runs; a third queued
        // behind them supersedes the second before it begins. Reports come in start order, once each.
        steps = -1;
        const int b = runner.start(untilCancelled(&steps));
        QTRY_VERIFY(steps.load() >= 1);
        bool cRan = false, dRan = false;
        const int c = runner.start([&cRan](JobContext&) -> JobRunner::Completion {
            return [&cRan] { cRan = true; };
        });
        const int d = runner.start([&dRan](JobContext&) -> JobRunner::Completion {
            return [&dRan] { dRan = true; };
        });
        QTRY_VERIFY(ledger.allReported());
        QCOMPARE(ledger.outcome(b), JobOutcome::Cancelled);
        QCOMPARE(ledger.outcome(c), JobOutcome::Cancelled);
        QCOMPARE(ledger.outcome(d), JobOutcome::Ok);
        QVERIFY(!cRan); // a superseded job's result is not delivered
        QVERIFY(dRan);
        QVERIFY2(ledger.problems().isEmpty(), qPrintable(ledger.problems().join(QLatin1Char('\n'))));
    }

    void destroyingARunnerStopsItsJob()
    {
        std::atomic_int steps{-1};
        std::atomic_bool stopped{false};
        {
            JobRunner runner(QStringLiteral("test"));
            runner.start([&](JobContext& ctx) -> JobRunner::Completion {
                try {
                    untilCancelled(&steps)(ctx);
                } catch (const Cancelled&) {
                    stopped = true;
                    throw;
                }
                return nullptr;
            });
            QTRY_VERIFY(steps.load() >= 2);
        } // the destructor cancels and waits
        QVERIFY(stopped.load());
    }

    void modelLockTakesTurns()
    {
        // Two runners on the same model: ctx.model() serialises the forwards (never two at once), and
        // lockModel() holds the same lock for a block.
        const ModelHandle model = loadModel(QStringLiteral("exact:8gaussians"), QStringLiteral("cpu"));
        JobRunner a(QStringLiteral("a")), b(QStringLiteral("b"));
        JobLedger la(a), lb(b);
        // Both jobs wait for each other before their loops, so they do overlap; each round takes the lock,
        // counts who is inside, and between rounds calls the model through ctx.model() (its own lock).
        std::atomic_int arrived{0}, inside{0}, most{0}, forwards{0};
        auto body = [&](JobContext& ctx) -> JobRunner::Completion {
            ++arrived;
            for (int spin = 0; arrived.load() < 2 && spin < 5000; ++spin)
                std::this_thread::sleep_for(std::chrono::milliseconds(1));
            const auto model = ctx.model();
            for (int i = 0; i < 40; ++i) {
                {
                    const auto lock = ctx.lockModel();
                    const int now = ++inside;
                    int seen = most.load();
                    while (now > seen && !most.compare_exchange_weak(seen, now)) {
                    }
                    std::this_thread::sleep_for(std::chrono::microseconds(200));
                    --inside;
                }
                const auto out = model->forward(torch::zeros({4, 2}), torch::full({4}, 500, torch::kInt64));
                if (out.sizes() == torch::IntArrayRef({4, 2})) ++forwards;
            }
            return nullptr;
        };
        a.start(body, model);
        b.start(body, model);
        QTRY_VERIFY(la.allReported() && lb.allReported());
        QCOMPARE(la.count(JobOutcome::Ok) + lb.count(JobOutcome::Ok), 2);
        QCOMPARE(arrived.load(), 2);
        QCOMPARE(most.load(), 1);
        QCOMPARE(forwards.load(), 80);
        // Without a model the job fails with a message instead of touching null.
        const int c = a.start([](JobContext& ctx) -> JobRunner::Completion {
            ctx.model();
            return nullptr;
        });
        QTRY_VERIFY(la.allReported());
        QCOMPARE(la.outcome(c), JobOutcome::Failed);
        QVERIFY(la.message(c).contains(QStringLiteral("no model")));
    }

    void boundCancelReportsOnce()
    {
        // The 8gaussians MLP: two series (p_theta and the exact mixture), long enough to cancel mid-way.
        const ModelHandle model = loadModel(pretrained("8gaussians"), QStringLiteral("cpu"));
        VlbController bound;
        QSignalSpy cancelled(&bound, &VlbController::cancelled);
        QSignalSpy finished(&bound, &VlbController::finished);
        QSignalSpy failed(&bound, &VlbController::failed);
        QSignalSpy progress(&bound, &VlbController::progress);
        bound.start(model, 256);
        QTRY_VERIFY(progress.size() >= 1);
        bound.cancel();
        QTRY_VERIFY(!bound.isRunning());
        QTest::qWait(50);
        QCOMPARE(cancelled.size(), 1);
        QCOMPARE(finished.size() + failed.size(), 0);
        // And run to the end it gives every term, then reports once.
        bound.start(model, 64);
        QTRY_VERIFY_WITH_TIMEOUT(!bound.isRunning(), 60000);
        QCOMPARE(finished.size(), 1);
        QCOMPARE(cancelled.size(), 1);
        const auto series = finished.last().at(0).value<QVector<widgets::VlbSeries>>();
        QCOMPARE(series.size(), 2);
        QCOMPARE(series[0].termBits.size(), static_cast<qsizetype>(model->info.T()));
        QVERIFY(std::isfinite(series[0].totalBits) && series[0].totalBits > 0);
    }

    void boundBesideSampling()
    {
        // The shipped 8gaussians MLP: a network both jobs call, through the runner's lock.
        const ModelHandle model = loadModel(pretrained("8gaussians"), QStringLiteral("cpu"));
        SamplingController sampler;
        VlbController bound;
        QSignalSpy sampled(&sampler, &SamplingController::finished);
        QSignalSpy bounded(&bound, &VlbController::finished);
        QSignalSpy samplerFailed(&sampler, &SamplingController::failed);
        QSignalSpy boundFailed(&bound, &VlbController::failed);
        sampler.start(run(model, 0)); // DDPM, every one of the 1000 steps
        QTRY_VERIFY(sampler.recordedSteps() >= 1);
        bound.start(model, 64);
        QVERIFY(bound.isRunning());
        QTRY_VERIFY_WITH_TIMEOUT(!sampler.isRunning() && !bound.isRunning(), 120000);
        QCOMPARE(samplerFailed.size() + boundFailed.size(), 0);
        QCOMPARE(sampled.size(), 1);
        QCOMPARE(bounded.size(), 1);
        QCOMPARE(sampler.recordedSteps(), 1000);
        const auto series = bounded.last().at(0).value<QVector<widgets::VlbSeries>>();
        QVERIFY(series.size() >= 2); // p_theta and the exact mixture beside it
        QVERIFY(std::isfinite(series[0].totalBits));
        qInfo("bound beside sampling: p_theta %.4f, exact %.4f bits/dim", series[0].totalBits, series[1].totalBits);
        // The network cannot beat the exact reverse process of its own data.
        QVERIFY2(series[0].totalBits >= series[1].totalBits - 0.05,
                 qPrintable(QStringLiteral("%1 vs %2").arg(series[0].totalBits).arg(series[1].totalBits)));
    }

    void supersededLoadReportsNothing()
    {
        ModelLoader loader;
        QSignalSpy loaded(&loader, &ModelLoader::loaded);
        QSignalSpy failed(&loader, &ModelLoader::failed);
        const int first = loader.load(QStringLiteral("exact:moons?n=2000"), QStringLiteral("cpu"));
        const int broken = loader.load(QStringLiteral("exact:no-such-dataset"), QStringLiteral("cpu"));
        const int last = loader.load(QStringLiteral("exact:8gaussians"), QStringLiteral("cpu"));
        QVERIFY(first < broken && broken < last);
        QTRY_VERIFY_WITH_TIMEOUT(!loader.isLoading(), 60000);
        QCOMPARE(failed.size(), 0); // the broken request was superseded before it reported
        QCOMPARE(loaded.size(), 1);
        QCOMPARE(loaded.last().at(0).toInt(), last);
        QCOMPARE(loaded.last().at(2).value<ModelHandle>()->info.spec, QStringLiteral("exact:8gaussians"));
        // Alone, the broken one says why.
        const int again = loader.load(QStringLiteral("exact:no-such-dataset"), QStringLiteral("cpu"));
        QTRY_VERIFY(!loader.isLoading());
        QCOMPARE(failed.size(), 1);
        QCOMPARE(failed.last().at(0).toInt(), again);
        QVERIFY(failed.last().at(2).toString().contains(QStringLiteral("no-such-dataset")));
    }

    void lateCancelWinsUnlessCommitted()
    {
        // A cancel that comes after the body returned but before its report is handled: the report says
        // cancelled and the result is dropped; a job that committed (its file is written) stays ok.
        JobRunner runner(QStringLiteral("test"));
        JobLedger ledger(runner);
        for (const bool commit : {false, true}) {
            std::atomic_bool returned{false};
            bool delivered = false;
            const int job = runner.start([&, commit](JobContext& ctx) -> JobRunner::Completion {
                if (commit) ctx.commit();
                returned = true;
                return [&delivered] { delivered = true; };
            });
            // Wait on the worker's side only (no event processing), so the report is still queued.
            for (int spin = 0; !returned.load() && spin < 5000; ++spin)
                std::this_thread::sleep_for(std::chrono::milliseconds(1));
            QVERIFY(returned.load());
            runner.cancel();
            QTRY_VERIFY(ledger.allReported());
            QCOMPARE(ledger.outcome(job), commit ? JobOutcome::Ok : JobOutcome::Cancelled);
            QCOMPARE(delivered, commit);
        }
    }

    void stress()
    {
        // 50 rounds: sampling, the bound and the score field on model A; cancel both at a random moment (or
        // let the next start() supersede them); switch to model B while a run may still be on A; again.
        const ModelHandle models[2] = {loadModel(pretrained("8gaussians"), QStringLiteral("cpu")),
                                       loadModel(QStringLiteral("exact:moons?n=500"), QStringLiteral("cpu"))};
        SamplingController sampler;
        VlbController bound;
        JobLedger samples(sampler.runner()), fields(sampler.fieldRunner()), bounds(bound.runner());
        int samplerEnds = 0, boundEnds = 0;
        connect(&sampler, &SamplingController::finished, this, [&] { ++samplerEnds; });
        connect(&sampler, &SamplingController::cancelled, this, [&] { ++samplerEnds; });
        connect(&sampler, &SamplingController::failed, this, [&] { ++samplerEnds; });
        connect(&bound, &VlbController::finished, this, [&] { ++boundEnds; });
        connect(&bound, &VlbController::cancelled, this, [&] { ++boundEnds; });
        connect(&bound, &VlbController::failed, this, [&] { ++boundEnds; });
        std::mt19937 rng(11);
        const int rounds = qEnvironmentVariableIntValue("DIFFLENS_STRESS_ROUNDS") > 0
                               ? qEnvironmentVariableIntValue("DIFFLENS_STRESS_ROUNDS")
                               : 50;
        for (int i = 0; i < rounds; ++i) {
            const ModelHandle& model = models[i % 2];
            sampler.start(run(model, 200, i % 3 == 0 ? QStringLiteral("ddim") : QStringLiteral("ddpm"), 32));
            bound.start(model, 32);
            sampler.requestField(model, 1 + static_cast<long>(rng() % 1000), QRectF(-4, -4, 8, 8), 9);
            QTest::qWait(static_cast<int>(rng() % 15));
            switch (rng() % 3) {
            case 0: // cancel both
                sampler.cancel();
                bound.cancel();
                break;
            case 1: // cancel one, the next round supersedes the other
                bound.cancel();
                break;
            default: // the next round supersedes both, on the other model
                break;
            }
        }
        QTRY_VERIFY_WITH_TIMEOUT(samples.allReported() && bounds.allReported() && fields.allReported(), 120000);
        for (const JobLedger* l : {&samples, &bounds, &fields})
            QVERIFY2(l->problems().isEmpty(), qPrintable(l->problems().join(QLatin1Char('\n'))));
        QCOMPARE(samples.started(), rounds);
        QCOMPARE(bounds.started(), rounds);
        QCOMPARE(samples.count(JobOutcome::Failed) + bounds.count(JobOutcome::Failed), 0);
        QCOMPARE(fields.count(JobOutcome::Failed), 0);
        QVERIFY(fields.count(JobOutcome::Ok) >= 1); // one field in flight, the latest request kept: some arrive
        // The controllers pass on exactly the reports of jobs that were still current (a superseded run
        // ends silently): one terminal signal each, never two.
        QCOMPARE(samplerEnds, samples.endedCurrent());
        QCOMPARE(boundEnds, bounds.endedCurrent());
        QVERIFY(samplerEnds >= 1 && boundEnds >= 1); // the last round's jobs at least
        QVERIFY(!sampler.isRunning() && !bound.isRunning());
        qInfo("stress: %d rounds; sampling %d ok %d cancelled; bound %d ok %d cancelled; field %d ok of %d", rounds,
              samples.count(JobOutcome::Ok), samples.count(JobOutcome::Cancelled), bounds.count(JobOutcome::Ok),
              bounds.count(JobOutcome::Cancelled), fields.count(JobOutcome::Ok), fields.started());
        // After all that a plain run still works end to end.
        QSignalSpy done(&sampler, &SamplingController::finished);
        sampler.start(run(models[0], 20, QStringLiteral("ddim")));
        QTRY_VERIFY_WITH_TIMEOUT(done.size() == 1, 60000);
        QCOMPARE(sampler.recordedSteps(), 20);
    }
};

QTEST_GUILESS_MAIN(TestAppJobs)
#include "test_app_jobs.moc"
