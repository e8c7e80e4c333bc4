#include "app/cli/interrupt.h"

#include <csignal>

namespace difflens::cli {

namespace {
std::atomic_bool g_stop{false};
void onSignal(int)
{
    g_stop.store(true);
}
} // namespace

StopOnSignal::StopOnSignal(bool terminate) : m_terminate(terminate)
{
    g_stop.store(false);
    m_previousInt = std::signal(SIGINT, onSignal);
    if (m_terminate) m_previousTerm = std::signal(SIGTERM, onSignal);
}

StopOnSignal::~StopOnSignal()
{
    std::signal(SIGINT, m_previousInt);
    if (m_terminate) std::signal(SIGTERM, m_previousTerm);
}

const std::atomic_bool* StopOnSignal::flag() const
{
    return &g_stop;
}

} // namespace difflens::cli
