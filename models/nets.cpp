#include "models/nets.h"

#include "core/errors.h"
#include "core/json_util.h"
#include "core/load_probe.h"
#include "core/pickle_scan.h"
#include "core/resources.h"

#include <torch/torch.h>

#include <cmath>

namespace difflens {

namespace F = torch::nn::functional;

torch::Tensor timestepEmbedding(const torch::Tensor& t, int64_t dim, double scale)
{
    const int64_t half = dim / 2;
    const auto freqs =
        torch::exp(-std::log(10000.0) * torch::arange(half, torch::TensorOptions().dtype(torch::kFloat32).device(t.device())) /
                   std::max<int64_t>(half - 1, 1));
    const auto args = (t.to(torch::kFloat32) * scale).unsqueeze(-1) * freqs;
    return torch::cat({torch::sin(args), torch::cos(args)}, -1);
}

// ---------------- MLP ----------------

nlohmann::json MlpConfig::toJson() const
{
    nlohmann::json j = {{"type", "mlp"},    {"dim", dim},     {"hidden", hidden},
                        {"blocks", blocks}, {"embed", embed}, {"input_scale", inputScale},
                        {"learn_variance", learnVariance}};
    if (numClasses > 0) j["num_classes"] = numClasses; // absent: unconditional, as in packages made before
    if (xSkip) j["x_skip"] = true;                     // absent: the architecture of packages made before
    return j;
}

MlpConfig MlpConfig::fromJson(const nlohmann::json& j)
{
    using namespace json_util;
    const std::string o = "architecture (mlp)";
    MlpConfig c;
    c.dim = getInt(j, "dim", c.dim, o);
    c.hidden = getInt(j, "hidden", c.hidden, o);
    c.blocks = getInt(j, "blocks", c.blocks, o);
    c.embed = getInt(j, "embed", c.embed, o);
    c.inputScale = getDouble(j, "input_scale", c.inputScale, o);
    c.learnVariance = getBool(j, "learn_variance", c.learnVariance, o);
    c.numClasses = getInt(j, "num_classes", 0, o);
    c.xSkip = getBool(j, "x_skip", false, o);
    if (c.numClasses < 0) throw ConfigError(o + ": num_classes must be 0 (unconditional) or more");
    if (c.dim < 1 || c.dim > 3) throw ConfigError(o + ": dim must be 1, 2 or 3");
    if (c.hidden < 1 || c.blocks < 0 || c.embed < 2) throw ConfigError(o + ": sizes must be positive");
    if (!std::isfinite(c.inputScale)) throw ConfigError(o + ": input_scale must be a finite number");
    return c;
}

MlpNet::MlpNet(const MlpConfig& c) : m_config(c)
{
    const int64_t in = static_cast<int64_t>(c.dim + 1) * c.embed;
    if (c.numClasses > 0) {
        m_classEmbed = register_module("class_embed", torch::nn::Embedding(c.numClasses + 1, c.embed));
        torch::NoGradGuard g;
        m_classEmbed->weight.zero_();
    }
    m_in = register_module("input", torch::nn::Linear(in, c.hidden));
    m_blocks = register_module("blocks", torch::nn::ModuleList());
    for (int i = 0; i < c.blocks; ++i) m_blocks->push_back(torch::nn::Linear(c.hidden, c.hidden));
    m_norm = register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.hidden})));
    m_out = register_module("out", torch::nn::Linear(c.hidden, c.learnVariance ? 2 * c.dim : c.dim));
    if (c.xSkip) {
        m_xGain = register_module("x_gain", torch::nn::Linear(c.embed, c.dim));
        torch::NoGradGuard g;
        m_xGain->weight.zero_();
        m_xGain->bias.zero_();
    }
}

torch::Tensor MlpNet::forward(torch::Tensor x, torch::Tensor t)
{
    return forwardConditional(std::move(x), std::move(t), {});
}

