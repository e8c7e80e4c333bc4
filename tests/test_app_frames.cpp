// FrameBuilder: what the views get for a step. The image grid has 3 columns without a reference and 6 with,
// one row per sample up to 16; point frames carry the reference iff one is set; the explanation's numbers are
// the step's; forward-mode frames follow x_t = sqrt(abar) x_0 + sqrt(1 - abar) eps; 1-D runs fill the (t, x)
// density. Models: exact denoisers of built-in datasets and of a folder of images written here.
#include "app/logic/frame_builder.h"
#include "app/logic/sampling_controller.h"
#include "widgets/explanation_panel.h"

#include <QImage>
#include <QPainter>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include <QLineF>

#include <algorithm>
#include <cmath>

using namespace difflens::gui;
namespace widgets = difflens::widgets;

namespace {

/** Writes `n` 28x28 grey images (a disc of growing radius) and returns the exact model of them. */
QString writeImageFolder(const QTemporaryDir& dir, int n)
{
    for (int i = 0; i < n; ++i) {
        QImage img(28, 28, QImage::Format_Grayscale8);
        img.fill(Qt::black);
        QPainter p(&img);
        p.setBrush(Qt::white);
        p.setPen(Qt::NoPen);
        p.drawEllipse(QPointF(14, 14), 4 + i, 4 + i);
        p.end();
        img.save(dir.filePath(QStringLiteral("disc%1.png").arg(i)));
    }
    return QStringLiteral("exact:%1?n=%2").arg(dir.path()).arg(n);
}

/** Samples synchronously (the controller's worker) and returns the builder with the run. */
void runAndWait(SamplingController& controller, const SamplingParams& p)
{
    QSignalSpy finished(&controller, &SamplingController::finished);
    QSignalSpy failed(&controller, &SamplingController::failed);
    controller.start(p);
    QTRY_VERIFY_WITH_TIMEOUT(!finished.isEmpty() || !failed.isEmpty(), 60000);
    QVERIFY2(failed.isEmpty(), failed.isEmpty() ? "" : qPrintable(failed.first().first().toString()));
}

SamplingParams params(const ModelHandle& model, int steps, int batch, const Reference& reference = {})
{
    SamplingParams p;
    p.model = model;
    p.sampler = QStringLiteral("DDIM");
    p.steps = steps;
    p.batch = batch;
    p.seed = 5;
    p.reference = reference;
    return p;
}

bool hasContent(const QImage& image)
{
    if (image.isNull()) return false;
    const QRgb first = image.pixel(0, 0);
    for (int y = 0; y < image.height(); ++y)
        for (int x = 0; x < image.width(); ++x)
            if (image.pixel(x, y) != first) return true;
    return false;
}

} // namespace

