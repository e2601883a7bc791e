// Hosts a Monitor on a chardev: -monitor, -qmp and -mon chardev=ID,mode=...
//
// The ChardevMonitor is the chardev's front end. Bytes the backend reads go
// to the monitor; what the monitor says goes out with Chardev::write_all()
// (a monitor would rather stall than drop a reply). Backend events map to
// the monitor's session: kOpened (a client connected, or the mux gave the
// monitor focus for the first time) sends the QMP greeting or the HMP
// banner; kClosed drops half-received input and, for QMP, the negotiation,
// so a client that disconnects mid-command affects nothing. On a mux, output
// is held back while another front end has the focus and comes out when the
// monitor gets it (C-a c): the banner printed at start-up appears then, and
// later switches show a fresh prompt, the way QEMU's monitor behaves.
//
//   auto& chr = chardev::ChardevRegistry::global().create(options);
//   auto mon = std::make_unique<monitor::ChardevMonitor>(hub, chr, Monitor::Mode::kControl, pretty);
#pragma once

#include "mimic/chardev/chardev.h"
#include "mimic/monitor/monitor.h"

#include <memory>

namespace mimic::monitor {

class ChardevMonitor : public chardev::CharFrontend {
public:
    // Attaches to `chardev` at once (which opens the session if the backend
    // is already connected). Throws mimic::Error if the chardev is in use.
    ChardevMonitor(MonitorHub& hub, chardev::Chardev& chardev, Monitor::Mode mode, bool pretty = false);
    ~ChardevMonitor() override;
    ChardevMonitor(const ChardevMonitor&) = delete;
    ChardevMonitor& operator=(const ChardevMonitor&) = delete;

    Monitor& monitor() { return *monitor_; }
    chardev::Chardev& chardev() { return chardev_; }

    // chardev::CharFrontend
    size_t can_receive() override;
    void receive(std::span<const uint8_t> data) override;
    void event(chardev::ChardevEvent event) override;

private:
    // Input is handled synchronously, so the monitor can always take a
    // chunk; the bound only keeps a flood from starving the main loop.
    static constexpr size_t kInputChunk = 4096;

    void output(std::string_view bytes);

    chardev::Chardev& chardev_;
    std::unique_ptr<Monitor> monitor_;
    bool session_open_ = false;
    bool focused_ = true;            // false between kMuxOut and kMuxIn
    bool opened_unfocused_ = false;  // the banner and prompt wait in held_
    std::string held_;
};

}  // namespace mimic::monitor