torch::Tensor MlpNet::forwardConditional(torch::Tensor x, torch::Tensor t, torch::Tensor classes)
{
    std::vector<torch::Tensor> parts;
    for (int i = 0; i < m_config.dim; ++i)
        parts.push_back(timestepEmbedding(x.select(1, i), m_config.embed, m_config.inputScale));
    auto temb = timestepEmbedding(t, m_config.embed);
    if (m_classEmbed)
        temb = temb + m_classEmbed->forward(classEmbeddingRows(classes, m_config.numClasses, x.size(0), x.device()));
    else
        requireUnconditional(classes);
    parts.push_back(temb);
    auto h = F::gelu(m_in->forward(torch::cat(parts, 1)));
    for (const auto& block : *m_blocks) h = h + F::gelu(block->as<torch::nn::LinearImpl>()->forward(h)); // tiny-diffusion block
    auto out = m_out->forward(m_norm->forward(h));
    if (!m_xGain) return out;
    const auto linear = m_xGain->forward(temb) * x; // the learned per-time gain on x_t (MlpConfig::xSkip)
    if (!m_config.learnVariance) return out + linear;
    return torch::cat({out.narrow(1, 0, m_config.dim) + linear, out.narrow(1, m_config.dim, m_config.dim)}, 1);
}

// ---------------- UNet ----------------

nlohmann::json UnetConfig::toJson() const
{
    nlohmann::json j = {{"type", "unet"},         {"channels", channels}, {"size", size},
                        {"base", base},           {"mults", mults},       {"res_blocks", resBlocks},
                        {"attention", attention}, {"groups", groups},     {"learn_variance", learnVariance}};
    if (numClasses > 0) j["num_classes"] = numClasses;
    return j;
}

UnetConfig UnetConfig::fromJson(const nlohmann::json& j)
{
    using namespace json_util;
    const std::string o = "architecture (unet)";
    UnetConfig c;
    c.channels = getInt(j, "channels", c.channels, o);
    c.size = getInt(j, "size", c.size, o);
    c.base = getInt(j, "base", c.base, o);
    c.resBlocks = getInt(j, "res_blocks", c.resBlocks, o);
    c.attention = getBool(j, "attention", c.attention, o);
    c.groups = getInt(j, "groups", c.groups, o);
    c.learnVariance = getBool(j, "learn_variance", c.learnVariance, o);
    c.numClasses = getInt(j, "num_classes", 0, o);
    if (c.numClasses < 0) throw ConfigError(o + ": num_classes must be 0 (unconditional) or more");
    if (j.contains("mults")) {
        if (!j["mults"].is_array()) throw ConfigError(o + ": mults must be an array of positive integers");
        c.mults.clear();
        for (const auto& m : j["mults"]) {
            if (!m.is_number_integer() || m.get<int64_t>() < 1 || m.get<int64_t>() > 64)
                throw ConfigError(o + ": mults must be integers from 1 to 64, got " + m.dump());
            c.mults.push_back(m.get<int>());
        }
    }
    if (c.channels < 1 || c.size < 1 || c.base < 1 || c.resBlocks < 0 || c.groups < 1)
        throw ConfigError(o +
                          ": channels, size, base and groups must be positive and res_blocks non-negative");
    if (c.mults.empty() || c.mults.size() > 8) throw ConfigError(o + ": mults needs 1 to 8 levels");
    if (c.base < c.groups || c.base % c.groups) throw ConfigError(o + ": base must be a multiple of groups");
    if (c.size % (1 << (c.mults.size() - 1))) throw ConfigError(o + ": size must be divisible by 2^(levels-1)");
    return c;
}

namespace {

/** SiLU in place on a fresh activation: sampling only (autograd keeps SiLU's input for the backward pass). */
torch::Tensor siluInPlace(torch::Tensor t)
{
    return torch::silu_(t);
}

struct ResBlockImpl : torch::nn::Module
{
    ResBlockImpl(int64_t in, int64_t out, int64_t tembDim, int64_t groups)
    {
        norm1 = register_module("norm1", torch::nn::GroupNorm(groups, in));
        conv1 = register_module("conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 3).padding(1)));
        temb = register_module("temb", torch::nn::Linear(tembDim, out));
        norm2 = register_module("norm2", torch::nn::GroupNorm(groups, out));
        conv2 = register_module("conv2", torch::nn::Conv2d(torch::nn::Conv2dOptions(out, out, 3).padding(1)));
        if (in != out) skip = register_module("skip", torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 1)));
    }
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& emb)
    {
        if (!torch::GradMode::is_enabled()) {
            // Sampling: the same operations, in place on the fresh tensors (autograd would need the inputs), so a
            // block allocates three activations instead of seven (same bits; bench_sampler's UNet rows).
            auto h = conv1->forward(siluInPlace(norm1->forward(x)));
            h.add_(temb->forward(F::silu(emb)).unsqueeze(-1).unsqueeze(-1));
            h = conv2->forward(siluInPlace(norm2->forward(h)));
            return skip ? h.add_(skip->forward(x)) : h.add_(x);
        }
        auto h = conv1->forward(F::silu(norm1->forward(x)));
        h = h + temb->forward(F::silu(emb)).unsqueeze(-1).unsqueeze(-1);
        h = conv2->forward(F::silu(norm2->forward(h)));
        return (skip ? skip->forward(x) : x) + h;
    }
    torch::nn::GroupNorm norm1{nullptr}, norm2{nullptr};
    torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, skip{nullptr};
    torch::nn::Linear temb{nullptr};
};
TORCH_MODULE(ResBlock);

