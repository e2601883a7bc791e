// Hubs relay frames among their ports (see hub.h).
#include "mimic/net/hub.h"

#include <fmt/format.h>

#include <algorithm>

namespace mimic::net {
namespace {

// Newest first, as QEMU lists hubs.
std::vector<std::unique_ptr<Hub>>& hubs() {
    static std::vector<std::unique_ptr<Hub>> list;
    return list;
}

}  // namespace

Hub& Hub::get(int id) {
    if (Hub* hub = find(id)) return *hub;
    auto& list = hubs();
    list.insert(list.begin(), std::make_unique<Hub>(id));
    return *list.front();
}

Hub* Hub::find(int id) {
    for (auto& hub : hubs()) {
        if (hub->id() == id) return hub.get();
    }
    return nullptr;
}

std::vector<Hub*> Hub::all() {
    std::vector<Hub*> out;
    for (auto& hub : hubs()) out.push_back(hub.get());
    return out;
}

void Hub::relay(HubPort& from, std::span<const uint8_t> frame) {
    // A port may leave the hub while we forward (a NIC reacting to the
    // frame by unplugging is far-fetched, but copying is cheap).
    std::vector<HubPort*> targets = ports_;
    for (HubPort* port : targets) {
        if (port != &from) port->forward(frame);
    }
}

HubPort::HubPort(Hub& hub, std::string name)
    : NetClient(ClientKind::kHubPort, name.empty() ? fmt::format("hub{}port{}", hub.id(), hub.next_port_) : name),
      hub_(hub) {
    ++hub.next_port_;
    hub.ports_.insert(hub.ports_.begin(), this);
}

HubPort::~HubPort() { std::erase(hub_.ports_, this); }

std::optional<int> hub_id_for_client(const NetClient& client) {
    if (auto* port = dynamic_cast<const HubPort*>(&client)) return port->hub().id();
    if (auto* port = dynamic_cast<const HubPort*>(client.peer())) return port->hub().id();
    return std::nullopt;
}

std::vector<std::string> hub_warnings(bool qtest) {
    std::vector<std::string> out;
    for (Hub* hub : Hub::all()) {
        bool has_nic = false, has_host = false;
        for (HubPort* port : hub->ports()) {
            NetClient* peer = port->peer();
            if (!peer) {
                out.push_back(fmt::format("hub port {} has no peer", port->name()));
                continue;
            }
            if (peer->kind() == ClientKind::kNic) has_nic = true;
            if (peer->kind() == ClientKind::kUser || peer->kind() == ClientKind::kTap ||
                peer->kind() == ClientKind::kSocket)
                has_host = true;
        }
        if (has_host && !has_nic) out.push_back(fmt::format("hub {} with no nics", hub->id()));
        if (has_nic && !has_host && !qtest) out.push_back(fmt::format("hub {} is not connected to host network", hub->id()));
    }
    return out;
}

}  // namespace mimic::net
