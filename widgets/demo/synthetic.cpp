#include "widgets/demo/synthetic.h"

#include "widgets/image_utils.h"
#include "widgets/palette.h"

#include <algorithm>
#include <numeric>

#include <cmath>

namespace difflens::widgets::demo {

namespace {

ScheduleSeries fromBetas(const QString& name, const QVector<double>& beta)
{
    ScheduleSeries s;
    s.name = name;
    double alphaBarPrev = 1.0;
    for (int i = 0; i < beta.size(); ++i) {
        const double alphaBar = alphaBarPrev * (1.0 - beta[i]);
        s.t.push_back(i + 1);
        s.beta.push_back(beta[i]);
        s.alphaBar.push_back(alphaBar);
        s.betaTilde.push_back(i == 0 ? 0.0 : beta[i] * (1.0 - alphaBarPrev) / (1.0 - alphaBar));
        s.logSnr.push_back(std::log(alphaBar / (1.0 - alphaBar)));
        alphaBarPrev = alphaBar;
    }
    return s;
}

struct Component
{
    QPointF mean;
    double sd;
};

QVector<Component> components(int dim)
{
    QVector<Component> c;
    if (dim == 1) return {{QPointF(-2.0, 0), 0.35}, {QPointF(0.5, 0), 0.25}, {QPointF(2.2, 0), 0.3}};
    for (int k = 0; k < 8; ++k)
        c.push_back({QPointF(2.5 * std::cos(k * M_PI / 4), 2.5 * std::sin(k * M_PI / 4)), 0.18});
    return c;
}

double gauss(double x, double m, double var)
{
    return std::exp(-(x - m) * (x - m) / (2 * var)) / std::sqrt(2 * M_PI * var);
}

} // namespace

ScheduleSeries linearSchedule(int T, double betaStart, double betaEnd)
{
    QVector<double> beta;
    for (int i = 0; i < T; ++i)
        beta.push_back(betaStart + (betaEnd - betaStart) * i / std::max(1, T - 1));
    return fromBetas(QStringLiteral("linear"), beta);
}

ScheduleSeries cosineSchedule(int T)
{
    auto f = [&](double t) { return std::pow(std::cos((t / T + 0.008) / 1.008 * M_PI / 2), 2); };
    QVector<double> beta;
    for (int k = 0; k < T; ++k)
        beta.push_back(std::min(1.0 - f(k + 1) / f(k), 0.999));
    return fromBetas(QStringLiteral("cosine"), beta);
}

PointFrame mixtureFrame(int dim, int t, const ScheduleSeries& s, std::mt19937& rng)
{
    std::normal_distribution<double> normal;
    const QVector<Component> comps = components(dim);
    std::uniform_int_distribution<int> pick(0, comps.size() - 1);
    const double ab = s.alphaBar[t - 1];
    const double abPrev = t > 1 ? s.alphaBar[t - 2] : 1.0;
    const double beta = s.beta[t - 1];
    const double c1 = beta * std::sqrt(abPrev) / (1 - ab);
    const double c2 = std::sqrt(1 - beta) * (1 - abPrev) / (1 - ab);
    PointFrame f;
    f.dim = dim;
    f.caption = QStringLiteral("t = %1 / %2").arg(t).arg(s.size());
    auto sample = [&]() {
        const Component& c = comps[pick(rng)];
        return QPointF(c.mean.x() + c.sd * normal(rng), dim == 2 ? c.mean.y() + c.sd * normal(rng) : 0.0);
    };
    for (int i = 0; i < (dim == 2 ? 600 : 400); ++i)
        f.data.push_back(sample());
    const int n = dim == 2 ? 200 : 2000;
    for (int i = 0; i < n; ++i) {
        const QPointF x0 = sample();
        const QPointF eps(normal(rng), dim == 2 ? normal(rng) : 0.0);
        const QPointF xt = std::sqrt(ab) * x0 + std::sqrt(1 - ab) * eps;
        // A slightly wrong "model": shrinks its x0 guess towards the origin.
        const QPointF x0hat = 0.85 * x0 + 0.1 * QPointF(normal(rng), dim == 2 ? normal(rng) : 0.0);
        f.xt.push_back(xt);
        f.x0Pred.push_back(x0hat);
        f.meanModel.push_back(c1 * x0hat + c2 * xt);
    }
    f.selected = 0;
    f.hasReference = true;
    f.reference = comps[0].mean;
    f.posteriorMean = c1 * f.reference + c2 * f.xt[0];
    if (dim == 2) {
        for (int j = 0; j < 6; ++j) {
            QVector<QPointF> path;
            QPointF p(normal(rng) * 1.5, normal(rng) * 1.5);
            const QPointF target = comps[j].mean;
            for (int k = 0; k < 40; ++k) {
                p = p + 0.08 * (target - p) + 0.12 * QPointF(normal(rng), normal(rng));
                path.push_back(p);
            }
            f.trajectories.push_back(path);
        }
        for (double x = -3.6; x <= 3.61; x += 0.6)
            for (double y = -3.6; y <= 3.61; y += 0.6) {
                QPointF score;
                double total = 0;
                for (const Component& c : comps) {
                    const double var = ab * c.sd * c.sd + 1 - ab;
                    const QPointF m = std::sqrt(ab) * c.mean;
                    const double w =
                        std::exp(-((x - m.x()) * (x - m.x()) + (y - m.y()) * (y - m.y())) / (2 * var)) / var;
                    score += w * (m - QPointF(x, y)) / var;
                    total += w;
                }
                const QPointF exact = total > 0 ? score / total : QPointF();
                // A "model" score: a little short and turned by ~10 degrees.
                const double c = std::cos(0.17), s = std::sin(0.17);
                f.fieldOrigins.push_back(QPointF(x, y));
                f.fieldVectors.push_back(
                    0.85 * QPointF(c * exact.x() - s * exact.y(), s * exact.x() + c * exact.y()));
                f.exactFieldVectors.push_back(exact);
            }
        f.fieldName = QStringLiteral("model score s_θ");
        f.exactFieldName = QStringLiteral("exact score ∇log qₜ");
        for (const QPointF& d : f.data) {
            const QPointF diff = f.xt[0] - std::sqrt(ab) * d;
            f.weights.push_back(std::exp(-(diff.x() * diff.x() + diff.y() * diff.y()) / (2 * (1 - ab))));
        }
        double maxW = 0;
        for (double w : f.weights)
            maxW = std::max(maxW, w);
        for (double& w : f.weights)
            w = maxW > 0 ? w / maxW : 0;
    } else {
        for (double x = -4; x <= 4.001; x += 0.02) {
            double q = 0;
            for (const Component& c : comps)
                q += gauss(x, std::sqrt(ab) * c.mean.x(), ab * c.sd * c.sd + 1 - ab) / comps.size();
            f.densityX.push_back(x);
            f.densityY.push_back(q);
        }
        f.densityName = QStringLiteral("q(xₜ)");
        const double betaTilde = s.betaTilde[t - 1] > 0 ? s.betaTilde[t - 1] : 1e-4;
        Curve posterior{QStringLiteral("q(xₜ₋₁ | xₜ, x₀)"), {}, QColor(0x00, 0x9E, 0x73), false, true};
        Curve model{QStringLiteral("p_θ(xₜ₋₁ | xₜ)"), {}, QColor(0xD5, 0x5E, 0x00), true, false};
        Curve exact{QStringLiteral("q(xₜ₋₁ | xₜ)"), {}, QColor(0x5E, 0x3C, 0x99), false, false};
        for (double x = -4; x <= 4.001; x += 0.01) {
            posterior.points.push_back({x, gauss(x, f.posteriorMean.x(), betaTilde)});
            model.points.push_back({x, gauss(x, f.meanModel[0].x(), betaTilde)});
            double mix = 0;
            for (const Component& c : comps)
                mix += gauss(x, c1 * c.mean.x() + c2 * f.xt[0].x(), betaTilde + c1 * c1 * c.sd * c.sd) /
                       comps.size();
            exact.points.push_back({x, mix});
        }
        f.curves = {posterior, exact, model};
    }
    return f;
}

StepDensityFrame stepDensityFrame(int dim, const ScheduleSeries& s, int t, int tPrev, unsigned seed)
{
    std::mt19937 rng(seed);
    std::normal_distribution<double> normal;
    const QVector<Component> comps = components(dim);
    std::uniform_int_distribution<int> pick(0, comps.size() - 1);
    auto sample = [&]() {
        const Component& c = comps[pick(rng)];
        return QPointF(c.mean.x() + c.sd * normal(rng), dim == 2 ? c.mean.y() + c.sd * normal(rng) : 0.0);
    };
    QVector<QPointF> data;
    for (int i = 0; i < 300; ++i)
        data.push_back(sample());

    // The strided step's coefficients (improved DDPM respace.py): beta = 1 - abar_t / abar_tPrev.
    const double ab = s.alphaBar[t - 1];
    const double abPrev = tPrev > 0 ? s.alphaBar[tPrev - 1] : 1.0;
    const double beta = 1.0 - ab / abPrev;
    const double c1 = beta * std::sqrt(abPrev) / (1 - ab);
    const double c2 = std::sqrt(1 - beta) * (1 - abPrev) / (1 - ab);
    const double betaTilde = beta * (1 - abPrev) / (1 - ab);
    const double sd = std::sqrt(betaTilde);

    const QPointF x0 = data[0];
    const QPointF xt =
        std::sqrt(ab) * x0 + std::sqrt(1 - ab) * QPointF(normal(rng), dim == 2 ? normal(rng) : 0.0);
    // w_i(x_t) = q(x_0 = x^(i) | x_t) over the training set.
    QVector<double> w(data.size());
    double total = 0;
    for (int i = 0; i < data.size(); ++i) {
        const QPointF d = xt - std::sqrt(ab) * data[i];
        w[i] = std::exp(-(d.x() * d.x() + d.y() * d.y()) / (2 * (1 - ab)));
        total += w[i];
    }
    QPointF x0Mean, mean;
    QVector<QPointF> means(data.size());
    for (int i = 0; i < data.size(); ++i) {
        w[i] /= total;
        means[i] = c1 * data[i] + c2 * xt;
        x0Mean += w[i] * data[i];
        mean += w[i] * means[i];
    }
    double spread = 0;
    for (int i = 0; i < data.size(); ++i) {
        const QPointF d = means[i] - mean;
        spread += w[i] * (d.x() * d.x() + d.y() * d.y());
    }
    const QPointF posteriorMean = c1 * x0 + c2 * xt;
    // A model whose x0 guess is pulled a little towards the origin.
    const QPointF modelMean = c1 * (0.8 * x0Mean) + c2 * xt;
    // A square window around the mixture and both marks (2 sigma of each).
    const QPointF centre = (mean + posteriorMean + modelMean) / 3.0;
    double half = 3.0 * std::sqrt(spread / dim + betaTilde);
    for (const QPointF& m : {mean, posteriorMean, modelMean})
        half =
            std::max(half, std::max(std::fabs(m.x() - centre.x()), std::fabs(m.y() - centre.y())) + 2.4 * sd);

    StepDensityFrame f;
    f.dim = dim;
    f.caption = QStringLiteral("t = %1 → %2 · sample #1").arg(t).arg(tPrev);
    f.window = QRectF(centre.x() - half, (dim == 2 ? centre.y() : 0.0) - half, 2 * half, 2 * half);
    f.xt = xt;
    f.exactName = QStringLiteral("q(xₜ₋₁ | xₜ) exact (%1 points)").arg(data.size());
    auto mixture = [&](const QPointF& x) {
        double q = 0;
        for (int i = 0; i < data.size(); ++i) {
            if (w[i] < 1e-9) continue;
            const QPointF d = x - means[i];
            const double r2 = dim == 2 ? d.x() * d.x() + d.y() * d.y() : d.x() * d.x();
            q += w[i] * std::exp(-r2 / (2 * betaTilde)) / std::pow(2 * M_PI * betaTilde, dim / 2.0);
        }
        return q;
    };
    if (dim == 2) {
        f.densityColumns = f.densityRows = 96;
        for (int row = 0; row < 96; ++row)
            for (int col = 0; col < 96; ++col)
                f.exactDensity.push_back(
                    mixture(QPointF(f.window.left() + (col + 0.5) * f.window.width() / 96,
                                    f.window.bottom() - (row + 0.5) * f.window.height() / 96)));
    } else {
        for (int i = 0; i <= 400; ++i) {
            const double x = f.window.left() + f.window.width() * i / 400;
            f.exactCurve.push_back(QPointF(x, mixture(QPointF(x, 0))));
        }
    }
    QVector<int> order(data.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](int a, int b) { return w[a] > w[b]; });
    for (int k = 0; k < 16 && w[order[k]] > 1e-3; ++k) {
        f.componentMeans.push_back(means[order[k]]);
        f.componentWeights.push_back(w[order[k]]);
    }
    GaussianMark posterior{QStringLiteral("q(xₜ₋₁ | xₜ, x₀)"), posteriorMean, sd, palette::posterior(),
                           false};
    GaussianMark model{QStringLiteral("p_θ(xₜ₋₁ | xₜ)"), modelMean, sd, palette::model(), true};
    f.gaussians = {posterior, model};
    const QPointF gap = posterior.mean - model.mean;
    const double kl = (gap.x() * gap.x() + gap.y() * gap.y()) / (2 * betaTilde);
    f.notes = QStringList{QStringLiteral("β̃ = %1   (σ = %2)").arg(betaTilde, 0, 'g', 3).arg(sd, 0, 'g', 3),
                          QStringLiteral("KL(q ‖ p_θ) = %1 nats").arg(kl, 0, 'g', 3),
                          QStringLiteral("heaviest wᵢ = %1").arg(w[order[0]], 0, 'f', 3)};
    return f;
}

