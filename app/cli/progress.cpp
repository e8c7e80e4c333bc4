#include "app/cli/commands.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <unistd.h>

namespace difflens::cli {

namespace {
double now()
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
} // namespace

ProgressBar::ProgressBar(std::string label, int total)
    : m_label(std::move(label)), m_total(total), m_start(now())
{
    const char* env = std::getenv("DIFFLENS_PROGRESS");
    m_enabled = env ? std::string(env) == "1" : isatty(STDERR_FILENO) != 0;
}

ProgressBar::~ProgressBar()
{
    finish();
}

void ProgressBar::update(int done, const std::string& extra)
{
    if (!m_enabled || m_finished) return;
    const double t = now();
    if (done < m_total && t - m_lastDraw < 0.1) return;
    m_lastDraw = t;
    const int width = 30;
    const double frac = m_total > 0 ? static_cast<double>(done) / m_total : 1.0;
    const int filled = static_cast<int>(frac * width);
    const double elapsed = t - m_start;
    const double eta = frac > 0 ? elapsed / frac - elapsed : 0.0;
    std::fprintf(stderr, "\r%s [", m_label.c_str());
    for (int i = 0; i < width; ++i) std::fputc(i < filled ? '#' : '.', stderr);
    std::fprintf(stderr, "] %d/%d  %.1fs elapsed, ETA %.1fs %s   ", done, m_total, elapsed, eta, extra.c_str());
    std::fflush(stderr);
}

void ProgressBar::finish()
{
    if (!m_enabled || m_finished) return;
    m_finished = true;
    std::fprintf(stderr, "\n");
}

} // namespace difflens::cli
