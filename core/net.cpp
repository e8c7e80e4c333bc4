#include "core/net.h"

#include <torch/torch.h>

namespace difflens {

torch::Tensor DenoiserNet::forwardConditional(torch::Tensor x, torch::Tensor t, torch::Tensor classes)
{
    requireUnconditional(classes);
    return forward(std::move(x), std::move(t));
}

NetDenoiser::NetDenoiser(std::shared_ptr<DenoiserNet> net, std::string kind, torch::Device device)
    : m_net(std::move(net)), m_kind(std::move(kind)), m_device(device)
{
    m_net->to(device);
    m_net->eval();
}

torch::Tensor NetDenoiser::forward(const torch::Tensor& x, const torch::Tensor& t)
{
    torch::NoGradGuard noGrad;
    return m_net->forward(x, t);
}

torch::Tensor NetDenoiser::forwardConditional(const torch::Tensor& x, const torch::Tensor& t,
                                              const torch::Tensor& classes)
{
    torch::NoGradGuard noGrad;
    return m_net->forwardConditional(x, t, classes);
}

void NetDenoiser::moveTo(torch::Device device)
{
    m_net->to(device);
    m_device = device;
}

int64_t NetDenoiser::parameterCount() const
{
    int64_t n = 0;
    for (const auto& p : m_net->parameters()) n += p.numel();
    return n;
}

} // namespace difflens
