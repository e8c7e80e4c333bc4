#pragma once
// Datasets: sources of training data and of reference x_0 values for the views.
// Points: gmm1d, moons, 8gaussians, swissroll, checkerboard, spirals, rings, or the dark pixels of an image.
// Images: fashion-mnist (Debian's dataset-fashion-mnist, read from the .gz files), a folder of images, one image.
// Class labels (for class-conditional models and guidance, core/MATH.md, "Guidance") come from the same
// random draws as the points, so a seeded sample is the same with or without them: 8gaussians and gmm1d the
// mixture component, moons the moon, rings the ring, spirals the arm, checkerboard the occupied square (all its
// mass lies on squares of one colour, so the colour would be one class), fashion-mnist its 10 classes.
#include "core/model_package.h"

#include <ATen/core/Generator.h>
#include <torch/types.h>

#include <memory>
#include <string>
#include <vector>

namespace difflens {

/** A Gaussian mixture sum_k pi_k N(m_k, s_k^2 I): the exact density of mixture datasets. */
struct MixtureSpec
{
    torch::Tensor means;   // [K, d]
    torch::Tensor stds;    // [K]
    torch::Tensor weights; // [K], sums to 1
};

class Dataset
{
public:
    virtual ~Dataset() = default;
    virtual std::string name() const = 0;
    virtual DataSpec spec() const = 0;
    /**
     * n samples drawn with gen: [n, d] points or [n, C, H, W] images in spec()'s value range. labels (optional)
     * receives their classes, int64 [n] in 0..numClasses()-1; asking for them draws no extra random numbers.
     * Throws DataError when labels are asked of a dataset without classes.
     */
    torch::Tensor sample(int64_t n, at::Generator& gen, torch::Tensor* labels = nullptr) const;
    /** The first n items of a fixed sequence (seeded), e.g. the training set of an exact denoiser. */
    torch::Tensor first(int64_t n, uint64_t seed = 0, torch::Tensor* labels = nullptr) const;
    /** How many classes the items carry (0: unlabelled). */
    virtual int numClasses() const { return 0; }
    /** One name per class ("mode 0", "T-shirt/top", ...); empty when unlabelled. */
    virtual std::vector<std::string> classNames() const;
    /** Finite datasets: how many items there are (0: infinite, drawn from a distribution). */
    virtual int64_t size() const { return 0; }
    /** Mixture datasets: their exact density; others: nullptr. */
    virtual const MixtureSpec* mixture() const { return nullptr; }
    /** Mixture datasets with classes: the class of each component, int64 [K]; others: undefined. */
    virtual torch::Tensor componentClasses() const { return {}; }

protected:
    /** Draws n items; fills *labels (int64 [n]) when labels is not null and the dataset has classes. */
    virtual torch::Tensor draw(int64_t n, at::Generator& gen, torch::Tensor* labels) const = 0;
};

/** The ten Fashion-MNIST class names, in label order (Xiao et al. 2017). */
const std::vector<std::string>& fashionMnistClassNames();

/** Names accepted by openDataset besides paths. */
const std::vector<std::string>& datasetNames();

/**
 * Opens a dataset by name or path (a folder of images, an image file; `imageSize` {C,H,W} gives the size to
 * resize and crop to, default 1x28x28). `points:IMAGE` turns the dark pixels of an image into a 2-D density.
 * Throws DataError with what to do (e.g. which Debian package to install).
 */
std::unique_ptr<Dataset> openDataset(const std::string& nameOrPath, std::vector<int64_t> imageSize = {});

/** Reads the gzipped IDX files of (Fashion-)MNIST; split "train" or "test". Images in [-1, 1], [N,1,28,28]. */
torch::Tensor readFashionMnist(const std::string& dir, const std::string& split, torch::Tensor* labels = nullptr);
/** Where Debian's dataset-fashion-mnist puts the files (overridable with DIFFLENS_FASHION_MNIST_DIR). */
std::string fashionMnistDir();

} // namespace difflens
