// Shared plumbing for backends that are a pair of file descriptors (stdio,
// file, pipe, pty, host serial, sockets once connected): input read in step
// with the front end's appetite, non-blocking output, writable callbacks.
#pragma once

#include <memory>

#include "mimic/chardev/chardev.h"
#include "mimic/main_loop/fd_watch.h"

namespace mimic::chardev {

class FdChardev : public Chardev {
public:
    ~FdChardev() override;

protected:
    explicit FdChardev(std::string id) : Chardev(std::move(id)) {}

    // Starts using the fds (either may be -1; they may be equal). When
    // `owned`, close_fds() and the destructor close them.
    void set_fds(int in_fd, int out_fd, bool owned);
    void close_fds();
    // Stops reading (EOF on stdin) without closing anything.
    void stop_input() { in_watch_.remove(); }

    size_t do_write(std::span<const uint8_t> data) override;
    int output_wait_fd() const override { return out_fd_; }
    void request_writable_notification() override;

    // Hooks for subclasses.
    virtual ssize_t raw_write(int fd, const void* data, size_t size);
    virtual void deliver_input(std::span<const uint8_t> data) { frontend_receive(data); }
    // read() returned 0, or the fd hung up.
    virtual void on_input_eof() { stop_input(); }
    virtual void on_input_error(int /*err*/) { on_input_eof(); }
    // A write failed hard (EPIPE, EIO); the data is dropped.
    virtual void on_output_error(int /*err*/) {}

    int in_fd() const { return in_fd_; }
    int out_fd() const { return out_fd_; }

private:
    void read_input();

    int in_fd_ = -1;
    int out_fd_ = -1;
    bool owned_ = false;
    FdWatch in_watch_;
    FdWatch out_watch_;
};

// Puts a terminal into the raw mode a serial line needs: no line editing,
// no echo, no CR/LF translation on input, 8 bits. `keep_signals` leaves
// ISIG on so Ctrl-C still reaches us as SIGINT.
void make_raw_termios(int fd, bool keep_signals, bool keep_output_processing);

// Opens with O_CLOEXEC; throws mimic::Error "Could not open 'PATH': ...".
int open_or_throw(const std::string& path, int flags, int mode = 0666);

}  // namespace mimic::chardev
