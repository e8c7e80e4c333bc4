#pragma once
// Shared by the libFuzzer harnesses under tests/fuzz: a private scratch folder for loaders that read paths,
// and the contract every loader of outside data keeps: bad bytes end in a typed difflens::Error (one message
// a person can act on), never in another exception type, a crash or a sanitizer report.
#include "core/errors.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <unistd.h>

// A harness body, written once: in the fuzz build it is libFuzzer's entry point; compiled into
// tests/test_fuzz_regressions (DIFFLENS_FUZZ_REGRESSION) it is a named function that test feeds the saved
// crash inputs and the seed corpus through.
#ifdef DIFFLENS_FUZZ_REGRESSION
#define DIFFLENS_FUZZ_TARGET(name)                                                                           \
    static int name##_one(const uint8_t* data, size_t size);                                                 \
    static const bool name##_registered = difflens::fuzz::registerTarget(#name, name##_one);                 \
    static int name##_one(const uint8_t* data, size_t size)
#else
#define DIFFLENS_FUZZ_TARGET(name) extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
#endif

namespace difflens::fuzz {

using Target = std::function<int(const uint8_t*, size_t)>;

/** The harnesses compiled into this executable, by name (regression test only). */
inline std::map<std::string, Target>& targets()
{
    static std::map<std::string, Target> all;
    return all;
}

inline bool registerTarget(const char* name, Target target)
{
    targets()[name] = std::move(target);
    return true;
}

/** A folder of this process's own under $TMPDIR, removed at exit. */
inline const std::string& scratchDir()
{
    // The exit handler must not read the string below: it is registered while the string is being built,
    // so it runs after the string's destructor. It gets its own copy of the path.
    static char removeAtExit[4096];
    static const std::string dir = [] {
        const char* tmp = std::getenv("TMPDIR");
        std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/difflens-fuzz-XXXXXX";
        if (pattern.size() >= sizeof removeAtExit || !mkdtemp(pattern.data())) {
            std::perror("mkdtemp");
            std::abort();
        }
        std::snprintf(removeAtExit, sizeof removeAtExit, "%s", pattern.c_str());
        std::atexit([] {
            std::error_code ec;
            std::filesystem::remove_all(removeAtExit, ec);
        });
        return pattern;
    }();
    return dir;
}

/** Writes the bytes to scratchDir()/name (replacing it) and returns the path. */
inline std::string writeScratch(const std::string& name, const uint8_t* data, size_t size)
{
    const std::string path = scratchDir() + "/" + name;
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    return path;
}

/** Runs f; a difflens::Error is the expected answer to bad input, any other exception is a finding. */
template <class F> void expectTypedErrors(F&& f)
{
    try {
        f();
    } catch (const difflens::Error&) {
    } catch (const std::exception& e) {
        std::fprintf(stderr, "an untyped exception escaped the loader: %s\n", e.what());
        std::abort();
    }
}

} // namespace difflens::fuzz
