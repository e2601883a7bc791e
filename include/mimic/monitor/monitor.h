// One monitor front end: HMP (readline mode) or QMP (control mode).
//
// A Monitor is transport-agnostic: whatever carries it (a chardev, a test,
// human-monitor-command) calls open() when a client connects, receive() with
// every chunk of bytes it reads, close() when the client goes away, and gets
// everything the monitor says through the Output callback. Any number of
// monitors can run at once; they share one MonitorHub.
#pragma once

#include "mimic/monitor/json.h"

#include <functional>
#include <memory>
#include <string_view>

namespace mimic::monitor {

class MonitorHub;

class Monitor {
public:
    enum class Mode { kReadline, kControl };
    using Output = std::function<void(std::string_view bytes)>;

    // `pretty` is -qmp-pretty / -mon pretty=on; HMP ignores it.
    static std::unique_ptr<Monitor> create(MonitorHub& hub, Mode mode, bool pretty, Output output);

    virtual ~Monitor();
    Monitor(const Monitor&) = delete;
    Monitor& operator=(const Monitor&) = delete;

    Mode mode() const { return mode_; }
    MonitorHub& hub() { return hub_; }

    // A client connected: QMP sends its greeting and forgets any earlier
    // negotiation; HMP prints the banner and the prompt.
    virtual void open() = 0;
    // The client went away: partial input is dropped.
    virtual void close() = 0;
    virtual void receive(std::string_view bytes) = 0;

    // An event for this monitor's client (QMP, after negotiation, only).
    virtual void deliver_event(const Json& /*message*/) {}

    // False while a command is still producing output: input given to
    // receive() meanwhile is held, so transports may stop reading.
    virtual bool accepting_input() const { return true; }

protected:
    Monitor(MonitorHub& hub, Mode mode, Output output);

    // Everything goes out with "\n" turned into "\r\n", as QEMU's monitor
    // does for both HMP and QMP, so raw telnet and serial clients line up.
    void write(std::string_view text);

    MonitorHub& hub_;

private:
    Mode mode_;
    Output output_;
};

}  // namespace mimic::monitor
