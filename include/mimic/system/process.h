// Process-level behaviour shared with QEMU: -pidfile and -daemonize.
#pragma once

#include <string>

namespace mimic::system {

// Creates `path`, writes our pid and holds a lock on it for the life of the
// process, so a second instance given the same pid file refuses to start.
// The file is removed at exit. Throws mimic::Error.
void write_pidfile(const std::string& path);

// -daemonize, in two steps as QEMU does it: begin() forks; the parent waits
// until the child reports that start-up finished and exits with its status,
// so errors during start-up still reach the user's terminal. finish() is
// called by the child once everything is up: it detaches stdio.
class Daemon {
public:
    void begin();
    void finish();
    // Tells a waiting parent that start-up failed (called on error paths).
    void fail();
    bool active() const { return status_fd_ >= 0; }

private:
    int status_fd_ = -1;
};

}  // namespace mimic::system
