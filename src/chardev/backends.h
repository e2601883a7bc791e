// Constructors of the individual backends, for the registry's table.
// Each validates its own options and throws mimic::Error.
#pragma once

#include <memory>
#include <string>

#include "mimic/chardev/chardev.h"
#include "mimic/chardev/options.h"

namespace mimic::chardev {

std::unique_ptr<Chardev> create_null(const std::string& id, const ChardevOptions& options);
std::unique_ptr<Chardev> create_vc(const std::string& id, const ChardevOptions& options);
std::unique_ptr<Chardev> create_stdio(const std::string& id, const ChardevOptions& options);
std::unique_ptr<Chardev> create_file(const std::string& id, const ChardevOptions& options);
std::unique_ptr<Chardev> create_pipe(const std::string& id, const ChardevOptions& options);
std::unique_ptr<Chardev> create_pty(const std::string& id, const ChardevOptions& options);
std::unique_ptr<Chardev> create_serial(const std::string& id, const ChardevOptions& options);
std::unique_ptr<Chardev> create_parallel(const std::string& id, const ChardevOptions& options);
std::unique_ptr<Chardev> create_socket(const std::string& id, const ChardevOptions& options);
std::unique_ptr<Chardev> create_ringbuf(const std::string& id, const ChardevOptions& options);
std::unique_ptr<Chardev> create_udp(const std::string& id, const ChardevOptions& options);

// The stdio backend on arbitrary fds, so tests can drive it through a pty
// pair instead of the test runner's own terminal.
std::unique_ptr<Chardev> create_stdio_on(const std::string& id, int in_fd, int out_fd, bool allow_signals);

}  // namespace mimic::chardev
