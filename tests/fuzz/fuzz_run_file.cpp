// libFuzzer harness: a run file (core/run_file.h, written by `sample --save-run` and the app) -> its header
// alone (what `info --run` and the open dialog read) and the whole run (loadRun), as a student's file reaches
// the app.
#include "core/run_file.h"
#include "tests/fuzz/fuzz_common.h"

DIFFLENS_FUZZ_TARGET(fuzz_run_file)
{
    using namespace difflens;
    const std::string path = fuzz::writeScratch("run.pt", data, size);
    fuzz::expectTypedErrors([&] { (void)runFileHeader(path).dump(); });
    fuzz::expectTypedErrors([&] { (void)loadRun(path); });
    return 0;
}
