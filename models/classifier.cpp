#include "models/classifier.h"

#include "core/datasets.h"
#include "core/errors.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <cstdio>

namespace difflens {

namespace F = torch::nn::functional;

FashionClassifierImpl::FashionClassifierImpl()
{
    m_conv1 = register_module("conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(1, 32, 3).padding(1)));
    m_conv2 = register_module("conv2", torch::nn::Conv2d(torch::nn::Conv2dOptions(32, 64, 3).padding(1)));
    m_conv3 = register_module("conv3", torch::nn::Conv2d(torch::nn::Conv2dOptions(64, 64, 3).padding(1)));
    m_fc = register_module("fc", torch::nn::Linear(64 * 3 * 3, 128));
    m_head = register_module("head", torch::nn::Linear(128, 10));
}

torch::Tensor FashionClassifierImpl::features(const torch::Tensor& x)
{
    auto h = F::max_pool2d(F::relu(m_conv1->forward(x)), F::MaxPool2dFuncOptions(2)); // 14
    h = F::max_pool2d(F::relu(m_conv2->forward(h)), F::MaxPool2dFuncOptions(2));      // 7
    h = F::max_pool2d(F::relu(m_conv3->forward(h)), F::MaxPool2dFuncOptions(2));      // 3
    return F::relu(m_fc->forward(h.flatten(1)));
}

torch::Tensor FashionClassifierImpl::forward(const torch::Tensor& x)
{
    return m_head->forward(features(x));
}

ClassifierReport trainFashionClassifier(const std::string& path, int epochs, uint64_t seed,
                                        const std::function<void(int, int, double)>& progress)
{
    torch::Tensor trainLabels, testLabels;
    const auto train = readFashionMnist(fashionMnistDir(), "train", &trainLabels);
    const auto test = readFashionMnist(fashionMnistDir(), "test", &testLabels);
    torch::manual_seed(seed);
    FashionClassifier net;
    torch::optim::Adam opt(net->parameters(), torch::optim::AdamOptions(1e-3));
    auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
    const int64_t batch = 128, n = train.size(0);
    const int steps = static_cast<int>(n / batch);
    ClassifierReport report;
    for (int e = 0; e < epochs; ++e) {
        const auto perm = torch::randperm(n, gen, torch::kInt64);
        double lossSum = 0;
        net->train();
        for (int s = 0; s < steps; ++s) {
            const auto idx = perm.slice(0, s * batch, (s + 1) * batch);
            const auto loss = F::cross_entropy(net->forward(train.index_select(0, idx)), trainLabels.index_select(0, idx));
            opt.zero_grad();
            loss.backward();
            opt.step();
            lossSum += loss.item<double>();
            if (progress && s % 50 == 0) progress(e * steps + s, epochs * steps, loss.item<double>());
        }
        report.trainLoss = lossSum / steps;
    }
    report.epochs = epochs;
    net->eval();
    {
        torch::NoGradGuard g;
        int64_t correct = 0;
        for (int64_t i = 0; i < test.size(0); i += 1000)
            correct += (net->forward(test.slice(0, i, i + 1000)).argmax(1) == testLabels.slice(0, i, i + 1000))
                           .sum()
                           .item<int64_t>();
        report.testAccuracy = static_cast<double>(correct) / static_cast<double>(test.size(0));
    }
    torch::save(net, path);
    return report;
}

FashionClassifier loadFashionClassifier(const std::string& path)
{
    FashionClassifier net;
    try {
        torch::load(net, path);
    } catch (const std::exception& e) {
        throw ModelError("cannot load the Fashion-MNIST classifier '" + path + "': " + describeException(e) +
                         " (make one with 'difflens-cli train-classifier --out " + path + "')");
    }
    net->eval();
    return net;
}

torch::Tensor classifierFeatures(FashionClassifier& net, const torch::Tensor& images)
{
    torch::NoGradGuard g;
    std::vector<torch::Tensor> parts;
    for (int64_t i = 0; i < images.size(0); i += 500)
        parts.push_back(net->features(images.slice(0, i, i + 500).to(torch::kFloat32)));
    return torch::cat(parts);
}

} // namespace difflens
