// "pty": a pseudo-terminal whose slave the user opens with their terminal
// program. Nothing tells the master when a slave is opened, so while
// disconnected we poll for it (a master with no slave reports POLLHUP), and
// output meanwhile is dropped rather than filling the pty buffer with stale
// text.
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <memory>

#include "backends.h"
#include "fd_chardev.h"
#include "mimic/main_loop/timer.h"
#include "mimic/util/error.h"

namespace mimic::chardev {

namespace {

constexpr int64_t kConnectPollMs = 200;

class PtyChardev : public FdChardev {
public:
    PtyChardev(std::string id, int master, std::string slave_name, std::string link)
        : FdChardev(std::move(id)),
          master_(master),
          slave_name_(std::move(slave_name)),
          link_(std::move(link)),
          poll_timer_(Clock::kRealtime, [this] { check_connected(); }, kNsPerMs) {
        check_connected();
    }

    ~PtyChardev() override {
        close_fds();
        close(master_);
        if (!link_.empty()) unlink(link_.c_str());
    }

    const char* backend_name() const override { return "pty"; }
    std::string filename() const override { return "pty:" + slave_name_; }

protected:
    size_t do_write(std::span<const uint8_t> data) override {
        if (!is_open()) {
            check_connected();
            if (!is_open()) return data.size();
        }
        return FdChardev::do_write(data);
    }
    void on_input_eof() override { disconnected(); }
    void on_input_error(int) override { disconnected(); }
    void on_output_error(int) override { disconnected(); }

private:
    void check_connected() {
        pollfd pfd{master_, POLLIN, 0};
        if (poll(&pfd, 1, 0) >= 0 && !(pfd.revents & POLLHUP)) {
            poll_timer_.del();
            set_fds(master_, master_, false);
            set_open(true);
        } else {
            poll_timer_.mod(clock_get_ms(Clock::kRealtime) + kConnectPollMs);
        }
    }

    void disconnected() {
        // From inside the input callback: close_fds() removes the very watch
        // that is running, which FdWatch allows.
        close_fds();
        set_open(false);
        poll_timer_.mod(clock_get_ms(Clock::kRealtime) + kConnectPollMs);
    }

    int master_;
    std::string slave_name_;
    std::string link_;  // path= symlink to the slave, removed with us
    Timer poll_timer_;
};

}  // namespace

std::unique_ptr<Chardev> create_pty(const std::string& id, const ChardevOptions& options) {
    int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0) throw Error("Failed to create PTY: {}", errno_string(errno));
    const char* name = nullptr;
    if (grantpt(master) != 0 || unlockpt(master) != 0 || !(name = ptsname(master))) {
        int err = errno;
        close(master);
        throw Error("Failed to create PTY: {}", errno_string(err));
    }
    std::string slave_name = name;
    // Raw on the slave side so the user's terminal program sees the guest's
    // bytes unmodified; the settings persist after we close the slave.
    int slave = open(slave_name.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (slave >= 0) {
        termios tty;
        if (tcgetattr(slave, &tty) == 0) {
            cfmakeraw(&tty);
            tcsetattr(slave, TCSAFLUSH, &tty);
        }
        close(slave);
    }
    // path= gives the user a stable name for a pty number that changes on
    // every run.
    std::string link = opt_string(options, "path").value_or("");
    if (!link.empty()) {
        unlink(link.c_str());
        if (symlink(slave_name.c_str(), link.c_str()) != 0) {
            int err = errno;
            close(master);
            throw Error("Failed to create PTY symlink '{}': {}", link, errno_string(err));
        }
    }
    int flags = fcntl(master, F_GETFL);
    fcntl(master, F_SETFL, flags | O_NONBLOCK);
    report(ReportKind::kNotice, "char device redirected to " + slave_name + " (label " + id + ")");
    return std::make_unique<PtyChardev>(id, master, slave_name, link);
}

}  // namespace mimic::chardev
