#include "core/datasets.h"

#include "core/errors.h"
#include "core/fashion_mnist_io.h"
#include "core/image_decode.h"

#include <ATen/CPUGeneratorImpl.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>

namespace fs = std::filesystem;

namespace difflens {

torch::Tensor Dataset::sample(int64_t n, at::Generator& gen, torch::Tensor* labels) const
{
    if (labels && numClasses() == 0)
        throw DataError("the dataset '" + name() + "' has no class labels (labelled: gmm1d, moons, 8gaussians, "
                        "checkerboard, spirals, rings, fashion-mnist)");
    return draw(n, gen, labels);
}

std::vector<std::string> Dataset::classNames() const
{
    std::vector<std::string> names;
    for (int k = 0; k < numClasses(); ++k) names.push_back("class " + std::to_string(k));
    return names;
}

const std::vector<std::string>& fashionMnistClassNames()
{
    static const std::vector<std::string> names = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                                   "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
    return names;
}

namespace {

constexpr double kPi = 3.14159265358979323846;

torch::Tensor randn(int64_t n, int64_t d, at::Generator& gen)
{
    return torch::randn({n, d}, gen, torch::kFloat32);
}
torch::Tensor rand(int64_t n, int64_t d, at::Generator& gen)
{
    return torch::rand({n, d}, gen, torch::kFloat32);
}

class MixtureDataset final : public Dataset
{
public:
    MixtureDataset(std::string name, MixtureSpec mix, double range) : m_name(std::move(name)), m_mix(std::move(mix))
    {
        m_spec = DataSpec::points(static_cast<int>(m_mix.means.size(1)), range);
        m_spec.dataset = m_name;
    }
    std::string name() const override { return m_name; }
    DataSpec spec() const override { return m_spec; }
    const MixtureSpec* mixture() const override { return &m_mix; }
    // Each component is its own class (8gaussians: the mode; gmm1d: the component).
    int numClasses() const override { return static_cast<int>(m_mix.means.size(0)); }
    torch::Tensor componentClasses() const override { return torch::arange(m_mix.means.size(0), torch::kInt64); }
    std::vector<std::string> classNames() const override
    {
        std::vector<std::string> names;
        for (int k = 0; k < numClasses(); ++k) names.push_back((m_mix.means.size(1) == 2 ? "mode " : "component ") + std::to_string(k));
        return names;
    }

protected:
    torch::Tensor draw(int64_t n, at::Generator& gen, torch::Tensor* labels) const override
    {
        const auto k = torch::multinomial(m_mix.weights, n, true, gen);
        const auto noise = randn(n, m_mix.means.size(1), gen);
        if (labels) *labels = k.to(torch::kInt64);
        return m_mix.means.index_select(0, k) + m_mix.stds.index_select(0, k).unsqueeze(1) * noise;
    }

private:
    std::string m_name;
    MixtureSpec m_mix;
    DataSpec m_spec;
};

/**
 * A 2-D shape drawn by a function of uniform and normal numbers; the function also writes each point's class
 * (the moon, arm, ring or square the point was drawn from) into its third argument when that is not null.
 */
class ShapeDataset final : public Dataset
{
public:
    using Fn = std::function<torch::Tensor(int64_t, at::Generator&, torch::Tensor*)>;
    ShapeDataset(std::string name, Fn fn, int classes)
        : m_name(std::move(name)), m_fn(std::move(fn)), m_classes(classes)
    {
        m_spec = DataSpec::points(2, 4.0);
        m_spec.dataset = m_name;
    }
    std::string name() const override { return m_name; }
    DataSpec spec() const override { return m_spec; }
    int numClasses() const override { return m_classes; }

protected:
    torch::Tensor draw(int64_t n, at::Generator& gen, torch::Tensor* labels) const override
    {
        return m_fn(n, gen, labels);
    }

private:
    std::string m_name;
    Fn m_fn;
    int m_classes;
    DataSpec m_spec;
};

/**
 * A finite tensor of items (with labels [N] and class names, or without); sample() draws with replacement,
 * or returns a permutation when n == size.
 */
class TensorDataset final : public Dataset
{
public:
    TensorDataset(std::string name, torch::Tensor items, DataSpec spec, torch::Tensor labels = {},
                  std::vector<std::string> classNames = {})
        : m_name(std::move(name)), m_items(std::move(items)), m_labels(std::move(labels)),
          m_classNames(std::move(classNames)), m_spec(std::move(spec))
    {
    }
    std::string name() const override { return m_name; }
    DataSpec spec() const override { return m_spec; }
    int64_t size() const override { return m_items.size(0); }
    int numClasses() const override { return m_labels.defined() ? static_cast<int>(m_classNames.size()) : 0; }
    std::vector<std::string> classNames() const override
    {
        return m_labels.defined() ? m_classNames : std::vector<std::string>{};
    }

