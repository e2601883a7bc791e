#include "mimic/chardev/chardev.h"

#include <poll.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <utility>

#include "mimic/main_loop/bottom_half.h"
#include "mimic/main_loop/main_loop.h"
#include "mimic/util/error.h"

namespace mimic::chardev {

namespace {

ReportSink& report_sink() {
    static ReportSink sink;
    return sink;
}

}  // namespace

void set_report_sink(ReportSink sink) { report_sink() = std::move(sink); }

void report(ReportKind kind, const std::string& text) {
    if (report_sink()) {
        report_sink()(kind, text);
        return;
    }
    std::FILE* out = kind == ReportKind::kNotice ? stdout : stderr;
    std::fprintf(out, "%s\n", text.c_str());
    std::fflush(out);
}

Chardev::Chardev(std::string id) : id_(std::move(id)) {}

Chardev::~Chardev() {
    if (logfile_fd_ >= 0) close(logfile_fd_);
    // A pending request_writable_notification() oneshot checks this.
    alive_.reset();
}

void Chardev::attach(CharFrontend* frontend) {
    if (frontend_ && frontend_ != frontend) throw Error("chardev '{}' is already in use", id_);
    frontend_ = frontend;
    if (open_) frontend_->event(ChardevEvent::kOpened);
}

void Chardev::detach(CharFrontend* frontend) {
    if (frontend_ == frontend) frontend_ = nullptr;
}

size_t Chardev::write(std::span<const uint8_t> data) {
    size_t n = open_ ? do_write(data) : data.size();
    if (logfile_fd_ >= 0 && n > 0) {
        // The log is a record, not a channel: a short write is not retried.
        ssize_t ignored = ::write(logfile_fd_, data.data(), n);
        (void)ignored;
    }
    return n;
}

bool Chardev::write_all(std::span<const uint8_t> data) {
    while (!data.empty()) {
        size_t n = write(data);
        data = data.subspan(n);
        if (n > 0 || data.empty()) continue;
        int fd = output_wait_fd();
        if (fd < 0) return false;
        // Bounded waits so a backend that disconnects meanwhile (and then
        // accepts-and-drops) is noticed.
        pollfd pfd{fd, POLLOUT, 0};
        if (poll(&pfd, 1, 100) < 0 && errno != EINTR) return false;
    }
    return true;
}

void Chardev::on_writable(std::function<void()> callback) {
    writable_callback_ = std::move(callback);
    if (writable_callback_) request_writable_notification();
}

void Chardev::request_writable_notification() {
    std::weak_ptr<int> alive = alive_;
    schedule_oneshot([this, alive] {
        if (!alive.expired()) notify_writable();
    });
}

void Chardev::notify_writable() {
    auto callback = std::exchange(writable_callback_, nullptr);
    if (callback) callback();
}

void Chardev::accept_input() { main_loop_wakeup(); }

size_t Chardev::frontend_can_receive() { return frontend_ ? frontend_->can_receive() : 0; }

void Chardev::frontend_receive(std::span<const uint8_t> data) {
    if (frontend_ && !data.empty()) frontend_->receive(data);
}

void Chardev::frontend_event(ChardevEvent event) {
    if (frontend_) frontend_->event(event);
}

void Chardev::set_open(bool open) {
    if (open_ == open) return;
    open_ = open;
    frontend_event(open ? ChardevEvent::kOpened : ChardevEvent::kClosed);
}

}  // namespace mimic::chardev
