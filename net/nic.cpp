// The NIC side of a network link: naming, default MACs, linking to the
// back end named by a device's netdev property.
#include "mimic/net/nic.h"

#include <fmt/format.h>

#include <set>

#include "mimic/qom/backend_registry.h"
#include "mimic/util/error.h"

namespace mimic::net {

Nic::Nic(std::string name, std::string model, qom::MacAddress mac)
    : NetClient(ClientKind::kNic, std::move(name)), model_(std::move(model)), mac_(mac) {}

void Nic::attach(const qom::BackendLink& netdev) {
    if (!netdev.is_set()) return;
    NetClient* backend = netdev.get<NetClient>();
    if (!backend) throw Error("Property 'netdev' can't find value '{}'", netdev.id());
    NetClient::link(*this, *backend);
}

std::string Nic::info_str() const { return fmt::format("model={},macaddr={}", model_, mac_.to_string()); }

std::string nic_name(std::string_view device_id, std::string_view model) {
    if (!device_id.empty()) return std::string(device_id);
    for (int n = 0;; ++n) {
        std::string name = fmt::format("{}.{}", model, n);
        if (!NetClient::find(name)) return name;
    }
}

qom::MacAddress assign_default_mac(const qom::MacAddress& mac) {
    if (!mac.is_zero()) return mac;
    static unsigned next = 0;
    qom::MacAddress assigned{{0x52, 0x54, 0x00, 0x12, 0x34, 0x56}};
    assigned.bytes[5] = static_cast<uint8_t>(0x56 + next++);
    return assigned;
}

}  // namespace mimic::net
