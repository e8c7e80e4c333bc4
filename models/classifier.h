#pragma once
// A small Fashion-MNIST classifier whose penultimate layer is the feature space of the image Frechet distance
// (an FID made for 28x28 grayscale: Inception features do not fit such images).
#include <torch/nn.h>

#include <functional>
#include <string>

namespace difflens {

class FashionClassifierImpl : public torch::nn::Module
{
public:
    FashionClassifierImpl();
    /** Logits [B, 10] for images [B, 1, 28, 28] in [-1, 1]. */
    torch::Tensor forward(const torch::Tensor& x);
    /** The 128-d features the Frechet distance uses. */
    torch::Tensor features(const torch::Tensor& x);

private:
    torch::nn::Conv2d m_conv1{nullptr}, m_conv2{nullptr}, m_conv3{nullptr};
    torch::nn::Linear m_fc{nullptr}, m_head{nullptr};
};
TORCH_MODULE(FashionClassifier);

struct ClassifierReport
{
    double trainLoss = 0, testAccuracy = 0;
    int epochs = 0;
};

/** Trains on the Fashion-MNIST training set, reports test accuracy, saves to path. */
ClassifierReport trainFashionClassifier(const std::string& path, int epochs, uint64_t seed,
                                        const std::function<void(int, int, double)>& progress = {});
/** Loads the classifier saved by trainFashionClassifier (ModelError when missing or corrupt). */
FashionClassifier loadFashionClassifier(const std::string& path);
/** Features of images in batches, no gradients. */
torch::Tensor classifierFeatures(FashionClassifier& net, const torch::Tensor& images);

} // namespace difflens
