// The net side of a network card: a NetClient of kind "nic" that a NIC
// device model owns, linked at realize to the back end its `netdev`
// property names (or to nothing: a NIC without back end sends into the void
// and receives nothing, as in QEMU).
//
//     class E1000 : public hw::PciDevice {
//         qom::MacAddress mac_;             // prop::mac("mac", ...)
//         qom::BackendLink netdev_;         // prop::netdev("netdev", ...)
//         std::unique_ptr<E1000Nic> nic_;   // an net::Nic subclass
//     };
//     // realize:
//     mac_ = net::assign_default_mac(mac_);
//     nic_ = std::make_unique<E1000Nic>(*this, net::nic_name(id(), "e1000"), mac_);
//     nic_->attach(netdev_);   // links to the back end, if any
#pragma once

#include <string>
#include <string_view>

#include "mimic/net/net_client.h"
#include "mimic/qom/mac_address.h"

namespace mimic::qom {
class BackendLink;
}

namespace mimic::net {

class Nic : public NetClient {
public:
    // `model` is the device's type name as `info network` shows it
    // ("e1000").
    Nic(std::string name, std::string model, qom::MacAddress mac);

    const std::string& model() const { return model_; }
    const qom::MacAddress& mac() const { return mac_; }
    // The address `info network` shows: models call this when the guest
    // programs another one into the card, as QEMU's do.
    void set_mac(const qom::MacAddress& mac) { mac_ = mac; }

    // Links to the back end the device's netdev property resolved to
    // (registered as a NetClient* under BackendKind::kNetdev). Does nothing
    // when the property is unset. Throws mimic::Error when the back end
    // already has a peer.
    void attach(const qom::BackendLink& netdev);

    // "model=e1000,macaddr=52:54:00:12:34:56"
    std::string info_str() const override;

private:
    std::string model_;
    qom::MacAddress mac_;
};

// The name a NIC's client gets: its device id, or "<model>.<n>" with the
// first n not yet taken ("e1000.0", "e1000.1"), as QEMU names them.
std::string nic_name(std::string_view device_id, std::string_view model);

// `mac` itself when set; otherwise QEMU's default 52:54:00:12:34:56 with the
// last byte counting up per NIC created without a MAC in this process.
qom::MacAddress assign_default_mac(const qom::MacAddress& mac);

}  // namespace mimic::net
