// The qtest line protocol (QEMU's -qtest), server side.
//
// A test drives a machine that has no CPU: it reads and writes guest memory
// and I/O ports, steps the virtual clock, and watches interrupt lines. Each
// request is one line ("outb 0x70 0x0a"); each answer is one line starting
// with "OK" or "FAIL". Interrupt changes arrive unrequested as "IRQ raise N" /
// "IRQ lower N" once a device's lines are intercepted.
//
// The session only speaks the protocol; what the words do is up to a
// QtestBackend, so the protocol is tested on its own and the machine wiring
// stays in one place.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace mimic::qtest {

class QtestBackend {
public:
    virtual ~QtestBackend() = default;

    virtual uint32_t port_read(uint16_t port, unsigned size) = 0;
    virtual void port_write(uint16_t port, uint32_t value, unsigned size) = 0;
    virtual void memory_read(uint64_t addr, void* buffer, uint64_t length) = 0;
    virtual void memory_write(uint64_t addr, const void* buffer, uint64_t length) = 0;

    // Advances the virtual clock by `ns`, or to the next timer deadline when
    // absent, running the timers that expire; returns the new clock value.
    virtual int64_t clock_step(std::optional<int64_t> ns) = 0;
    // Moves the virtual clock forward to `ns`; returns the new clock value.
    virtual int64_t clock_set(int64_t ns) = 0;

    // Routes the named device's GPIO inputs (in) or outputs (out) to the
    // session, which reports level changes. Throws mimic::Error if unknown.
    virtual void irq_intercept(const std::string& qom_path, bool inputs) = 0;
    virtual void set_irq_in(const std::string& qom_path, const std::string& name, int line,
                            int level) = 0;
};

class QtestSession {
public:
    using Sender = std::function<void(std::string_view)>;

    QtestSession(QtestBackend& backend, Sender send) : backend_(backend), send_(std::move(send)) {}

    // Feeds raw bytes from the chardev; complete lines are executed in order.
    void receive(std::string_view bytes);

    // Executes one request line (without the newline) and returns the answer
    // line (without the newline).
    std::string execute(std::string_view line);

    // Reported by the backend for intercepted lines.
    void irq_changed(int line, bool level);

    // Optional log of the exchange (-qtest-log), one line per message.
    void set_log(std::function<void(std::string_view)> log) { log_ = std::move(log); }

private:
    QtestBackend& backend_;
    Sender send_;
    std::function<void(std::string_view)> log_;
    std::string pending_;
    bool intercepted_ = false;
};

}  // namespace mimic::qtest
