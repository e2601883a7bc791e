// User-facing errors: one line of text, no trailing newline, QEMU's wording.
//
// Subsystems throw mimic::Error for anything caused by bad input (command
// line, image files, monitor commands). The caller that knows the context
// adds the prefix, e.g. main() prints "mimic-system-x86_64: -m foo: <what>".
// Guest-caused conditions never throw through device code; they are logged
// with LOG_GUEST_ERROR and handled.
#pragma once

#include <fmt/format.h>

#include <stdexcept>
#include <string>

namespace mimic {

class Error : public std::runtime_error {
public:
    explicit Error(const std::string& message) : std::runtime_error(message) {}

    template <typename... Args>
    explicit Error(fmt::format_string<Args...> format, Args&&... args)
        : std::runtime_error(fmt::format(format, std::forward<Args>(args)...)) {}
};

// A failure whose messages are already printed: the program exits with
// status 1 and says nothing more.
class ReportedError : public Error {
public:
    ReportedError() : Error(std::string()) {}
};

// An error QEMU reports once option parsing is over, naming no option
// ("-cpu option cannot be empty"): with_location() passes it through bare.
class UnlocatedError : public Error {
public:
    using Error::Error;
};

// The message for errno `err` as QEMU prints it ("No such file or directory").
std::string errno_string(int err);

// Runs `step`, prefixing any Error it throws with `location`, the option or
// argument it came from ("-drive if=foo: ..."); returns what `step` returns.
template <class F>
auto with_location(const std::string& location, F&& step) {
    try {
        return step();
    } catch (const UnlocatedError&) {
        throw;
    } catch (const Error& e) {
        throw Error("{}: {}", location, e.what());
    }
}

}  // namespace mimic
