// Noise schedules (core/schedule.h): closed-form values from core/MATH.md and the schedules' formulas,
// every derived table against its definition, T = 1, the scheduler_config.json round trip and every bad
// input. No torch here: schedule.h is plain C++, so this test compiles in a few seconds.
#include "core/errors.h"
#include "core/schedule.h"

#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <fstream>

using namespace difflens;

namespace {

SchedulerConfig makeConfig(const std::string& schedule, int T, double b0 = 0.0001, double b1 = 0.02)
{
    SchedulerConfig c;
    c.betaSchedule = schedule;
    c.numTrainTimesteps = T;
    c.betaStart = b0;
    c.betaEnd = b1;
    return c;
}

bool relClose(double a, double b, double rel)
{
    return std::abs(a - b) <= rel * std::max(std::abs(a), std::abs(b));
}

double sigmoid(double x)
{
    return 1.0 / (1.0 + std::exp(-x));
}

// f(u) of the cosine schedule (Nichol & Dhariwal Eq. 17), written independently of the code under test.
double cosineF(double u)
{
    const double c = std::cos((u + 0.008) / 1.008 * M_PI / 2.0);
    return c * c;
}

} // namespace

class TestCoreSchedule : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void cosineMatchesPaper()
    {
        const auto s = NoiseSchedule::fromConfig(makeConfig("squaredcos_cap_v2", 1000));
        // core/MATH.md: beta_1 = 4.13e-5 and abar_T = 2.4e-9 (to the digits the doc gives).
        QVERIFY2(relClose(s.betas()[0], 4.13e-5, 1e-3), qPrintable(QString::number(s.betas()[0], 'g', 10)));
        QVERIFY2(std::abs(s.alphaBars().back() - 2.4e-9) < 0.05e-9,
                 qPrintable(QString::number(s.alphaBars().back(), 'g', 10)));
        // Away from the cap the product telescopes: abar_k = f((k+1)/T) / f(0).
        for (int k = 0; k < 999; ++k)
            QVERIFY2(relClose(s.alphaBars()[k], cosineF((k + 1) / 1000.0) / cosineF(0.0), 1e-9),
                     qPrintable(QString("k=%1").arg(k)));
        // The last beta is capped at 0.999; every beta is at most that.
        QCOMPARE(s.betas().back(), 0.999);
        for (double b : s.betas())
            QVERIFY(b <= 0.999);
        // "cosine" is an alias.
        const auto alias = NoiseSchedule::fromConfig(makeConfig("cosine", 1000));
        QVERIFY(alias.betas() == s.betas());
    }

    void linearEndpoints()
    {
        // core/MATH.md: linear T = 1000 gives abar_T = 4.0e-5, tiny-diffusion's T = 50 gives 0.603.
        const auto s1000 = NoiseSchedule::fromConfig(makeConfig("linear", 1000));
        QVERIFY2(std::abs(s1000.alphaBars().back() - 4.0e-5) < 0.05e-5,
                 qPrintable(QString::number(s1000.alphaBars().back(), 'g', 10)));
        QCOMPARE(s1000.betas().front(), 0.0001);
        QVERIFY(relClose(s1000.betas().back(), 0.02, 1e-15));
        // Equal spacing.
        const double step = (0.02 - 0.0001) / 999.0;
        for (int k = 1; k < 1000; ++k)
            QVERIFY(std::abs(s1000.betas()[k] - s1000.betas()[k - 1] - step) < 1e-15);

        const auto s50 = NoiseSchedule::fromConfig(makeConfig("linear", 50));
        QVERIFY2(std::abs(s50.alphaBars().back() - 0.603) < 5e-4,
                 qPrintable(QString::number(s50.alphaBars().back(), 'g', 10)));
        // diffusers takes beta_start/beta_end literally at any T.
        QCOMPARE(s50.betas().front(), 0.0001);
        QVERIFY(relClose(s50.betas().back(), 0.02, 1e-15));
    }

    void linearImprovedScales()
    {
        // improved DDPM: both ends scaled by 1000/T. At T = 100: 1e-3 .. 0.2, i.e. "linear" with those ends.
        const auto imp = NoiseSchedule::fromConfig(makeConfig("linear_improved", 100));
        const auto lit = NoiseSchedule::fromConfig(makeConfig("linear", 100, 1e-3, 0.2));
        QCOMPARE(imp.size(), 100);
        QVERIFY(relClose(imp.betas().front(), 1e-3, 1e-12));
        QVERIFY(relClose(imp.betas().back(), 0.2, 1e-12));
        for (int k = 0; k < 100; ++k)
            QVERIFY(relClose(imp.betas()[k], lit.betas()[k], 1e-12));
        // At T = 1000 the scale is 1: the same as "linear".
        const auto imp1000 = NoiseSchedule::fromConfig(makeConfig("linear_improved", 1000));
        const auto lin1000 = NoiseSchedule::fromConfig(makeConfig("linear", 1000));
        for (int k = 0; k < 1000; ++k)
            QVERIFY(relClose(imp1000.betas()[k], lin1000.betas()[k], 1e-15));
        // The point of the scaling: abar_T stays far from the literal schedule's 0.603 at small T.
        const auto imp50 = NoiseSchedule::fromConfig(makeConfig("linear_improved", 50));
        QVERIFY(imp50.alphaBars().back() < 1e-3);
    }

    void scaledLinearEndpoints()
    {
        // diffusers: beta = linspace(sqrt(b0), sqrt(b1), T)^2 (Stable Diffusion's 0.00085 .. 0.012).
        const double b0 = 0.00085, b1 = 0.012;
        const auto s = NoiseSchedule::fromConfig(makeConfig("scaled_linear", 1000, b0, b1));
        QVERIFY(relClose(s.betas().front(), b0, 1e-12));
        QVERIFY(relClose(s.betas().back(), b1, 1e-12));
        for (int k : {1, 250, 500, 998}) {
            const double r = std::sqrt(b0) + (std::sqrt(b1) - std::sqrt(b0)) * k / 999.0;
            QVERIFY2(relClose(s.betas()[k], r * r, 1e-12), qPrintable(QString("k=%1").arg(k)));
        }
        // sqrt(beta) is linear: its second difference vanishes, which a plain linspace of beta would not
        // satisfy.
        const double d2 = std::sqrt(s.betas()[2]) - 2 * std::sqrt(s.betas()[1]) + std::sqrt(s.betas()[0]);
        QVERIFY(std::abs(d2) < 1e-15);
    }

    void sigmoidEndpoints()
    {
        // diffusers (GeoDiff): beta = sigmoid(linspace(-6, 6, T)) * (b1 - b0) + b0.
        const double b0 = 1e-4, b1 = 0.02;
        const auto s = NoiseSchedule::fromConfig(makeConfig("sigmoid", 1000, b0, b1));
        QVERIFY(relClose(s.betas().front(), sigmoid(-6.0) * (b1 - b0) + b0, 1e-12));
        QVERIFY(relClose(s.betas().back(), sigmoid(6.0) * (b1 - b0) + b0, 1e-12));
        // Odd T puts the middle at sigmoid(0) = 1/2.
        const auto odd = NoiseSchedule::fromConfig(makeConfig("sigmoid", 11, b0, b1));
        QVERIFY(relClose(odd.betas()[5], 0.5 * (b1 - b0) + b0, 1e-12));
        for (int k = 1; k < 1000; ++k)
            QVERIFY(s.betas()[k] > s.betas()[k - 1]);
    }

    void customBetas()
    {
        SchedulerConfig c = makeConfig("custom", 3);
        c.trainedBetas = {0.1, 0.2, 0.3};
        const auto s = NoiseSchedule::fromConfig(c);
        QCOMPARE(s.betas(), (std::vector<double>{0.1, 0.2, 0.3}));
        QVERIFY(relClose(s.alphaBars()[0], 0.9, 1e-15));
        QVERIFY(relClose(s.alphaBars()[1], 0.9 * 0.8, 1e-15));
        QVERIFY(relClose(s.alphaBars()[2], 0.9 * 0.8 * 0.7, 1e-15));
        // A bare NoiseSchedule from betas is the same.
        QVERIFY(NoiseSchedule({0.1, 0.2, 0.3}).alphaBars() == s.alphaBars());
    }

    void derivedTables_data()
    {
        QTest::addColumn<QString>("schedule");
        QTest::addColumn<int>("T");
        QTest::newRow("linear-1000") << "linear" << 1000;
        QTest::newRow("linear-50") << "linear" << 50;
        QTest::newRow("cosine-1000") << "squaredcos_cap_v2" << 1000;
        QTest::newRow("cosine-20") << "squaredcos_cap_v2" << 20;
        QTest::newRow("scaled-linear-7") << "scaled_linear" << 7;
        QTest::newRow("sigmoid-100") << "sigmoid" << 100;
        QTest::newRow("linear-2") << "linear" << 2;
        QTest::newRow("linear-1") << "linear" << 1;
        QTest::newRow("cosine-1") << "squaredcos_cap_v2" << 1;
    }

    void derivedTables()
    {
        QFETCH(QString, schedule);
        QFETCH(int, T);
        const auto s = NoiseSchedule::fromConfig(makeConfig(schedule.toStdString(), T));
        QCOMPARE(s.size(), T);
        for (auto* table :
             {&s.betas(), &s.alphas(), &s.alphaBars(), &s.alphaBarsPrev(), &s.posteriorVariance(),
              &s.posteriorLogVarianceClipped(), &s.posteriorMeanCoef1(), &s.posteriorMeanCoef2(), &s.snr()})
            QCOMPARE(static_cast<int>(table->size()), T);
        double product = 1.0;
        for (int k = 0; k < T; ++k) {
            const double beta = s.betas()[k];
            QVERIFY(beta > 0 && beta < 1);
            QCOMPARE(s.alphas()[k], 1.0 - beta);
            QVERIFY(relClose(s.alphaBarsPrev()[k], product, 1e-14)); // abar_{t-1}, 1 at index 0
            product *= 1.0 - beta;
            const double ab = s.alphaBars()[k], abPrev = s.alphaBarsPrev()[k];
            QVERIFY(relClose(ab, product, 1e-14));
            QCOMPARE(s.alphaBarAt(k), ab);
            // Ho et al. Eq. 7.
            const double varTilde = beta * (1.0 - abPrev) / (1.0 - ab);
            const double c1 = beta * std::sqrt(abPrev) / (1.0 - ab);
            const double c2 = std::sqrt(1.0 - beta) * (1.0 - abPrev) / (1.0 - ab);
            QVERIFY(std::abs(s.posteriorVariance()[k] - varTilde) <= 1e-14 * std::max(varTilde, 1e-300));
            QVERIFY(relClose(s.posteriorMeanCoef1()[k], c1, 1e-13));
            QVERIFY(std::abs(s.posteriorMeanCoef2()[k] - c2) <= 1e-13 * std::max(c2, 1e-300));
            // Two identities of the Gaussian posterior, independent of how the code writes the coefficients:
            // x_t = sqrt(abar) x0 (no noise) has mean sqrt(abar_prev) x0, and the variance of x_{t-1}|x_0
            // splits as c2^2 Var(x_t|x_0) + beta~ (law of total variance).
            QVERIFY(std::abs(s.posteriorMeanCoef1()[k] + s.posteriorMeanCoef2()[k] * std::sqrt(ab) -
                             std::sqrt(abPrev)) < 1e-12);
            QVERIFY(std::abs(s.posteriorMeanCoef2()[k] * s.posteriorMeanCoef2()[k] * (1.0 - ab) +
                             s.posteriorVariance()[k] - (1.0 - abPrev)) < 1e-12);
            QVERIFY(relClose(s.snr()[k], ab / (1.0 - ab), 1e-14));
            if (k > 0) {
                QVERIFY(s.snr()[k] < s.snr()[k - 1]);
                QVERIFY(relClose(s.posteriorLogVarianceClipped()[k], std::log(varTilde), 1e-12));
            }
        }
        QCOMPARE(s.alphaBarAt(-1), 1.0);
        QCOMPARE(s.alphaBarsPrev()[0], 1.0);
        // beta~_1 = 0; the clipped log variance takes index 1's value at index 0 (Ho; improved-diffusion).
        QCOMPARE(s.posteriorVariance()[0], 0.0);
        if (T > 1) {
            QCOMPARE(s.posteriorLogVarianceClipped()[0], s.posteriorLogVarianceClipped()[1]);
        } else {
            // T = 1: a single step from x_1 straight to the data. c1 = 1, c2 = 0; the log variance is log
            // beta.
            QVERIFY(relClose(s.posteriorMeanCoef1()[0], 1.0, 1e-12));
            QCOMPARE(s.posteriorMeanCoef2()[0], 0.0);
            QVERIFY(relClose(s.posteriorLogVarianceClipped()[0], std::log(s.betas()[0]), 1e-12));
        }
        for (double v : s.posteriorLogVarianceClipped())
            QVERIFY(std::isfinite(v));
    }

    void tableRowsFollowColumns()
    {
        const auto s = NoiseSchedule::fromConfig(makeConfig("linear", 10));
        const auto& cols = scheduleTableColumns();
        QCOMPARE(cols.front(), std::string("t"));
        for (int k = 0; k < 10; ++k) {
            const auto row = scheduleTableRow(s, k);
            QCOMPARE(row.size(), cols.size());
            QCOMPARE(row[0], static_cast<double>(k));
            auto col = [&](const char* name) {
                const auto it = std::find(cols.begin(), cols.end(), name);
                return row[static_cast<size_t>(it - cols.begin())];
            };
            QCOMPARE(col("beta"), s.betas()[k]);
            QCOMPARE(col("alpha_bar"), s.alphaBars()[k]);
            QCOMPARE(col("alpha_bar_prev"), s.alphaBarsPrev()[k]);
            QCOMPARE(col("beta_tilde"), s.posteriorVariance()[k]);
            QCOMPARE(col("posterior_mean_coef1"), s.posteriorMeanCoef1()[k]);
            QCOMPARE(col("snr"), s.snr()[k]);
        }
    }

    void jsonRoundTrip()
    {
        SchedulerConfig c;
        c.numTrainTimesteps = 77;
        c.betaStart = 0.00085;
        c.betaEnd = 0.012;
        c.betaSchedule = "scaled_linear";
        c.predictionType = "v_prediction";
        c.varianceType = "learned_range";
        c.clipSample = false;
        c.clipSampleRange = 2.5;
        c.timestepSpacing = "trailing";
        c.stepsOffset = 1;
        c.setAlphaToOne = false;
        const auto back = SchedulerConfig::fromJsonText(c.toJsonText());
        QCOMPARE(back.numTrainTimesteps, 77);
        QCOMPARE(back.betaStart, 0.00085);
        QCOMPARE(back.betaEnd, 0.012);
        QCOMPARE(back.betaSchedule, std::string("scaled_linear"));
        QVERIFY(back.trainedBetas.empty());
        QCOMPARE(back.predictionType, std::string("v_prediction"));
        QCOMPARE(back.varianceType, std::string("learned_range"));
        QCOMPARE(back.clipSample, false);
        QCOMPARE(back.clipSampleRange, 2.5);
        QCOMPARE(back.timestepSpacing, std::string("trailing"));
        QCOMPARE(back.stepsOffset, 1);
        QCOMPARE(back.setAlphaToOne, false);
        // diffusers writes trained_betas: null when there are none.
        QVERIFY(c.toJsonText().find("\"trained_betas\": null") != std::string::npos);

        // Custom betas survive the trip and come back as the custom schedule.
        SchedulerConfig custom = makeConfig("custom", 4);
        custom.trainedBetas = {0.01, 0.02, 0.04, 0.08};
        const auto cb = SchedulerConfig::fromJsonText(custom.toJsonText());
        QCOMPARE(cb.betaSchedule, std::string("custom"));
        QCOMPARE(cb.trainedBetas, custom.trainedBetas);
        QVERIFY(NoiseSchedule::fromConfig(cb).betas() == custom.trainedBetas);

        // Through a file.
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const std::string path = dir.filePath("scheduler_config.json").toStdString();
        c.saveFile(path);
        QCOMPARE(SchedulerConfig::fromFile(path).toJsonText(), c.toJsonText());
    }

    void jsonDefaults()
    {
        // Missing keys take diffusers' DDPMScheduler defaults.
        const auto d = SchedulerConfig::fromJsonText("{}");
        QCOMPARE(d.numTrainTimesteps, 1000);
        QCOMPARE(d.betaStart, 0.0001);
        QCOMPARE(d.betaEnd, 0.02);
        QCOMPARE(d.betaSchedule, std::string("linear"));
        QCOMPARE(d.predictionType, std::string("epsilon"));
        QCOMPARE(d.varianceType, std::string("fixed_small"));
        QCOMPARE(d.clipSample, true);
        QCOMPARE(d.clipSampleRange, 1.0);
        QCOMPARE(d.timestepSpacing, std::string("leading"));
        QCOMPARE(d.stepsOffset, 0);
        QCOMPARE(d.setAlphaToOne, true);

        // A config as diffusers saves it: _class_name, _diffusers_version, keys difflens does not use, nulls.
        const char* diffusersText = R"({
          "_class_name": "DDPMScheduler", "_diffusers_version": "0.21.4",
          "beta_end": 0.012, "beta_schedule": "scaled_linear", "beta_start": 0.00085,
          "clip_sample": false, "dynamic_thresholding_ratio": 0.995, "num_train_timesteps": 1000,
          "prediction_type": "epsilon", "sample_max_value": 1.0, "steps_offset": 1, "thresholding": false,
          "timestep_spacing": "leading", "trained_betas": null, "variance_type": null})";
        const auto c = SchedulerConfig::fromJsonText(diffusersText);
        QCOMPARE(c.betaSchedule, std::string("scaled_linear"));
        QVERIFY(c.trainedBetas.empty());
        QCOMPARE(c.stepsOffset, 1);
        QCOMPARE(c.clipSample, false);
        QCOMPARE(c.varianceType, std::string("fixed_small")); // null = default
        // An integer-valued float is accepted where an integer is expected (JSON writers differ).
        QCOMPARE(SchedulerConfig::fromJsonText(R"({"num_train_timesteps": 50.0})").numTrainTimesteps, 50);
    }

    void badJsonThrows_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("expected"); // what the message must name
        QTest::newRow("invalid JSON") << "{\"num_train_timesteps\": 10,"
                                      << "not valid JSON";
        QTest::newRow("not JSON at all") << "beta_schedule = linear"
                                         << "not valid JSON";
        QTest::newRow("top-level array") << "[1, 2, 3]"
                                         << "JSON object";
        QTest::newRow("T as string") << R"({"num_train_timesteps": "1000"})"
                                     << "'num_train_timesteps' must be an integer";
        QTest::newRow("T fractional") << R"({"num_train_timesteps": 10.5})"
                                      << "'num_train_timesteps' must be an integer";
        QTest::newRow("beta_start string") << R"({"beta_start": "0.1"})"
                                           << "'beta_start' must be a number";
        QTest::newRow("clip_sample string") << R"({"clip_sample": "yes"})"
                                            << "'clip_sample' must be true or false";
        QTest::newRow("schedule number") << R"({"beta_schedule": 3})"
                                         << "'beta_schedule' must be a string";
        QTest::newRow("trained_betas string") << R"({"trained_betas": "0.1"})"
                                              << "'trained_betas' must be an array";
        QTest::newRow("trained_betas mixed") << R"({"trained_betas": [0.1, "x"]})"
                                             << "'trained_betas' must be an array";
        QTest::newRow("unknown schedule") << R"({"beta_schedule": "quadratic"})"
                                          << "unknown beta_schedule 'quadratic'";
        QTest::newRow("unknown prediction") << R"({"prediction_type": "score"})"
                                            << "unknown prediction_type 'score'";
        QTest::newRow("unknown variance") << R"({"variance_type": "huge"})"
                                          << "unknown variance_type 'huge'";
        QTest::newRow("unknown spacing") << R"({"timestep_spacing": "random"})"
                                         << "unknown timestep_spacing 'random'";
        QTest::newRow("T zero") << R"({"num_train_timesteps": 0})"
                                << "num_train_timesteps must be at least 1";
        QTest::newRow("T negative") << R"({"num_train_timesteps": -5})"
                                    << "num_train_timesteps must be at least 1";
        QTest::newRow("betas count") << R"({"num_train_timesteps": 3, "trained_betas": [0.1, 0.2]})"
                                     << "trained_betas has 2 entries but num_train_timesteps is 3";
        QTest::newRow("clip range") << R"({"clip_sample_range": 0})"
                                    << "clip_sample_range must be positive";
        QTest::newRow("negative offset") << R"({"steps_offset": -1})"
                                         << "steps_offset must not be negative";
    }

    void badJsonThrows()
    {
        QFETCH(QString, text);
        QFETCH(QString, expected);
        try {
            SchedulerConfig::fromJsonText(text.toStdString(), "cfg.json");
            QFAIL("no ConfigError");
        } catch (const ConfigError& e) {
            const QString msg = QString::fromStdString(e.what());
            QVERIFY2(msg.contains(expected), qPrintable(msg));
            QVERIFY2(msg.startsWith("cfg.json: "), qPrintable(msg)); // names the file
            QVERIFY2(!msg.contains('\n'), qPrintable(msg));
        }
    }

    void badBetasThrow_data()
    {
        QTest::addColumn<QString>("schedule");
        QTest::addColumn<int>("T");
        QTest::addColumn<double>("b0");
        QTest::addColumn<double>("b1");
        QTest::addColumn<QString>("expected");
        QTest::newRow("beta_end above 1") << "linear" << 10 << 0.1 << 1.5 << "must lie in (0, 1)";
        QTest::newRow("beta_end exactly 1") << "linear" << 2 << 0.1 << 1.0 << "must lie in (0, 1)";
        QTest::newRow("beta_start zero") << "linear" << 10 << 0.0 << 0.02 << "beta at t index 0 is 0";
        QTest::newRow("scaled_linear end above 1")
            << "scaled_linear" << 10 << 0.0001 << 1.2 << "must lie in (0, 1)";
        QTest::newRow("improved at small T")
            << "linear_improved" << 10 << 0.0001 << 0.02 << "must lie in (0, 1)";
        QTest::newRow("sigmoid negative") << "sigmoid" << 10 << -0.5 << 0.02 << "must lie in (0, 1)";
        QTest::newRow("unknown name")
            << "exponential" << 10 << 0.0001 << 0.02 << "unknown beta_schedule 'exponential'";
        QTest::newRow("T zero") << "linear" << 0 << 0.0001 << 0.02
                                << "num_train_timesteps must be at least 1";
    }

    void badBetasThrow()
    {
        QFETCH(QString, schedule);
        QFETCH(int, T);
        QFETCH(double, b0);
        QFETCH(double, b1);
        QFETCH(QString, expected);
        try {
            makeBetas(makeConfig(schedule.toStdString(), T, b0, b1));
            QFAIL("no ConfigError");
        } catch (const ConfigError& e) {
            QVERIFY2(QString::fromStdString(e.what()).contains(expected), e.what());
        }
        QVERIFY_THROWS_EXCEPTION(ConfigError,
                                 NoiseSchedule::fromConfig(makeConfig(schedule.toStdString(), T, b0, b1)));
    }

    void badScheduleTables()
    {
        QVERIFY_THROWS_EXCEPTION(ConfigError, NoiseSchedule(std::vector<double>{}));
        QVERIFY_THROWS_EXCEPTION(ConfigError, NoiseSchedule(std::vector<double>{0.1, 1.0}));
        QVERIFY_THROWS_EXCEPTION(ConfigError, NoiseSchedule(std::vector<double>{0.1, -0.1}));
        QVERIFY_THROWS_EXCEPTION(ConfigError, NoiseSchedule(std::vector<double>{std::nan("")}));
        SchedulerConfig c = makeConfig("custom", 2);
        c.trainedBetas = {0.5, 1.0};
        try {
            makeBetas(c);
            QFAIL("no ConfigError");
        } catch (const ConfigError& e) {
            QVERIFY2(QString(e.what()).contains("beta at t index 1"), e.what());
        }
    }

    void missingFileIsIoError()
    {
        try {
            SchedulerConfig::fromFile("/nonexistent/dir/scheduler_config.json");
            QFAIL("no error");
        } catch (const IoError& e) {
            QVERIFY2(QString(e.what()).contains("/nonexistent/dir/scheduler_config.json"), e.what());
        }
    }

    void scheduleNamesListed()
    {
        const auto& names = betaScheduleNames();
        for (const char* n :
             {"linear", "linear_improved", "scaled_linear", "squaredcos_cap_v2", "cosine", "sigmoid"})
            QVERIFY(std::find(names.begin(), names.end(), n) != names.end());
    }
};

QTEST_APPLESS_MAIN(TestCoreSchedule)
#include "test_core_schedule.moc"