    /**
     * The items at idx (and their labels). Items held as 8-bit codes (Fashion-MNIST: 47 MB instead of 188 MB
     * of float32) are decoded here, only the ones asked for, with the same arithmetic as readFashionMnist, so a
     * selection is bitwise what indexing the decoded set would give.
     */
    torch::Tensor take(const torch::Tensor& idx, torch::Tensor* labels) const
    {
        if (labels) *labels = m_labels.index_select(0, idx);
        const auto items = m_items.index_select(0, idx);
        return m_items.scalar_type() == torch::kUInt8 ? decodeFashionMnistBytes(items) : items;
    }

protected:
    torch::Tensor draw(int64_t n, at::Generator& gen, torch::Tensor* labels) const override
    {
        const auto idx = n == size() ? torch::randperm(n, gen, torch::kInt64) : torch::randint(size(), {n}, gen, torch::kInt64);
        return take(idx, labels);
    }

private:
    std::string m_name;
    torch::Tensor m_items, m_labels;
    std::vector<std::string> m_classNames;
    DataSpec m_spec;
};

MixtureSpec gmm1d()
{
    MixtureSpec m;
    m.means = torch::tensor({-2.0f, 0.5f, 2.5f}).reshape({3, 1});
    m.stds = torch::tensor({0.35f, 0.5f, 0.25f});
    m.weights = torch::tensor({0.3f, 0.45f, 0.25f});
    return m;
}

MixtureSpec eightGaussians()
{
    MixtureSpec m;
    std::vector<float> c;
    for (int k = 0; k < 8; ++k) {
        c.push_back(static_cast<float>(2.0 * std::cos(2 * kPi * k / 8)));
        c.push_back(static_cast<float>(2.0 * std::sin(2 * kPi * k / 8)));
    }
    m.means = torch::tensor(c).reshape({8, 2});
    m.stds = torch::full({8}, 0.2f);
    m.weights = torch::full({8}, 1.0f / 8);
    return m;
}

/** Writes `which` (a float tensor of small integers) as int64 labels when asked for. */
void setLabels(torch::Tensor* labels, const torch::Tensor& which)
{
    if (labels) *labels = which.to(torch::kInt64);
}

torch::Tensor moons(int64_t n, at::Generator& gen, torch::Tensor* labels)
{
    // Two interleaved half circles (sklearn's make_moons), centred and scaled to about [-2, 2].
    const auto which = torch::randint(2, {n}, gen, torch::kInt64).to(torch::kFloat32);
    const auto angle = rand(n, 1, gen).squeeze(1) * kPi;
    auto x = torch::where(which < 0.5, torch::cos(angle), 1.0 - torch::cos(angle));
    auto y = torch::where(which < 0.5, torch::sin(angle), 0.5 - torch::sin(angle));
    auto pts = torch::stack({x - 0.5, y - 0.25}, 1) * 1.6;
    setLabels(labels, which); // 0: the upper moon, 1: the lower one
    return pts + 0.08 * randn(n, 2, gen);
}

torch::Tensor swissroll(int64_t n, at::Generator& gen, torch::Tensor*)
{
    const auto u = 1.5 * kPi * (1.0 + 2.0 * rand(n, 1, gen).squeeze(1));
    auto pts = torch::stack({u * torch::cos(u), u * torch::sin(u)}, 1) / 5.0;
    return pts + 0.05 * randn(n, 2, gen);
}

torch::Tensor checkerboard(int64_t n, at::Generator& gen, torch::Tensor* labels)
{
    // FFJORD's checkerboard on [-2, 2]^2: x2 = u - 2b + (floor(x1) mod 2), u uniform, b a fair bit. Every
    // point lies on a square with floor(x1) + floor(x2) even (one colour), so the class is the square:
    // 2 (floor(x1) + 2) + b, 8 classes numbered column by column, upper square first.
    const auto x1 = rand(n, 1, gen).squeeze(1) * 4.0 - 2.0;
    const auto u = rand(n, 1, gen).squeeze(1);
    const auto bit = torch::randint(2, {n}, gen, torch::kInt64).to(torch::kFloat32);
    const auto x2 = u - bit * 2.0 + torch::floor(x1).remainder(2.0);
    setLabels(labels, (torch::floor(x1) + 2.0).clamp(0.0, 3.0) * 2.0 + bit);
    return torch::stack({x1, x2}, 1);
}

torch::Tensor spirals(int64_t n, at::Generator& gen, torch::Tensor* labels)
{
    const auto which = torch::randint(2, {n}, gen, torch::kInt64).to(torch::kFloat32);
    const auto r = torch::sqrt(rand(n, 1, gen).squeeze(1)) * 3.0 * kPi;
    const auto ang = r + which * kPi;
    auto pts = torch::stack({r * torch::cos(ang), r * torch::sin(ang)}, 1) / (3.0 * kPi) * 3.0;
    setLabels(labels, which); // the arm
    return pts + 0.06 * randn(n, 2, gen);
}

torch::Tensor rings(int64_t n, at::Generator& gen, torch::Tensor* labels)
{
    const auto which = torch::randint(3, {n}, gen, torch::kInt64).to(torch::kFloat32);
    setLabels(labels, which); // the ring, innermost first
    const auto radius = 0.8 + which * 1.0;
    const auto ang = rand(n, 1, gen).squeeze(1) * 2.0 * kPi;
    return torch::stack({radius * torch::cos(ang), radius * torch::sin(ang)}, 1) + 0.06 * randn(n, 2, gen);
}

// ---- images ----

torch::Tensor matToTensor(const cv::Mat& img, int channels, int height, int width)
{
    cv::Mat m;
    if (channels == 1) {
        if (img.channels() == 1)
            m = img;
        else
            cv::cvtColor(img, m, img.channels() == 4 ? cv::COLOR_BGRA2GRAY : cv::COLOR_BGR2GRAY);
    } else {
        if (img.channels() == 1)
            cv::cvtColor(img, m, cv::COLOR_GRAY2RGB);
        else
            cv::cvtColor(img, m, img.channels() == 4 ? cv::COLOR_BGRA2RGB : cv::COLOR_BGR2RGB);
    }
    // Resize the short side, then centre-crop.
    const double scale = std::max(static_cast<double>(width) / m.cols, static_cast<double>(height) / m.rows);
    cv::Mat resized;
    cv::resize(m, resized, cv::Size(std::max(width, int(std::lround(m.cols * scale))),
                                     std::max(height, int(std::lround(m.rows * scale)))),
               0, 0, cv::INTER_AREA);
    const int x0 = (resized.cols - width) / 2, y0 = (resized.rows - height) / 2;
    cv::Mat crop = resized(cv::Rect(x0, y0, width, height)).clone();
    crop.convertTo(crop, CV_32F, 2.0 / 255.0, -1.0);
    auto t = torch::from_blob(crop.data, {height, width, channels}, torch::kFloat32).clone();
    return t.permute({2, 0, 1}).contiguous();
}

bool isImageFile(const fs::path& p)
{
    std::string ext = p.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
    return ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".bmp" || ext == ".pgm" || ext == ".ppm" ||
           ext == ".tif" || ext == ".tiff" || ext == ".webp";
}

cv::Mat readImage(const std::string& path)
{
    cv::Mat img = decodeImageFile(path, cv::IMREAD_UNCHANGED);
    if (img.empty()) throw DataError("cannot read image '" + path + "': missing, unreadable or not an image");
    if (img.depth() != CV_8U) img.convertTo(img, CV_8U, img.depth() == CV_16U ? 1.0 / 257.0 : 1.0);
    return img;
}

/** 2-D points distributed like the darkness of an image, mapped to [-3, 3] (aspect kept). */
class ImageDensityDataset final : public Dataset
{
public:
    explicit ImageDensityDataset(const std::string& path) : m_name("points:" + path)
    {
        cv::Mat gray;
        cv::Mat img = readImage(path);
        if (img.channels() == 1)
            gray = img;
        else
            cv::cvtColor(img, gray, img.channels() == 4 ? cv::COLOR_BGRA2GRAY : cv::COLOR_BGR2GRAY);
        const int maxSide = 256;
        const double s = std::min(1.0, static_cast<double>(maxSide) / std::max(gray.cols, gray.rows));
        // An explicit size of at least 1 x 1: a 1 x 5000 strip scaled by 256 / 5000 would round to 0 rows, which
        // cv::resize refuses with an exception (fuzz_image_file).
        if (s < 1.0)
            cv::resize(gray, gray,
                       cv::Size(std::max(1, int(std::lround(gray.cols * s))), std::max(1, int(std::lround(gray.rows * s)))),
                       0, 0, cv::INTER_AREA);
        cv::Mat f;
        gray.convertTo(f, CV_32F, 1.0 / 255.0);
        auto darkness = 1.0 - torch::from_blob(f.data, {f.rows, f.cols}, torch::kFloat32).clone();
        darkness = torch::where(darkness > 0.1, darkness, torch::zeros_like(darkness));
        if (darkness.sum().item<double>() <= 0)
            throw DataError("image '" + path + "' has no dark pixels to turn into points");
        m_w = f.cols;
        m_h = f.rows;
        m_probs = darkness.flatten();
        m_spec = DataSpec::points(2, 4.0);
        m_spec.dataset = m_name;
    }
    std::string name() const override { return m_name; }
    DataSpec spec() const override { return m_spec; }

protected:
    torch::Tensor draw(int64_t n, at::Generator& gen, torch::Tensor*) const override
    {
        const auto idx = torch::multinomial(m_probs, n, true, gen);
        const auto px = (idx.remainder(m_w)).to(torch::kFloat32) + rand(n, 1, gen).squeeze(1);
        const auto py = (idx.div(m_w, "floor")).to(torch::kFloat32) + rand(n, 1, gen).squeeze(1);
        const double scale = 6.0 / std::max(m_w, m_h);
        return torch::stack({(px - m_w / 2.0) * scale, -(py - m_h / 2.0) * scale}, 1);
    }

private:
    std::string m_name;
    int m_w = 0, m_h = 0;
    torch::Tensor m_probs;
    DataSpec m_spec;
};

} // namespace

torch::Tensor Dataset::first(int64_t n, uint64_t seed, torch::Tensor* labels) const
{
    auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
    if (labels && numClasses() == 0) return sample(n, gen, labels); // sample() says why there are no labels
    if (const auto* set = dynamic_cast<const TensorDataset*>(this)) { // the finite sets
        // A seeded permutation's first n (n = size() keeps everything, in a shuffled order), the
        // permutation sample() draws for n == size(); only the n kept items are copied (and decoded).
        const int64_t m = std::min(n, size());
        return set->take(torch::randperm(size(), gen, torch::kInt64).slice(0, 0, m), labels);
    }
    return sample(n, gen, labels); // the generated datasets (size() 0): n fresh draws
}

const std::vector<std::string>& datasetNames()
{
    static const std::vector<std::string> names = {"gmm1d",        "moons",   "8gaussians", "swissroll",
                                                   "checkerboard", "spirals", "rings",      "fashion-mnist"};
    return names;
}

std::unique_ptr<Dataset> openDataset(const std::string& nameOrPath, std::vector<int64_t> imageSize)
{
    if (imageSize.empty()) imageSize = {1, 28, 28};
    const std::string& s = nameOrPath;
    if (s == "gmm1d") return std::make_unique<MixtureDataset>(s, gmm1d(), 4.0);
    if (s == "8gaussians") return std::make_unique<MixtureDataset>(s, eightGaussians(), 4.0);
    if (s == "moons") return std::make_unique<ShapeDataset>(s, moons, 2);
    if (s == "swissroll") return std::make_unique<ShapeDataset>(s, swissroll, 0);
    if (s == "checkerboard") return std::make_unique<ShapeDataset>(s, checkerboard, 8);
    if (s == "spirals") return std::make_unique<ShapeDataset>(s, spirals, 2);
    if (s == "rings") return std::make_unique<ShapeDataset>(s, rings, 3);
    if (s == "fashion-mnist" || s == "fashion-mnist-test") {
        torch::Tensor labels;
        // Kept as bytes (47 MB for the training set); TensorDataset decodes the items it hands out.
        auto images = readFashionMnistBytes(fashionMnistDir(), s == "fashion-mnist" ? "train" : "test", &labels);
        auto spec = DataSpec::images(1, 28, 28);
        spec.dataset = "fashion-mnist";
        return std::make_unique<TensorDataset>(s, images, spec, labels, fashionMnistClassNames());
    }
    if (s.rfind("points:", 0) == 0) return std::make_unique<ImageDensityDataset>(s.substr(7));
    std::error_code ec;
    if (!fs::exists(s, ec)) {
        std::string known;
        for (const auto& n : datasetNames()) known += (known.empty() ? "" : ", ") + n;
        throw DataError("unknown dataset '" + s + "': not a file or folder, and not one of " + known);
    }
    if (imageSize.size() != 3) throw DataError("image datasets need a size C,H,W");
    const int c = static_cast<int>(imageSize[0]), h = static_cast<int>(imageSize[1]), w = static_cast<int>(imageSize[2]);
    std::vector<torch::Tensor> items;
    if (fs::is_directory(s, ec)) {
        std::vector<fs::path> files;
        for (const auto& e : fs::recursive_directory_iterator(s, fs::directory_options::skip_permission_denied, ec))
            if (e.is_regular_file() && isImageFile(e.path())) files.push_back(e.path());
        if (ec) throw DataError("cannot read the image folder '" + s + "': " + ec.message());
        std::sort(files.begin(), files.end());
        for (const auto& f : files) {
            cv::Mat img;
            try {
                img = decodeImageFile(f.string(), cv::IMREAD_UNCHANGED);
            } catch (const DataError&) {
            }
            if (img.empty()) continue; // unreadable files are skipped; an empty result is an error below
            if (img.depth() != CV_8U) img.convertTo(img, CV_8U, img.depth() == CV_16U ? 1.0 / 257.0 : 1.0);
            items.push_back(matToTensor(img, c, h, w));
        }
        if (items.empty()) throw DataError("the folder '" + s + "' holds no readable images (png, jpg, bmp, ...)");
    } else {
        items.push_back(matToTensor(readImage(s), c, h, w));
    }
    auto spec = DataSpec::images(c, h, w);
    spec.dataset = s;
    return std::make_unique<TensorDataset>(s, torch::stack(items), spec);
}

} // namespace difflens
