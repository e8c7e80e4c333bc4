#pragma once
// Typed reads from nlohmann::json with messages that name the file and the key.
#include "core/errors.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace difflens::json_util {

using nlohmann::json;

/** Parses text; throws ConfigError "<origin>: not valid JSON (...)". */
json parse(const std::string& text, const std::string& origin);
/** Reads a whole file; throws IoError when it cannot be read. */
std::string readTextFile(const std::string& path);
/**
 * The commit step of every atomic write: moves a finished temporary file (or folder) over `path` in one rename;
 * on failure removes the temporary and throws IoError "cannot replace 'path'" (`what` names the kind of file).
 */
void commitAtomic(const std::string& tmp, const std::string& path, const std::string& what = "");
/** Writes bytes atomically (temporary file, then rename): the old file survives a failure. Throws IoError. */
void writeBytesAtomic(const std::string& path, const char* data, size_t size);
/** writeBytesAtomic for text. */
void writeTextFileAtomic(const std::string& path, const std::string& text);

// Each getter returns the default when the key is missing or null, and throws ConfigError on a wrong type.
int getInt(const json& j, const char* key, int fallback, const std::string& origin);
double getDouble(const json& j, const char* key, double fallback, const std::string& origin);
bool getBool(const json& j, const char* key, bool fallback, const std::string& origin);
std::string getString(const json& j, const char* key, const std::string& fallback, const std::string& origin);
std::vector<double> getDoubleArray(const json& j, const char* key, const std::string& origin);

} // namespace difflens::json_util
