#pragma once
// p_theta as the samplers see it: forward(x_t, t) -> eps, x0 or v (per the model's scheduler config).
#include <torch/types.h>

#include <memory>
#include <mutex>
#include <string>

namespace difflens {

/** A denoising network or an exact denoiser. Implementations must be usable from one worker thread. */
class Denoiser
{
public:
    virtual ~Denoiser() = default;
    /**
     * x: [B, ...sample shape] on device(); t: int64 [B] training timestep indices (0..T-1).
     * Returns a tensor of x's shape, or with dimension 1 doubled when the model also predicts its variance
     * (learned_range).
     */
    virtual torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& t) = 0;
    virtual torch::Device device() const = 0;
    virtual void moveTo(torch::Device device) = 0;
    /** Short kind: "torchscript", "mlp", "unet", "exact-set", "exact-gmm". */
    virtual std::string kind() const = 0;
    virtual int64_t parameterCount() const { return 0; }
};

/**
 * Calls `inner` under `mutex`, one forward at a time: for a model that several worker threads share (the
 * app's sampler and its variational-bound job), since a Denoiser need only be usable from one thread.
 */
class SerializedDenoiser final : public Denoiser
{
public:
    SerializedDenoiser(Denoiser& inner, std::mutex& mutex) : m_inner(inner), m_mutex(mutex) {}
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& t) override
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        return m_inner.forward(x, t);
    }
    torch::Device device() const override { return m_inner.device(); }
    void moveTo(torch::Device device) override
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_inner.moveTo(device);
    }
    std::string kind() const override { return m_inner.kind(); }
    int64_t parameterCount() const override { return m_inner.parameterCount(); }

private:
    Denoiser& m_inner;
    std::mutex& m_mutex;
};

/** A TorchScript module with `forward(x: Tensor, t: Tensor) -> Tensor`. */
class TorchScriptDenoiser final : public Denoiser
{
public:
    /** Throws ModelError when the file is missing, not TorchScript, or has no forward. */
    TorchScriptDenoiser(const std::string& path, torch::Device device);
    ~TorchScriptDenoiser() override;
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& t) override;
    torch::Device device() const override { return m_device; }
    void moveTo(torch::Device device) override;
    std::string kind() const override { return "torchscript"; }
    int64_t parameterCount() const override;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
    torch::Device m_device;
};

} // namespace difflens
