#include "app/cli/args.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <sstream>

namespace difflens::cli {

Args::Args(const std::vector<std::string>& argv, const std::vector<std::string>& valueOptions,
           const std::vector<std::string>& flags)
{
    auto isIn = [](const std::vector<std::string>& v, const std::string& s) {
        return std::find(v.begin(), v.end(), s) != v.end();
    };
    for (size_t i = 0; i < argv.size(); ++i) {
        const std::string& a = argv[i];
        if (a.size() > 2 && a.compare(0, 2, "--") == 0) {
            std::string name = a.substr(2), value;
            bool inlineValue = false;
            const auto eq = name.find('=');
            if (eq != std::string::npos) {
                value = name.substr(eq + 1);
                name = name.substr(0, eq);
                inlineValue = true;
            }
            if (isIn(flags, name)) {
                if (inlineValue) throw UsageError("option --" + name + " takes no value");
                m_flags[name] = true;
            } else if (isIn(valueOptions, name)) {
                if (!inlineValue) {
                    if (i + 1 >= argv.size()) throw UsageError("option --" + name + " needs a value");
                    value = argv[++i];
                }
                m_values[name] = value;
            } else {
                throw UsageError("unknown option --" + name);
            }
        } else {
            m_positional.push_back(a);
        }
    }
}

std::string Args::str(const std::string& name, const std::string& fallback) const
{
    auto it = m_values.find(name);
    return it == m_values.end() ? fallback : it->second;
}

long long Args::int64(const std::string& name, long long fallback) const
{
    auto it = m_values.find(name);
    if (it == m_values.end()) return fallback;
    errno = 0;
    char* end = nullptr;
    const long long v = std::strtoll(it->second.c_str(), &end, 10);
    if (errno != 0 || end == it->second.c_str() || *end != '\0')
        throw UsageError("--" + name + " must be an integer, got '" + it->second + "'");
    return v;
}

int Args::integer(const std::string& name, int fallback) const
{
    const long long v = int64(name, fallback);
    if (v < -2147483647LL || v > 2147483647LL) throw UsageError("--" + name + " is out of range");
    return static_cast<int>(v);
}

double Args::real(const std::string& name, double fallback) const
{
    auto it = m_values.find(name);
    if (it == m_values.end()) return fallback;
    errno = 0;
    char* end = nullptr;
    const double v = std::strtod(it->second.c_str(), &end);
    if (errno != 0 || end == it->second.c_str() || *end != '\0')
        throw UsageError("--" + name + " must be a number, got '" + it->second + "'");
    return v;
}

std::vector<std::string> splitList(const std::string& s, char sep)
{
    std::vector<std::string> out;
    std::stringstream ss(s);
    std::string part;
    while (std::getline(ss, part, sep))
        if (!part.empty()) out.push_back(part);
    return out;
}

} // namespace difflens::cli
