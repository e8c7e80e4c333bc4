// FrameBuilder: the frames of a recorded reverse run (image grid or points, the explanation's numbers,
// the score field), every quantity re-derived from the trajectory.
#include "app/logic/frame_builder_impl.h"

namespace difflens::gui {

using namespace frame_detail;

torch::Tensor FrameBuilder::Impl::velocityOf(const StepRecord& r) const
{
    return path::velocity(r.x0Pred, r.eps, r.point);
}

torch::Tensor FrameBuilder::Impl::conditionalVelocityOf(const StepRecord& r) const
{
    // u(x_t | x_0) = a' x_0 + s' (x_t - a x_0) / s toward the reference (core/MATH.md, "Gaussian paths").
    const auto ref = trajectory->reference().to(r.xt.device(), r.xt.scalar_type());
    return path::velocity(ref.expand_as(r.xt), (r.xt - r.point.a * ref) / r.point.s, r.point);
}

StepNumbers FrameBuilder::Impl::numbersOf(const StepRecord& r) const
{
    const ReverseProcess& p = trajectory->process();
    const ModelInfo& in = info();
    StepNumbers n;
    n.referenceIsSource = trueStep;
    n.stepIndex = r.index;
    n.stepCount = r.count;
    n.t = r.paperT();
    n.tPrev = std::max<long>(0, r.paperTPrev()); // DDIM's last step goes below t = 1: it lands on x_0
    n.T = in.T();
    n.beta = r.beta;
    n.alpha = 1.0 - r.beta;
    n.alphaBar = r.alphaBar;
    n.alphaBarPrev = r.alphaBarPrev;
    // The panel explains the posterior q(x_{t-1}|x_t,x_0) of Ho et al. Eq. 7: its coefficients for this step.
    const auto post = diffusion::posterior(r.alphaBar, r.alphaBarPrev);
    n.c1 = post.c1;
    n.c2 = post.c2;
    n.betaTilde = post.variance;
    n.sigma = r.sigma;
    if (!std::isfinite(n.sigma) && r.modelLogVariance.defined())
        n.sigma = torch::exp(0.5 * r.modelLogVariance).mean().item<double>();
    const bool ddim = p.kind() == SamplerKind::Ddim;
    n.sampler =
        ddim ? QStringLiteral("DDIM") : (in.isExact() ? QStringLiteral("exact") : QStringLiteral("DDPM"));
    if (isPathSampler(p.kind(), p.path().kind())) {
        // The Gaussian-path panel: a_t, s_t, the conditional and the learned velocity.
        n.sampler = QString::fromStdString(samplerLabel(p.kind()));
        n.path = QString::fromStdString(pathName(p.path().kind()));
        n.time = r.point.time;
        n.timePrev = r.pointPrev.time;
        n.a = r.point.a;
        n.s = r.point.s;
        n.aPrev = r.pointPrev.a;
        n.sPrev = r.pointPrev.s;
        n.da = r.point.da;
        n.ds = r.point.ds;
        n.sdeNoise = p.settings().sdeNoise;
        n.modelCalls = r.modelCalls;
        if (r.posteriorMean.defined() && trajectory->reference().defined() && r.point.s > 0) {
            const auto d = velocityOf(r) - conditionalVelocityOf(r);
            n.velocityGap = diffusion::meanFlat(d * d).sqrt().mean().item<double>();
        }
    }
    n.predictionType = QString::fromStdString(in.scheduler.predictionType);
    n.varianceType = QString::fromStdString(in.scheduler.varianceType);
    n.eta = p.eta();
    n.clippedEps = ddim && p.settings().clippedModelOutput;
    n.hasReference = r.posteriorMean.defined();
    if (r.kl.defined() && !r.klIsDecoderNll) n.kl = r.kl.mean().item<double>();
    if (r.meanGap.defined()) n.meanGap = r.meanGap.mean().item<double>();
    if (p.diffusersSolver()) {
        n.sampler = QString::fromStdString(p.label());
        n.x0Weights = QVector<double>(r.x0Weights.begin(), r.x0Weights.end());
        n.stateCoef = r.stateCoef;
        n.x0Coef = r.x0Coef;
        n.solverSigma = r.solverSigma;
        n.solverSigmaNext = r.solverSigmaNext;
    }
    return n;
}

ImageGridFrame FrameBuilder::Impl::reverseGrid(const StepRecord& r, int i) const
{
    const ModelInfo& in = info();
    const int64_t batch = r.xt.size(0);
    const int64_t rows = std::min<int64_t>(batch, maxRows);
    const auto xt = cpu(r.xt.slice(0, 0, rows));
    const auto x0 = cpu(r.x0Pred.slice(0, 0, rows));
    const auto mean = cpu(r.meanModel.slice(0, 0, rows));
    const bool withReference = r.posteriorMean.defined() && trajectory->reference().defined();
    torch::Tensor post, ref, diff;
    double diffMax = 0.0;
    if (withReference) {
        post = cpu(r.posteriorMean.expand_as(r.xt).slice(0, 0, rows));
        ref = cpu(trajectory->reference().slice(0, 0, 1));
        diff = (mean - post).contiguous();
        diffMax = diff.abs().max().item<double>();
    }
    const auto [xtLow, xtHigh] = noisyRange(in, r.alphaBar);
    const auto [prevLow, prevHigh] = noisyRange(in, r.alphaBarPrev);

    ImageGridFrame g;
    g.titles = QStringList{QStringLiteral("xₜ"), QStringLiteral("x̂₀ (model)"), QStringLiteral("μ_θ (model)")};
    g.colors = {palette::xt(), palette::model(), palette::model()};
    g.subtitles =
        QStringList{rangeText(xtLow, xtHigh), rangeText(in.low, in.high), rangeText(prevLow, prevHigh)};
    if (withReference) {
        g.titles << (trueStep ? QStringLiteral("μ̃ (true step)") : QStringLiteral("μ̃ (toward x₀)"))
                 << QStringLiteral("x₀ (ref.)") << QStringLiteral("|μ_θ − μ̃|");
        g.colors << palette::posterior() << palette::reference() << palette::difference();
        g.subtitles << rangeText(prevLow, prevHigh) << rangeText(in.low, in.high)
                    << QStringLiteral("max %1").arg(widgets::formatSig(diffMax, 2));
    }
    QImage refImage;
    if (withReference) refImage = widgets::toImage(imageAt(ref, 0, in.low, in.high));
    for (int64_t j = 0; j < rows; ++j) {
        QVector<QImage> row;
        row << widgets::toImage(imageAt(xt, j, xtLow, xtHigh))
            << widgets::toImage(imageAt(x0, j, in.low, in.high))
            << widgets::toImage(imageAt(mean, j, prevLow, prevHigh));
        if (withReference) {
            row << widgets::toImage(imageAt(post, j, prevLow, prevHigh)) << refImage
                << widgets::heatMap(imageAt(diff, j, 0.0, 1.0), diffMax > 0 ? diffMax : 1.0);
        }
        g.cells.push_back(row);
        g.rowLabels << QStringLiteral("#%1").arg(j + 1);
    }
    g.caption = captionFor(r.paperT(), in.T(), i, r.count);
    if (rows < batch) g.caption += QStringLiteral(" · first %1 of %2 samples").arg(rows).arg(batch);
    return g;
}

ImageGridFrame FrameBuilder::Impl::pathGrid(const StepRecord& r, int i) const
{
    // An ODE/SDE step on a Gaussian path: x_t, the model's x0^ and velocity, x after the step; with a reference
    // the conditional step and velocity toward it (closed form) and the gap to the model's.
    const ModelInfo& in = info();
    const int64_t batch = r.xt.size(0);
    const int64_t rows = std::min<int64_t>(batch, maxRows);
    const auto xt = cpu(r.xt.slice(0, 0, rows));
    const auto x0 = cpu(r.x0Pred.slice(0, 0, rows));
    const auto next = cpu((r.xPrev.defined() ? r.xPrev : r.meanModel).slice(0, 0, rows));
    const auto u = cpu(velocityOf(r).slice(0, 0, rows));
    const bool withReference = r.posteriorMean.defined() && trajectory->reference().defined() && r.point.s > 0;
    torch::Tensor post, ref, uc, diff;
    double diffMax = 0.0;
    if (withReference) {
        post = cpu(r.posteriorMean.expand_as(r.xt).slice(0, 0, rows));
        ref = cpu(trajectory->reference().slice(0, 0, 1));
        uc = cpu(conditionalVelocityOf(r).slice(0, 0, rows));
        diff = (u - uc).contiguous();
        diffMax = diff.abs().max().item<double>();
    }
    // x = a x0 + s eps stays within about a * range + 3 s; the velocity within the data range plus 3.
    const auto range = [&](const PathPoint& p) {
        const double half = p.a * std::max(std::abs(in.low), std::abs(in.high)) + 3.0 * p.s;
        return std::pair<double, double>{-half, half};
    };
    const auto [xtLow, xtHigh] = range(r.point);
    const auto [nextLow, nextHigh] = range(r.pointPrev);
    const double uHalf = std::max(std::abs(in.low), std::abs(in.high)) + 3.0;
    ImageGridFrame g;
    g.titles = QStringList{QStringLiteral("xₜ"), QStringLiteral("x̂₀ (model)"), QStringLiteral("u_θ(xₜ)"),
                           QStringLiteral("x′ (step)")};
    g.colors = {palette::xt(), palette::model(), palette::model(), palette::xt()};
    g.subtitles = QStringList{rangeText(xtLow, xtHigh), rangeText(in.low, in.high), rangeText(-uHalf, uHalf),
                              rangeText(nextLow, nextHigh)};
    if (withReference) {
        g.titles << QStringLiteral("x′ toward x₀") << QStringLiteral("x₀ (ref.)") << QStringLiteral("u(xₜ|x₀)")
                 << QStringLiteral("|u_θ − u|");
        g.colors << palette::posterior() << palette::reference() << palette::posterior() << palette::difference();
        g.subtitles << rangeText(nextLow, nextHigh) << rangeText(in.low, in.high) << rangeText(-uHalf, uHalf)
                    << QStringLiteral("max %1").arg(widgets::formatSig(diffMax, 2));
    }
    QImage refImage;
    if (withReference) refImage = widgets::toImage(imageAt(ref, 0, in.low, in.high));
    for (int64_t j = 0; j < rows; ++j) {
        QVector<QImage> row;
        row << widgets::toImage(imageAt(xt, j, xtLow, xtHigh)) << widgets::toImage(imageAt(x0, j, in.low, in.high))
            << widgets::toImage(imageAt(u, j, -uHalf, uHalf)) << widgets::toImage(imageAt(next, j, nextLow, nextHigh));
        if (withReference) {
            row << widgets::toImage(imageAt(post, j, nextLow, nextHigh)) << refImage
                << widgets::toImage(imageAt(uc, j, -uHalf, uHalf))
                << widgets::heatMap(imageAt(diff, j, 0.0, 1.0), diffMax > 0 ? diffMax : 1.0);
        }
        g.cells.push_back(row);
        g.rowLabels << QStringLiteral("#%1").arg(j + 1);
    }
    g.caption = QStringLiteral("t = %1 → %2 · step %3 / %4 · %5")
                    .arg(widgets::formatSig(r.point.time, 3), widgets::formatSig(r.pointPrev.time, 3))
                    .arg(i + 1)
                    .arg(r.count)
                    .arg(QString::fromStdString(samplerLabel(trajectory->process().kind())));
    if (rows < batch) g.caption += QStringLiteral(" · first %1 of %2 samples").arg(rows).arg(batch);
    return g;
}

void FrameBuilder::Impl::addField(PointFrame& f, long t) const
{
    if (!fieldEnabled || info().dim != 2) return;
    const auto it = fields.find(t);
    if (it == fields.end()) return;
    f.fieldOrigins = it->second.origins;
    f.fieldVectors = it->second.vectors;
    const bool flow = info().scheduler.isFlow();
    f.fieldName = flow ? QStringLiteral("model velocity u_θ(x)") : QStringLiteral("model score −ε̂/√(1−ᾱₜ)");
    if (it->second.exactVectors.size() == f.fieldOrigins.size()) {
        f.exactFieldVectors = it->second.exactVectors;
        f.exactFieldName = flow ? QStringLiteral("exact marginal velocity uₜ(x)") : QStringLiteral("exact score ∇log qₜ");
    }
}

PointFrame FrameBuilder::Impl::reversePoints(const StepRecord& r, int i) const
{
    const ModelInfo& in = info();
    const QRectF view = viewRange(in);
    PointFrame f;
    f.dim = in.dim;
    f.caption = captionFor(r.paperT(), in.T(), i, r.count);
    f.data = model->dataPoints.mid(0, kDrawnDataPoints);
    f.xt = pointsOf(r.xt, in.dim);
    f.meanModel = pointsOf(r.meanModel, in.dim);
    f.x0Pred = pointsOf(r.x0Pred, in.dim);
    if (in.dim == 2) {
        const int upTo = std::min<int>(i + 1, summaries.size());
        const int paths = upTo > 0 ? summaries[0].tracked.size() : 0;
        // At most ~kPathPoints points a path: a 1000-step DDPM path is mostly small noise, and the lines stay
        // readable behind the batch.
        const int stride = std::max(1, upTo / kPathPoints);
        for (int j = 0; j < paths; ++j) {
            QVector<QPointF> path;
            path.reserve(upTo / stride + 2);
            for (int s = 0; s < upTo; s += stride)
                if (j < summaries[s].tracked.size()) path.push_back(summaries[s].tracked[j]);
            if ((upTo - 1) % stride != 0 && j < summaries[upTo - 1].tracked.size())
                path.push_back(summaries[upTo - 1].tracked[j]);
            f.trajectories.push_back(path);
        }
    }
    const bool withReference = r.posteriorMean.defined() && trajectory->reference().defined();
    f.hasReference = withReference;
    f.referenceIsSource = trueStep;
    if (withReference) {
        f.reference = pointsOf(trajectory->reference().reshape({1, in.dim}), in.dim).value(0);
        f.posteriorMean = pointsOf(r.posteriorMean.expand_as(r.xt).slice(0, 0, 1), in.dim).value(0);
    }
    f.selected = (withReference || in.dim == 1) && !f.xt.isEmpty() ? 0 : -1;
    addField(f, r.paperT());
    if (in.dim == 1) {
        if (!in.mixture.isEmpty()) {
            mixtureDensity(in.mixture, r.alphaBar, view.left(), view.right(), f.densityX, f.densityY);
            f.densityName = QStringLiteral("q(xₜ) (exact)");
        }
        if (!f.xt.isEmpty()) {
            const double muTheta = f.meanModel[0].x();
            if (withReference && r.posteriorVariance > 0)
                f.curves.push_back(gaussianCurve(trueStep ? QStringLiteral("q(xₜ₋₁ | xₜ, x₀) (true step, sample #1)")
                                                          : QStringLiteral("q(xₜ₋₁ | xₜ, x₀) (toward x₀, sample #1)"),
                                                 f.posteriorMean.x(), r.posteriorVariance,
                                                 palette::posterior(), false, view.left(), view.right()));
            const double sigma = std::isfinite(r.sigma) ? r.sigma : 0.0;
            if (sigma > 0)
                f.curves.push_back(gaussianCurve(QStringLiteral("p_θ(xₜ₋₁ | xₜ) (model step, sample #1)"),
                                                 muTheta, sigma * sigma, palette::model(), true, view.left(),
                                                 view.right()));
        }
    }
    return f;
}

Frame FrameBuilder::Impl::reverseFrame(int i)
{
    const StepRecord r = trajectory->step(i);
    Frame f;
    f.step = i;
    f.t = r.paperT();
    f.isImage = info().isImage;
    f.numbers = numbersOf(r);
    if (f.isImage)
        f.grid = isPathSampler(trajectory->process().kind(), trajectory->process().path().kind()) ? pathGrid(r, i) : reverseGrid(r, i);
    else
        f.points = reversePoints(r, i);
    const auto one = [](const torch::Tensor& v) { return v.defined() ? v.slice(0, 0, 1) : v; };
    // The DDPM posterior for the reference (Ho et al. Eq. 7) also under DDIM, whose own q_sigma differs.
    torch::Tensor post;
    const auto stepPosterior = diffusion::posterior(r.alphaBar, r.alphaBarPrev);
    if (r.posteriorMean.defined() && trajectory->reference().defined())
        post = stepPosterior.c1 * trajectory->reference().slice(0, 0, 1).to(torch::kCPU, torch::kFloat64) +
               stepPosterior.c2 * one(r.xt).to(torch::kCPU, torch::kFloat64);
    double sd = std::isfinite(r.sigma) ? r.sigma : 0.0;
    if (r.modelLogVariance.defined()) sd = torch::exp(0.5 * one(r.modelLogVariance)).mean().item<double>();
    if (!r.addsNoise) sd = 0.0; // DDPM's last step, DDIM with eta = 0
    // The Exact q tab follows the DDPM chain's q(x_{t-1}|x_t); a flow path's x_t is scaled differently.
    if (!info().scheduler.isFlow())
        addExact(f, one(r.xt), r.paperT(), r.paperTPrev(), r.alphaBar, r.alphaBarPrev, one(r.x0Pred), one(r.meanModel),
             sd, post, stepPosterior.variance);
    return f;
}

} // namespace difflens::gui
