#include "app/logic/schedule_series.h"

#include <cmath>

namespace difflens::gui {

widgets::ScheduleSeries scheduleSeries(const SchedulerConfig& config, const QString& name)
{
    const NoiseSchedule s = NoiseSchedule::fromConfig(config);
    widgets::ScheduleSeries out;
    out.name = name.isEmpty() ? QString::fromStdString(config.betaSchedule) : name;
    const int T = s.size();
    out.t.reserve(T);
    for (int k = 0; k < T; ++k) {
        const double abar = s.alphaBars()[k];
        out.t.push_back(k + 1);
        out.beta.push_back(s.betas()[k]);
        out.alphaBar.push_back(abar);
        out.betaTilde.push_back(s.posteriorVariance()[k]);
        out.logSnr.push_back(std::log(abar / (1.0 - abar)));
    }
    return out;
}

QVector<QPair<QString, QString>> comparisonSchedules()
{
    return {{QStringLiteral("linear"), QStringLiteral("linear")},
            {QStringLiteral("cosine"), QStringLiteral("squaredcos_cap_v2")},
            {QStringLiteral("scaled linear (√β linear)"), QStringLiteral("scaled_linear")},
            {QStringLiteral("sigmoid (GeoDiff)"), QStringLiteral("sigmoid")}};
}

SchedulerConfig withSchedule(SchedulerConfig config, const QString& betaSchedule)
{
    config.betaSchedule = betaSchedule.toStdString();
    config.trainedBetas.clear();
    return config;
}

} // namespace difflens::gui
