// libFuzzer harness: a training log (loss.csv) as both readers see it: the GUI's loss panel
// (readCsvColumns, columns by header name) and `difflens-cli train --init-from` (readLossLog).
#include "app/cli/commands.h"
#include "app/gui/side_panels.h"
#include "core/trainer.h"
#include "tests/fuzz/fuzz_common.h"

DIFFLENS_FUZZ_TARGET(fuzz_loss_csv)
{
    using namespace difflens;
    const std::string path = fuzz::writeScratch("loss.csv", data, size);
    QStringList header;
    QVector<QVector<double>> columns;
    if (gui::readCsvColumns(QString::fromStdString(path), header, columns)) {
        for (const auto& column : columns)
            if (column.size() != columns.first().size()) {
                std::fprintf(stderr, "CSV columns of different lengths\n");
                std::abort();
            }
    }
    fuzz::expectTypedErrors([&] { (void)cli::readLossLog(path); });
    return 0;
}
