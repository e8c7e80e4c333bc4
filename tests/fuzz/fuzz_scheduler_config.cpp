// libFuzzer harness: scheduler_config.json text -> SchedulerConfig::fromJsonText -> NoiseSchedule, and the
// config's own JSON read back gives the same schedule (a round trip the package writer relies on).
#include "core/schedule.h"
#include "tests/fuzz/fuzz_common.h"

DIFFLENS_FUZZ_TARGET(fuzz_scheduler_config)
{
    const std::string text(reinterpret_cast<const char*>(data), size);
    difflens::fuzz::expectTypedErrors([&] {
        const auto config = difflens::SchedulerConfig::fromJsonText(text, "fuzz input");
        const auto schedule = difflens::NoiseSchedule::fromConfig(config);
        const auto again = difflens::SchedulerConfig::fromJsonText(config.toJsonText(), "round trip");
        if (difflens::NoiseSchedule::fromConfig(again).betas() != schedule.betas()) {
            std::fprintf(stderr, "scheduler config round trip changed the betas\n");
            std::abort();
        }
    });
    return 0;
}
