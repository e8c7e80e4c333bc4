// difflens-cli schedule: the noise schedule and every derived table.
#include "app/cli/commands.h"
#include "core/schedule.h"

#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

namespace difflens::cli {

int cmdSchedule(const ScheduleArgs& args)
{
    SchedulerConfig config;
    if (args.config) {
        if (args.betaSchedule || args.timesteps)
            throw UsageError("give either --config or --beta-schedule/--timesteps, not both");
        config = SchedulerConfig::fromFile(*args.config);
    } else {
        if (!args.betaSchedule) throw UsageError("--config or --beta-schedule is required");
        config.betaSchedule = *args.betaSchedule;
        config.numTrainTimesteps = args.timesteps.value_or(1000);
        config.betaStart = args.betaStart.value_or(config.betaStart);
        config.betaEnd = args.betaEnd.value_or(config.betaEnd);
    }
    const NoiseSchedule schedule = NoiseSchedule::fromConfig(config);
    const auto& cols = scheduleTableColumns();
    if (args.format == "csv") {
        std::string header;
        for (size_t c = 0; c < cols.size(); ++c) header += (c ? "," : "") + cols[c];
        std::printf("%s\n", header.c_str());
        for (int k = 0; k < schedule.size(); ++k) {
            const auto row = scheduleTableRow(schedule, k);
            std::printf("%d", k);
            for (size_t c = 1; c < row.size(); ++c) std::printf(",%.17g", row[c]);
            std::printf("\n");
        }
    } else {
        nlohmann::ordered_json j;
        j["beta_schedule"] = config.betaSchedule;
        j["num_train_timesteps"] = config.numTrainTimesteps;
        j["beta_start"] = config.betaStart;
        j["beta_end"] = config.betaEnd;
        for (size_t c = 0; c < cols.size(); ++c) {
            nlohmann::json column = nlohmann::json::array();
            for (int k = 0; k < schedule.size(); ++k) {
                const double v = scheduleTableRow(schedule, k)[c];
                if (c == 0)
                    column.push_back(k);
                else
                    column.push_back(v);
            }
            j[cols[c]] = column;
        }
        std::cout << j.dump(1) << "\n";
    }
    return 0;
}

} // namespace difflens::cli
