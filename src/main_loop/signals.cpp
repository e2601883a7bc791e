#include "mimic/main_loop/signals.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <iterator>
#include <memory>

#include "mimic/main_loop/cleanup.h"
#include "mimic/main_loop/fd_watch.h"
#include "mimic/main_loop/main_loop.h"

namespace mimic {

namespace {

constexpr int kTerminationSignals[] = {SIGINT, SIGTERM, SIGHUP};
constexpr int kFatalSignals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};

// What the handler hands to the main loop through the self-pipe. The pipe
// is the only async-signal-safe way to wake the loop with data attached.
struct SignalRecord {
    int signal;
    pid_t pid;
};

int g_pipe[2] = {-1, -1};
volatile sig_atomic_t g_signal_pending = 0;
std::unique_ptr<FdWatch> g_pipe_watch;

void termination_handler(int signal, siginfo_t* info, void*) {
    int saved_errno = errno;
    // si_pid is meaningful only for signals sent by a process (kill(1)), not
    // for Ctrl-C from the terminal, which the kernel sends.
    pid_t pid = (info && info->si_code == SI_USER) ? info->si_pid : 0;
    SignalRecord record{signal, pid};
    g_signal_pending = 1;
    ssize_t ignored = write(g_pipe[1], &record, sizeof record);
    (void)ignored;  // a full pipe already holds a pending shutdown
    errno = saved_errno;
}

TerminationHandler& termination_handler_hook() {
    static TerminationHandler handler;
    return handler;
}

void drain_signal_pipe() {
    SignalRecord record;
    g_signal_pending = 0;
    while (read(g_pipe[0], &record, sizeof record) == static_cast<ssize_t>(sizeof record)) {
        if (termination_handler_hook()) {
            termination_handler_hook()(record.signal, record.pid);
        } else {
            request_exit(ExitRequest{ShutdownCause::kHostSignal, record.signal, record.pid});
        }
    }
}

void fatal_handler(int signal) {
    run_emergency_cleanups();
    // Die of the same signal so the exit status and core dump are honest.
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    sigaction(signal, &dfl, nullptr);
    raise(signal);
}

}  // namespace

void install_termination_signals() {
    if (g_pipe[0] < 0) {
        if (pipe2(g_pipe, O_CLOEXEC | O_NONBLOCK) != 0) std::abort();
        g_pipe_watch = std::make_unique<FdWatch>(g_pipe[0], FdHandlers{.readable = drain_signal_pipe});
    }
    struct sigaction action {};
    action.sa_sigaction = termination_handler;
    action.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&action.sa_mask);
    for (int sig : kTerminationSignals) sigaction(sig, &action, nullptr);
    // A peer closing a socket or pipe must be an EPIPE error, not death.
    signal(SIGPIPE, SIG_IGN);
}

void set_termination_handler(TerminationHandler handler) { termination_handler_hook() = std::move(handler); }

bool termination_signal_pending() { return g_signal_pending != 0; }

void install_fatal_signal_handlers() {
    struct sigaction action {};
    action.sa_handler = fatal_handler;
    action.sa_flags = SA_RESETHAND;
    sigemptyset(&action.sa_mask);
    for (int sig : kFatalSignals) sigaction(sig, &action, nullptr);
}

void uninstall_signal_handlers() {
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    for (int sig : kTerminationSignals) sigaction(sig, &dfl, nullptr);
    for (int sig : kFatalSignals) sigaction(sig, &dfl, nullptr);
    g_pipe_watch.reset();
    for (int& fd : g_pipe) {
        if (fd >= 0) close(fd);
        fd = -1;
    }
}

std::string termination_message(int signal, pid_t pid, std::optional<std::string_view> sender_name) {
    if (pid == 0) return fmt::format("terminating on signal {}", signal);
    return fmt::format("terminating on signal {} from pid {} ({})", signal, pid,
                       sender_name ? *sender_name : std::string_view{"<unknown process>"});
}

std::string termination_message(int signal, pid_t pid) {
    std::optional<std::string> name = pid ? process_name(pid) : std::nullopt;
    return termination_message(signal, pid, name ? std::optional<std::string_view>(*name) : std::nullopt);
}

std::optional<std::string> exit_message(const ExitRequest& request) {
    if (request.cause != ShutdownCause::kHostSignal) return std::nullopt;
    return termination_message(request.signal, request.pid);
}

std::optional<std::string> process_name(pid_t pid) {
    std::ifstream in(fmt::format("/proc/{}/cmdline", pid), std::ios::binary);
    if (!in) return std::nullopt;
    std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // cmdline is argv joined by NULs; the name is argv[0].
    std::string name = cmdline.substr(0, cmdline.find('\0'));
    if (name.empty()) return std::nullopt;
    return name;
}

}  // namespace mimic
