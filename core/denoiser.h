#pragma once
// p_theta as the samplers see it: forward(x_t, t) -> eps, x0 or v (per the model's scheduler config).
// Class-conditional models (core/MATH.md, "Guidance") also take a class per sample, int64 [B] with
// -1 meaning none (the null class one network learns beside the classes, Ho & Salimans 2022); forward(x, t)
// is then the unconditional output. A TorchScript conditional model has forward(x, t, class).
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
    /** Class-conditional models: how many classes (0: unconditional). */
    virtual int64_t numClasses() const { return 0; }
    /**
     * The output for classes (int64 [B] or [1], -1 = none; undefined = all none). The default (unconditional
     * models) accepts only none and throws ModelError for a class.
     */
    virtual torch::Tensor forwardConditional(const torch::Tensor& x, const torch::Tensor& t,
                                             const torch::Tensor& classes);
};

/** Throws ModelError unless classes is undefined or all -1: for models without classes. */
void requireUnconditional(const torch::Tensor& classes);
/**
 * classes (int64 [B] or [1], -1 = none; undefined = all none) as rows of a class embedding with numClasses + 1
 * rows, the null class last: int64 [batch] on device. ModelError for a class outside -1..numClasses-1.
 */
torch::Tensor classEmbeddingRows(const torch::Tensor& classes, int64_t numClasses, int64_t batch,
                                 torch::Device device);

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
    int64_t numClasses() const override { return m_inner.numClasses(); }
    torch::Tensor forwardConditional(const torch::Tensor& x, const torch::Tensor& t,
                                     const torch::Tensor& classes) override
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        return m_inner.forwardConditional(x, t, classes);
    }

private:
    Denoiser& m_inner;
    std::mutex& m_mutex;
};

/**
 * A TorchScript module with `forward(x: Tensor, t: Tensor) -> Tensor`, or a class-conditional one with
 * `forward(x: Tensor, t: Tensor, class_labels: Tensor) -> Tensor` (class int64 [B], -1 = none).
 */
class TorchScriptDenoiser final : public Denoiser
{
public:
    /**
     * Throws ModelError when the file is missing, not TorchScript, or has no forward. freeze: run a frozen
     * copy (torch::jit::freeze, numerics kept) when the module allows it; false runs the module as loaded.
     */
    TorchScriptDenoiser(const std::string& path, torch::Device device, bool freeze = true);
    ~TorchScriptDenoiser() override;
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& t) override;
    torch::Device device() const override { return m_device; }
    void moveTo(torch::Device device) override;
    std::string kind() const override { return "torchscript"; }
    int64_t parameterCount() const override;
    /** Whether forward takes a class (three arguments). */
    bool takesClass() const { return m_takesClass; }
    /** The class count of a conditional module (from its package's difflens.json); 0 for unconditional ones. */
    void setNumClasses(int64_t n) { m_numClasses = n; }
    int64_t numClasses() const override { return m_numClasses; }
    torch::Tensor forwardConditional(const torch::Tensor& x, const torch::Tensor& t,
                                     const torch::Tensor& classes) override;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
    torch::Device m_device;
    bool m_freeze = true;
    bool m_takesClass = false;
    int64_t m_numClasses = 0;
};

} // namespace difflens
