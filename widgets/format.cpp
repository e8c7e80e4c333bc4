#include "widgets/format.h"

#include <algorithm>
#include <cmath>

namespace difflens::widgets {

namespace {

const QChar kMinus(0x2212);

QString mapDigits(long n, const char16_t* digits, QChar minus)
{
    QString out;
    if (n < 0) {
        out += minus;
        n = -n;
    }
    const QString plain = QString::number(n);
    for (const QChar c : plain)
        out += QChar(digits[c.unicode() - u'0']);
    return out;
}

// Decimal notation with `significant` digits, trailing zeros kept (they carry the precision).
QString decimal(double v, int significant)
{
    const int magnitude = static_cast<int>(std::floor(std::log10(std::fabs(v))));
    const int decimals = std::max(0, significant - 1 - magnitude);
    return QString::number(v, 'f', decimals);
}

bool special(double v, QString* out)
{
    if (std::isnan(v)) {
        *out = QStringLiteral("—");
        return true;
    }
    if (std::isinf(v)) {
        *out = v > 0 ? QStringLiteral("∞") : QString(kMinus) + QStringLiteral("∞");
        return true;
    }
    if (v == 0.0) {
        *out = QStringLiteral("0");
        return true;
    }
    return false;
}

} // namespace

QString subscriptNumber(long n)
{
    static const char16_t digits[] = u"₀₁₂₃₄₅₆₇₈₉";
    return mapDigits(n, digits, QChar(0x208B));
}

QString superscriptNumber(long n)
{
    static const char16_t digits[] = u"⁰¹²³⁴⁵⁶⁷⁸⁹";
    return mapDigits(n, digits, QChar(0x207B));
}

QString formatSig(double v, int significant)
{
    QString s;
    if (special(v, &s)) return s;
    const double a = std::fabs(v);
    if (a >= 1e-3 && a < 1e5) {
        s = decimal(v, significant);
    } else {
        int exponent = static_cast<int>(std::floor(std::log10(a)));
        double mantissa = v / std::pow(10.0, exponent);
        // Rounding the mantissa can carry to 10.000: renormalise.
        const double scale = std::pow(10.0, significant - 1);
        if (std::fabs(std::round(mantissa * scale) / scale) >= 10.0) {
            mantissa /= 10.0;
            ++exponent;
        }
        s = QString::number(mantissa, 'f', significant - 1) + QStringLiteral("×10") +
            superscriptNumber(exponent);
    }
    s.replace(QLatin1Char('-'), kMinus);
    return s;
}

QString formatSigPlain(double v, int significant)
{
    QString s;
    if (special(v, &s)) return s;
    const double a = std::fabs(v);
    if (a >= 1e-3 && a < 1e5)
        s = decimal(v, significant);
    else
        s = QString::number(v, 'e', significant - 1);
    s.replace(QLatin1Char('-'), kMinus);
    return s;
}

} // namespace difflens::widgets
