#pragma once
// A recorded reverse run, kept on the CPU compactly: only x_t at every step (and the final sample) and the raw
// model output are stored; x0^, mu_theta, mu~, the KL... are re-derived by the ReverseProcess on demand, so
// scrubbing never runs the model. Recording (one worker thread) and reading (any thread) may overlap.
#include "core/sampler.h"

#include <torch/types.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>

namespace difflens {

class Trajectory
{
public:
    /**
     * storage: kFloat32 (exact) or kFloat16 (half the memory; what the GUI uses for large batches).
     * reference: x_0 for mu~ and the KL, or undefined.
     */
    Trajectory(std::shared_ptr<const ReverseProcess> process, torch::Tensor reference, bool discreteData,
               torch::ScalarType storage = torch::kFloat32);

    /**
     * A run read back (run files): states [n+1, B, ...] and raw outputs [n, B, ...] as they were stored, of which
     * the first `recorded` steps are valid. Throws DataError when the shapes do not fit the process.
     */
    Trajectory(std::shared_ptr<const ReverseProcess> process, torch::Tensor reference, bool discreteData,
               torch::Tensor states, torch::Tensor outputs, int recorded);

    /** Copies what cannot be derived from a step record (any device) into preallocated CPU storage. */
    void record(const StepRecord& r);
    int stepCount() const { return m_process->stepCount(); }
    int recordedSteps() const { return m_recorded.load(); }
    bool complete() const { return recordedSteps() == stepCount(); }

    /** Step i re-derived on the CPU in float32 (xPrev filled from the next stored state). */
    StepRecord step(int i) const;
    /** The sample before step i; state(stepCount()) is the final sample. */
    torch::Tensor state(int i) const;
    const ReverseProcess& process() const { return *m_process; }
    std::shared_ptr<const ReverseProcess> processPtr() const { return m_process; }
    const torch::Tensor& reference() const { return m_reference; }
    int64_t batch() const { return m_states.defined() ? m_states.size(1) : 0; }
    /** Bytes held by the stored tensors. */
    size_t bytes() const;
    /** What record() stored, for run files: states [n+1, B, ...] and outputs [n, B, ...] (undefined before the
     *  first step); rows past recordedSteps() are not yet written. */
    const torch::Tensor& storedStates() const { return m_states; }
    const torch::Tensor& storedOutputs() const { return m_outputs; }
    bool discreteData() const { return m_discrete; }
    torch::ScalarType storage() const { return m_storage; }

    /**
     * Writes a dict torch.load reads: timesteps [n], prev_timesteps [n], x [n+1, B, ...], model_output [n, ...],
     * x0_pred, mean_model [n, ...], sigma [n], and with a reference: reference, posterior_mean, kl [n, B].
     */
    void save(const std::string& path) const;

private:
    std::shared_ptr<const ReverseProcess> m_process;
    torch::Tensor m_reference;
    bool m_discrete;
    torch::ScalarType m_storage;
    torch::Tensor m_states;  // [n+1, B, ...]
    torch::Tensor m_outputs; // [n, B, ...raw output shape]
    std::atomic<int> m_recorded{0};
    mutable std::mutex m_allocMutex;
};

} // namespace difflens
