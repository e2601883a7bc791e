// Host signals that end the emulator.
//
// SIGINT, SIGTERM and SIGHUP do not kill the process outright: they become
// an exit request on the main loop, so devices flush, the terminal is
// restored and the exit status is clean. Fatal signals (SIGSEGV, SIGBUS,
// SIGABRT, ...) run the emergency cleanups (terminal restore) and then die
// with the original signal, as a core-dumping process should.
#pragma once

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "mimic/main_loop/main_loop.h"

namespace mimic {

// Installs the handlers. The main loop must be iterated for termination
// signals to take effect. Call early in main(), before threads start.
void install_termination_signals();
void install_fatal_signal_handlers();

// What a termination signal does once the main loop picks it up (on the
// main loop thread, BQL held, not in signal context). The default is
// request_exit({kHostSignal, signal, pid}); a machine with run-state
// handling installs its own (e.g. a shutdown request with cause
// host-signal). nullptr restores the default.
using TerminationHandler = std::function<void(int signal, pid_t pid)>;
void set_termination_handler(TerminationHandler handler);

// Whether a termination signal arrived that the main loop has not acted on
// yet. Code that blocks before the loop runs (a chardev waiting for its
// first client) polls this so Ctrl-C still works there.
bool termination_signal_pending();

// Restores default dispositions (for tests).
void uninstall_signal_handlers();

// The line main prints (after its program-name prefix) when a signal ends
// the emulator, in QEMU's wording:
//   "terminating on signal 15"
//   "terminating on signal 15 from pid 1234 (bash)"
// `sender_name` is the sender's command (see process_name()); without it the
// text says "<unknown process>" as QEMU does.
std::string termination_message(int signal, pid_t pid,
                                 std::optional<std::string_view> sender_name);

// Convenience: termination_message() with the name looked up in /proc.
std::string termination_message(int signal, pid_t pid);

// What main prints (after its prefix) when main_loop_run() returns
// `request`: the termination line for a signal, nothing otherwise (a quit
// command or guest poweroff exits silently, as QEMU does).
std::optional<std::string> exit_message(const ExitRequest& request);

// argv[0] of a live process, from /proc/PID/cmdline.
std::optional<std::string> process_name(pid_t pid);

}  // namespace mimic