struct AttentionImpl : torch::nn::Module
{
    AttentionImpl(int64_t ch, int64_t groups)
    {
        norm = register_module("norm", torch::nn::GroupNorm(groups, ch));
        qkv = register_module("qkv", torch::nn::Conv2d(torch::nn::Conv2dOptions(ch, 3 * ch, 1)));
        proj = register_module("proj", torch::nn::Conv2d(torch::nn::Conv2dOptions(ch, ch, 1)));
    }
    torch::Tensor forward(const torch::Tensor& x)
    {
        const auto B = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3);
        const auto parts = qkv->forward(norm->forward(x)).reshape({B, 3, C, H * W}).unbind(1);
        const auto weights = torch::softmax(torch::bmm(parts[0].transpose(1, 2), parts[1]) / std::sqrt(double(C)), -1);
        const auto out = torch::bmm(parts[2], weights.transpose(1, 2)).reshape({B, C, H, W});
        return x + proj->forward(out);
    }
    torch::nn::GroupNorm norm{nullptr};
    torch::nn::Conv2d qkv{nullptr}, proj{nullptr};
};
TORCH_MODULE(Attention);

} // namespace

struct UnetNet::Impl
{
    torch::nn::Linear temb1{nullptr}, temb2{nullptr};
    torch::nn::Embedding classEmbed{nullptr}; // [numClasses + 1, 4 base], the null class last
    torch::nn::Conv2d in{nullptr}, out{nullptr};
    torch::nn::GroupNorm outNorm{nullptr};
    std::vector<std::vector<ResBlock>> down, up; // per level
    std::vector<torch::nn::Conv2d> downsample, upsample;
    ResBlock mid1{nullptr}, mid2{nullptr};
    Attention midAttn{nullptr};
};

UnetNet::UnetNet(const UnetConfig& c) : m_config(c), m_impl(std::make_shared<Impl>())
{
    auto& m = *m_impl;
    const int64_t tdim = 4 * c.base;
    m.temb1 = register_module("temb1", torch::nn::Linear(c.base, tdim));
    m.temb2 = register_module("temb2", torch::nn::Linear(tdim, tdim));
    if (c.numClasses > 0) {
        m.classEmbed = register_module("class_embed", torch::nn::Embedding(c.numClasses + 1, tdim));
        torch::NoGradGuard g;
        m.classEmbed->weight.zero_();
    }
    m.in = register_module("input", torch::nn::Conv2d(torch::nn::Conv2dOptions(c.channels, c.base, 3).padding(1)));
    std::vector<int64_t> skips = {c.base};
    int64_t ch = c.base;
    const size_t levels = c.mults.size();
    m.down.resize(levels);
    for (size_t l = 0; l < levels; ++l) {
        const int64_t outCh = static_cast<int64_t>(c.base) * c.mults[l];
        for (int r = 0; r < c.resBlocks; ++r) {
            m.down[l].push_back(register_module("down" + std::to_string(l) + "_" + std::to_string(r),
                                                ResBlock(ch, outCh, tdim, c.groups)));
            ch = outCh;
            skips.push_back(ch);
        }
        if (l + 1 < levels) {
            m.downsample.push_back(register_module(
                "downsample" + std::to_string(l),
                torch::nn::Conv2d(torch::nn::Conv2dOptions(ch, ch, 3).stride(2).padding(1))));
            skips.push_back(ch);
        }
    }
    m.mid1 = register_module("mid1", ResBlock(ch, ch, tdim, c.groups));
    if (c.attention) m.midAttn = register_module("mid_attn", Attention(ch, c.groups));
    m.mid2 = register_module("mid2", ResBlock(ch, ch, tdim, c.groups));
    m.up.resize(levels);
    for (size_t li = 0; li < levels; ++li) {
        const size_t l = levels - 1 - li;
        const int64_t outCh = static_cast<int64_t>(c.base) * c.mults[l];
        for (int r = 0; r < c.resBlocks + 1; ++r) {
            const int64_t skipCh = skips.back();
            skips.pop_back();
            m.up[l].push_back(register_module("up" + std::to_string(l) + "_" + std::to_string(r),
                                              ResBlock(ch + skipCh, outCh, tdim, c.groups)));
            ch = outCh;
        }
        if (l > 0)
            m.upsample.push_back(register_module("upsample" + std::to_string(l),
                                                 torch::nn::Conv2d(torch::nn::Conv2dOptions(ch, ch, 3).padding(1))));
    }
    m.outNorm = register_module("out_norm", torch::nn::GroupNorm(c.groups, ch));
    m.out = register_module("out", torch::nn::Conv2d(torch::nn::Conv2dOptions(ch, c.learnVariance ? 2 * c.channels : c.channels, 3).padding(1)));
    // Start as the zero function of x_t (improved-diffusion's zero_module on the output conv).
    torch::NoGradGuard g;
    m.out->weight.zero_();
    m.out->bias.zero_();
}