GalleryFrame galleryFrame(int neighbours)
{
    GalleryFrame f;
    f.caption = QStringLiteral("E[x₀ | xₜ] and the training images it averages (t = 400)");
    f.pinned = 2;
    f.emptyText = QStringLiteral("Choose a sample to see its nearest training images");
    f.items.push_back({toImage(ringImage(28, 0.4)), QStringLiteral("E[x₀ | xₜ] exact"),
                       QStringLiteral("Σ wᵢ x⁽ⁱ⁾"), palette::exact(), -1});
    f.items.push_back({toImage(ringImage(28, 0.9)), QStringLiteral("x̂₀ model"),
                       QStringLiteral("‖x̂₀ − E‖ = 0.21"), palette::model(), -1});
    double w = 0.42;
    for (int i = 0; i < neighbours; ++i) {
        f.items.push_back({toImage(ringImage(28, 0.3 * i)),
                           QStringLiteral("#%1 train %2").arg(i + 1).arg(4711 + 37 * i),
                           QStringLiteral("w = %1").arg(w, 0, 'f', 3), QColor(), w});
        w *= 0.62;
    }
    return f;
}

VlbSeries vlbSeries(const QString& name, int T, double scale, double decoderBits, const QColor& color)
{
    VlbSeries v;
    v.name = name;
    v.color = color;
    double total = 0;
    for (int t = 1; t <= T; ++t) {
        const double bits =
            t == 1 ? decoderBits : scale * (0.004 + 0.08 * std::exp(-t / 60.0)) * std::exp(-t / 900.0);
        v.t.push_back(t);
        v.termBits.push_back(bits);
        total += bits;
    }
    v.priorBits = 2.1e-5;
    v.totalBits = total + v.priorBits;
    return v;
}

