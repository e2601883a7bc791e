// Character devices: byte-stream backends (stdio, sockets, files, ptys...)
// that guest devices and the monitor talk through.
//
// A Chardev is the backend; a CharFrontend is whoever consumes its input
// (a UART, the monitor). Input flows backend -> front end and is paced by
// the front end's can_receive(): a backend reads no more than the front end
// can take, so a full UART FIFO pushes back all the way to the socket or
// terminal. Output is non-blocking: write() takes what the backend can take
// now and the caller either retries when told it is writable (a UART's
// transmit path) or uses write_all() to block (the monitor, which would
// rather stall than lose text).
//
// Everything here runs with the BQL held: callbacks come from the main loop
// and front ends call in from vCPU threads that hold it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace mimic::chardev {

enum class ChardevEvent {
    kOpened,  // backend connected (socket client arrived, pty opened)
    kClosed,  // backend disconnected
    kBreak,   // serial break (telnet BREAK, mux C-a b)
    kMuxIn,   // mux focus moved to this front end
    kMuxOut,  // mux focus moved away from this front end
};

class CharFrontend {
public:
    virtual ~CharFrontend() = default;
    // How many bytes receive() may be given now; 0 pauses input.
    virtual size_t can_receive() = 0;
    // At most the last can_receive() bytes.
    virtual void receive(std::span<const uint8_t> data) = 0;
    virtual void event(ChardevEvent) {}
};

// A front end made of callbacks, for users that would rather not subclass
// (tests, simple consumers). Unset callbacks mean "accepts nothing" and
// "ignores events".
class FunctionFrontend : public CharFrontend {
public:
    std::function<size_t()> on_can_receive;
    std::function<void(std::span<const uint8_t>)> on_receive;
    std::function<void(ChardevEvent)> on_event;

    size_t can_receive() override { return on_can_receive ? on_can_receive() : 0; }
    void receive(std::span<const uint8_t> data) override {
        if (on_receive) on_receive(data);
    }
    void event(ChardevEvent e) override {
        if (on_event) on_event(e);
    }
};

class Chardev {
public:
    explicit Chardev(std::string id);
    virtual ~Chardev();
    Chardev(const Chardev&) = delete;
    Chardev& operator=(const Chardev&) = delete;

    const std::string& id() const { return id_; }
    // The backend type as -chardev spells it ("socket", "stdio", "mux").
    virtual const char* backend_name() const = 0;
    // What "info chardev" shows after "filename=".
    virtual std::string filename() const { return backend_name(); }

    // Attaches the front end; a front end attached while the backend is
    // open gets kOpened at once. Throws mimic::Error when another front
    // end already uses a non-mux chardev.
    virtual void attach(CharFrontend* frontend);
    virtual void detach(CharFrontend* frontend);
    virtual bool in_use() const { return frontend_ != nullptr; }
    // Whether the backend is connected.
    bool is_open() const { return open_; }

    // Non-blocking: returns how many bytes were taken (possibly fewer than
    // given, possibly 0). Output to a disconnected backend is accepted and
    // dropped, as a serial line with nothing plugged in would.
    size_t write(std::span<const uint8_t> data);
    size_t write(std::string_view text) {
        return write(std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
    }
    // Blocks until everything is written; false if the backend failed.
    virtual bool write_all(std::span<const uint8_t> data);
    bool write_all(std::string_view text) {
        return write_all(std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
    }

    // Calls `callback` once, from the main loop, when write() can take more
    // after it returned short. Replaces any earlier pending callback;
    // nullptr cancels it.
    void on_writable(std::function<void()> callback);

    // The front end has room again. Input is re-polled every loop iteration
    // anyway; this only shortens the wait (and drains a mux's buffer).
    virtual void accept_input();

    // Delivers a break to the front end as if the line had sent one
    // (QMP chardev-send-break).
    void inject_break() { frontend_event(ChardevEvent::kBreak); }

    // Optional copy of all output (-chardev ...,logfile=PATH[,logappend=on]);
    // takes ownership of `fd`.
    void set_logfile(int fd) { logfile_fd_ = fd; }

protected:
    // Backend side.
    size_t frontend_can_receive();
    void frontend_receive(std::span<const uint8_t> data);
    virtual void frontend_event(ChardevEvent event);
    // Records the connection state and tells the front end on change.
    void set_open(bool open);

    // Writes without blocking; returns bytes taken (0 when it would block).
    virtual size_t do_write(std::span<const uint8_t> data) = 0;
    // An fd write_all() may poll for POLLOUT when do_write() takes nothing;
    // -1 when there is none (write_all then gives up).
    virtual int output_wait_fd() const { return -1; }
    // Arrange for notify_writable() once output can proceed. The default
    // assumes output never blocks and notifies on the next iteration.
    virtual void request_writable_notification();
    void notify_writable();

    CharFrontend* frontend_ = nullptr;

private:
    std::string id_;
    bool open_ = false;
    int logfile_fd_ = -1;
    std::function<void()> writable_callback_;
    // Lets deferred callbacks find out that the chardev is gone.
    std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

// Where backends report what QEMU prints while setting them up ("char
// device redirected to /dev/pts/3 (label serial0)", "... waiting for
// connection on: ..."). kNotice goes to stdout and kInfo to stderr by
// default; main installs a sink that adds its program-name prefix.
enum class ReportKind { kNotice, kInfo };
using ReportSink = std::function<void(ReportKind, const std::string&)>;
void set_report_sink(ReportSink sink);
void report(ReportKind kind, const std::string& text);

}  // namespace mimic::chardev
