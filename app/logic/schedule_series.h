#pragma once
// A noise schedule as the curves SchedulePlot draws (t = 1..T).
#include "core/schedule.h"
#include "widgets/types.h"

namespace difflens::gui {

/** The model's schedule; throws ConfigError for an invalid config. */
widgets::ScheduleSeries scheduleSeries(const SchedulerConfig& config, const QString& name = QString());

/** The schedules offered for comparison: (label, beta_schedule name). */
QVector<QPair<QString, QString>> comparisonSchedules();

/** `config` with another beta_schedule (same T; the linear family keeps beta_start/beta_end). */
SchedulerConfig withSchedule(SchedulerConfig config, const QString& betaSchedule);

} // namespace difflens::gui