torch::Tensor UnetNet::forward(torch::Tensor x, torch::Tensor t)
{
    return forwardConditional(std::move(x), std::move(t), {});
}

torch::Tensor UnetNet::forwardConditional(torch::Tensor x, torch::Tensor t, torch::Tensor classes)
{
    auto& m = *m_impl;
    auto emb = m.temb2->forward(F::silu(m.temb1->forward(timestepEmbedding(t, m_config.base))));
    if (m.classEmbed)
        emb = emb + m.classEmbed->forward(classEmbeddingRows(classes, m_config.numClasses, x.size(0), x.device()));
    else
        requireUnconditional(classes);
    std::vector<torch::Tensor> hs;
    auto h = m.in->forward(x);
    hs.push_back(h);
    const size_t levels = m_config.mults.size();
    for (size_t l = 0; l < levels; ++l) {
        for (auto& block : m.down[l]) {
            h = block->forward(h, emb);
            hs.push_back(h);
        }
        if (l + 1 < levels) {
            h = m.downsample[l]->forward(h);
            hs.push_back(h);
        }
    }
    h = m.mid1->forward(h, emb);
    if (m.midAttn) h = m.midAttn->forward(h);
    h = m.mid2->forward(h, emb);
    size_t upIndex = 0;
    for (size_t li = 0; li < levels; ++li) {
        const size_t l = levels - 1 - li;
        for (auto& block : m.up[l]) {
            h = block->forward(torch::cat({h, hs.back()}, 1), emb);
            hs.pop_back();
        }
        if (l > 0) {
            h = F::interpolate(h, F::InterpolateFuncOptions().scale_factor(std::vector<double>{2.0, 2.0}).mode(torch::kNearest));
            h = m.upsample[upIndex++]->forward(h);
        }
    }
    const auto normed = m.outNorm->forward(h);
    return m.out->forward(torch::GradMode::is_enabled() ? F::silu(normed) : siluInPlace(normed));
}

double MlpConfig::parameterCount() const
{
    // Mirrors MlpNet's layers: input Linear, `blocks` hidden Linears, LayerNorm, output Linear, the x_skip gain
    // Linear and the class embedding.
    const double h = hidden, in = static_cast<double>(dim + 1) * embed, out = learnVariance ? 2.0 * dim : dim;
    const double gain = xSkip ? (embed + 1.0) * dim : 0.0, classes = numClasses > 0 ? (numClasses + 1.0) * embed : 0.0;
    return (in + 1) * h + blocks * (h + 1) * h + 2 * h + (h + 1) * out + gain + classes;
}

double UnetConfig::parameterCount() const
{
    // Mirrors UnetNet's constructor, counting instead of allocating.
    const double tdim = 4.0 * base;
    const auto conv = [](double in, double out, double k) { return in * out * k * k + out; };
    const auto res = [&](double in, double out) {
        return 2 * in + conv(in, out, 3) + tdim * out + out + 2 * out + conv(out, out, 3) +
               (in != out ? conv(in, out, 1) : 0.0);
    };
    double n = (base + 1.0) * tdim + (tdim + 1) * tdim + conv(channels, base, 3);
    std::vector<double> skips{static_cast<double>(base)};
    double ch = base;
    for (size_t l = 0; l < mults.size(); ++l) {
        const double out = static_cast<double>(base) * mults[l];
        for (int r = 0; r < resBlocks; ++r) {
            n += res(ch, out);
            ch = out;
            skips.push_back(ch);
        }
        if (l + 1 < mults.size()) {
            n += conv(ch, ch, 3);
            skips.push_back(ch);
        }
    }
    n += 2 * res(ch, ch) + (attention ? 2 * ch + conv(ch, 3 * ch, 1) + conv(ch, ch, 1) : 0.0);
    for (size_t li = 0; li < mults.size(); ++li) {
        const size_t l = mults.size() - 1 - li;
        const double out = static_cast<double>(base) * mults[l];
        for (int r = 0; r < resBlocks + 1; ++r) {
            n += res(ch + skips.back(), out);
            skips.pop_back();
            ch = out;
        }
        if (l > 0) n += conv(ch, ch, 3);
    }
    return n + 2 * ch + conv(ch, learnVariance ? 2.0 * channels : channels, 3);
}

