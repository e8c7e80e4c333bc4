#include "core/trainer.h"

#include "core/diffusion.h"
#include "core/errors.h"
#include "core/json_util.h"
#include "core/tensor_io.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <cstdio>

namespace difflens {

struct Trainer::Impl
{
    std::shared_ptr<DenoiserNet> net, ema;
    std::shared_ptr<const Dataset> data;
    SchedulerConfig scheduler;
    NoiseSchedule schedule;
    Prediction prediction;
    TrainOptions opt;
    torch::Device device;
    std::unique_ptr<torch::optim::AdamW> optimizer;
    at::Generator gen;
    torch::Tensor alphaBars, betas, postLogVarClipped; // float64 on device
    int64_t step = 0;
    int64_t warmupFrom = 0; // the learning-rate warm-up starts here (a warm start restarts it)
    double emaLoss = std::nan("");
    std::vector<LossLogEntry> log;
    std::vector<double> lossSumByT, lossCountByT;

    Impl(std::shared_ptr<DenoiserNet> n, std::shared_ptr<DenoiserNet> e, std::shared_ptr<const Dataset> d,
         SchedulerConfig s, TrainOptions o, torch::Device dev)
        : net(std::move(n)), ema(std::move(e)), data(std::move(d)), scheduler(std::move(s)),
          schedule(NoiseSchedule::fromConfig(scheduler)), prediction(parsePrediction(scheduler.predictionType)),
          opt(std::move(o)), device(dev), gen(at::make_generator<at::CPUGeneratorImpl>(opt.seed))
    {
        const auto f64 = torch::TensorOptions().dtype(torch::kFloat64);
        alphaBars = torch::tensor(schedule.alphaBars(), f64).to(device);
        betas = torch::tensor(schedule.betas(), f64).to(device);
        postLogVarClipped = torch::tensor(schedule.posteriorLogVarianceClipped(), f64).to(device);
        lossSumByT.assign(static_cast<size_t>(schedule.size()), 0.0);
        lossCountByT.assign(static_cast<size_t>(schedule.size()), 0.0);
    }
};

Trainer::Trainer(std::shared_ptr<DenoiserNet> net, std::shared_ptr<DenoiserNet> ema,
                 std::shared_ptr<const Dataset> data, SchedulerConfig scheduler, TrainOptions options,
                 torch::Device device)
    : m(std::make_unique<Impl>(std::move(net), std::move(ema), std::move(data), std::move(scheduler),
                               std::move(options), device))
{
    if (m->opt.batch < 1) throw ConfigError("the batch size must be at least 1");
    if (m->opt.steps < 1) throw ConfigError("the number of training steps must be at least 1");
    if (!(m->opt.lr > 0)) throw ConfigError("the learning rate must be positive");
    if (m->opt.loss != "simple" && m->opt.loss != "hybrid") throw ConfigError("loss must be simple or hybrid");
    if (m->scheduler.isFlow() && m->opt.loss != "simple")
        throw ConfigError("flow matching trains the velocity with a plain MSE: the hybrid loss needs the DDPM chain");
    if (m->opt.conditional) {
        if (m->data->numClasses() == 0)
            throw ConfigError("the dataset '" + m->data->name() + "' has no class labels to train a conditional model on");
        if (m->net->numClasses() != m->data->numClasses())
            throw ConfigError("the net has " + std::to_string(m->net->numClasses()) + " classes but the dataset '" +
                              m->data->name() + "' has " + std::to_string(m->data->numClasses()));
        if (!(m->opt.pUncond >= 0 && m->opt.pUncond <= 1))
            throw ConfigError("the label-dropout probability p_uncond must lie in [0, 1]");
    }
    m->net->to(device);
    m->ema->to(device);
    {
        torch::NoGradGuard g;
        auto src = m->net->parameters();
        auto dst = m->ema->parameters();
        if (src.size() != dst.size()) throw Error("the EMA net must have the same architecture as the net");
        for (size_t i = 0; i < src.size(); ++i) dst[i].copy_(src[i]);
    }
    m->net->train();
    m->ema->eval();
    for (auto& p : m->ema->parameters()) p.set_requires_grad(false);
    m->optimizer = std::make_unique<torch::optim::AdamW>(
        m->net->parameters(), torch::optim::AdamWOptions(m->opt.lr).weight_decay(m->opt.weightDecay));
}

Trainer::~Trainer() = default;

double Trainer::step()
{
    auto& s = *m;
    const int64_t B = s.opt.batch;
    const int T = s.schedule.size();
    // Draw everything from the one CPU generator, in a fixed order, so a resumed run continues identically.
    torch::Tensor labels;
    const auto x0 = s.data->sample(B, s.gen, s.opt.conditional ? &labels : nullptr).to(s.device);
    const bool flow = s.scheduler.isFlow();
    torch::Tensor t, tIndex, modelT, noise, ab, xt;
    if (flow) {
        // Flow matching (Lipman et al.; rectified flow): t ~ U(0, 1), x_t = (1 - t) x_0 + t eps, target eps - x_0,
        // the model sees t * T as a float (diffusers' FlowMatchEulerDiscreteScheduler convention).
        t = torch::rand({B}, s.gen, torch::kFloat32).to(s.device);
        noise = torch::randn(x0.sizes(), s.gen, torch::kFloat32).to(s.device);
        const auto tt = diffusion::perSample(t, x0);
        xt = (1.0 - tt) * x0 + tt * noise;
        modelT = t * static_cast<float>(T);
        tIndex = (t * T).floor().to(torch::kInt64).clamp(0, T - 1);
    } else {
        t = torch::randint(T, {B}, s.gen, torch::kInt64).to(s.device);
        noise = torch::randn(x0.sizes(), s.gen, torch::kFloat32).to(s.device);
        ab = s.alphaBars.index_select(0, t);
        xt = diffusion::qSample(x0, ab, noise).to(torch::kFloat32);
        modelT = t;
        tIndex = t;
    }
    if (s.opt.conditional) {
        // Label dropout (Ho & Salimans Algorithm 1), drawn last so unconditional runs keep their draws.
        const auto drop = torch::rand({B}, s.gen, torch::kFloat32) < s.opt.pUncond;
        labels = torch::where(drop, torch::full_like(labels, -1), labels).to(s.device);
    }

    const double warm = s.opt.warmupSteps > 0
                            ? std::min(1.0, double(s.step - s.warmupFrom + 1) / double(s.opt.warmupSteps))
                            : 1.0;
    for (auto& group : s.optimizer->param_groups())
        static_cast<torch::optim::AdamWOptions&>(group.options()).lr(s.opt.lr * warm);

    auto out = s.opt.conditional ? s.net->forwardConditional(xt, modelT, labels) : s.net->forward(xt, modelT);
    torch::Tensor vbTerm;
    if (!flow && out.size(1) == 2 * x0.size(1) && out.dim() == x0.dim()) {
        auto parts = out.split(x0.size(1), 1);
        out = parts[0];
        if (s.opt.loss == "hybrid") {
            // L_vlb with a frozen mean (Nichol & Dhariwal, Sec. 3.1): only the variance learns from it.
            const auto frozen = diffusion::fromModelOutput(s.prediction, xt, out.detach(), ab);
            const auto abPrev = torch::where(t > 0, s.alphaBars.index_select(0, (t - 1).clamp_min(0)),
                                             torch::ones_like(ab));
            const auto beta = s.betas.index_select(0, t);
            const auto c1 = abPrev.sqrt() * beta / (1.0 - ab), c2 = (1.0 - beta).sqrt() * (1.0 - abPrev) / (1.0 - ab);
            const auto meanTrue = diffusion::perSample(c1, x0) * x0 + diffusion::perSample(c2, x0) * xt;
            const auto meanModel = diffusion::perSample(c1, x0) * frozen.x0 + diffusion::perSample(c2, x0) * xt;
            const auto minLog = diffusion::perSample(s.postLogVarClipped.index_select(0, t), x0);
            const auto maxLog = diffusion::perSample(beta.log(), x0);
            const auto frac = (parts[1] + 1.0) / 2.0;
            const auto logVar = frac * maxLog + (1.0 - frac) * minLog;
            const auto kl = diffusion::meanFlat(diffusion::normalKl(meanTrue, minLog.expand_as(x0), meanModel, logVar)) /
                            std::log(2.0);
            const auto nll = -diffusion::meanFlat(diffusion::gaussianLogLikelihood(x0, meanModel, logVar)) / std::log(2.0);
            vbTerm = torch::where(t == 0, nll, kl) * (static_cast<double>(T) / 1000.0);
        }
    }
    const auto target = flow ? noise - x0 : diffusion::trainingTarget(s.prediction, x0, noise, ab);
    const auto perSampleLoss = diffusion::meanFlat((out - target).pow(2));
    auto loss = perSampleLoss.mean();
    if (vbTerm.defined()) loss = loss + vbTerm.mean();
    if (!std::isfinite(loss.item<double>()))
        throw Error("training diverged at step " + std::to_string(s.step) + " (loss is NaN): lower the learning rate");

    s.optimizer->zero_grad();
    loss.backward();
    if (s.opt.gradClip > 0) torch::nn::utils::clip_grad_norm_(s.net->parameters(), s.opt.gradClip);
    s.optimizer->step();
    {
        torch::NoGradGuard g;
        auto src = s.net->parameters();
        auto dst = s.ema->parameters();
        const double d = std::min(s.opt.emaDecay, (1.0 + s.step) / (10.0 + s.step)); // warm-up of the EMA
        for (size_t i = 0; i < src.size(); ++i) dst[i].mul_(d).add_(src[i], 1.0 - d);
    }
    const auto tCpu = tIndex.to(torch::kCPU);
    const auto lCpu = perSampleLoss.detach().to(torch::kCPU, torch::kFloat64);
    const auto* tp = tCpu.data_ptr<int64_t>();
    const auto* lp = lCpu.data_ptr<double>();
    for (int64_t i = 0; i < B; ++i) {
        s.lossSumByT[static_cast<size_t>(tp[i])] += lp[i];
        s.lossCountByT[static_cast<size_t>(tp[i])] += 1.0;
    }
    const double value = loss.item<double>();
    s.emaLoss = std::isnan(s.emaLoss) ? value : 0.98 * s.emaLoss + 0.02 * value;
    ++s.step;
    s.log.push_back({s.step, value, s.emaLoss});
    return value;
}

bool Trainer::run(const std::function<void(const TrainProgress&)>& onProgress, const std::atomic_bool* cancel,
                  const std::string& checkpointPath)
{
    using clock = std::chrono::steady_clock;
    const auto start = clock::now();
    const int64_t firstStep = m->step;
    auto report = [&](double loss) {
        if (!onProgress) return;
        TrainProgress p;
        p.step = m->step;
        p.total = m->opt.steps;
        p.loss = loss;
        p.emaLoss = m->emaLoss;
        const double secs = std::chrono::duration<double>(clock::now() - start).count();
        p.stepsPerSecond = secs > 0 ? double(m->step - firstStep) / secs : 0.0;
        p.etaSeconds = p.stepsPerSecond > 0 ? double(m->opt.steps - m->step) / p.stepsPerSecond : 0.0;
        onProgress(p);
    };
    while (m->step < m->opt.steps) {
        if (cancel && cancel->load()) {
            if (!checkpointPath.empty()) saveCheckpoint(checkpointPath);
            return false;
        }
        const double loss = step();
        if (m->opt.logEvery > 0 && (m->step % m->opt.logEvery == 0 || m->step == m->opt.steps)) report(loss);
        if (!checkpointPath.empty() && m->opt.checkpointEvery > 0 && m->step % m->opt.checkpointEvery == 0)
            saveCheckpoint(checkpointPath);
    }
    if (!checkpointPath.empty()) saveCheckpoint(checkpointPath);
    return true;
}

void Trainer::saveCheckpoint(const std::string& path) const
{
    torch::serialize::OutputArchive archive, netArchive, emaArchive, optArchive;
    m->net->save(netArchive);
    m->ema->save(emaArchive);
    m->optimizer->save(optArchive);
    archive.write("net", netArchive);
    archive.write("ema", emaArchive);
    archive.write("optimizer", optArchive);
    archive.write("step", torch::tensor(m->step, torch::kInt64));
    archive.write("ema_loss", torch::tensor(m->emaLoss, torch::kFloat64));
    archive.write("warmup_from", torch::tensor(m->warmupFrom, torch::kInt64));
    archive.write("generator_state", m->gen.get_state());
    std::vector<int64_t> steps;
    std::vector<double> losses, emas;
    for (const auto& e : m->log) {
        steps.push_back(e.step);
        losses.push_back(e.loss);
        emas.push_back(e.emaLoss);
    }
    archive.write("log_step", torch::tensor(steps, torch::kInt64));
    archive.write("log_loss", torch::tensor(losses, torch::kFloat64));
    archive.write("log_ema", torch::tensor(emas, torch::kFloat64));
    archive.write("loss_sum_by_t", torch::tensor(m->lossSumByT, torch::kFloat64));
    archive.write("loss_count_by_t", torch::tensor(m->lossCountByT, torch::kFloat64));
    const std::string tmp = path + ".tmp";
    try {
        archive.save_to(tmp);
    } catch (const std::exception& e) {
        std::remove(tmp.c_str());
        throw IoError("cannot write checkpoint '" + path + "': " + describeException(e));
    }
    json_util::commitAtomic(tmp, path, "checkpoint");
}

void Trainer::resume(const std::string& path)
{
    try {
        torch::serialize::InputArchive archive, netArchive, emaArchive, optArchive;
        archive.load_from(path, m->device);
        archive.read("net", netArchive);
        archive.read("ema", emaArchive);
        archive.read("optimizer", optArchive);
        m->net->load(netArchive);
        m->ema->load(emaArchive);
        m->optimizer->load(optArchive);
        // Each read needs a fresh tensor: reading into a defined one resizes it in place.
        const auto read = [&archive](const char* key) {
            torch::Tensor t;
            archive.read(key, t);
            return t.to(torch::kCPU);
        };
        m->step = read("step").item<int64_t>();
        m->emaLoss = read("ema_loss").item<double>();
        m->warmupFrom = 0;
        torch::Tensor warmupFrom; // checkpoints written before warm starts existed have none
        if (archive.try_read("warmup_from", warmupFrom)) m->warmupFrom = warmupFrom.item<int64_t>();
        m->gen.set_state(read("generator_state"));
        const auto ls = read("log_step"), ll = read("log_loss").contiguous(), le = read("log_ema").contiguous();
        m->log.clear();
        for (int64_t i = 0; i < ls.size(0); ++i)
            m->log.push_back({ls[i].item<int64_t>(), ll.data_ptr<double>()[i], le.data_ptr<double>()[i]});
        const auto sums = read("loss_sum_by_t").contiguous(), counts = read("loss_count_by_t").contiguous();
        m->lossSumByT.assign(sums.data_ptr<double>(), sums.data_ptr<double>() + sums.numel());
        m->lossCountByT.assign(counts.data_ptr<double>(), counts.data_ptr<double>() + counts.numel());
    } catch (const Error&) {
        throw;
    } catch (const std::exception& e) {
        throw ModelError("cannot resume from '" + path + "' (missing, corrupt, or another architecture): " +
                         describeException(e));
    }
    m->net->train();
}

void Trainer::warmStart(int64_t stepsDone, std::vector<LossLogEntry> priorLog)
{
    if (stepsDone < 0) throw ConfigError("a warm start needs a step count of at least 0");
    m->step = stepsDone;
    m->warmupFrom = stepsDone;
    m->log = std::move(priorLog);
    while (!m->log.empty() && m->log.back().step > stepsDone)
        m->log.pop_back();
    m->emaLoss = m->log.empty() ? std::nan("") : m->log.back().emaLoss;
    // A new stream: the batches drawn from here on are not the ones the first part of the run saw.
    m->gen = at::make_generator<at::CPUGeneratorImpl>(m->opt.seed * 1000003ULL + static_cast<uint64_t>(stepsDone));
    m->net->train();
}

int64_t Trainer::currentStep() const
{
    return m->step;
}
const std::vector<LossLogEntry>& Trainer::log() const
{
    return m->log;
}
std::shared_ptr<DenoiserNet> Trainer::emaNet() const
{
    return m->ema;
}
const TrainOptions& Trainer::options() const
{
    return m->opt;
}
void Trainer::setTotalSteps(int64_t steps)
{
    m->opt.steps = steps;
}

std::vector<std::pair<double, double>> Trainer::lossByT(int bins) const
{
    const int T = m->schedule.size();
    bins = std::max(1, std::min(bins, T));
    std::vector<double> sum(static_cast<size_t>(bins), 0.0), count(static_cast<size_t>(bins), 0.0);
    for (int k = 0; k < T; ++k) {
        const size_t b = static_cast<size_t>(static_cast<int64_t>(k) * bins / T);
        sum[b] += m->lossSumByT[static_cast<size_t>(k)];
        count[b] += m->lossCountByT[static_cast<size_t>(k)];
    }
    std::vector<std::pair<double, double>> out;
    for (int b = 0; b < bins; ++b)
        if (count[static_cast<size_t>(b)] > 0)
            out.emplace_back((b + 0.5) * T / bins, sum[static_cast<size_t>(b)] / count[static_cast<size_t>(b)]);
    return out;
}

void Trainer::writeLossCsv(const std::string& path) const
{
    std::string text = "step,loss,ema_loss\n";
    char line[96];
    for (const auto& e : m->log) {
        std::snprintf(line, sizeof line, "%lld,%.6g,%.6g\n", static_cast<long long>(e.step), e.loss, e.emaLoss);
        text += line;
    }
    writeFileAtomic(path, std::vector<char>(text.begin(), text.end()));
}

void Trainer::writeLossByTCsv(const std::string& path, int bins) const
{
    std::string text = "t,loss\n";
    char line[64];
    for (const auto& [t, l] : lossByT(bins)) {
        std::snprintf(line, sizeof line, "%.1f,%.6g\n", t, l);
        text += line;
    }
    writeFileAtomic(path, std::vector<char>(text.begin(), text.end()));
}

} // namespace difflens
