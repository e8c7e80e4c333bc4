// libFuzzer harness: the `exact:DATASET?n=N&seed=S&T=T&schedule=NAME` spec (models/registry), parsed and
// turned into the schedule it asks for, without building the denoiser (that reads datasets; its size is the
// resource check's job).
#include "core/schedule.h"
#include "models/registry.h"
#include "tests/fuzz/fuzz_common.h"

DIFFLENS_FUZZ_TARGET(fuzz_exact_spec)
{
    using namespace difflens;
    const std::string spec = "exact:" + std::string(reinterpret_cast<const char*>(data), size);
    fuzz::expectTypedErrors([&] {
        const ExactSpec parsed = parseExactSpec(spec);
        if (parsed.dataset.empty()) {
            std::fprintf(stderr, "an exact spec parsed without a dataset\n");
            std::abort();
        }
        (void)NoiseSchedule::fromConfig(parsed.scheduler);
    });
    return 0;
}
