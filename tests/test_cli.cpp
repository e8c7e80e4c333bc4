// difflens-cli as a user runs it (QProcess): schedule CSV / JSON, sample --json with and without a reference,
// --out / --trajectory files read back by Python's torch.load, info, and every bad input answered with a
// non-zero exit code and exactly one line on stderr that names the problem (no C++ backtrace, no TorchScript
// traceback). No torch in this file: the .pt outputs are checked from Python, which is what they are for.
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QThread>
#include <QtTest>

#include <cmath>

namespace {

QString envOr(const char* name, const QString& fallback)
{
    const QString v = qEnvironmentVariable(name);
    return v.isEmpty() ? fallback : v;
}

struct Run
{
    int exitCode = -1;
    QByteArray out, err;
};

} // namespace

class TestCli : public QObject
{
    Q_OBJECT

    QString m_cli, m_python, m_source, m_data;
    bool m_models = false;
    QString m_noModels; // why the model tests skip
    QTemporaryDir m_tmp;

    Run run(const QString& program, const QStringList& args)
    {
        QProcess p;
        auto env = QProcessEnvironment::systemEnvironment();
        env.remove("DIFFLENS_PROGRESS"); // no progress bar: stderr must hold only the error line
        p.setProcessEnvironment(env);
        p.start(program, args);
        Run r;
        if (!p.waitForFinished(120000)) {
            p.kill();
            p.waitForFinished();
            qWarning() << "timed out:" << program << args;
            return r;
        }
        r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
        r.out = p.readAllStandardOutput();
        r.err = p.readAllStandardError();
        return r;
    }
    Run cli(const QStringList& args) { return run(m_cli, args); }

    QString writeFile(const QString& name, const QByteArray& text)
    {
        const QString path = m_tmp.filePath(name);
        QFile f(path);
        if (f.open(QIODevice::WriteOnly)) f.write(text);
        return path;
    }

    QString model(const QString& name) const { return m_data + "/" + name; }

private Q_SLOTS:
    void initTestCase()
    {
        const QString bin = envOr("DIFFLENS_BINARY_DIR", QStringLiteral(DIFFLENS_TEST_BINARY_DIR));
        m_source = envOr("DIFFLENS_SOURCE_DIR", QStringLiteral(DIFFLENS_TEST_SOURCE_DIR));
        m_python = envOr("DIFFLENS_PYTHON", "/usr/bin/python3");
        m_cli = bin + "/app/difflens-cli";
        m_data = bin + "/testdata";
        QVERIFY(m_tmp.isValid());
        QVERIFY2(QFileInfo(m_cli).isExecutable(), qPrintable(m_cli + " is not built"));
        m_models = QFileInfo::exists(m_data + "/mlp2d/model.pt");
        m_noModels =
            "no test models: " + m_python + " cannot import torch (Debian: apt install python3-torch)";
        if (!m_models) {
            QProcess probe;
            probe.start(m_python, {"-c", "import torch"});
            const bool hasTorch = probe.waitForFinished(60000) && probe.exitCode() == 0;
            // Without PyTorch the model tests skip (each says why); with it the models must be there.
            QVERIFY2(!hasTorch,
                     qPrintable("test models missing in " + m_data + ": run 'ctest -R core_testdata' first"));
        }
    }

    void scheduleCsv()
    {
        const Run r = cli({"schedule", "--beta-schedule", "linear", "--timesteps", "50"});
        QCOMPARE(r.exitCode, 0);
        QVERIFY(r.err.isEmpty());
        const auto lines = QString::fromUtf8(r.out).trimmed().split('\n');
        QCOMPARE(lines.size(), 51);
        QCOMPARE(lines[0],
                 QString("t,beta,alpha,alpha_bar,alpha_bar_prev,beta_tilde,posterior_log_variance_clipped,"
                         "posterior_mean_coef1,posterior_mean_coef2,snr"));
        const auto first = lines[1].split(','), last = lines[50].split(',');
        QCOMPARE(first.size(), 10);
        QCOMPARE(first[0], QString("0"));
        QCOMPARE(first[1].toDouble(), 0.0001);
        QCOMPARE(first[4].toDouble(), 1.0); // alpha_bar_prev at t = 0
        QCOMPARE(first[5].toDouble(), 0.0); // beta~ at t = 0
        QCOMPARE(last[0], QString("49"));
        // core/MATH.md: tiny-diffusion's linear T = 50 ends at alpha_bar 0.603.
        QVERIFY2(std::abs(last[3].toDouble() - 0.603) < 5e-4, qPrintable(last[3]));
        // Full precision: snr = abar / (1 - abar) from the printed abar to 1e-15.
        const double ab = last[3].toDouble();
        QVERIFY(std::abs(last[9].toDouble() - ab / (1 - ab)) < 1e-14);

        const Run cos = cli({"schedule", "--beta-schedule", "cosine", "--timesteps", "1000"});
        QCOMPARE(cos.exitCode, 0);
        const auto cosLines = QString::fromUtf8(cos.out).trimmed().split('\n');
        QCOMPARE(cosLines.size(), 1001);
        QVERIFY(std::abs(cosLines[1].split(',')[1].toDouble() / 4.13e-5 - 1) < 1e-3);
    }

