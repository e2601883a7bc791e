// The VNC server (-vnc): RFB 3.3/3.7/3.8 with no authentication or VNC's
// DES challenge, several clients at once on non-blocking sockets driven by
// the main loop, showing a console and feeding the input layer.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mimic::ui {

class Console;

// -vnc as QEMU 7.2 reads it: "[HOST]:N", "unix:PATH" or "none", then options.
struct VncOptions {
    enum class Kind { kNone, kTcp, kUnix };
    Kind kind = Kind::kNone;
    std::string host;  // TCP; empty: every address
    int display = 0;   // TCP port 5900 + display
    int to = 0;        // also try displays up to this one
    // ipv4=/ipv6=: on asks for that family alone, off leaves it out.
    std::optional<bool> ipv4, ipv6;
    std::string path;  // unix
    bool password = false;
    enum class Share { kAllowExclusive, kForceShared, kIgnore };
    Share share = Share::kAllowExclusive;
    std::string id = "default";
    std::string keyboard_layout = "en-us";  // -k
};

// Throws mimic::Error with QEMU's texts ("no vnc port specified", ...);
// options Mimic does not implement are refused by name.
VncOptions parse_vnc_options(std::string_view text);

// Address of a listening socket or a client, as the monitor shows it.
struct VncAddress {
    std::string host, service, family;  // family: ipv4, ipv6, unix
};

class VncServer {
public:
    // Listens at once; throws mimic::Error with QEMU's texts when it cannot
    // (busy port, bad address, unreadable keymap). `data_dirs` are searched
    // for keymaps/; `vm_name` is -name, shown to clients.
    VncServer(const VncOptions& options, Console& console, const std::vector<std::string>& data_dirs,
              const std::string& vm_name);
    ~VncServer();
    VncServer(const VncServer&) = delete;
    VncServer& operator=(const VncServer&) = delete;

    const VncOptions& options() const;
    std::string auth_name() const;  // "none" or "vnc"
    std::vector<VncAddress> listeners() const;
    std::vector<VncAddress> clients() const;  // connected, handshake or not

    // set_password: false when password authentication is off.
    bool set_password(const std::string& password);
    // expire_password's time: "now", "never", "+SECONDS" or absolute
    // seconds since the epoch. False for a malformed time.
    bool expire_password(const std::string& when);

    // VNC_CONNECTED, VNC_INITIALIZED, VNC_DISCONNECTED: the event's name,
    // the client and the listener it came through.
    using EventSink = std::function<void(const char* event, const VncAddress& client, const VncAddress& server)>;
    void set_event_sink(EventSink sink);

private:
    class Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace mimic::ui
