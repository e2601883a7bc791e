// Network back ends as -netdev, -nic, -net TYPE and netdev_add create them,
// and the operations the monitor performs on network clients.
//
//     cli::Opts opts = cli::parse_opts("user,id=n0,hostfwd=tcp::5555-:22", "type");
//     net::netdev_add(opts);            // registered: -device e1000,netdev=n0
//
// Back ends are owned here until netdev_del() or netdev_delete_all(). A
// back end made by -netdev/-nic/netdev_add is a "netdev": registered in
// qom::BackendRegistry (kNetdev) by its id, for a NIC's netdev property.
// One made by legacy -net is peered with a hub port instead and is not a
// netdev (netdev_del refuses it, as QEMU does).
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mimic/net/net_client.h"

namespace mimic::cli {
class Opts;
}

namespace mimic::net {

// How an option's value is typed (QMP's netdev_add checks JSON types by it).
enum class ParamType { kString, kBool, kInt, kList };

struct ParamDesc {
    std::string_view name;
    ParamType type;
};

// One back-end type: its options and how to make one.
struct BackendType {
    std::string_view name;
    std::span<const ParamDesc> params;
    // Throws mimic::Error with QEMU's text for bad options.
    std::unique_ptr<NetClient> (*create)(const std::string& name, const cli::Opts& opts);
};

// The back-end types this binary has, in `-netdev help` order.
std::span<const BackendType* const> backend_types();
const BackendType* find_backend_type(std::string_view name);

// Throws for a type find_backend_type() does not know: QEMU's other types
// (vde, stream, ...) are "not supported yet", anything else "Parameter
// 'type' does not accept value 'x'".
[[noreturn]] void refuse_unknown_type(const std::string& type_name);

// Checks every option of `opts` (but "type") against `type`'s parameters:
// "Invalid parameter 'x'", "Parameter 'x' expects 'on' or 'off'", ...
void check_params(const BackendType& type, const cli::Opts& opts);

// Creates the back end of -netdev/netdev_add/-nic: type and id from `opts`.
// Throws mimic::Error: "Parameter 'id' is missing", "Duplicate ID 'x' for
// netdev", the back end's own errors.
NetClient& netdev_add(const cli::Opts& opts);

// Creates a legacy -net back end named `name` (not a netdev) and links it
// to `peer` (its hub port).
NetClient& legacy_backend_add(const cli::Opts& opts, const std::string& name, NetClient& peer);

// Keeps a client made elsewhere (a -net hub port) alive until
// netdev_delete_all(); returns it. `register_by_name`: also findable by a
// NIC's netdev property (still not a netdev for netdev_del).
NetClient& adopt_client(std::unique_ptr<NetClient> client, bool register_by_name);

// netdev_del: "Device 'x' not found" (DeviceNotFound in QMP). A back end
// whose peer is a NIC is shut down and forgotten by id, but stays listed as
// the NIC's peer (the NIC's link goes down) until the NIC goes, as in QEMU.
void netdev_del(std::string_view id);

// True if a back end or hub port created here is named `name`.
bool client_name_taken(std::string_view name);

// Destroys every back end and hub port (at exit, NICs first gone or not).
void netdev_delete_all();

// set_link: "Device 'x' not found". As QEMU: the client's link changes; the
// peer's too only when the peer is a NIC; both are told.
void set_link(std::string_view name, bool up);

// The text of `info network`, QEMU 7.2's layout.
std::string info_network();

// Warnings QEMU prints once the machine is built ("netdev n0 has no peer",
// hub warnings), without the program prefix.
std::vector<std::string> client_warnings(bool qtest);

// An id for a -net/-nic option given none: "#net<counter><2 random digits>",
// as QEMU makes them (never a valid user id).
std::string generate_net_id();

}  // namespace mimic::net