    void scheduleFromConfig()
    {
        const QString cfg =
            writeFile("sched.json", R"({"beta_schedule": "scaled_linear", "beta_start": 0.00085,
                                                       "beta_end": 0.012, "num_train_timesteps": 20})");
        const Run r = cli({"schedule", "--config", cfg});
        QCOMPARE(r.exitCode, 0);
        const auto lines = QString::fromUtf8(r.out).trimmed().split('\n');
        QCOMPARE(lines.size(), 21);
        QVERIFY(std::abs(lines[20].split(',')[1].toDouble() - 0.012) < 1e-15);
    }

    void scheduleJson()
    {
        const Run r =
            cli({"schedule", "--beta-schedule", "linear", "--timesteps", "1000", "--format", "json"});
        QCOMPARE(r.exitCode, 0);
        QJsonParseError pe;
        const auto doc = QJsonDocument::fromJson(r.out, &pe);
        QVERIFY2(pe.error == QJsonParseError::NoError, qPrintable(pe.errorString()));
        const auto o = doc.object();
        QCOMPARE(o["num_train_timesteps"].toInt(), 1000);
        QCOMPARE(o["beta_schedule"].toString(), QString("linear"));
        for (const char* col :
             {"t", "beta", "alpha", "alpha_bar", "alpha_bar_prev", "beta_tilde",
              "posterior_log_variance_clipped", "posterior_mean_coef1", "posterior_mean_coef2", "snr"}) {
            QVERIFY2(o[col].isArray(), col);
            QCOMPARE(o[col].toArray().size(), 1000);
        }
        QCOMPARE(o["t"].toArray()[999].toInt(), 999);
        // core/MATH.md: linear T = 1000 ends at alpha_bar 4.0e-5.
        QVERIFY(std::abs(o["alpha_bar"].toArray()[999].toDouble() - 4.0e-5) < 0.05e-5);
        const auto lv = o["posterior_log_variance_clipped"].toArray();
        QCOMPARE(lv[0].toDouble(), lv[1].toDouble());
    }

    void sampleJson()
    {
        if (!m_models) QSKIP(qPrintable(m_noModels));
        const Run r = cli({"sample", "--model", model("mlp2d"), "--steps", "20", "--num-samples", "8",
                           "--seed", "1", "--json", "--device", "cpu"});
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.err.isEmpty(), r.err.constData());
        const auto o = QJsonDocument::fromJson(r.out).object();
        QCOMPARE(o["steps"].toInt(), 20);
        QCOMPARE(o["planned_steps"].toInt(), 20);
        QCOMPARE(o["sampler"].toString(), QString("ddpm"));
        QCOMPARE(o["num_samples"].toInt(), 8);
        QCOMPARE(o["cancelled"].toBool(), false);
        QVERIFY(o["ms_per_step"].toDouble() > 0);
        QVERIFY(!o.contains("kl_per_step"));

        const Run d = cli({"sample", "--model", model("mlp2d"), "--sampler", "ddim", "--steps", "10", "--eta",
                           "0.5", "--json"});
        QCOMPARE(d.exitCode, 0);
        QCOMPARE(QJsonDocument::fromJson(d.out).object()["sampler"].toString(), QString("ddim"));
        QCOMPARE(QJsonDocument::fromJson(d.out).object()["steps"].toInt(), 10);
    }

    // train --init-from: a published package (no checkpoint) goes on from its step count, weights and loss
    // log; the continued run's first steps start from the package's loss, not from an untrained net's.
    void trainInitFromAPackage()
    {
        const QString first = m_tmp.filePath("init-a"), second = m_tmp.filePath("init-b");
        const Run a = cli({"train", "--dataset", "moons", "--arch", "mlp", "--out", first, "--steps", "300",
                           "--hidden", "32", "--blocks", "1", "--batch", "64", "--seed", "3", "--threads", "1"});
        QVERIFY2(a.exitCode == 0, a.err.constData());
        QVERIFY(QFile::remove(first + "/checkpoint.pt")); // as in models/pretrained: no checkpoint ships
        const Run b = cli({"train", "--init-from", first, "--out", second, "--steps", "320", "--threads", "1"});
        QVERIFY2(b.exitCode == 0, b.err.constData());
        QFile meta(second + "/difflens.json");
        QVERIFY(meta.open(QIODevice::ReadOnly));
        const auto training = QJsonDocument::fromJson(meta.readAll()).object()["training"].toObject();
        QCOMPARE(training["steps_done"].toInt(), 320);
        QCOMPARE(training["init_from_step"].toInt(), 300);
        const auto rows = [](const QString& path) {
            QFile f(path);
            f.open(QIODevice::ReadOnly);
            return QString::fromUtf8(f.readAll()).split('\n', Qt::SkipEmptyParts);
        };
        const QStringList before = rows(first + "/loss.csv"), after = rows(second + "/loss.csv");
        QCOMPARE(before.size(), 301);
        QCOMPARE(after.size(), 321);
        QCOMPARE(after.mid(0, 301), before); // the log goes on
        const auto loss = [](const QString& row) { return row.split(',').value(1).toDouble(); };
        double early = 0, continued = 0;
        for (int i = 1; i <= 10; ++i) early += loss(before[i]);
        for (int i = 301; i <= 310; ++i) continued += loss(after[i]);
        QVERIFY2(continued < 0.8 * early, qPrintable(QString("%1 vs %2").arg(continued).arg(early)));
        // Both at once, or a package that is not a built-in net, are refused with a message.
        const Run both = cli({"train", "--init-from", first, "--resume", "--out", second});
        QVERIFY(both.exitCode != 0 && both.err.contains("exclude"));
        const Run done = cli({"train", "--init-from", first, "--out", m_tmp.filePath("init-c"), "--steps", "300"});
        QVERIFY(done.exitCode != 0 && done.err.contains("300 steps already"));
        const Run inPlace = cli({"train", "--init-from", first, "--out", first, "--steps", "400"});
        QVERIFY(inPlace.exitCode != 0 && inPlace.err.contains("another folder"));
        const Run missing = cli({"train", "--init-from", m_tmp.filePath("nothing"), "--out", second});
        QVERIFY(missing.exitCode != 0 && !missing.err.isEmpty());
    }

    // eval --vlb says when abar_T is far from 0 (x_T is not N(0, I)).
    void evalVlbWarnsAboutTheprior()
    {
        const Run r = cli({"eval", "--model", "exact:moons?n=100&T=50", "--vlb", "--vlb-samples", "16",
                           "--num-samples", "200", "--sampler", "ddim", "--steps", "10", "--json"});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        const auto vlb = QJsonDocument::fromJson(r.out).object()["vlb"].toObject();
        QVERIFY(std::abs(vlb["alpha_bar_T"].toDouble() - 0.603) < 0.01);
        QVERIFY(vlb["warning"].toString().contains("not N(0, I)"));
        QVERIFY(r.err.contains("warning: abar_T"));
        const Run ok = cli({"eval", "--model", "exact:moons?n=100", "--vlb", "--vlb-samples", "16",
                            "--num-samples", "200", "--sampler", "ddim", "--steps", "10", "--json"});
        QVERIFY2(ok.exitCode == 0, ok.err.constData());
        QVERIFY(!QJsonDocument::fromJson(ok.out).object()["vlb"].toObject().contains("warning"));
    }

    void sampleWithReference()
    {
        if (!m_models) QSKIP(qPrintable(m_noModels));
        const QString out = m_tmp.filePath("final.pt"), traj = m_tmp.filePath("trajectory.pt");
        const Run r = cli({"sample", "--model", model("mlp2d"), "--steps", "20", "--num-samples", "8",
                           "--seed", "2", "--reference", m_data + "/tensors/ref_points.pt", "--out", out,
                           "--trajectory", traj, "--json"});
        QCOMPARE(r.exitCode, 0);
        const auto o = QJsonDocument::fromJson(r.out).object();
        const auto per = o["kl_per_step"].toArray();
        QCOMPARE(per.size(), 20);
        double total = 0;
        for (int i = 0; i < per.size(); ++i) {
            const auto s = per[i].toObject();
            // leading spacing, 20 of 1000: t = 950, 900, ..., 0
            QCOMPARE(s["t"].toInt(), 950 - 50 * i);
            QVERIFY2(s["kl"].isDouble(), qPrintable(QString("step %1").arg(i)));
            QVERIFY(std::isfinite(s["kl"].toDouble()));
            if (i < 19) QVERIFY(s["kl"].toDouble() >= 0.0); // the last entry is L_0 = -log p(x_0|x_1)
            QVERIFY(s["mean_gap"].toDouble() >= 0.0);
            total += s["kl"].toDouble();
        }
        QVERIFY(std::abs(o["kl_sum_nats"].toDouble() - total) < 1e-9 * std::max(1.0, std::abs(total)));

        // The files load back in Python: the final sample [8, 2]; the trajectory dict with x [21, 8, 2] whose
        // last state is the final sample, timesteps as in the JSON, kl [20, 8].
        const char* script = R"(
import json, sys, torch
out, tr = torch.load(sys.argv[1]), torch.load(sys.argv[2])
print(json.dumps({"out": list(out.shape), "mean": out.mean().item(), "keys": sorted(tr.keys()),
                  "x": list(tr["x"].shape), "kl": list(tr["kl"].shape), "timesteps": tr["timesteps"].tolist(),
                  "last_is_out": bool(torch.equal(tr["x"][-1], out)),
                  "kl_mean_per_step": tr["kl"].double().mean(1).tolist()}))
)";
        const Run py = run(m_python, {"-c", script, out, traj});
        QVERIFY2(py.exitCode == 0, py.err.constData());
        const auto p = QJsonDocument::fromJson(py.out).object();
        QCOMPARE(p["out"].toArray(), QJsonArray({8, 2}));
        QCOMPARE(p["x"].toArray(), QJsonArray({21, 8, 2}));
        QCOMPARE(p["kl"].toArray(), QJsonArray({20, 8}));
        QVERIFY(p["last_is_out"].toBool());
        for (const char* key : {"kl", "mean_model", "model_output", "posterior_mean", "prev_timesteps",
                                "reference", "sigma", "timesteps", "x", "x0_pred"})
            QVERIFY2(p["keys"].toArray().contains(QString(key)), key);
        QCOMPARE(p["timesteps"].toArray()[0].toInt(), 950);
        QVERIFY(std::abs(p["mean"].toDouble() - o["sample_mean"].toDouble()) < 1e-6);
        // The JSON's per-step KL is the batch mean of the trajectory's kl.
        for (int i = 0; i < 20; ++i)
            QVERIFY(
                std::abs(p["kl_mean_per_step"].toArray()[i].toDouble() - per[i].toObject()["kl"].toDouble()) <
                1e-5 * std::max(1.0, std::abs(per[i].toObject()["kl"].toDouble())));
    }

    // End to end: the CLI's sample equals scripts/reference_sampler.py's for the same seed.
    void sampleMatchesReferenceScript()
    {
        if (!m_models) QSKIP(qPrintable(m_noModels));
        const QString a = m_tmp.filePath("cli.pt"), b = m_tmp.filePath("ref.pt");
        const Run r = cli({"sample", "--model", model("mlp2d_v"), "--steps", "50", "--num-samples", "8",
                           "--seed", "9", "--out", a});
        QCOMPARE(r.exitCode, 0);
        const Run ref =
            run(m_python, {m_source + "/scripts/reference_sampler.py", "--model", model("mlp2d_v"), "--steps",
                           "50", "--num-samples", "8", "--seed", "9", "--out", b, "--threads",
                           QString::number(QThread::idealThreadCount())});
        QVERIFY2(ref.exitCode == 0, ref.err.constData());
        const Run cmp = run(m_python, {"-c",
                                       "import sys, torch; print((torch.load(sys.argv[1]) - "
                                       "torch.load(sys.argv[2])).abs().max().item())",
                                       a, b});
        QVERIFY2(cmp.exitCode == 0, cmp.err.constData());
        QVERIFY2(cmp.out.trimmed().toDouble() < 1e-5, cmp.out.constData());
    }

    void info()
    {
        if (!m_models) QSKIP(qPrintable(m_noModels));
        const Run r = cli({"info", "--model", model("mlp2d")});
        QCOMPARE(r.exitCode, 0);
        const QString text = QString::fromUtf8(r.out);
        // The MLP's parameter count: Linear(34, 64) + 2 x Linear(64, 64) + Linear(64, 2).
        const int expected = (34 * 64 + 64) + 2 * (64 * 64 + 64) + (64 * 2 + 2);
        QVERIFY2(text.contains(QString("parameters:  %1\n").arg(expected)), qPrintable(text));
        QVERIFY(text.contains("points in 2-D"));
        const Run j = cli({"info", "--model", model("unet_small"), "--json"});
        QCOMPARE(j.exitCode, 0);
        const auto o = QJsonDocument::fromJson(j.out).object();
        QVERIFY(o["parameters"].toInt() > 10000);
        QCOMPARE(o["kind"].toString(), QString("torchscript"));
        QCOMPARE(o["data"].toObject()["shape"].toArray(), QJsonArray({1, 28, 28}));
        QCOMPARE(o["scheduler"].toObject()["clip_sample"].toBool(), true);
    }

    // Labels beside the points, and sampling an exact model toward a class.
    void classesAndGuidance()
    {
        const QString out = m_tmp.filePath("g8.pt");
        Run r = cli({"dataset", "8gaussians", "--num", "100", "--out", out});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QVERIFY2(r.out.contains("8 classes, labels int64 [100]"), r.out.constData());
        QVERIFY(QFileInfo::exists(m_tmp.filePath("g8.labels.pt")));
        r = cli({"sample", "--model", "exact:8gaussians", "--class", "mode 2", "--guidance", "3", "--steps", "50",
                 "--num-samples", "64", "--json"});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        const auto j = QJsonDocument::fromJson(r.out).object();
        QCOMPARE(j.value("class").toInt(), 2);
        QCOMPARE(j.value("guidance").toDouble(), 3.0);
        // --clipped-eps auto: guided DDIM re-derives eps from the clipped x0^; unguided DDIM keeps diffusers'
        // default; off and on force it, and the samples differ (the exact 8gaussians reach outside [-1, 1]).
        const QString keptOut = m_tmp.filePath("kept.pt"), rederivedOut = m_tmp.filePath("rederived.pt");
        const QStringList guidedDdim = {"sample", "--model", "exact:8gaussians", "--class", "2", "--guidance", "3",
                                        "--sampler", "ddim", "--steps", "20", "--num-samples", "64", "--json"};
        r = cli(guidedDdim + QStringList{"--out", rederivedOut});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QCOMPARE(QJsonDocument::fromJson(r.out).object().value("clipped_model_output").toBool(), true);
        r = cli(guidedDdim + QStringList{"--clipped-eps", "off", "--out", keptOut});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QCOMPARE(QJsonDocument::fromJson(r.out).object().value("clipped_model_output").toBool(), false);
        QFile kept(keptOut), rederived(rederivedOut);
        QVERIFY(kept.open(QIODevice::ReadOnly) && rederived.open(QIODevice::ReadOnly));
        QVERIFY(kept.size() > 0 && kept.readAll() != rederived.readAll());
        r = cli({"sample", "--model", "exact:8gaussians", "--sampler", "ddim", "--steps", "5", "--json"});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QCOMPARE(QJsonDocument::fromJson(r.out).object().value("clipped_model_output").toBool(), false);
        r = cli({"info", "--model", "exact:8gaussians?class=2&guidance=3"});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QVERIFY2(r.out.contains("classes:     8"), r.out.constData());
    }

    void exportModelToPytorch()
    {
        // The command end to end: the exported folder runs as a script with Debian's torch (its __main__ loads
        // the weights into the module and calls it). test_models_export compares the numbers.
        const QString out = m_tmp.filePath("exported moons");
        const Run r = cli({"export-model", m_source + "/models/pretrained/moons", "--to", "pytorch", out});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QVERIFY2(r.out.contains("exported the mlp"), r.out.constData());
        for (const char* name : {"state_dict.pt", "difflens_net.py", "difflens.json", "scheduler_config.json"})
            QVERIFY2(QFile::exists(out + "/" + name), name);
        if (!m_models) QSKIP(qPrintable(m_noModels));
        const Run py = run(m_python, {out + "/difflens_net.py", out});
        QVERIFY2(py.exitCode == 0, py.err.constData());
        QVERIFY2(py.out.startsWith("MLP: ") && py.out.contains("output (4, 2)"), py.out.constData());
    }

    void saveRunAndInfo()
    {
        // sample --save-run writes a run file; info --run describes it; Python's torch.load reads it.
        const QString file = m_tmp.filePath("moons run.dlrun");
        const Run r = cli({"sample", "--model", "exact:moons?n=100", "--sampler", "ddim", "--steps", "20",
                           "--num-samples", "8", "--seed", "4", "--save-run", file});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        const Run info = cli({"info", "--run", file, "--json"});
        QVERIFY2(info.exitCode == 0, info.err.constData());
        const QJsonObject h = QJsonDocument::fromJson(info.out).object();
        QCOMPARE(h["version"].toInt(), 1);
        QCOMPARE(h["steps_recorded"].toInt(), 20);
        QCOMPARE(h["batch"].toInt(), 8);
        QCOMPARE(h["seed"].toInt(), 4);
        QCOMPARE(h["storage"].toString(), QString("float16"));
        QCOMPARE(h["sampler"].toObject()["kind"].toString(), QString("ddim"));
        QCOMPARE(h["model"].toObject()["spec"].toString(), QString("exact:moons?n=100"));
        const Run text = cli({"info", "--run", file});
        QVERIFY(text.exitCode == 0 && text.out.contains("20 of 20 steps recorded"));
        const QString garbage = writeFile("garbage.dlrun", QByteArray(2000, 'q'));
        const Run bad = cli({"info", "--run", garbage});
        QCOMPARE(bad.exitCode, 1);
        QVERIFY2(bad.err.contains("is not a Diffusion Lens run file, or it is damaged or truncated") &&
                     bad.err.count('\n') == 1,
                 bad.err.constData());
        if (!m_models) QSKIP(qPrintable(m_noModels));
        const Run py = run(m_python, {"-c", "import sys, torch; d = torch.load(sys.argv[1]); "
                                            "print(d['difflens_run'], tuple(d['states'].shape), d['states'].dtype)",
                                      file});
        QVERIFY2(py.exitCode == 0, py.err.constData());
        QCOMPARE(py.out.trimmed(), QByteArray("1 (21, 8, 2) torch.float16"));
    }

    // --help is generated from the declared options: types, defaults and choice sets, with the hand-written
    // explanations below them; the overview lists the commands. Without arguments the usage goes to stderr.
    void help()
    {
        const Run r = cli({"sample", "--help"});
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.err.isEmpty(), r.err.constData());
        const QString text = QString::fromUtf8(r.out);
        QVERIFY2(text.contains("--spacing TEXT:{linspace,leading,trailing}"), qPrintable(text));
        QVERIFY2(text.contains(
                     "--sampler TEXT:{ddpm,ddim,euler,heun,sde,dpmpp-1m,dpmpp-2m,dpmpp-3m,euler-ancestral}"),
                 qPrintable(text));
        QVERIFY2(text.contains("--device TEXT=auto") && text.contains("--num-samples INT:[1,inf)=1"),
                 qPrintable(text));
        QVERIFY2(text.contains("Ctrl-C stops between steps"), qPrintable(text));
        const Run overview = cli({"--help"});
        QCOMPARE(overview.exitCode, 0);
        for (const char* command :
             {"schedule", "sample", "info", "train", "dataset", "eval", "train-classifier", "guidance-sweep",
              "guidance-target", "export", "export-model"})
            QVERIFY2(overview.out.contains(QByteArray("\n  ") + command + " "), command);
        QVERIFY(overview.out.contains("--max-memory SIZE"));
        const Run none = cli({});
        QCOMPARE(none.exitCode, 2);
        QVERIFY(none.out.isEmpty() && none.err.contains("schedule"));
        const Run unknown = cli({"frobnicate"});
        QCOMPARE(unknown.exitCode, 2);
        QVERIFY2(unknown.err.startsWith("difflens-cli: unknown command 'frobnicate'\n"),
                 unknown.err.constData());
    }

    void badInputs_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<bool>("needsModels");
        QTest::addColumn<int>("exitCode");
        QTest::addColumn<QString>("expected");
        const QString wrongType = writeFile("wrong_type.json", R"({"num_train_timesteps": "1000"})");
        const QString invalid = writeFile("invalid.json", "{\"num_train_timesteps\": 10,");
        const QString badBeta = writeFile("bad_beta.json", R"({"beta_end": 1.5, "num_train_timesteps": 10})");
        QTest::newRow("unknown schedule")
            << QStringList{"schedule", "--beta-schedule", "foo", "--timesteps", "10"} << false << 1
            << "unknown beta_schedule 'foo'";
        QTest::newRow("beta above 1")
            << QStringList{"schedule", "--beta-schedule", "linear", "--timesteps", "10", "--beta-end", "1.5"}
            << false << 1 << "must lie in (0, 1)";
        QTest::newRow("beta zero") << QStringList{"schedule", "--beta-schedule", "linear", "--timesteps",
                                                  "10",       "--beta-start",    "0"}
                                   << false << 1 << "must lie in (0, 1)";
        QTest::newRow("beta in config")
            << QStringList{"schedule", "--config", badBeta} << false << 1 << "must lie in (0, 1)";
        QTest::newRow("T zero") << QStringList{"schedule", "--beta-schedule", "linear", "--timesteps", "0"}
                                << false << 1 << "num_train_timesteps must be at least 1";
        QTest::newRow("config wrong type") << QStringList{"schedule", "--config", wrongType} << false << 1
                                           << "'num_train_timesteps' must be an integer";
        QTest::newRow("config invalid JSON")
            << QStringList{"schedule", "--config", invalid} << false << 1 << "not valid JSON";
        QTest::newRow("config missing") << QStringList{"schedule", "--config", "/nonexistent/sched.json"}
                                        << false << 1 << "cannot read '/nonexistent/sched.json'";
        QTest::newRow("unknown option")
            << QStringList{"sample", "--bogus", "3"} << false << 2 << "unknown option --bogus";
        QTest::newRow("schedule unknown option")
            << QStringList{"schedule", "--frobnicate"} << false << 2 << "unknown option --frobnicate";
        QTest::newRow("steps not a number")
            << QStringList{"sample", "--model", model("mlp2d"), "--steps", "abc"} << true << 2
            << "--steps must be an integer";
        QTest::newRow("missing model") << QStringList{"sample", "--model", "/nonexistent/model"} << false << 1
                                       << "model '/nonexistent/model' does not exist";
        QTest::newRow("corrupt model") << QStringList{"sample", "--model", model("corrupt")} << true << 1
                                       << "is not a TorchScript model";
        QTest::newRow("corrupt model info")
            << QStringList{"info", "--model", model("corrupt")} << true << 1 << "is not a TorchScript model";
        QTest::newRow("output shape mismatch")
            << QStringList{"sample", "--model", model("broken_shape"), "--steps", "5"} << true << 1
            << "the model's output has shape [1, 1] but its input x_t has shape [1, 2]";
        QTest::newRow("NaN model") << QStringList{"sample", "--model", model("broken_nan"), "--steps", "5"}
                                   << true << 1 << "the model returned NaN or infinite values";
        QTest::newRow("scheduler config wrong type")
            << QStringList{"sample", "--model", model("mlp2d"), "--scheduler-config", wrongType} << true << 1
            << "'num_train_timesteps' must be an integer";
        QTest::newRow("scheduler config invalid JSON")
            << QStringList{"sample", "--model", model("mlp2d"), "--scheduler-config", invalid} << true << 1
            << "not valid JSON";
        QTest::newRow("too many steps") << QStringList{"sample", "--model", model("mlp2d"), "--steps", "5000"}
                                        << true << 1 << "cannot sample with 5000 steps";
        QTest::newRow("unknown sampler")
            << QStringList{"sample", "--model", model("mlp2d"), "--sampler", "lcm"} << true << 1
            << "unknown sampler 'lcm'";
        QTest::newRow("reference shape") << QStringList{"sample",
                                                        "--model",
                                                        model("mlp2d"),
                                                        "--steps",
                                                        "3",
                                                        "--reference",
                                                        m_data + "/tensors/ref_image.pt"}
                                         << true << 1 << "the reference x_0 has shape [1, 1, 28, 28]";
        QTest::newRow("init not a tensor file")
            << QStringList{"sample", "--model", model("mlp2d"), "--init", invalid} << true << 1
            << "is not a tensor file written by torch.save";
        const QString aFile = writeFile("a_file", "x");
        const QString moons = m_source + "/models/pretrained/moons";
        QTest::newRow("export-model of a TorchScript model")
            << QStringList{"export-model", model("mlp2d"), "--to", "pytorch", m_tmp.filePath("ts")} << true << 1
            << "is a TorchScript model: PyTorch opens it as it is with torch.jit.load, so there is nothing to export";
        QTest::newRow("export-model of an exact denoiser")
            << QStringList{"export-model", "exact:moons", "--to", "pytorch", m_tmp.filePath("ex")} << false << 1
            << "'exact:moons' is an exact denoiser";
        QTest::newRow("export-model to an unknown target")
            << QStringList{"export-model", moons, "--to", "onnx", m_tmp.filePath("onnx")} << false << 2
            << "--to 'onnx' is not known (the only target is pytorch)";
        QTest::newRow("export-model into a file")
            << QStringList{"export-model", moons, "--to", "pytorch", aFile + "/out"} << false << 1
            << "cannot create the output folder '" + aFile + "/out'";
        QTest::newRow("model fails in forward")
            << QStringList{"sample", "--model", model("mlp2d"), "--shape", "3", "--steps", "2"} << true << 1
            << "failed on input of shape [1, 3]";
        // Classes and guidance (issue #13): one line each.
        QTest::newRow("class out of range")
            << QStringList{"sample", "--model", "exact:8gaussians", "--steps", "2", "--class", "8"} << false << 1
            << "class 8 is outside this model's classes 0..7";
        QTest::newRow("guidance on an unconditional model")
            << QStringList{"sample", "--model", model("mlp2d"), "--steps", "2", "--class", "0", "--guidance", "3"}
            << true << 1 << "this model is not class-conditional";
        QTest::newRow("negative guidance")
            << QStringList{"sample", "--model", "exact:8gaussians", "--steps", "2", "--class", "1", "--guidance", "-2"}
            << false << 1 << "the guidance scale must be a number >= 0";
        QTest::newRow("clipped eps not a choice")
            << QStringList{"sample", "--model", "exact:8gaussians", "--steps", "2", "--clipped-eps", "maybe"} << false
            << 2 << "--clipped-eps must be auto, on or off, got 'maybe'";
        QTest::newRow("clipped eps with ddpm")
            << QStringList{"sample", "--model", "exact:8gaussians", "--steps", "2", "--sampler", "ddpm",
                           "--clipped-eps", "on"}
            << false << 2 << "--clipped-eps is DDIM's";
        QTest::newRow("guidance without a class")
            << QStringList{"sample", "--model", "exact:8gaussians", "--steps", "2", "--guidance", "3"} << false << 1
            << "a guidance scale needs a class";
        QTest::newRow("exact spec class out of range")
            << QStringList{"sample", "--model", "exact:gmm1d?class=5&guidance=3", "--steps", "2"} << false << 1
            << "class 5 is outside this model's classes 0..2";
        // The parser (CLI11, app/cli/options.cpp): choices, ranges and values refused in one line, exit 2.
        QTest::newRow("choice not in the set")
            << QStringList{"schedule", "--beta-schedule", "linear", "--timesteps", "10", "--format", "xml"}
            << false << 2 << "--format must be csv or json, got 'xml'";
        QTest::newRow("spacing not in the set")
            << QStringList{"sample", "--model", "exact:moons", "--spacing", "sideways"} << false << 2
            << "--spacing must be linspace, leading or trailing, got 'sideways'";
        QTest::newRow("steps below the range")
            << QStringList{"sample", "--model", "exact:moons", "--steps", "0"} << false << 2
            << "--steps must be at least 1";
        QTest::newRow("solver order out of range")
            << QStringList{"sample", "--model", "exact:moons", "--sampler", "dpmpp-2m", "--solver-order", "5"}
            << false << 2 << "--solver-order 5 is out of range (1, 2 or 3)";
        QTest::newRow("p-uncond out of range")
            << QStringList{"train",      "--dataset", "moons", "--conditional",
                           "--p-uncond", "1.5",       "--out", m_tmp.filePath("pu")}
            << false << 2 << "--p-uncond must lie in [0, 1]";
        QTest::newRow("eta not a number")
            << QStringList{"sample", "--model", "exact:moons", "--sampler", "ddim", "--eta", "x"} << false
            << 2 << "--eta must be a number, got 'x'";
        QTest::newRow("integer out of range")
            << QStringList{"sample", "--model", "exact:moons", "--steps", "99999999999"} << false << 2
            << "--steps is out of range";
        QTest::newRow("missing value") << QStringList{"sample", "--steps", "3", "--model"} << false << 2
                                       << "option --model needs a value";
        QTest::newRow("flag given a value") << QStringList{"sample", "--model", "exact:moons", "--json=1"}
                                            << false << 2 << "option --json takes no value";
        QTest::newRow("unknown option with a value")
            << QStringList{"eval", "--bogus=3", "--model", "exact:moons"} << false << 2
            << "unknown option --bogus";
        QTest::newRow("stray argument") << QStringList{"schedule", "--beta-schedule", "linear", "extra"}
                                        << false << 2 << "unexpected argument 'extra'";
        QTest::newRow("global option without a value")
            << QStringList{"info", "--max-memory"} << false << 2 << "option --max-memory needs a value";
        QTest::newRow("conditional training without labels")
            << QStringList{"train", "--dataset", "swissroll", "--conditional", "--out", m_tmp.filePath("sr"), "--steps", "1"}
            << false << 1 << "has no class labels";
    }

    void badInputs()
    {
        QFETCH(QStringList, args);
        QFETCH(bool, needsModels);
        QFETCH(int, exitCode);
        QFETCH(QString, expected);
        if (needsModels && !m_models) QSKIP(qPrintable(m_noModels));
        const Run r = cli(args);
        const QString err = QString::fromUtf8(r.err);
        QVERIFY2(r.exitCode != 0, "exit code 0");
        QCOMPARE(r.exitCode, exitCode);
        QVERIFY2(r.out.isEmpty(), r.out.constData());
        QVERIFY2(err.contains(expected), qPrintable(err));
        QVERIFY2(err.startsWith("difflens-cli " + args[0] + ": "), qPrintable(err));
        QVERIFY2(!err.contains("Exception raised from") && !err.contains("frame #"), qPrintable(err));
        QVERIFY2(!err.contains("Traceback"), qPrintable(err));
        QVERIFY2(err.endsWith('\n') && err.count('\n') == 1, qPrintable("not one line:\n" + err));
        if (QByteArray(QTest::currentDataTag()) == "model fails in forward") {
            // The line must also say why the model failed (the interpreter's last line), not only that it did.
            QVERIFY2(err.contains("mat1 and mat2 shapes cannot be multiplied"), qPrintable(err));
        }
    }
};

QTEST_GUILESS_MAIN(TestCli)
#include "test_cli.moc"
