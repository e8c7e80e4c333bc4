#pragma once
// The hand-written explanations of each difflens-cli command, shown under CLI11's generated option list.

namespace difflens::cli::help {

extern const char* const kScheduleFooter;
extern const char* const kSampleFooter;
extern const char* const kInfoFooter;
extern const char* const kTrainFooter;
extern const char* const kDatasetFooter;
extern const char* const kEvalFooter;
extern const char* const kGuidanceSweepFooter;
extern const char* const kGuidanceTargetFooter;
extern const char* const kExportFooter;
extern const char* const kExportModelFooter;

} // namespace difflens::cli::help
