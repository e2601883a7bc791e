// "pipe": a pair of FIFOs PATH.in (guest input) and PATH.out (guest
// output), or a single bidirectional PATH when the pair does not exist.
#include <fcntl.h>
#include <unistd.h>

#include <memory>

#include "backends.h"
#include "fd_chardev.h"
#include "mimic/util/error.h"

namespace mimic::chardev {

namespace {

class PipeChardev : public FdChardev {
public:
    PipeChardev(std::string id, int in_fd, int out_fd) : FdChardev(std::move(id)) {
        set_fds(in_fd, out_fd, true);
        set_open(true);
    }
    const char* backend_name() const override { return "pipe"; }
};

}  // namespace

std::unique_ptr<Chardev> create_pipe(const std::string& id, const ChardevOptions& options) {
    std::optional<std::string> path = opt_string(options, "path");
    if (!path || path->empty()) throw Error("chardev: pipe: no filename given");
    // O_RDWR on a FIFO opens without waiting for a peer and never sees EOF
    // when the peer goes away, which is what a long-lived channel wants.
    int flags = O_RDWR | O_NONBLOCK | O_CLOEXEC;
    int in = open((*path + ".in").c_str(), flags);
    int out = open((*path + ".out").c_str(), flags);
    if (in < 0 || out < 0) {
        if (in >= 0) close(in);
        if (out >= 0) close(out);
        int fd = open_or_throw(*path, O_RDWR | O_NONBLOCK);
        in = out = fd;
    }
    return std::make_unique<PipeChardev>(id, in, out);
}

}  // namespace mimic::chardev
