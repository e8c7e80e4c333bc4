#pragma once
// The sampler names without torch, for the command line's --help and choices (core/sampler.h parses them).
#include <string>
#include <vector>

namespace difflens {

/** The names parseSamplerKind accepts, for --help, menus and messages. */
const std::vector<std::string>& samplerNames();

} // namespace difflens
