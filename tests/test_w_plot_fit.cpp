// Plots in a 450 px side panel: every title line and every legend entry fits the width (titles break at
// their "·" separators or between words, legends take as many columns as fit), for the schedule, loss,
// step-metrics and bound plots with realistic content. Also the Step metrics tab's title for a deterministic
// sampler (DDIM, eta = 0): the KL is undefined there, not "Σ KL = 0".
#include "widgets/loss_plot.h"
#include "widgets/qcustomplot_include.h"
#include "widgets/schedule_plot.h"
#include "widgets/step_metrics_plot.h"
#include "widgets/vlb_plot.h"

#include <QDir>
#include <QTest>

#include <cmath>
#include <limits>
#include <memory>

using namespace difflens::widgets;

namespace {

ScheduleSeries linearSchedule(int T)
{
    ScheduleSeries s;
    s.name = QStringLiteral("linear (scaled_linear compared)");
    double abar = 1.0;
    for (int t = 1; t <= T; ++t) {
        const double beta = 1e-4 + (0.02 - 1e-4) * (t - 1) / (T - 1);
        const double prev = abar;
        abar *= 1.0 - beta;
        s.t << t;
        s.beta << beta;
        s.alphaBar << abar;
        s.betaTilde << (t == 1 ? 0.0 : beta * (1 - prev) / (1 - abar));
        s.logSnr << std::log(abar / (1 - abar));
    }
    return s;
}

/** What does not fit: title lines wider than the plot, legend entries cut or outside the plot. */
QStringList overflow(PlotWidgetBase& plot)
{
    QStringList problems;
    QCustomPlot* cp = plot.customPlot();
    const int width = cp->viewport().width();
    for (QCPLayoutElement* element : cp->plotLayout()->elements(true)) {
        if (auto* title = qobject_cast<QCPTextElement*>(element)) {
            const QFontMetrics fm(title->font());
            for (const QString& line : title->text().split('\n'))
                if (fm.horizontalAdvance(line) > width) problems << "title line: " + line;
        } else if (auto* legend = qobject_cast<QCPLegend*>(element)) {
            for (int i = 0; i < legend->itemCount(); ++i) {
                QCPAbstractLegendItem* item = legend->item(i);
                if (!item) continue;
                const QRect r = item->outerRect();
                const auto* entry = qobject_cast<QCPPlottableLegendItem*>(item);
                const QString name = entry ? entry->plottable()->name() : QString::number(i);
                if (r.right() > width || r.left() < 0) problems << "legend outside: " + name;
                if (r.width() < static_cast<QCPLayoutElement*>(item)->minimumOuterSizeHint().width())
                    problems << "legend cut: " + name;
            }
        }
    }
    return problems;
}

} // namespace

class TestPlotFit : public QObject
{
    Q_OBJECT

    void check(PlotWidgetBase& plot, const QString& name)
    {
        plot.resize(450, 380);
        plot.show();
        QVERIFY(QTest::qWaitForWindowExposed(&plot));
        QTest::qWait(120); // the throttled replot
        plot.customPlot()->replot();
        const QStringList problems = overflow(plot);
        const QString dir = qEnvironmentVariable("DIFFLENS_SHOTS_DIR");
        if (!dir.isEmpty()) plot.grab().save(QDir(dir).filePath(name + QStringLiteral(".png")));
        QVERIFY2(problems.isEmpty(), qPrintable(name + ": " + problems.join("; ")));
        // Exports at another width fit that width and leave the widget's layout as it was.
        const QImage wide = plot.renderToImage(QSize(900, 380));
        QVERIFY(!wide.isNull());
        QVERIFY2(overflow(plot).isEmpty(), qPrintable(name + " after export"));
    }

private Q_SLOTS:
    void schedulePlot()
    {
        SchedulePlot plot;
        plot.setSchedule(linearSchedule(1000));
        plot.setComparison(linearSchedule(1000));
        check(plot, QStringLiteral("fit_schedule"));
    }

    void stepMetricsPlot()
    {
        StepMetricsPlot plot;
        plot.setTimesteps(1000);
        for (int t = 1000; t >= 10; t -= 10) plot.appendStep(t, 0.01 + std::exp(-t / 150.0), 0.2);
        check(plot, QStringLiteral("fit_step_metrics"));
        QVERIFY(plot.titleText().contains(QStringLiteral("Σ KL so far")));
        QVERIFY(plot.titleText().contains(QStringLiteral("true posterior")));
    }

    void stepMetricsOfADeterministicSampler()
    {
        StepMetricsPlot plot;
        plot.setTimesteps(1000);
        plot.setTrueStep(false);
        const double nan = std::numeric_limits<double>::quiet_NaN();
        for (int t = 1000; t >= 10; t -= 10) plot.appendStep(t, nan, 0.1 + t * 1e-4);
        QCOMPARE(plot.klUndefinedCount(), 100);
        QCOMPARE(plot.klSum(), 0.0);
        check(plot, QStringLiteral("fit_step_metrics_ddim"));
        QVERIFY2(plot.titleText().contains(QStringLiteral("KL undefined")), qPrintable(plot.titleText()));
        QVERIFY(!plot.titleText().contains(QStringLiteral("Σ KL")));
        QVERIFY(plot.titleText().contains(QStringLiteral("step toward x₀")));
    }

    void lossPlot()
    {
        LossPlot plot;
        QVector<double> steps, loss, ema, t, byT;
        for (int i = 0; i < 500; ++i) {
            steps << i;
            loss << 1.0 / (1 + i * 0.01);
            ema << 1.0 / (1 + i * 0.01);
        }
        for (int i = 1; i <= 1000; i += 10) {
            t << i;
            byT << 0.1 + 1.0 / i;
        }
        plot.setCurve(steps, loss, ema);
        plot.setLossByT(t, byT);
        check(plot, QStringLiteral("fit_loss"));
    }

    void vlbPlot()
    {
        VlbPlot plot;
        plot.setTimesteps(1000);
        for (const QString& name : {QStringLiteral("p_θ on 16 fresh samples of the training set"),
                                    QStringLiteral("exact denoiser of the same 16 samples")}) {
            VlbSeries s;
            s.name = name;
            for (int t = 1; t <= 1000; t += 5) {
                s.t << t;
                s.termBits << 0.001 + 1.0 / t;
            }
            s.priorBits = 1e-5;
            s.totalBits = 3.2;
            plot.addBound(s);
        }
        check(plot, QStringLiteral("fit_vlb"));
    }
};

QTEST_MAIN(TestPlotFit)
#include "test_w_plot_fit.moc"