QVector<double> mixtureDensity(const ScheduleSeries& s, int bins, double xmin, double xmax)
{
    const QVector<Component> comps = components(1);
    QVector<double> values;
    for (int t = 1; t <= s.size(); ++t) {
        const double ab = s.alphaBar[t - 1];
        for (int b = 0; b < bins; ++b) {
            const double x = xmin + (b + 0.5) * (xmax - xmin) / bins;
            double q = 0;
            for (const Component& c : comps)
                q += gauss(x, std::sqrt(ab) * c.mean.x(), ab * c.sd * c.sd + 1 - ab) / comps.size();
            values.push_back(q);
        }
    }
    return values;
}

ImageData ringImage(int size, double phase)
{
    ImageData img;
    img.channels = 1;
    img.height = img.width = size;
    img.values.resize(size * size);
    for (int y = 0; y < size; ++y)
        for (int x = 0; x < size; ++x) {
            const double dx = x - size / 2.0 + 0.5, dy = y - size / 2.0 + 0.5;
            const double r = std::hypot(dx, dy * (1.0 + 0.3 * std::sin(phase)));
            const double v = std::exp(-std::pow((r - size * 0.28) / 1.8, 2));
            img.values[y * size + x] = static_cast<float>(2 * v - 1);
        }
    return img;
}

ImageData noised(const ImageData& x0, double alphaBar, std::mt19937& rng)
{
    std::normal_distribution<float> normal;
    ImageData out = x0;
    for (float& v : out.values)
        v = static_cast<float>(std::sqrt(alphaBar) * v + std::sqrt(1 - alphaBar) * normal(rng));
    out.low = -2.5;
    out.high = 2.5;
    return out;
}

ImageData difference(const ImageData& a, const ImageData& b)
{
    ImageData out = a;
    for (size_t i = 0; i < out.values.size(); ++i)
        out.values[i] = a.values[i] - b.values[i];
    return out;
}

} // namespace difflens::widgets::demo
