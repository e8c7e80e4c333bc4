#include "app/cli/option_checks.h"

#include <algorithm>
#include <cstdio>

namespace difflens::cli::checks {

/** Numbers as strtod reads them, rewritten with 17 digits: CLI11's long double reading gives the same double.
 */
CLI::Validator numberText()
{
    return CLI::Validator(
        [](std::string& text) -> std::string {
            errno = 0;
            char* end = nullptr;
            const double v = std::strtod(text.c_str(), &end);
            if (errno != 0 || end == text.c_str() || *end != '\0')
                return "must be a number, got '" + text + "'";
            char exact[40];
            std::snprintf(exact, sizeof exact, "%.17g", v);
            text = exact;
            return "";
        },
        "");
}

/** One item of a comma list: spaces and brackets around it go, so "[5, 10, 20]" reads as 5,10,20. */
CLI::Validator listItem()
{
    return CLI::Validator(
        [](std::string& text) -> std::string {
            const auto keep = text.find_first_not_of("[] ");
            text =
                keep == std::string::npos ? "" : text.substr(keep, text.find_last_not_of("[] ") - keep + 1);
            return "";
        },
        "");
}

std::string joined(const std::vector<std::string>& names, const char* sep)
{
    std::string s;
    for (size_t i = 0; i < names.size(); ++i)
        s += (i ? sep : "") + names[i];
    return s;
}

/** "a, b or c". */
std::string spoken(const std::vector<std::string>& names)
{
    std::string s;
    for (size_t i = 0; i < names.size(); ++i)
        s += (i == 0 ? "" : i + 1 == names.size() ? " or " : ", ") + names[i];
    return s;
}

using Refusal = std::function<std::string(const std::string& text)>;

/** A fixed set of names, listed in --help and, unless `refuse` says otherwise, in the message. */
CLI::Validator oneOf(const std::vector<std::string>& names, Refusal refuse)
{
    if (!refuse)
        refuse = [names](const std::string& text) {
            return "must be " + spoken(names) + ", got '" + text + "'";
        };
    return CLI::Validator(
        [names, refuse](std::string& text) {
            return std::find(names.begin(), names.end(), text) != names.end() ? std::string() : refuse(text);
        },
        "{" + joined(names, ",") + "}");
}

/**
 * Names that core checks itself when it reads them (an unknown sampler or beta schedule is the config
 * layer's error, exit 1, and its message lists the known ones): listed in --help only.
 */
CLI::Validator listed(const std::vector<std::string>& names)
{
    return CLI::Validator("{" + joined(names, ",") + "}");
}

/** low <= value <= high (NaN refused too); `shown` is the range as --help prints it. */
CLI::Validator within(double low, double high, const std::string& shown, Refusal refuse)
{
    return CLI::Validator(
        [low, high, refuse](std::string& text) {
            const double v = std::strtod(text.c_str(), nullptr);
            return v >= low && v <= high ? std::string() : refuse(text);
        },
        shown);
}

CLI::Validator atLeast(long long low, const std::string& message)
{
    return within(static_cast<double>(low), std::numeric_limits<double>::infinity(),
                  "[" + std::to_string(low) + ",inf)", [message](const std::string&) { return message; });
}

} // namespace difflens::cli::checks
