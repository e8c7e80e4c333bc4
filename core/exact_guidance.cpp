// Exact class-conditional denoisers (one exact mixture denoiser per class beside the one of all the data) and
// the tilted target p(x|c)^w p(x)^(1-w) of guidance on a grid (core/MATH.md, "Guidance").
#include "core/exact_guidance.h"

#include "core/errors.h"
#include "core/guidance.h"
#include "core/sampler.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>

namespace difflens {

namespace {

torch::Tensor selectOrEmpty(const torch::Tensor& t, const torch::Tensor& idx)
{
    return t.defined() && t.numel() > 0 ? t.index_select(0, idx) : torch::Tensor();
}

} // namespace

ConditionalMixtureDenoiser::ConditionalMixtureDenoiser(const NoiseSchedule& schedule,
                                                       const torch::Tensor& means, const torch::Tensor& stds,
                                                       const torch::Tensor& weights,
                                                       const torch::Tensor& classes, int64_t numClasses,
                                                       torch::Device device)
{
    if (numClasses < 1) throw DataError("an exact conditional denoiser needs at least one class");
    if (!classes.defined() || classes.dim() != 1 || classes.size(0) != means.size(0))
        throw DataError("an exact conditional denoiser needs one class per component (" +
                        std::to_string(means.size(0)) + ")");
    m_classes = classes.to(torch::kCPU, torch::kInt64).contiguous();
    if ((m_classes < 0).any().item<bool>() || (m_classes >= numClasses).any().item<bool>())
        throw DataError("component classes must lie in 0.." + std::to_string(numClasses - 1));
    m_all = std::make_shared<GaussianMixtureDenoiser>(schedule, means, stds, weights, device);
    const auto meansCpu = means.to(torch::kCPU);
    const auto stdsCpu = stds.defined() ? stds.to(torch::kCPU) : stds;
    const auto weightsCpu = weights.defined() ? weights.to(torch::kCPU) : weights;
    for (int64_t c = 0; c < numClasses; ++c) {
        const auto idx = (m_classes == c).nonzero().squeeze(1);
        if (idx.numel() == 0) {
            m_byClass.push_back(nullptr);
            continue;
        }
        // q(x_0 | c): class c's components with their weights renormalised (the denoiser normalises them).
        m_byClass.push_back(std::make_shared<GaussianMixtureDenoiser>(
            schedule, meansCpu.index_select(0, idx), selectOrEmpty(stdsCpu, idx),
            selectOrEmpty(weightsCpu, idx), device));
    }
}

void ConditionalMixtureDenoiser::moveTo(torch::Device device)
{
    m_all->moveTo(device);
    for (auto& d : m_byClass)
        if (d) d->moveTo(device);
}

void ConditionalMixtureDenoiser::usePath(const SchedulerConfig& config)
{
    m_all->usePath(config);
    for (auto& d : m_byClass)
        if (d) d->usePath(config);
}

const GaussianMixtureDenoiser& ConditionalMixtureDenoiser::ofClass(int64_t c) const
{
    if (c < 0 || c >= numClasses())
        throw ModelError("class " + std::to_string(c) + " is outside this model's classes 0.." +
                         std::to_string(numClasses() - 1));
    if (!m_byClass[static_cast<size_t>(c)])
        throw ModelError("class " + std::to_string(c) +
                         " has no items in this exact model's data (use a larger n)");
    return *m_byClass[static_cast<size_t>(c)];
}

torch::Tensor ConditionalMixtureDenoiser::forward(const torch::Tensor& x, const torch::Tensor& t)
{
    return m_all->forward(x, t);
}

torch::Tensor ConditionalMixtureDenoiser::forwardConditional(const torch::Tensor& x, const torch::Tensor& t,
                                                             const torch::Tensor& classes)
{
    const int64_t B = x.size(0);
    // Rows 0..K-1 are classes, row K the null class (unconditional).
    const auto rows = classEmbeddingRows(classes, numClasses(), B, torch::kCPU);
    const auto unique = std::get<0>(at::_unique(rows));
    if (unique.size(0) == 1) {
        const int64_t c = unique[0].item<int64_t>();
        return c == numClasses() ? m_all->forward(x, t)
                                 : const_cast<GaussianMixtureDenoiser&>(ofClass(c)).forward(x, t);
    }
    auto out = torch::empty_like(x);
    const auto tB = t.expand({B});
    for (int64_t k = 0; k < unique.size(0); ++k) {
        const int64_t c = unique[k].item<int64_t>();
        const auto mask = (rows == c).nonzero().squeeze(1).to(x.device());
        auto& d = c == numClasses() ? *m_all : const_cast<GaussianMixtureDenoiser&>(ofClass(c));
        out.index_copy_(0, mask,
                        d.forward(x.index_select(0, mask), tB.index_select(0, mask.to(tB.device()))));
    }
    return out;
}

std::shared_ptr<GaussianMixtureDenoiser> exactMixtureOf(const std::shared_ptr<Denoiser>& model)
{
    std::shared_ptr<Denoiser> m = model;
    if (auto guided = std::dynamic_pointer_cast<GuidedDenoiser>(m)) m = guided->inner();
    if (auto conditional = std::dynamic_pointer_cast<ConditionalMixtureDenoiser>(m))
        return conditional->all();
    return std::dynamic_pointer_cast<GaussianMixtureDenoiser>(m);
}

torch::Tensor mixtureLogDensity(const MixtureSpec& mix, const torch::Tensor& x)
{
    const auto m = mix.means.to(torch::kCPU, torch::kFloat64);       // [K, d]
    const auto v = mix.stds.to(torch::kCPU, torch::kFloat64).pow(2); // [K]
    const auto logW = (mix.weights.to(torch::kCPU, torch::kFloat64) / mix.weights.sum().item<double>()).log();
    if (!(v > 0).all().item<bool>()) throw DataError("a mixture density needs positive component widths");
    const auto xs = x.to(torch::kCPU, torch::kFloat64).reshape({x.size(0), -1}); // [G, d]
    const double d = static_cast<double>(m.size(1));
    const auto dist = (xs.unsqueeze(1) - m.unsqueeze(0)).pow(2).sum(2); // [G, K]
    return torch::logsumexp(
        logW.unsqueeze(0) - 0.5 * d * (2.0 * M_PI * v).log().unsqueeze(0) - dist / (2.0 * v.unsqueeze(0)), 1);
}

torch::Tensor tiltedLogDensity(const MixtureSpec& mix, const torch::Tensor& classes, int64_t c, double w,
                               const torch::Tensor& x, double cellVolume)
{
    const auto idx = (classes.to(torch::kCPU, torch::kInt64) == c).nonzero().squeeze(1);
    if (idx.numel() == 0) throw DataError("class " + std::to_string(c) + " has no components");
    MixtureSpec ofClass{mix.means.index_select(0, idx), mix.stds.index_select(0, idx),
                        mix.weights.index_select(0, idx)};
    const auto logTarget = w * mixtureLogDensity(ofClass, x) + (1.0 - w) * mixtureLogDensity(mix, x);
    return logTarget - torch::logsumexp(logTarget, 0) - std::log(cellVolume);
}

torch::Tensor regularGrid(int dim, double lo, double hi, int n)
{
    if (dim != 1 && dim != 2) throw DataError("grids are 1-D or 2-D");
    const double h = (hi - lo) / n;
    const auto axis = lo + (torch::arange(n, torch::kFloat64) + 0.5) * h;
    if (dim == 1) return axis.unsqueeze(1);
    const auto mesh = torch::meshgrid({axis, axis}, "ij"); // row i: y from the first axis, x from the second
    return torch::stack({mesh[1].flatten(), mesh[0].flatten()}, 1);
}

namespace {

/** Histogram of points on the grid's cells (the cell containing each point), as a density: [G]. */
torch::Tensor histogramDensity(const torch::Tensor& points, int dim, double lo, double hi, int n)
{
    const double h = (hi - lo) / n;
    const auto idx = ((points.to(torch::kFloat64) - lo) / h).floor().to(torch::kInt64); // [N, d]
    const auto inside = ((idx >= 0) & (idx < n)).all(1);
    const auto kept = idx.index({inside});
    // regularGrid's order: cell (row i = y, column j = x) at i * n + j; 1-D: the cell itself.
    const auto cell = dim == 1 ? kept.select(1, 0) : kept.select(1, 1) * n + kept.select(1, 0);
    const int64_t cells = dim == 1 ? n : static_cast<int64_t>(n) * n;
    auto counts = torch::zeros({cells}, torch::kFloat64);
    counts.index_add_(0, cell, torch::ones({cell.size(0)}, torch::kFloat64));
    return counts / (static_cast<double>(points.size(0)) * std::pow(h, dim));
}

std::vector<double> toVector(const torch::Tensor& t)
{
    const auto c = t.to(torch::kCPU, torch::kFloat64).contiguous();
    return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
}

} // namespace

namespace {

/** A perceptually ordered colour ramp (dark blue -> teal -> yellow, close to viridis), v in [0, 1]. */
void ramp(double v, uint8_t* rgb)
{
    static const double stops[5][3] = {
        {68, 1, 84}, {59, 82, 139}, {33, 145, 140}, {94, 201, 98}, {253, 231, 37}};
    v = std::clamp(v, 0.0, 1.0) * 4.0;
    const int i = std::min(3, static_cast<int>(v));
    const double f = v - i;
    for (int c = 0; c < 3; ++c)
        rgb[c] = static_cast<uint8_t>(stops[i][c] + f * (stops[i + 1][c] - stops[i][c]));
}

void heatMap(RgbFrame& frame, int x0, int y0, int side, const std::vector<double>& density, int n,
             double vmax)
{
    for (int py = 0; py < side; ++py)
        for (int px = 0; px < side; ++px) {
            const int j = px * n / side, i = (side - 1 - py) * n / side; // y up
            ramp(std::sqrt(density[static_cast<size_t>(i) * n + j] / vmax), frame.pixel(x0 + px, y0 + py));
        }
}

void plot1d(RgbFrame& frame, int x0, int y0, int w, int h, const std::vector<double>& target,
            const std::vector<double>& samples, double vmax)
{
    const int n = static_cast<int>(target.size());
    for (int px = 0; px < w; ++px) {
        const int j = px * n / w;
        const int bar = static_cast<int>(samples[static_cast<size_t>(j)] / vmax * (h - 1));
        for (int py = 0; py < std::min(bar, h); ++py) {
            uint8_t* p = frame.pixel(x0 + px, y0 + h - 1 - py);
            p[0] = p[1] = p[2] = 170;
        }
    }
    for (int px = 0; px + 1 < w; ++px) { // the target curve, 3 px thick
        const auto yAt = [&](int x) {
            return h - 1 - static_cast<int>(target[static_cast<size_t>(x * n / w)] / vmax * (h - 1));
        };
        const int a = yAt(px), b = yAt(px + 1);
        for (int py = std::min(a, b) - 1; py <= std::max(a, b) + 1; ++py)
            if (py >= 0 && py < h) {
                uint8_t* p = frame.pixel(x0 + px, y0 + py);
                p[0] = 220, p[1] = 30, p[2] = 30;
            }
    }
}

} // namespace

RgbFrame renderTiltedComparison(const std::vector<TiltedComparison>& rows, int dim, int gridSize, int panel)
{
    const int gap = 6;
    const int width = dim == 2 ? 2 * panel + 3 * gap : 2 * panel + 2 * gap;
    const int rowHeight = dim == 2 ? panel : panel / 2;
    RgbFrame frame(width, static_cast<int>(rows.size()) * (rowHeight + gap) + gap, 255);
    for (size_t r = 0; r < rows.size(); ++r) {
        const auto target = toVector(rows[r].targetDensity), samples = toVector(rows[r].sampleDensity);
        const double vmax = std::max(*std::max_element(target.begin(), target.end()),
                                     *std::max_element(samples.begin(), samples.end()));
        const int y0 = gap + static_cast<int>(r) * (rowHeight + gap);
        if (dim == 2) {
            heatMap(frame, gap, y0, panel, target, gridSize, vmax);
            heatMap(frame, 2 * gap + panel, y0, panel, samples, gridSize, vmax);
        } else {
            plot1d(frame, gap, y0, 2 * panel, rowHeight, target, samples, vmax);
        }
    }
    return frame;
}

std::vector<TiltedComparison> compareGuidedWithTilted(const Dataset& dataset,
                                                      const TiltedComparisonOptions& o,
                                                      const std::function<void(int, int)>& progress)
{
    const MixtureSpec* mix = dataset.mixture();
    if (!mix || dataset.numClasses() == 0)
        throw DataError(
            "the tilted-target comparison needs a labelled mixture dataset (8gaussians, gmm1d), not '" +
            dataset.name() + "'");
    const int dim = static_cast<int>(mix->means.size(1));
    const int n = o.gridSize > 0 ? o.gridSize : (dim == 1 ? 400 : 80);
    SchedulerConfig cfg;
    cfg.numTrainTimesteps = 1000;
    cfg.clipSample = false;
    const auto schedule = NoiseSchedule::fromConfig(cfg);
    auto exact = std::make_shared<ConditionalMixtureDenoiser>(
        schedule, mix->means, mix->stds, mix->weights, dataset.componentClasses(), dataset.numClasses());
    validateGuidance(exact->numClasses(), o.classIndex, 1.0);
    const ReverseProcess process(cfg, SamplerKind::Ddpm, o.steps);
    const auto grid = regularGrid(dim, o.lo, o.hi, n);
    const double cellVolume = std::pow((o.hi - o.lo) / n, dim);
    std::vector<TiltedComparison> out;
    int done = 0;
    for (double w : o.scales) {
        GuidedDenoiser guided(exact, o.classIndex, w);
        SamplerOptions so;
        so.seed = o.seed;
        so.batch = o.samples;
        so.sampleShape = {dim};
        TiltedComparison r;
        r.scale = w;
        r.samples = runSampler(guided, process, so).sample.to(torch::kFloat64);
        r.targetDensity =
            tiltedLogDensity(*mix, dataset.componentClasses(), o.classIndex, w, grid, cellVolume).exp();
        r.sampleDensity = histogramDensity(r.samples, dim, o.lo, o.hi, n);
        r.totalVariation = 0.5 * (r.sampleDensity - r.targetDensity).abs().sum().item<double>() * cellVolume;
        const auto p = (r.targetDensity * cellVolume).unsqueeze(1); // [G, 1] cell probabilities
        const auto targetMean = (p * grid).sum(0);
        r.targetMean = toVector(targetMean);
        r.targetStd = std::sqrt((p * (grid - targetMean).pow(2)).sum().item<double>() / dim);
        r.targetRadius = (p.squeeze(1) * grid.norm(2, 1)).sum().item<double>();
        const auto sampleMean = r.samples.mean(0);
        r.sampleMean = toVector(sampleMean);
        r.sampleStd = std::sqrt((r.samples - sampleMean).pow(2).sum(1).mean().item<double>() / dim);
        r.sampleRadius = r.samples.norm(2, 1).mean().item<double>();
        out.push_back(std::move(r));
        if (progress) progress(++done, static_cast<int>(o.scales.size()));
    }
    return out;
}

} // namespace difflens
