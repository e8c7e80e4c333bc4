#include "widgets/image_utils.h"

#include <QPainter>

#include <algorithm>
#include <array>
#include <cmath>

namespace difflens::widgets {

namespace {

// --- Oklab (Ottosson 2020): interpolating here keeps lightness steps even between anchor colours. -------
struct Lab
{
    double L, a, b;
};

double toLinear(double c)
{
    return c <= 0.04045 ? c / 12.92 : std::pow((c + 0.055) / 1.055, 2.4);
}
double toGamma(double c)
{
    return c <= 0.0031308 ? 12.92 * c : 1.055 * std::pow(c, 1.0 / 2.4) - 0.055;
}

Lab toOklab(QRgb rgb)
{
    const double r = toLinear(qRed(rgb) / 255.0), g = toLinear(qGreen(rgb) / 255.0),
                 b = toLinear(qBlue(rgb) / 255.0);
    const double l = std::cbrt(0.4122214708 * r + 0.5363325363 * g + 0.0514459929 * b);
    const double m = std::cbrt(0.2119034982 * r + 0.6806995451 * g + 0.1073969566 * b);
    const double s = std::cbrt(0.0883024619 * r + 0.2817188376 * g + 0.6299787005 * b);
    return {0.2104542553 * l + 0.7936177850 * m - 0.0040720468 * s,
            1.9779984951 * l - 2.4285922050 * m + 0.4505937099 * s,
            0.0259040371 * l + 0.7827717662 * m - 0.8086757660 * s};
}

QRgb fromOklab(const Lab& c)
{
    const double l = std::pow(c.L + 0.3963377774 * c.a + 0.2158037573 * c.b, 3);
    const double m = std::pow(c.L - 0.1055613458 * c.a - 0.0638541728 * c.b, 3);
    const double s = std::pow(c.L - 0.0894841775 * c.a - 1.2914855480 * c.b, 3);
    const double rgb[3] = {4.0767416621 * l - 3.3077115913 * m + 0.2309699292 * s,
                           -1.2684380046 * l + 2.6097574011 * m - 0.3413193965 * s,
                           -0.0041960863 * l - 0.7034186147 * m + 1.7076147010 * s};
    int out[3];
    for (int i = 0; i < 3; ++i)
        out[i] =
            std::clamp(static_cast<int>(std::lround(toGamma(std::clamp(rgb[i], 0.0, 1.0)) * 255.0)), 0, 255);
    return qRgb(out[0], out[1], out[2]);
}

// Ten evenly spaced anchors of each map (the published viridis / magma colours at 0, 1/9, ..., 1).
constexpr std::array<QRgb, 10> kViridisAnchors = {0x440154, 0x482878, 0x3E4A89, 0x31688E, 0x26828E,
                                                  0x1F9E89, 0x35B779, 0x6DCD59, 0xB4DE2C, 0xFDE725};
constexpr std::array<QRgb, 10> kMagmaAnchors = {0x000004, 0x180F3D, 0x440F76, 0x721F81, 0x9E2F7F,
                                                0xCD4071, 0xF1605D, 0xFD9668, 0xFECA8D, 0xFCFDBF};

QVector<QRgb> buildTable(const std::array<QRgb, 10>& anchors)
{
    std::array<Lab, 10> lab;
    for (size_t i = 0; i < anchors.size(); ++i)
        lab[i] = toOklab(anchors[i]);
    QVector<QRgb> table(256);
    for (int i = 0; i < 256; ++i) {
        const double x = i / 255.0 * (anchors.size() - 1);
        const int k = std::min(static_cast<int>(x), static_cast<int>(anchors.size()) - 2);
        const double f = x - k;
        const Lab c{lab[k].L + f * (lab[k + 1].L - lab[k].L), lab[k].a + f * (lab[k + 1].a - lab[k].a),
                    lab[k].b + f * (lab[k + 1].b - lab[k].b)};
        table[i] = fromOklab(c);
    }
    // The ends are exactly the anchors (no rounding drift through Oklab).
    table[0] = 0xFF000000u | anchors.front();
    table[255] = 0xFF000000u | anchors.back();
    return table;
}

int toByte(float v, double low, double scale)
{
    return std::clamp(static_cast<int>(std::lround((v - low) * scale)), 0, 255);
}

const QRgb kNanColor = qRgb(255, 0, 255);

} // namespace

const QVector<QRgb>& colormapTable(Colormap map)
{
    static const QVector<QRgb> viridis = buildTable(kViridisAnchors);
    static const QVector<QRgb> magma = buildTable(kMagmaAnchors);
    return map == Colormap::Magma ? magma : viridis;
}

QRgb colormapColor(Colormap map, double u)
{
    if (std::isnan(u)) return qRgb(128, 128, 128);
    const int i = std::clamp(static_cast<int>(std::lround(u * 255.0)), 0, 255);
    return colormapTable(map)[i];
}

QImage toImage(const ImageData& image)
{
    if (!image.isValid()) return {};
    QImage out(image.width, image.height, QImage::Format_RGB32);
    const double range = image.high - image.low;
    const double scale = range != 0.0 ? 255.0 / range : 0.0;
    const bool rgb = image.channels >= 3;
    for (int y = 0; y < image.height; ++y) {
        auto* line = reinterpret_cast<QRgb*>(out.scanLine(y));
        for (int x = 0; x < image.width; ++x) {
            if (rgb) {
                const float r = image.at(0, y, x), g = image.at(1, y, x), b = image.at(2, y, x);
                if (std::isnan(r) || std::isnan(g) || std::isnan(b))
                    line[x] = kNanColor;
                else
                    line[x] = qRgb(toByte(r, image.low, scale), toByte(g, image.low, scale),
                                   toByte(b, image.low, scale));
            } else {
                const float v = image.at(0, y, x);
                const int g = toByte(v, image.low, scale);
                line[x] = std::isnan(v) ? kNanColor : qRgb(g, g, g);
            }
        }
    }
    return out;
}

QImage heatMap(const ImageData& image, double vmax, Colormap map)
{
    if (!image.isValid()) return {};
    const size_t plane = static_cast<size_t>(image.width) * image.height;
    std::vector<double> magnitude(plane, 0.0);
    for (int c = 0; c < image.channels; ++c)
        for (size_t i = 0; i < plane; ++i) {
            const double v = image.values[c * plane + i];
            magnitude[i] += v * v;
        }
    double maxMagnitude = 0.0;
    for (double& m : magnitude) {
        m = std::sqrt(m / image.channels);
        if (!std::isnan(m)) maxMagnitude = std::max(maxMagnitude, m);
    }
    if (!(vmax > 0.0)) vmax = maxMagnitude > 0.0 ? maxMagnitude : 1.0;
    const QVector<QRgb>& table = colormapTable(map);
    QImage out(image.width, image.height, QImage::Format_RGB32);
    for (int y = 0; y < image.height; ++y) {
        auto* line = reinterpret_cast<QRgb*>(out.scanLine(y));
        for (int x = 0; x < image.width; ++x) {
            const double m = magnitude[static_cast<size_t>(y) * image.width + x];
            line[x] = std::isnan(m)
                          ? kNanColor
                          : table[std::clamp(static_cast<int>(std::lround(m / vmax * 255.0)), 0, 255)];
        }
    }
    return out;
}

QImage scaledNearest(const QImage& image, int factor)
{
    if (image.isNull()) return {};
    factor = std::max(1, factor);
    const QImage src = image.format() == QImage::Format_RGB32 || image.format() == QImage::Format_ARGB32
                           ? image
                           : image.convertToFormat(QImage::Format_ARGB32);
    if (factor == 1) return src;
    QImage out(src.width() * factor, src.height() * factor, src.format());
    for (int y = 0; y < src.height(); ++y) {
        const auto* in = reinterpret_cast<const QRgb*>(src.constScanLine(y));
        auto* first = reinterpret_cast<QRgb*>(out.scanLine(y * factor));
        for (int x = 0; x < src.width(); ++x)
            std::fill_n(first + x * factor, factor, in[x]);
        for (int r = 1; r < factor; ++r)
            std::copy_n(first, out.width(), reinterpret_cast<QRgb*>(out.scanLine(y * factor + r)));
    }
    return out;
}

QImage colorbar(Colormap map, int width, int height, Qt::Orientation orientation)
{
    QImage out(std::max(1, width), std::max(1, height), QImage::Format_RGB32);
    for (int y = 0; y < out.height(); ++y) {
        auto* line = reinterpret_cast<QRgb*>(out.scanLine(y));
        for (int x = 0; x < out.width(); ++x) {
            const double u = orientation == Qt::Vertical
                                 ? 1.0 - (out.height() > 1 ? double(y) / (out.height() - 1) : 0.0)
                                 : (out.width() > 1 ? double(x) / (out.width() - 1) : 0.0);
            line[x] = colormapColor(map, u);
        }
    }
    return out;
}

ImageData toImageData(const QImage& image, int channels, double low, double high)
{
    ImageData out;
    if (image.isNull()) return out;
    channels = channels >= 3 ? 3 : 1;
    out.channels = channels;
    out.width = image.width();
    out.height = image.height();
    out.low = low;
    out.high = high;
    out.values.resize(static_cast<size_t>(channels) * out.width * out.height);
    const QImage src = image.convertToFormat(QImage::Format_RGB32);
    const double scale = (high - low) / 255.0;
    for (int y = 0; y < out.height; ++y) {
        const auto* line = reinterpret_cast<const QRgb*>(src.constScanLine(y));
        for (int x = 0; x < out.width; ++x) {
            const size_t i = static_cast<size_t>(y) * out.width + x;
            const size_t plane = static_cast<size_t>(out.width) * out.height;
            if (channels == 1) {
                out.values[i] = static_cast<float>(low + qGray(line[x]) * scale);
            } else {
                out.values[i] = static_cast<float>(low + qRed(line[x]) * scale);
                out.values[plane + i] = static_cast<float>(low + qGreen(line[x]) * scale);
                out.values[2 * plane + i] = static_cast<float>(low + qBlue(line[x]) * scale);
            }
        }
    }
    return out;
}

} // namespace difflens::widgets
