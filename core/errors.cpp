#include "core/errors.h"

#include <c10/util/Exception.h>

namespace difflens {

std::string describeException(const std::exception& e)
{
    // c10::Error carries a C++ backtrace in what(); keep only the message a person can read.
    if (const auto* ce = dynamic_cast<const c10::Error*>(&e)) {
        std::string msg = ce->what_without_backtrace();
        const auto cut = msg.find("\nException raised from");
        if (cut != std::string::npos) msg = msg.substr(0, cut);
        // TorchScript errors repeat the script traceback; the last non-empty line is the cause.
        while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
        const auto lastLine = msg.rfind('\n');
        if (lastLine != std::string::npos && msg.find("Traceback") != std::string::npos)
            msg = msg.substr(lastLine + 1);
        return msg;
    }
    return e.what();
}

} // namespace difflens
