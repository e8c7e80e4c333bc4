#pragma once
// Built-in p_theta networks: an MLP for 1-D/2-D points and a small UNet for images, both with a sinusoidal
// time embedding. Architectures are described by JSON objects stored in difflens.json. With num_classes > 0 a
// net is class-conditional: a learned class embedding with one extra row for the null class (classifier-free
// guidance, Ho & Salimans 2022) is added to the time embedding, as diffusers' UNet2DModel adds class_embedding
// to its time embedding. The embedding starts at zero, so a conditional net begins as the unconditional one.
#include "core/net.h"

#include <nlohmann/json.hpp>
#include <torch/nn.h>

#include <memory>

namespace difflens {

/** Sinusoidal embedding of timesteps (Vaswani et al.; Ho et al. Appendix B): [B] -> [B, dim]. */
torch::Tensor timestepEmbedding(const torch::Tensor& t, int64_t dim, double scale = 1.0);

struct MlpConfig
{
    int dim = 2;         // data dimension (1 or 2)
    int hidden = 128;    // width
    int blocks = 3;      // residual blocks
    int embed = 64;      // per-input sinusoidal embedding size
    double inputScale = 25.0; // x is embedded as sin/cos(inputScale * x * freqs) (tiny-diffusion)
    bool learnVariance = false;
    int numClasses = 0; // 0: unconditional
    // A per-time linear path from x_t to the prediction: out += g(t) * x_t, g a Linear of the time (and class)
    // embedding, zero at the start. The optimal prediction for Gaussian data is linear in x_t (eps: s x / (a^2 + s^2));
    // with it the net extrapolates linearly past the inputs it was trained on instead of through its sin/cos
    // features (without it, the rare x_T of norm 4 and more made Euler and DPM-Solver++ run away, see README).
    // Absent from packages made before it: false.
    bool xSkip = false;
    nlohmann::json toJson() const;
    static MlpConfig fromJson(const nlohmann::json& j);
    /** The net's parameter count, computed without building it (for the memory check before allocating). */
    double parameterCount() const;
};

class MlpNet final : public DenoiserNet
{
public:
    explicit MlpNet(const MlpConfig& config);
    torch::Tensor forward(torch::Tensor x, torch::Tensor t) override;
    int64_t numClasses() const override { return m_config.numClasses; }
    torch::Tensor forwardConditional(torch::Tensor x, torch::Tensor t, torch::Tensor classes) override;
    const MlpConfig& config() const { return m_config; }

private:
    MlpConfig m_config;
    torch::nn::Embedding m_classEmbed{nullptr}; // [numClasses + 1, embed], the null class last
    torch::nn::Linear m_in{nullptr}, m_out{nullptr};
    torch::nn::Linear m_xGain{nullptr}; // [embed -> dim], with xSkip only
    torch::nn::ModuleList m_blocks;
    torch::nn::LayerNorm m_norm{nullptr};
};

struct UnetConfig
{
    int channels = 1;      // image channels
    int size = 28;         // height = width
    int base = 32;         // channels at full resolution
    std::vector<int> mults = {1, 2, 2};
    int resBlocks = 1;     // per resolution
    bool attention = true; // self-attention at the lowest resolution
    int groups = 8;        // GroupNorm groups
    bool learnVariance = false;
    int numClasses = 0;    // 0: unconditional
    nlohmann::json toJson() const;
    static UnetConfig fromJson(const nlohmann::json& j);
    /** The net's parameter count, computed without building it (for the memory check before allocating). */
    double parameterCount() const;
};

class UnetNet final : public DenoiserNet
{
public:
    explicit UnetNet(const UnetConfig& config);
    torch::Tensor forward(torch::Tensor x, torch::Tensor t) override;
    int64_t numClasses() const override { return m_config.numClasses; }
    torch::Tensor forwardConditional(torch::Tensor x, torch::Tensor t, torch::Tensor classes) override;
    const UnetConfig& config() const { return m_config; }

private:
    struct Impl;
    UnetConfig m_config;
    std::shared_ptr<Impl> m_impl;
};

/** Parameters of the net an architecture object names, without building it; throws ConfigError. */
double architectureParameterCount(const nlohmann::json& architecture);
/** Values per sample a built-in net keeps for its backward pass (core/resources.h's estimate). */
double architectureActivations(const nlohmann::json& architecture, double sampleNumel);
/** Builds the net an architecture object names ({"type": "mlp"|"unet", ...}); throws ConfigError. */
std::shared_ptr<DenoiserNet> makeNet(const nlohmann::json& architecture);
/** Loads weights saved with saveNet into a net of the same architecture (ModelError when they do not fit). */
void loadNetWeights(DenoiserNet& net, const std::string& path);
/**
 * Copies every parameter and buffer of `from` into the one of the same name and shape in `to` (e.g. an
 * unconditional net into a conditional one, whose class embedding keeps its zero start). Returns how many
 * tensors were copied; ModelError when a name of `from` is missing in `to` or has another shape.
 */
int copyMatchingWeights(const DenoiserNet& from, DenoiserNet& to);
void saveNetWeights(DenoiserNet& net, const std::string& path);

} // namespace difflens
