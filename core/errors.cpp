#include "core/errors.h"

#include <c10/util/Exception.h>

namespace difflens {

namespace {
// One line a person can read: multi-line library messages (TorchScript parser excerpts) keep their first line.
std::string firstLine(std::string msg)
{
    const auto nl = msg.find('\n');
    if (nl != std::string::npos) msg = msg.substr(0, nl);
    while (!msg.empty() && (msg.back() == ':' || msg.back() == ' ')) msg.pop_back();
    if (msg.size() > 400) msg = msg.substr(0, 400) + "...";
    return msg;
}
} // namespace

std::string describeException(const std::exception& e)
{
    // c10::Error carries a C++ backtrace in what(); keep only the message a person can read. The TorchScript
    // interpreter throws plain std::runtime_error with the script traceback: its last line is the cause.
    const auto* ce = dynamic_cast<const c10::Error*>(&e);
    std::string msg = ce ? ce->what_without_backtrace() : e.what();
    const auto cut = msg.find("\nException raised from");
    if (cut != std::string::npos) msg = msg.substr(0, cut);
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    const auto lastLine = msg.rfind('\n');
    if (lastLine != std::string::npos && msg.find("Traceback") != std::string::npos) msg = msg.substr(lastLine + 1);
    return firstLine(msg);
}

} // namespace difflens
