// formatSig: 4 significant digits everywhere, readable exponents, the Unicode minus.
#include "widgets/format.h"

#include <QTest>

#include <cmath>
#include <limits>

using namespace difflens::widgets;

class TestFormat : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void significantDigits_data()
    {
        QTest::addColumn<double>("value");
        QTest::addColumn<QString>("expected");
        QTest::newRow("abar") << 0.0042578 << QStringLiteral("0.004258");
        QTest::newRow("one") << 1.0 << QStringLiteral("1.000");
        QTest::newRow("large") << 15.3249 << QStringLiteral("15.32");
        QTest::newRow("negative") << -5.45512 << QStringLiteral("−5.455");
        QTest::newRow("small") << 0.0001 << QStringLiteral("1.000×10⁻⁴");
        QTest::newRow("tiny") << 2.4e-9 << QStringLiteral("2.400×10⁻⁹");
        QTest::newRow("carry") << 9.99996e-5 << QStringLiteral("1.000×10⁻⁴");
        QTest::newRow("huge") << 123456.0 << QStringLiteral("1.235×10⁵");
        QTest::newRow("zero") << 0.0 << QStringLiteral("0");
        QTest::newRow("nan") << std::numeric_limits<double>::quiet_NaN() << QStringLiteral("—");
    }
    void significantDigits()
    {
        QFETCH(double, value);
        QFETCH(QString, expected);
        QCOMPARE(formatSig(value), expected);
    }

    void plainAndScripts()
    {
        QCOMPARE(formatSigPlain(1e-4), QStringLiteral("1.000e−04"));
        QCOMPARE(subscriptNumber(733), QStringLiteral("₇₃₃"));
        QCOMPARE(superscriptNumber(-12), QStringLiteral("⁻¹²"));
    }
};

QTEST_MAIN(TestFormat)
#include "test_w_format.moc"
