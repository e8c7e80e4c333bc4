#include "core/trajectory.h"

#include "core/errors.h"
#include "core/tensor_io.h"

#include <torch/torch.h>

namespace difflens {

Trajectory::Trajectory(std::shared_ptr<const ReverseProcess> process, torch::Tensor reference, bool discreteData,
                       torch::ScalarType storage)
    : m_process(std::move(process)), m_reference(reference.defined() ? reference.to(torch::kCPU, torch::kFloat32)
                                                                     : reference),
      m_discrete(discreteData), m_storage(storage)
{
}

Trajectory::Trajectory(std::shared_ptr<const ReverseProcess> process, torch::Tensor reference, bool discreteData,
                       torch::Tensor states, torch::Tensor outputs, int recorded)
    : Trajectory(std::move(process), std::move(reference), discreteData,
                 states.defined() ? states.scalar_type() : torch::kFloat32)
{
    const int n = stepCount();
    if (!states.defined() || !outputs.defined() || states.dim() < 2 || outputs.dim() < 2)
        throw DataError("the run holds no recorded states");
    if (recorded < 1 || recorded > n || states.size(0) < recorded + 1 || outputs.size(0) < recorded ||
        states.size(1) != outputs.size(1) || outputs.scalar_type() != states.scalar_type())
        throw DataError("the run's states " + std::string(c10::str(states.sizes())) + " and outputs " +
                        std::string(c10::str(outputs.sizes())) + " do not fit " + std::to_string(recorded) +
                        " recorded steps of a " + std::to_string(n) + "-step run");
    if (states.size(0) == n + 1 && outputs.size(0) == n) { // complete: kept as read, no copy
        m_states = states.contiguous();
        m_outputs = outputs.contiguous();
        m_recorded.store(recorded);
        return;
    }
    // Full-size storage, as record() would have made it, so a run that stopped early reads the same way.
    auto shape = states.sizes().vec();
    shape[0] = n + 1;
    m_states = torch::zeros(shape, states.options());
    m_states.slice(0, 0, recorded + 1).copy_(states.slice(0, 0, recorded + 1));
    auto outShape = outputs.sizes().vec();
    outShape[0] = n;
    m_outputs = torch::zeros(outShape, outputs.options());
    m_outputs.slice(0, 0, recorded).copy_(outputs.slice(0, 0, recorded));
    m_recorded.store(recorded);
}

void Trajectory::record(const StepRecord& r)
{
    const int n = stepCount();
    if (r.index != recordedSteps()) throw Error("trajectory steps must be recorded in order");
    {
        std::lock_guard<std::mutex> lock(m_allocMutex);
        if (!m_states.defined()) {
            auto shape = r.xt.sizes().vec();
            shape.insert(shape.begin(), n + 1);
            m_states = torch::empty(shape, torch::TensorOptions().dtype(m_storage));
            auto outShape = r.rawOutput.sizes().vec();
            outShape.insert(outShape.begin(), n);
            m_outputs = torch::empty(outShape, torch::TensorOptions().dtype(m_storage));
        }
    }
    m_states[r.index].copy_(r.xt);
    m_outputs[r.index].copy_(r.rawOutput);
    if (r.xPrev.defined()) m_states[r.index + 1].copy_(r.xPrev);
    m_recorded.store(r.index + 1);
}

torch::Tensor Trajectory::state(int i) const
{
    if (i < 0 || i > recordedSteps()) throw Error("state " + std::to_string(i) + " has not been recorded");
    return m_states[i].to(torch::kFloat32);
}

StepRecord Trajectory::step(int i) const
{
    if (i < 0 || i >= recordedSteps()) throw Error("step " + std::to_string(i) + " has not been recorded");
    c10::InferenceMode guard;
    // A multistep solver combines the x0^ of earlier steps: re-derive them from their stored states too.
    std::vector<torch::Tensor> earlierX0;
    for (int k = 1; k < m_process->solverOrderAt(i); ++k)
        earlierX0.push_back(m_process->dataPrediction(i - k, m_states[i - k].to(torch::kFloat32),
                                                      m_outputs[i - k].to(torch::kFloat32)));
    StepRecord r = m_process->describe(i, m_states[i].to(torch::kFloat32), m_outputs[i].to(torch::kFloat32),
                                       m_reference, m_discrete, earlierX0);
    r.xPrev = m_states[i + 1].to(torch::kFloat32);
    if (!m_process->describesUpdate()) {
        // Heun's update needed a second model call that is not stored: the recorded next state is the update.
        r.meanModel = r.xPrev;
        if (r.posteriorMean.defined()) {
            const auto diff = r.meanModel - r.posteriorMean;
            r.meanGap = diffusion::meanFlat(diff * diff).sqrt();
        }
    }
    return r;
}

size_t Trajectory::bytes() const
{
    size_t b = 0;
    if (m_states.defined()) b += m_states.numel() * m_states.element_size();
    if (m_outputs.defined()) b += m_outputs.numel() * m_outputs.element_size();
    return b;
}

void Trajectory::save(const std::string& path) const
{
    const int n = recordedSteps();
    if (n == 0) throw Error("the trajectory is empty: nothing to save");
    c10::InferenceMode guard;
    std::vector<torch::Tensor> x0, mean, kl, post;
    std::vector<double> sigma;
    std::vector<int64_t> ts, prev;
    for (int i = 0; i < n; ++i) {
        const auto r = step(i);
        x0.push_back(r.x0Pred);
        mean.push_back(r.meanModel);
        sigma.push_back(r.sigma);
        ts.push_back(r.t);
        prev.push_back(r.tPrev);
        if (r.kl.defined()) kl.push_back(r.kl);
        if (r.posteriorMean.defined()) post.push_back(r.posteriorMean.expand_as(r.xt));
    }
    std::map<std::string, torch::Tensor> out;
    out["timesteps"] = torch::tensor(ts, torch::kInt64);
    out["prev_timesteps"] = torch::tensor(prev, torch::kInt64);
    out["x"] = m_states.slice(0, 0, n + 1).to(torch::kFloat32);
    out["model_output"] = m_outputs.slice(0, 0, n).to(torch::kFloat32);
    out["x0_pred"] = torch::stack(x0);
    out["mean_model"] = torch::stack(mean);
    out["sigma"] = torch::tensor(sigma, torch::kFloat64);
    if (m_reference.defined()) {
        out["reference"] = m_reference;
        if (!kl.empty()) out["kl"] = torch::stack(kl);
        if (!post.empty()) out["posterior_mean"] = torch::stack(post);
    }
    saveTensorDict(path, out);
}

} // namespace difflens