class TestAppFrames : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_imageSpec = writeImageFolder(m_dir, 6);
    }

    void imageGridColumns_data()
    {
        QTest::addColumn<bool>("withReference");
        QTest::addColumn<int>("columns");
        QTest::newRow("no reference") << false << 3;
        QTest::newRow("reference") << true << 6;
    }

    void imageGridColumns()
    {
        QFETCH(bool, withReference);
        QFETCH(int, columns);
        const ModelHandle model = loadModel(m_imageSpec, QStringLiteral("cpu"));
        QVERIFY(model->info.isImage);
        QCOMPARE(model->info.referenceCount, 6);
        SamplingController controller;
        const Reference reference = withReference ? datasetReference(*model, 2) : Reference();
        runAndWait(controller, params(model, 20, 3, reference));
        FrameBuilder builder;
        builder.setModel(model);
        builder.setReverse(controller.trajectory());
        QCOMPARE(builder.availableFrames(), 20);
        for (int step : {0, 7, 19}) {
            const Frame f = builder.frame(step);
            QVERIFY(f.isValid());
            QVERIFY(f.isImage);
            QCOMPARE(f.grid.columnCount(), columns);
            QCOMPARE(f.grid.subtitles.size(), columns);
            QCOMPARE(f.grid.rowCount(), 3);
            for (const auto& row : f.grid.cells) {
                QCOMPARE(row.size(), columns);
                for (const QImage& cell : row)
                    QCOMPARE(cell.size(), QSize(28, 28));
            }
            QCOMPARE(f.numbers.hasReference, withReference);
            QVERIFY(f.grid.caption.contains(QStringLiteral("step %1 of 20").arg(step + 1)));
        }
        if (withReference) {
            // The reference column shows x_0; at the last step the exact model has recovered a training item.
            const Frame last = builder.frame(19);
            QVERIFY(hasContent(last.grid.cells[0][4]));
            QVERIFY(last.grid.titles[5].contains(QStringLiteral("μ")));
        }
    }

    void rowsAreCappedAt16()
    {
        const ModelHandle model = loadModel(m_imageSpec, QStringLiteral("cpu"));
        SamplingController controller;
        runAndWait(controller, params(model, 5, 20));
        FrameBuilder builder;
        builder.setModel(model);
        builder.setReverse(controller.trajectory());
        const Frame f = builder.frame(4);
        QCOMPARE(f.grid.rowCount(), 16);
        QCOMPARE(f.grid.rowLabels.size(), 16);
        QVERIFY2(f.grid.caption.contains(QStringLiteral("first 16 of 20")), qPrintable(f.grid.caption));
        builder.setMaxRows(4);
        QCOMPARE(builder.frame(4).grid.rowCount(), 4);
    }

    void pointFrameHasReferenceIffSet_data()
    {
        QTest::addColumn<bool>("withReference");
        QTest::newRow("no reference") << false;
        QTest::newRow("reference") << true;
    }

    void pointFrameHasReferenceIffSet()
    {
        QFETCH(bool, withReference);
        const ModelHandle model = loadModel(QStringLiteral("exact:8gaussians"), QStringLiteral("cpu"));
        QCOMPARE(model->info.dim, 2);
        QCOMPARE(model->dataPoints.size(), 2000);
        SamplingController controller;
        const Reference reference = withReference ? datasetReference(*model, 11) : Reference();
        runAndWait(controller, params(model, 30, 50, reference));
        FrameBuilder builder;
        builder.setModel(model);
        builder.setReverse(controller.trajectory());
        builder.appendSummaries(controller.summaries());
        for (int step : {0, 15, 29}) {
            const Frame f = builder.frame(step);
            QVERIFY(!f.isImage);
            const widgets::PointFrame& p = f.points;
            QCOMPARE(p.dim, 2);
            QCOMPARE(p.hasReference, withReference);
            QCOMPARE(p.xt.size(), 50);
            QCOMPARE(p.meanModel.size(), 50);
            QCOMPARE(p.x0Pred.size(), 50);
            QCOMPARE(p.data.size(), 1000); // drawn: a prefix of the 2000 pickable points
            QCOMPARE(p.trajectories.size(), kTrackedSamples);
            QCOMPARE(p.trajectories.first().size(), step + 1);
            if (withReference) {
                QCOMPARE(p.reference, model->dataPoints[11]);
                QCOMPARE(p.selected, 0);
                QVERIFY(std::isfinite(f.numbers.meanGap));
            } else {
                QCOMPARE(p.selected, 0); // the sample the posterior weights w_i refer to
            }
            // w_i(x_t) of sample #1 over the drawn points, relative to the largest.
            QCOMPARE(p.weights.size(), p.data.size());
            const double heaviest = *std::max_element(p.weights.begin(), p.weights.end());
            QVERIFY(heaviest > 0.0 && heaviest <= 1.0);
        }
    }

    void numbersAreTheStepsNumbers()
    {
        const ModelHandle model = loadModel(QStringLiteral("exact:8gaussians"), QStringLiteral("cpu"));
        SamplingController controller;
        SamplingParams p = params(model, 25, 4);
        p.sampler = QStringLiteral("DDPM");
        runAndWait(controller, p);
        FrameBuilder builder;
        builder.setModel(model);
        builder.setReverse(controller.trajectory());
        const QVector<long> labels = builder.timestepLabels();
        QCOMPARE(labels.size(), 25);
        QCOMPARE(labels.first(), 961L); // leading spacing: k = 960, shown as t = k + 1
        for (int i : {0, 12, 24}) {
            const widgets::StepNumbers n = builder.frame(i).numbers;
            QCOMPARE(n.t, labels[i]);
            QCOMPARE(n.stepIndex, i);
            QCOMPARE(n.stepCount, 25);
            QCOMPARE(n.T, 1000);
            QCOMPARE(n.tPrev, i + 1 < 25 ? labels[i + 1] : 0L);
            // Ho et al. Eq. 7 with the strided step's beta = 1 - abar_t / abar_prev.
            const double c1 = n.beta * std::sqrt(n.alphaBarPrev) / (1 - n.alphaBar);
            const double c2 = std::sqrt(1 - n.beta) * (1 - n.alphaBarPrev) / (1 - n.alphaBar);
            QVERIFY(std::abs(n.c1 - c1) < 1e-9);
            QVERIFY(std::abs(n.c2 - c2) < 1e-9);
            QCOMPARE(n.sampler, QStringLiteral("exact"));
        }
    }

    void forwardFrames()
    {
        const ModelHandle points = loadModel(QStringLiteral("exact:8gaussians"), QStringLiteral("cpu"));
        FrameBuilder builder;
        builder.setModel(points);
        const Reference x0 = datasetReference(*points, 4);
        builder.setForward(x0, 30, 7, 400);
        QCOMPARE(builder.mode(), FrameBuilder::Mode::Forward);
        QCOMPARE(builder.availableFrames(), 401);
        QCOMPARE(builder.timestepLabels().first(), 0L);
        QCOMPARE(builder.timestepLabels().last(), 400L);
        const Frame clean = builder.frame(0);
        QCOMPARE(clean.t, 0L);
        QVERIFY(clean.points.hasReference);
        for (const QPointF& x : clean.points.xt) // t = 0: every sample is x_0 itself
            QVERIFY(std::hypot(x.x() - x0.values[0], x.y() - x0.values[1]) < 1e-5);
        const Frame noisy = builder.frame(400);
        QCOMPARE(noisy.t, 400L);
        QCOMPARE(noisy.numbers.t, 400L);
        double spread = 0;
        for (const QPointF& x : noisy.points.xt)
            spread += std::hypot(x.x() - x0.values[0], x.y() - x0.values[1]);
        QVERIFY(spread / 30 > 0.3);
        QCOMPARE(noisy.points.trajectories.size(), kTrackedSamples);
        // The same seed gives the same noise.
        FrameBuilder again;
        again.setModel(points);
        again.setForward(x0, 30, 7, 400);
        QCOMPARE(again.frame(400).points.xt, noisy.points.xt);

        const ModelHandle images = loadModel(m_imageSpec, QStringLiteral("cpu"));
        builder.setModel(images);
        builder.setForward(datasetReference(*images, 0), 3, 1, 1000);
        const Frame f = builder.frame(500);
        QCOMPARE(f.grid.columnCount(), 5);
        QCOMPARE(f.grid.rowCount(), 3);
    }

    void oneDimensionalDensity()
    {
        const ModelHandle model = loadModel(QStringLiteral("exact:gmm1d"), QStringLiteral("cpu"));
        QCOMPARE(model->info.dim, 1);
        QCOMPARE(model->info.mixture.means.size(), size_t(3));
        SamplingController controller;
        SamplingParams p = params(model, 50, 200, datasetReference(*model, 0));
        p.sampler = QStringLiteral("DDPM");
        runAndWait(controller, p);
        FrameBuilder builder;
        builder.setModel(model);
        builder.setReverse(controller.trajectory());
        builder.appendSummaries(controller.summaries());
        const FrameBuilder::DensityMap map = builder.densityMap();
        QCOMPARE(map.T, 1000);
        QCOMPARE(map.bins, kHistogramBins);
        QCOMPARE(map.values.size(), 1000 * kHistogramBins);
        // Every column is covered by some step of the strided run, and each holds the batch.
        for (int t : {1, 500, 1000}) {
            double sum = 0;
            for (int b = 0; b < map.bins; ++b)
                sum += map.values[(t - 1) * map.bins + b];
            QVERIFY2(sum > 150, qPrintable(QStringLiteral("t = %1: %2").arg(t).arg(sum)));
        }
        QVERIFY(!map.paths.isEmpty());
        const Frame f = builder.frame(49);
        QCOMPARE(f.points.dim, 1);
        QVERIFY(!f.points.densityX.isEmpty()); // q(x_t) of the mixture
        QVERIFY(!f.points.curves.isEmpty());   // the true step q(x_{t-1}|x_t,x_0), at least
    }

    void fieldIsOnDemand()
    {
        const ModelHandle model = loadModel(QStringLiteral("exact:8gaussians"), QStringLiteral("cpu"));
        SamplingController controller;
        runAndWait(controller, params(model, 10, 8));
        FrameBuilder builder;
        builder.setModel(model);
        builder.setReverse(controller.trajectory());
        const long t = builder.frame(3).t;
        QVERIFY(!builder.needsField(t)); // off by default: no model call
        builder.setFieldEnabled(true);
        QVERIFY(builder.needsField(t));
        QVERIFY(builder.frame(3).points.fieldOrigins.isEmpty());
        builder.setField(t, {QPointF(0, 0)}, {QPointF(1, 0)});
        QVERIFY(!builder.needsField(t));
        QCOMPARE(builder.frame(3).points.fieldVectors.size(), 1);
    }

    // The Exact q tab's frame for an exact model: p_theta IS the exact process, so the model's step mean lies
    // on the exact mixture's mean; the density grid is centred on it; with a reference, the posterior is there.
    void exactStepOfPoints()
    {
        const ModelHandle model = loadModel(QStringLiteral("exact:8gaussians"), QStringLiteral("cpu"));
        QVERIFY(!model->info.exactText.isEmpty());
        QVERIFY(!model->info.priorWarning()); // linear T = 1000: abar_T = 4e-5
        SamplingController controller;
        SamplingParams p = params(model, 40, 8, datasetReference(*model, 3));
        p.sampler = QStringLiteral("DDPM");
        runAndWait(controller, p);
        FrameBuilder builder;
        builder.setModel(model);
        builder.setReverse(controller.trajectory());
        for (int step : {0, 20, 38}) {
            const Frame f = builder.frame(step);
            const widgets::StepDensityFrame& s = f.exactStep;
            QVERIFY(!s.isEmpty());
            QCOMPARE(s.dim, 2);
            QCOMPARE(s.exactDensity.size(), s.densityColumns * s.densityRows);
            QCOMPARE(s.xt, f.points.xt.first());
            const auto mark = [&s](const QString& prefix) {
                for (const auto& g : s.gaussians)
                    if (g.name.startsWith(prefix)) return g;
                return widgets::GaussianMark();
            };
            const auto model = mark(QStringLiteral("p_θ")), exact = mark(QStringLiteral("E[")),
                       post = mark(QStringLiteral("q(xₜ₋₁ | xₜ, x₀)"));
            QVERIFY(model.sd > 0 && post.sd > 0 && !exact.name.isEmpty());
            QCOMPARE(model.mean, f.points.meanModel.first());
            const double scale = s.window.width();
            QVERIFY2(QLineF(model.mean, exact.mean).length() < 1e-3 * scale, qPrintable(QString::number(step)));
            // mu~ = c1 x_0 + c2 x_t for the reference (Ho et al. Eq. 7).
            const QPointF mu = f.numbers.c1 * f.points.reference + f.numbers.c2 * f.points.xt.first();
            QVERIFY(QLineF(post.mean, mu).length() < 1e-4 * scale);
            // The density's centroid is the exact mean (the window holds the mixture to 3 standard deviations).
            double sum = 0, cx = 0, cy = 0;
            for (int r = 0; r < s.densityRows; ++r)
                for (int c = 0; c < s.densityColumns; ++c) {
                    const double v = s.exactDensity[r * s.densityColumns + c];
                    sum += v;
                    cx += v * (s.window.left() + (c + 0.5) * s.window.width() / s.densityColumns);
                    cy += v * (s.window.bottom() - (r + 0.5) * s.window.height() / s.densityRows);
                }
            QVERIFY(sum > 0);
            QVERIFY2(QLineF(QPointF(cx / sum, cy / sum), exact.mean).length() < 0.05 * scale,
                     qPrintable(QString("step %1").arg(step)));
            QVERIFY(s.window.contains(exact.mean) && s.window.contains(s.xt));
            // mu~ is in the zoom when it lies near the step, else a note says where it is.
            const bool noted = std::any_of(s.notes.begin(), s.notes.end(),
                                           [](const QString& n) { return n.contains(QStringLiteral("outside the zoom")); });
            QVERIFY(s.window.contains(post.mean) != noted);
            QVERIFY(!s.componentMeans.isEmpty() && s.componentMeans.size() == s.componentWeights.size());
        }
    }

    // At small t the Exact q view stays zoomed on sample #1: a far reference (a run from pure noise) does not
    // widen the window to the whole set; a run from the noised reference keeps mu~ (then near x_t) in view.
    void exactStepStaysZoomedAtSmallT_data()
    {
        QTest::addColumn<bool>("fromReference");
        QTest::newRow("from noise, far reference") << false;
        QTest::newRow("from the noised reference") << true;
    }

    void exactStepStaysZoomedAtSmallT()
    {
        QFETCH(bool, fromReference);
        const ModelHandle model = loadModel(QStringLiteral("exact:8gaussians?n=200"), QStringLiteral("cpu"));
        SamplingController controller;
        SamplingParams p = params(model, 50, 4, datasetReference(*model, 0));
        p.sampler = QStringLiteral("DDPM");
        p.fromReference = fromReference;
        p.t0 = 100;
        runAndWait(controller, p);
        FrameBuilder builder;
        builder.setModel(model);
        builder.setReverse(controller.trajectory(), fromReference);
        const int last = builder.availableFrames() - 1;
        const Frame f = builder.frame(last); // t = 1 -> x_0: q(x_0 | x_1) is a sum of point masses
        const widgets::StepDensityFrame& s = f.exactStep;
        QVERIFY(!s.isEmpty());
        QVERIFY(s.window.contains(s.xt));
        // The 8 Gaussians span about 5.6 units; the step itself is a few hundredths wide.
        QVERIFY2(s.window.width() < 0.5, qPrintable(QString::number(s.window.width())));
        const QPointF mu = f.numbers.c1 * f.points.reference + f.numbers.c2 * f.points.xt.first();
        const bool far = QLineF(mu, s.xt).length() > 1.0; // an eighth of 8gaussians' range [-4, 4]
        QCOMPARE(s.window.contains(mu), !far);
        if (fromReference) QVERIFY(!far);
    }

    // 1-D: the exact q(x_{t-1}|x_t) is a normalised density (its integral over the window is ~1).
    void exactStepOneDimensional()
    {
        const ModelHandle model = loadModel(QStringLiteral("exact:gmm1d"), QStringLiteral("cpu"));
        SamplingController controller;
        runAndWait(controller, params(model, 20, 4));
        FrameBuilder builder;
        builder.setModel(model);
        builder.setReverse(controller.trajectory());
        for (int step : {0, 10, 18}) {
            const widgets::StepDensityFrame s = builder.frame(step).exactStep;
            QCOMPARE(s.dim, 1);
            QVERIFY(s.exactCurve.size() > 100);
            double integral = 0;
            for (int i = 1; i < s.exactCurve.size(); ++i)
                integral += 0.5 * (s.exactCurve[i].y() + s.exactCurve[i - 1].y()) *
                            (s.exactCurve[i].x() - s.exactCurve[i - 1].x());
            QVERIFY2(integral > 0.95 && integral < 1.01, qPrintable(QString("step %1: %2").arg(step).arg(integral)));
        }
    }

    // Images: x_t, x0^, E[x_0|x_t], then the training images by weight; at the last step of the exact model
    // one image holds (nearly) all the weight: the exact process reproduces a training image.
    void exactGalleryOfImages()
    {
        const ModelHandle model = loadModel(m_imageSpec, QStringLiteral("cpu"));
        SamplingController controller;
        runAndWait(controller, params(model, 20, 2));
        FrameBuilder builder;
        builder.setModel(model);
        builder.setReverse(controller.trajectory());
        const Frame first = builder.frame(0), last = builder.frame(19);
        for (const Frame& f : {first, last}) {
            QCOMPARE(f.gallery.pinned, 3);
            QCOMPARE(f.gallery.items.size(), 3 + 6);
            for (const auto& item : f.gallery.items) // discs on black, and noise: none is flat
                QVERIFY2(hasContent(item.image) && item.image.width() == 28, qPrintable(item.title));
            double prev = 2.0, total = 0.0;
            for (int i = 3; i < f.gallery.items.size(); ++i) {
                QVERIFY(f.gallery.items[i].bar <= prev + 1e-12); // sorted by weight
                prev = f.gallery.items[i].bar;
                total += f.gallery.items[i].bar;
            }
            QVERIFY(std::abs(total - 1.0) < 1e-6); // all 6 items shown: the weights sum to 1
        }
        QVERIFY(last.gallery.items[3].bar > 0.99);
        QVERIFY(first.gallery.items[3].bar < last.gallery.items[3].bar);
        // ... and x0^ is that image: its nearest item is the heaviest one.
        QVERIFY(last.gallery.items[1].subtitle.startsWith(last.gallery.items[3].title + QLatin1Char(' ')));
    }

    // Forward mode: the exact step from the noised reference, beside the posterior given it (no model step).
    void exactStepInForwardMode()
    {
        const ModelHandle model = loadModel(QStringLiteral("exact:moons?n=300"), QStringLiteral("cpu"));
        FrameBuilder builder;
        builder.setModel(model);
        builder.setForward(datasetReference(*model, 5), 4, 1, 200);
        QVERIFY(builder.frame(0).exactStep.isEmpty()); // t = 0: no step
        const widgets::StepDensityFrame s = builder.frame(150).exactStep;
        QVERIFY(!s.isEmpty());
        bool hasPosterior = false, hasModel = false;
        for (const auto& g : s.gaussians) {
            hasPosterior |= g.name.startsWith(QStringLiteral("q(xₜ₋₁ | xₜ, x₀)"));
            hasModel |= g.name.startsWith(QStringLiteral("p_θ"));
        }
        QVERIFY(hasPosterior && !hasModel);
    }

    // A flow-matching run (Euler on the exact flow model of the image folder): the grid shows x_t, x0^, the model's
    // velocity and x after the step, and with a reference the conditional step and velocity toward it; the
    // explanation speaks the path's terms.
    void flowRunShowsVelocities()
    {
        const ModelHandle model = loadModel(m_imageSpec + QStringLiteral("&path=flow"), QStringLiteral("cpu"));
        QVERIFY(model->info.scheduler.isFlow());
        SamplingController controller;
        SamplingParams p = params(model, 10, 2, datasetReference(*model, 2));
        p.sampler = QStringLiteral("euler");
        runAndWait(controller, p);
        FrameBuilder builder;
        builder.setModel(model);
        builder.setReverse(controller.trajectory());
        QCOMPARE(builder.availableFrames(), 10);
        for (int step : {0, 5, 9}) {
            const Frame f = builder.frame(step);
            QCOMPARE(f.grid.columnCount(), 8);
            QVERIFY(f.grid.titles.contains(QStringLiteral("u_θ(xₜ)")));
            QVERIFY(f.grid.titles.contains(QStringLiteral("u(xₜ|x₀)")));
            QVERIFY(hasContent(f.grid.cells[0][2])); // the model's velocity is not blank
            QVERIFY(hasContent(f.grid.cells[0][6])); // nor the conditional one
            QCOMPARE(f.numbers.path, QStringLiteral("flow"));
            QVERIFY(std::isfinite(f.numbers.velocityGap));
            QVERIFY(f.numbers.time > f.numbers.timePrev);
            QCOMPARE(f.numbers.a, 1.0 - f.numbers.time);
            const QString html = widgets::ExplanationPanel::html(f.numbers);
            QVERIFY(html.contains(QStringLiteral("conditional")));
            QVERIFY(html.contains(QStringLiteral("Euler")));
        }
        // The first step starts at t = 1 (pure noise) on the flow path.
        QCOMPARE(builder.frame(0).numbers.time, 1.0);
    }

    // The velocity field of an exact flow model: the "learned" field is the exact one, so both vector sets agree.
    void flowVelocityFieldMatchesTheExactOne()
    {
        const ModelHandle model = loadModel(QStringLiteral("exact:8gaussians?path=flow"), QStringLiteral("cpu"));
        SamplingController controller;
        QSignalSpy field(&controller, &SamplingController::fieldReady);
        controller.requestField(model, 300, QRectF(-4, -4, 8, 8), 11);
        QVERIFY(field.wait(5000));
        const auto vectors = field.first().at(2).value<QVector<QPointF>>();
        const auto exact = field.first().at(3).value<QVector<QPointF>>();
        QCOMPARE(vectors.size(), 121);
        QCOMPARE(exact.size(), 121);
        double worst = 0;
        for (int i = 0; i < vectors.size(); ++i) worst = std::max(worst, QLineF(vectors[i], exact[i]).length());
        QVERIFY2(worst < 1e-3, qPrintable(QString::number(worst)));
        // At t = 0.3 the flow moves toward the noise: far outside the ring the velocity points outwards
        // (u = E[eps - x_0 | x]; a corner far from every mode is mostly noise).
        QVERIFY(vectors.first().x() < 0 && vectors.first().y() < 0); // origin near (-3.6, -3.6)
    }

    // A short schedule keeps signal in x_T: the model says so, with the prior term's size.
    void priorWarningForShortSchedules()
    {
        const ModelHandle model = loadModel(QStringLiteral("exact:moons?n=200&T=50"), QStringLiteral("cpu"));
        QVERIFY(std::abs(model->info.alphaBarT - 0.603) < 0.01); // core/MATH.md: linear, T = 50
        QVERIFY(model->info.priorWarning());
        QVERIFY(model->info.priorBitsPerDim > 0.1);
    }

private:
    QTemporaryDir m_dir;
    QString m_imageSpec;
};

QTEST_MAIN(TestAppFrames)
#include "test_app_frames.moc"
