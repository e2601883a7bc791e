// Watching a file descriptor from the main loop.
//
// An FdWatch is an owning handle: destroying it (or calling remove()) stops
// the watch, and that is safe from inside any callback, including the
// watch's own. Callbacks run on the main loop thread with the BQL held.
#pragma once

#include <functional>

typedef struct _GSource GSource;

namespace mimic {

struct FdHandlers {
    // Data (or EOF) can be read. Also called on hangup/error when no
    // `hangup` handler is set, so a reader sees EOF from read() as usual.
    std::function<void()> readable = {};
    // Data can be written; only polled while write interest is enabled.
    std::function<void()> writable = {};
    // POLLHUP/POLLERR.
    std::function<void()> hangup = {};
    // Flow control for input: when set, read interest is enabled only
    // while this returns true. Evaluated before every poll, so a front end
    // with a full FIFO simply stops the backend from reading, and reading
    // resumes as soon as it has room, without anyone having to say so.
    std::function<bool()> read_gate = {};
};

class FdWatch {
public:
    FdWatch() = default;
    // Starts watching `fd` (not owned). Write interest starts disabled.
    FdWatch(int fd, FdHandlers handlers);
    ~FdWatch();
    FdWatch(FdWatch&& other) noexcept;
    FdWatch& operator=(FdWatch&& other) noexcept;
    FdWatch(const FdWatch&) = delete;
    FdWatch& operator=(const FdWatch&) = delete;

    // Enables POLLOUT interest; used while output is queued.
    void set_write_interest(bool enabled);
    void remove();
    bool active() const { return source_ != nullptr; }
    int fd() const { return fd_; }

private:
    GSource* source_ = nullptr;
    int fd_ = -1;
};

}  // namespace mimic
