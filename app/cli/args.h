#pragma once
// A small command-line parser for difflens-cli (no Qt: the CLI builds without it).
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace difflens::cli {

/** A usage error: printed with the command's help hint, exit code 2. */
class UsageError : public std::runtime_error
{
public:
    using std::runtime_error::runtime_error;
};

class Args
{
public:
    /** flags: options that take no value (e.g. "json"). Everything else "--name value" or "--name=value". */
    Args(const std::vector<std::string>& argv, const std::vector<std::string>& valueOptions,
         const std::vector<std::string>& flags);

    bool has(const std::string& name) const { return m_values.count(name) > 0 || m_flags.count(name) > 0; }
    bool flag(const std::string& name) const { return m_flags.count(name) > 0; }
    std::string str(const std::string& name, const std::string& fallback = "") const;
    int integer(const std::string& name, int fallback) const;
    long long int64(const std::string& name, long long fallback) const;
    double real(const std::string& name, double fallback) const;
    const std::vector<std::string>& positional() const { return m_positional; }

private:
    std::map<std::string, std::string> m_values;
    std::map<std::string, bool> m_flags;
    std::vector<std::string> m_positional;
};

/** Splits "a,b,c" into parts (empty parts dropped). */
std::vector<std::string> splitList(const std::string& s, char sep = ',');

} // namespace difflens::cli
