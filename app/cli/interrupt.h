#pragma once
// One Ctrl-C handler for the CLI's long commands: while a StopOnSignal lives, SIGINT (and with `terminate`
// SIGTERM) only set a flag the loop checks between steps, so what is done so far is written; the previous
// handlers come back when it goes.
#include <atomic>

namespace difflens::cli {

class StopOnSignal
{
public:
    explicit StopOnSignal(bool terminate = false);
    ~StopOnSignal();
    StopOnSignal(const StopOnSignal&) = delete;
    StopOnSignal& operator=(const StopOnSignal&) = delete;

    /** The flag to hand to cancellable work (runSampler, ...). */
    const std::atomic_bool* flag() const;
    bool requested() const { return flag()->load(); }

private:
    using Handler = void (*)(int);
    Handler m_previousInt = nullptr;
    Handler m_previousTerm = nullptr;
    bool m_terminate = false;
};

} // namespace difflens::cli
