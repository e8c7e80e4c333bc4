#pragma once
// Number formatting shared by every panel: the same number reads the same everywhere.
#include <QString>

namespace difflens::widgets {

/**
 * v with `significant` significant digits. Plain decimals for 1e-3 <= |v| < 1e5, otherwise
 * scientific with a Unicode exponent ("1.000×10⁻⁴"). NaN prints "—", infinities "∞" / "−∞".
 * Uses the Unicode minus sign so columns of numbers line up and read well on slides.
 */
QString formatSig(double v, int significant = 4);

/** The same as formatSig, but scientific exponents written plainly ("1.000e-04"), for narrow axis text. */
QString formatSigPlain(double v, int significant = 4);

/** Digits as Unicode subscripts: 733 -> "₇₃₃" (for labels like x₇₃₃ in plain-text places). */
QString subscriptNumber(long n);

/** Digits as Unicode superscripts: -4 -> "⁻⁴". */
QString superscriptNumber(long n);

} // namespace difflens::widgets
