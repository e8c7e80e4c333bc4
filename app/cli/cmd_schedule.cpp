// difflens-cli schedule: the noise schedule and every derived table.
#include "app/cli/args.h"
#include "app/cli/commands.h"
#include "core/schedule.h"

#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

namespace difflens::cli {

namespace {
const char* kHelp =
    "usage: difflens-cli schedule (--config scheduler_config.json | --beta-schedule NAME --timesteps T\n"
    "                              [--beta-start B0 --beta-end B1]) [--format csv|json]\n"
    "\n"
    "Prints one row per timestep index t = 0..T-1 with the columns\n"
    "t,beta,alpha,alpha_bar,alpha_bar_prev,beta_tilde,posterior_log_variance_clipped,\n"
    "posterior_mean_coef1,posterior_mean_coef2,snr\n"
    "Schedules: linear (beta_start..beta_end literally, as diffusers), linear_improved (improved DDPM:\n"
    "scaled by 1000/T), scaled_linear, squaredcos_cap_v2 (= cosine), sigmoid (diffusers'/GeoDiff).\n";
}

int cmdSchedule(const Argv& argv)
{
    const Args args(argv, {"config", "beta-schedule", "timesteps", "beta-start", "beta-end", "format"}, {"help"});
    if (args.flag("help")) {
        std::fputs(kHelp, stdout);
        return 0;
    }
    if (!args.positional().empty()) throw UsageError("unexpected argument '" + args.positional()[0] + "'");
    SchedulerConfig config;
    if (args.has("config")) {
        if (args.has("beta-schedule") || args.has("timesteps"))
            throw UsageError("give either --config or --beta-schedule/--timesteps, not both");
        config = SchedulerConfig::fromFile(args.str("config"));
    } else {
        if (!args.has("beta-schedule")) throw UsageError("--config or --beta-schedule is required");
        config.betaSchedule = args.str("beta-schedule");
        config.numTrainTimesteps = args.integer("timesteps", 1000);
        config.betaStart = args.real("beta-start", config.betaStart);
        config.betaEnd = args.real("beta-end", config.betaEnd);
    }
    const std::string format = args.str("format", "csv");
    if (format != "csv" && format != "json") throw UsageError("--format must be csv or json");
    const NoiseSchedule schedule = NoiseSchedule::fromConfig(config);
    const auto& cols = scheduleTableColumns();
    if (format == "csv") {
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
