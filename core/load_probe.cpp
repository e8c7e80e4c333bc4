// The child-process probe for LibTorch's readers (see load_probe.h for why).
#include "core/load_probe.h"

#include "core/errors.h"

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

// Sanitizer and libFuzzer builds: a crash in the child must not run their death callbacks (libFuzzer would
// save the input as a crash of its own, though the parent handled it). Weak: absent in normal builds.
extern "C" void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));

namespace difflens {

namespace {
constexpr int kReturned = 0, kThrew = 3; // the child's exit codes; anything else is a crash
} // namespace

void probeInChildProcess(const std::string& file, const std::string& what, const std::function<void()>& read,
                         int timeoutMs)
{
    if (const char* env = std::getenv("DIFFLENS_LOAD_PROBE"); env && std::strcmp(env, "0") == 0) return;
    const pid_t pid = fork();
    if (pid < 0) return; // no child to spare: read in-process, as without the probe
    if (pid == 0) {
        // The child: default crash handling, no output, and no exit handlers of the parent.
        if (__sanitizer_set_death_callback) __sanitizer_set_death_callback(nullptr);
        struct sigaction dfl = {};
        dfl.sa_handler = SIG_DFL;
        for (int sig : {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT})
            sigaction(sig, &dfl, nullptr);
        const int devnull = open("/dev/null", O_WRONLY);
        if (devnull >= 0) {
            dup2(devnull, STDOUT_FILENO);
            dup2(devnull, STDERR_FILENO);
        }
        int code = kReturned;
        try {
            read();
        } catch (...) {
            code = kThrew;
        }
        _exit(code);
    }
    int status = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
    auto pause = std::chrono::microseconds(200);
    for (;;) {
        const pid_t done = waitpid(pid, &status, WNOHANG);
        if (done == pid) break;
        if (done < 0) return; // reaped elsewhere (a SIGCHLD handler): no verdict
        if (std::chrono::steady_clock::now() > deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            return;
        }
        std::this_thread::sleep_for(pause);
        pause = std::min(pause * 2, std::chrono::microseconds(20000));
    }
    if (WIFEXITED(status) && (WEXITSTATUS(status) == kReturned || WEXITSTATUS(status) == kThrew)) return;
    const std::string how = WIFSIGNALED(status) ? std::string("signal ") + std::to_string(WTERMSIG(status)) +
                                                      " (" + strsignal(WTERMSIG(status)) + ")"
                                                : "exit code " + std::to_string(WEXITSTATUS(status));
    throw ModelError("'" + file + "' is corrupt: reading it as " + what + " crashed LibTorch's reader (" +
                     how + " in a test process), so it was not opened");
}

} // namespace difflens
