#include "core/json_util.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace difflens::json_util {

namespace {
const char* typeName(const json& v)
{
    return v.type_name();
}

[[noreturn]] void wrongType(const std::string& origin, const char* key, const char* expected, const json& v)
{
    throw ConfigError(origin + ": '" + key + "' must be " + expected + ", got " + typeName(v) + " (" + v.dump() +
                      ")");
}
} // namespace

json parse(const std::string& text, const std::string& origin)
{
    try {
        json j = json::parse(text);
        if (!j.is_object()) throw ConfigError(origin + ": expected a JSON object at the top level");
        return j;
    } catch (const json::exception& e) {
        // parse_error, and out_of_range for numbers beyond a double (found by tests/fuzz).
        throw ConfigError(origin + ": not valid JSON (" + std::string(e.what()) + ")");
    }
}

std::string readTextFile(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in) throw IoError("cannot read '" + path + "': the file is missing or unreadable");
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void writeBytesAtomic(const std::string& path, const char* data, size_t size)
{
    const std::string tmp = path + ".tmp";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out) throw IoError("cannot write '" + path + "': the folder is missing or not writable");
        out.write(data, static_cast<std::streamsize>(size));
        out.flush();
        if (!out) {
            out.close();
            std::remove(tmp.c_str());
            throw IoError("cannot write '" + path + "': the disk may be full");
        }
    }
    commitAtomic(tmp, path);
}

void commitAtomic(const std::string& tmp, const std::string& path, const std::string& what)
{
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) {
        std::error_code ignored;
        std::filesystem::remove_all(tmp, ignored);
        throw IoError("cannot replace " + (what.empty() ? std::string() : what + " ") + "'" + path + "'");
    }
}

void writeTextFileAtomic(const std::string& path, const std::string& text)
{
    writeBytesAtomic(path, text.data(), text.size());
}

int getInt(const json& j, const char* key, int fallback, const std::string& origin)
{
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return fallback;
    if (it->is_number_integer()) {
        const auto v = it->get<long long>();
        if (v < -2147483647LL || v > 2147483647LL) throw ConfigError(origin + ": '" + key + "' is out of range (" + it->dump() + ")");
        return static_cast<int>(v);
    }
    if (it->is_number_float()) {
        // Range first: casting 1e300 to int is undefined behaviour (UBSan float-cast-overflow).
        const double d = it->get<double>();
        if (!(d >= -2147483647.0 && d <= 2147483647.0))
            throw ConfigError(origin + ": '" + key + "' is out of range (" + it->dump() + ")");
        if (d == std::floor(d)) return static_cast<int>(d);
    }
    wrongType(origin, key, "an integer", *it);
}

double getDouble(const json& j, const char* key, double fallback, const std::string& origin)
{
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return fallback;
    if (it->is_number()) return it->get<double>();
    wrongType(origin, key, "a number", *it);
}

bool getBool(const json& j, const char* key, bool fallback, const std::string& origin)
{
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return fallback;
    if (it->is_boolean()) return it->get<bool>();
    wrongType(origin, key, "true or false", *it);
}

std::string getString(const json& j, const char* key, const std::string& fallback, const std::string& origin)
{
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return fallback;
    if (it->is_string()) return it->get<std::string>();
    wrongType(origin, key, "a string", *it);
}

std::vector<double> getDoubleArray(const json& j, const char* key, const std::string& origin)
{
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return {};
    if (!it->is_array()) wrongType(origin, key, "an array of numbers", *it);
    std::vector<double> out;
    for (const auto& v : *it) {
        if (!v.is_number()) wrongType(origin, key, "an array of numbers", *it);
        out.push_back(v.get<double>());
    }
    return out;
}

} // namespace difflens::json_util
