// Hubs: the legacy "vlan" of QEMU's -net options. A hub is a set of hubport
// clients; a frame one port receives from its peer goes out of every other
// port. `-net nic -net user` puts both on hub 0; `-netdev hubport,hubid=N`
// adds a port explicitly.
//
// Hubs live for the whole process once created (QEMU never frees them
// either: `info network` keeps listing an emptied hub). Ports belong to
// whoever created them and leave their hub when destroyed.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mimic/net/net_client.h"

namespace mimic::net {

class HubPort;

class Hub {
public:
    explicit Hub(int id) : id_(id) {}
    int id() const { return id_; }
    // Newest first, the order `info network` lists them in.
    const std::vector<HubPort*>& ports() const { return ports_; }

    // The hub numbered `id`, created on first use.
    static Hub& get(int id);
    // The hub numbered `id` or nullptr.
    static Hub* find(int id);
    // Every hub, newest first.
    static std::vector<Hub*> all();

private:
    friend class HubPort;
    void relay(HubPort& from, std::span<const uint8_t> frame);

    int id_;
    int next_port_ = 0;  // "hub<id>port<n>" numbering
    std::vector<HubPort*> ports_;
};

class HubPort : public NetClient {
public:
    // An empty `name` gives QEMU's "hub<id>port<n>".
    HubPort(Hub& hub, std::string name);
    ~HubPort() override;

    Hub& hub() const { return hub_; }
    std::string info_str() const override { return ""; }

    // Forwards a frame received by another port of the hub to our peer.
    void forward(std::span<const uint8_t> frame) { send(frame); }

protected:
    void receive(std::span<const uint8_t> frame) override { hub_.relay(*this, frame); }

private:
    Hub& hub_;
};

// The hub `client` hangs off: its own if it is a hub port, its peer's if
// that is one; nullopt otherwise (hub ids may be negative: hubid=-1).
std::optional<int> hub_id_for_client(const NetClient& client);

// Start-up warnings about hubs (ports without peer, hubs with NICs but no
// host side or the reverse), in QEMU's wording, without the program prefix.
std::vector<std::string> hub_warnings(bool qtest);

}  // namespace mimic::net
