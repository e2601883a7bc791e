// A child process per input, for what a fuzzer must not do in its own
// process: a binary started with exec, or a function of the fuzzer run in
// a forked copy of it. Every input starts afresh, and a crash is the
// child's, reported by its wait status.
//
// Fuzzed inputs name files, sockets and network peers, so the child is
// confined before it runs: a network namespace of its own (no route off
// the machine), a private mount namespace with empty tmpfs over /tmp and
// /var/tmp (where it also works; the binary's own directory stays visible
// read-only when it lives there), the user nobody when started as root, no
// core dumps, bounded address space, and it dies with the fuzzer.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mimic::fuzz {

class ConfinedProcess {
public:
    // Starts `argv` (argv[0] is the binary's path) with pipes on stdin,
    // stdout and stderr. Throws std::runtime_error if it cannot be confined.
    explicit ConfinedProcess(const std::vector<std::string>& argv);
    // Runs `body` in a confined, forked copy of this process (no exec); its
    // exit status is what body returns.
    explicit ConfinedProcess(const std::function<int()>& body);
    ~ConfinedProcess();
    ConfinedProcess(const ConfinedProcess&) = delete;
    ConfinedProcess& operator=(const ConfinedProcess&) = delete;

    // False once the child stopped reading.
    bool send(std::string_view bytes);
    void close_stdin();
    // The next line of stdout without its newline; nullopt at end of file or
    // when `timeout` passes first (timed_out() tells which).
    std::optional<std::string> read_line(std::chrono::milliseconds timeout);
    bool timed_out() const { return timed_out_; }
    // Waits up to `timeout` for the child to exit, then kills it; returns
    // its wait status.
    int finish(std::chrono::milliseconds timeout);

    // The last bytes the child wrote to stderr, for crash reports.
    const std::string& stderr_tail() const { return stderr_; }

private:
    // `binary`: the file the child runs, whose directory it must still see.
    void start(const std::string& binary, bool limit_address_space, const std::function<void()>& in_child);
    void pump(std::chrono::milliseconds timeout);

    pid_t pid_ = -1;
    int stdin_ = -1, stdout_ = -1, stderr_fd_ = -1;
    std::string out_, stderr_;
    bool timed_out_ = false;
    std::optional<int> status_;
};

// True for a wait status that means the child crashed (SIGSEGV, SIGABRT,
// SIGFPE, ...), not that it exited or that we killed it.
bool is_crash(int status);
std::string describe_status(int status);

}  // namespace mimic::fuzz