double architectureParameterCount(const nlohmann::json& a)
{
    if (!a.is_object()) throw ConfigError("architecture must be an object with a 'type'");
    const std::string type = json_util::getString(a, "type", "", "architecture");
    if (type == "mlp") return MlpConfig::fromJson(a).parameterCount();
    if (type == "unet") return UnetConfig::fromJson(a).parameterCount();
    throw ConfigError("unknown architecture type '" + type + "' (known: mlp, unet)");
}

double architectureActivations(const nlohmann::json& a, double sampleNumel)
{
    if (!a.is_object()) return 0;
    const std::string type = json_util::getString(a, "type", "", "architecture");
    if (type == "mlp") return activationsPerSample(type, sampleNumel, MlpConfig::fromJson(a).hidden);
    if (type == "unet") return activationsPerSample(type, sampleNumel, UnetConfig::fromJson(a).base);
    return 0;
}

std::shared_ptr<DenoiserNet> makeNet(const nlohmann::json& a)
{
    if (!a.is_object()) throw ConfigError("architecture must be an object with a 'type'");
    const std::string type = json_util::getString(a, "type", "", "architecture");
    // Weights are allocated as the net is built: refuse an architecture too big for this machine first.
    const auto check = [&](double parameters) {
        checkMemory("the built-in " + type + " net of this architecture (" +
                        std::to_string(std::llround(parameters)) + " parameters)",
                    4.0 * parameters);
    };
    if (type == "mlp") {
        const auto c = MlpConfig::fromJson(a);
        check(c.parameterCount());
        return std::make_shared<MlpNet>(c);
    }
    if (type == "unet") {
        const auto c = UnetConfig::fromJson(a);
        check(c.parameterCount());
        return std::make_shared<UnetNet>(c);
    }
    throw ConfigError("unknown architecture type '" + type + "' (known: mlp, unet)");
}

int copyMatchingWeights(const DenoiserNet& from, DenoiserNet& to)
{
    torch::NoGradGuard g;
    auto dstParams = to.named_parameters(true);
    auto dstBuffers = to.named_buffers(true);
    int copied = 0;
    const auto copyAll = [&](const torch::OrderedDict<std::string, torch::Tensor>& src,
                             torch::OrderedDict<std::string, torch::Tensor>& dst) {
        for (const auto& item : src) {
            auto* target = dst.find(item.key());
            if (!target || target->sizes() != item.value().sizes())
                throw ModelError("the weights do not fit: '" + item.key() + "' is missing or has another shape");
            target->copy_(item.value());
            ++copied;
        }
    };
    copyAll(from.named_parameters(true), dstParams);
    copyAll(from.named_buffers(true), dstBuffers);
    return copied;
}

void saveNetWeights(DenoiserNet& net, const std::string& path)
{
    torch::serialize::OutputArchive archive;
    net.save(archive);
    const std::string tmp = path + ".tmp";
    try {
        archive.save_to(tmp);
    } catch (const std::exception& e) {
        std::remove(tmp.c_str());
        throw IoError("cannot write '" + path + "': " + describeException(e));
    }
    json_util::commitAtomic(tmp, path, "the weights");
}

void loadNetWeights(DenoiserNet& net, const std::string& path)
{
    try {
        checkPickleLengthsOfFile(path);
    } catch (const DataError& e) {
        throw ModelError(e.what());
    }
    probeInChildProcess(path, "built-in net weights", [&] {
        torch::serialize::InputArchive archive;
        archive.load_from(path);
    });
    try {
        torch::serialize::InputArchive archive;
        archive.load_from(path);
        net.load(archive);
    } catch (const std::exception& e) {
        throw ModelError("cannot load the weights in '" + path +
                         "' (missing, corrupt, or made for another architecture): " + describeException(e));
    }
}

} // namespace difflens
