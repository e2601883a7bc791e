#include "fd_chardev.h"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "mimic/util/error.h"

namespace mimic::chardev {

FdChardev::~FdChardev() { close_fds(); }

void FdChardev::set_fds(int in_fd, int out_fd, bool owned) {
    close_fds();
    in_fd_ = in_fd;
    out_fd_ = out_fd;
    owned_ = owned;
    if (in_fd_ >= 0) {
        in_watch_ = FdWatch(in_fd_, {.readable = [this] { read_input(); },
                                     .hangup = [this] { on_input_eof(); },
                                     .read_gate = [this] { return frontend_can_receive() > 0; }});
    }
}

void FdChardev::close_fds() {
    in_watch_.remove();
    out_watch_.remove();
    if (owned_) {
        if (in_fd_ >= 0) close(in_fd_);
        if (out_fd_ >= 0 && out_fd_ != in_fd_) close(out_fd_);
    }
    in_fd_ = out_fd_ = -1;
    owned_ = false;
}

void FdChardev::read_input() {
    size_t room = frontend_can_receive();
    if (room == 0) return;
    uint8_t buffer[4096];
    ssize_t n = read(in_fd_, buffer, std::min(room, sizeof buffer));
    if (n > 0) {
        deliver_input(std::span(buffer, static_cast<size_t>(n)));
    } else if (n == 0) {
        on_input_eof();
    } else if (errno != EAGAIN && errno != EINTR) {
        on_input_error(errno);
    }
}

ssize_t FdChardev::raw_write(int fd, const void* data, size_t size) { return ::write(fd, data, size); }

size_t FdChardev::do_write(std::span<const uint8_t> data) {
    if (out_fd_ < 0) return data.size();
    for (;;) {
        ssize_t n = raw_write(out_fd_, data.data(), data.size());
        if (n >= 0) return static_cast<size_t>(n);
        if (errno == EINTR) continue;
        if (errno == EAGAIN) return 0;
        on_output_error(errno);
        return data.size();
    }
}

void FdChardev::request_writable_notification() {
    if (out_fd_ < 0) {
        Chardev::request_writable_notification();
        return;
    }
    if (!out_watch_.active()) {
        out_watch_ = FdWatch(out_fd_, {.writable = [this] {
            out_watch_.set_write_interest(false);
            notify_writable();
        }});
    }
    out_watch_.set_write_interest(true);
}

void make_raw_termios(int fd, bool keep_signals, bool keep_output_processing) {
    termios tty;
    if (tcgetattr(fd, &tty) != 0) return;
    tty.c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
    if (keep_output_processing) {
        tty.c_oflag |= OPOST;
    } else {
        tty.c_oflag &= ~OPOST;
    }
    tty.c_lflag &= ~(ECHO | ECHONL | ICANON | IEXTEN);
    if (!keep_signals) tty.c_lflag &= ~ISIG;
    tty.c_cflag &= ~(CSIZE | PARENB);
    tty.c_cflag |= CS8;
    tty.c_cc[VMIN] = 1;
    tty.c_cc[VTIME] = 0;
    tcsetattr(fd, TCSANOW, &tty);
}

int open_or_throw(const std::string& path, int flags, int mode) {
    int fd = open(path.c_str(), flags | O_CLOEXEC, mode);
    if (fd < 0) throw Error("Could not open '{}': {}", path, errno_string(errno));
    return fd;
}

}  // namespace mimic::chardev
