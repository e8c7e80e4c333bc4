#pragma once
// The interface between the trainer / samplers and the built-in networks of models/.
#include "core/denoiser.h"

#include <torch/nn/module.h>

#include <memory>

namespace difflens {

/** A trainable p_theta network: forward(x_t, t) -> eps, x0 or v (dimension 1 doubled with learned variance). */
class DenoiserNet : public torch::nn::Module
{
public:
    /** The unconditional output (class-conditional nets: the null class). */
    virtual torch::Tensor forward(torch::Tensor x, torch::Tensor t) = 0;
    /** Class-conditional nets: how many classes (0: unconditional). */
    virtual int64_t numClasses() const { return 0; }
    /**
     * classes: int64 [B], -1 = none (the null class of classifier-free guidance, Ho & Salimans 2022);
     * undefined = all none. Unconditional nets accept only none (ModelError otherwise).
     */
    virtual torch::Tensor forwardConditional(torch::Tensor x, torch::Tensor t, torch::Tensor classes);
};

/** A DenoiserNet used for sampling (eval mode; no gradients). */
class NetDenoiser final : public Denoiser
{
public:
    NetDenoiser(std::shared_ptr<DenoiserNet> net, std::string kind, torch::Device device);
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& t) override;
    torch::Device device() const override { return m_device; }
    void moveTo(torch::Device device) override;
    std::string kind() const override { return m_kind; }
    int64_t parameterCount() const override;
    int64_t numClasses() const override { return m_net->numClasses(); }
    torch::Tensor forwardConditional(const torch::Tensor& x, const torch::Tensor& t,
                                     const torch::Tensor& classes) override;
    std::shared_ptr<DenoiserNet> net() const { return m_net; }

private:
    std::shared_ptr<DenoiserNet> m_net;
    std::string m_kind;
    torch::Device m_device;
};

} // namespace difflens
