#pragma once
// The checks of difflens-cli's options (app/cli/options.cpp), as CLI11 Validators.
// Every check here is a CLI11 Validator that returns its message without the option's name: CLI11 throws
// ValidationError("NAME: MESSAGE"), which usageLine() turns into "NAME MESSAGE", so a message reads
// "--steps must be at least 1" as before.

#include <CLI/CLI.hpp>

#include <cerrno>
#include <cstdlib>
#include <functional>
#include <limits>
#include <string>
#include <vector>

namespace difflens::cli::checks {

/**
 * Base-10 integers within T's range (CLI11 alone reads 010 as octal and saturates on overflow); the text is
 * rewritten in plain decimal for CLI11's conversion.
 */
template <typename T> CLI::Validator integerText()
{
    return CLI::Validator(
        [](std::string& text) -> std::string {
            errno = 0;
            char* end = nullptr;
            const long long v = std::strtoll(text.c_str(), &end, 10);
            if (errno != 0 || end == text.c_str() || *end != '\0')
                return "must be an integer, got '" + text + "'";
            if (v < std::numeric_limits<T>::min() || v > std::numeric_limits<T>::max())
                return "is out of range";
            text = std::to_string(v);
            return "";
        },
        "");
}

/** Numbers as strtod reads them, rewritten with 17 digits: CLI11's long double reading gives the same double.
 */
CLI::Validator numberText();
/** One item of a comma list: spaces and brackets around it go, so "[5, 10, 20]" reads as 5,10,20. */
CLI::Validator listItem();
std::string joined(const std::vector<std::string>& names, const char* sep);
/** "a, b or c". */
std::string spoken(const std::vector<std::string>& names);

using Refusal = std::function<std::string(const std::string& text)>;

/** A fixed set of names, listed in --help and, unless `refuse` says otherwise, in the message. */
CLI::Validator oneOf(const std::vector<std::string>& names, Refusal refuse = nullptr);
/**
 * Names that core checks itself when it reads them (an unknown sampler or beta schedule is the config
 * layer's error, exit 1, and its message lists the known ones): listed in --help only.
 */
CLI::Validator listed(const std::vector<std::string>& names);
/** low <= value <= high (NaN refused too); `shown` is the range as --help prints it. */
CLI::Validator within(double low, double high, const std::string& shown, Refusal refuse);
/** value >= low, with `message` when not. */
CLI::Validator atLeast(long long low, const std::string& message);

} // namespace difflens::cli::checks
