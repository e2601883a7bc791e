// -netdev, -nic, -net and the default network (see networks.h).
#include "networks.h"

#include <algorithm>
#include <cstdio>

#include "mimic/cli/command_line.h"
#include "mimic/cli/opts.h"
#include "mimic/hw/machine.h"
#include "mimic/net/hub.h"
#include "mimic/net/netdev.h"
#include "mimic/net/nic.h"
#include "mimic/qom/backend_registry.h"
#include "mimic/qom/device_add.h"
#include "mimic/qom/type.h"
#include "mimic/util/error.h"

namespace mimic::system {
namespace {

bool is_nic_model(const std::string& name) {
    const qom::Type* type = qom::find_type(name);
    return type && !type->is_abstract() && type->find_property("netdev") && type->user_creatable();
}

// -nic mac= / -net nic,macaddr=: QEMU's checks, then the default when unset.
qom::MacAddress nic_mac(const std::optional<std::string>& text) {
    if (!text) return net::assign_default_mac({});
    std::optional<qom::MacAddress> mac = qom::MacAddress::parse(*text);
    if (!mac) throw Error("invalid syntax for ethernet address");
    if (mac->bytes[0] & 1) throw Error("NIC cannot have multicast MAC address");
    return *mac;
}

// The hub port a -net option hangs off; registered by its name so the
// NIC's netdev property can find it.
net::NetClient& new_hub_port(int hub) {
    return net::adopt_client(std::make_unique<net::HubPort>(net::Hub::get(hub), ""), /*register_by_name=*/true);
}

}  // namespace

std::vector<std::string> nic_models() {
    std::vector<std::string> out;
    for (const qom::Type* type : qom::TypeRegistry::instance().list("device", false)) {
        if (is_nic_model(type->name())) out.push_back(type->name());
    }
    return out;
}

Networks::~Networks() { net::netdev_delete_all(); }

void Networks::create_backends(const cli::VmConfig& config, const std::string& machine_type) {
    // QEMU's q35 ("q35", "pc-q35-7.2") defaults to the e1000e, its pc to the e1000.
    default_model_ = machine_type.find("q35") != std::string::npos ? "e1000e" : "e1000";
    for (const cli::OptionUse& use : config.netdevs) with_location(use.location, [&] { net::netdev_add(use.opts); });
    for (const cli::OptionUse& use : config.nics) with_location(use.location, [&] { add_nic_option(use); });
    for (const cli::OptionUse& use : config.nets) with_location(use.location, [&] { add_net_option(use); });
    bool any = !config.netdevs.empty() || !config.nics.empty() || !config.nets.empty();
    // QEMU 7.2 adds `-net nic -net user`; without the NIC model there is
    // no card to give it, so there is no default network at all.
    if (!any && !config.nodefaults && is_nic_model(default_model_)) {
        add_net_option({"-net nic", cli::parse_opts("nic", "type")});
        add_net_option({"-net user", cli::parse_opts("user", "type")});
    }
}

// -nic TYPE[,model=M][,mac=A][,id=ID][,backend options]: a back end and a
// NIC linked directly (no hub).
void Networks::add_nic_option(const cli::OptionUse& use) {
    cli::Opts opts = use.opts;
    std::string type = opts.get_or("type", "");
    if (type == "none") return;
    if (!net::find_backend_type(type)) net::refuse_unknown_type(type);
    std::string model = opts.get_or("model", default_model_);
    std::optional<std::string> mac_text = opts.get("mac");
    opts.remove("model");
    opts.remove("mac");
    qom::MacAddress mac = nic_mac(mac_text);
    std::string id = opts.id().empty() ? net::generate_net_id() : opts.id();
    if (net::client_name_taken(id) || qom::BackendRegistry::instance().find(qom::BackendKind::kNetdev, id))
        throw Error("Duplicate ID '{}'", id);
    net::netdev_add(cli::Opts(id, opts.entries()));
    nics_.push_back({use.location, model, mac, id, ""});
}

// -net nic[,netdev=ND][,macaddr=A][,model=M] or -net TYPE[,options]: on
// hub 0 unless a NIC names its back end.
void Networks::add_net_option(const cli::OptionUse& use) {
    const cli::Opts& opts = use.opts;
    std::string type = opts.get_or("type", "");
    if (type == "none") return;
    if (type == "nic") {
        for (const cli::KeyValue& entry : opts.entries()) {
            static const std::vector<std::string> known = {"type", "netdev", "macaddr", "model", "addr", "vectors"};
            if (std::find(known.begin(), known.end(), entry.key) == known.end())
                throw Error("Invalid parameter '{}'", entry.key);
        }
        // QEMU gives every -net option without id a generated one; a NIC's
        // goes unused, but the counter in later ids shows it.
        if (opts.id().empty()) net::generate_net_id();
        std::string netdev;
        if (auto named = opts.get("netdev")) {
            if (!qom::BackendRegistry::instance().find(qom::BackendKind::kNetdev, *named))
                throw Error("netdev '{}' not found", *named);
            netdev = *named;
        }
        qom::MacAddress mac = nic_mac(opts.get("macaddr"));
        if (netdev.empty()) netdev = new_hub_port(0).name();
        nics_.push_back({use.location, opts.get_or("model", default_model_), mac, netdev, opts.get_or("addr", "")});
        return;
    }
    const net::BackendType* backend = net::find_backend_type(type);
    if (!backend) net::refuse_unknown_type(type);
    std::string id = opts.id().empty() ? net::generate_net_id() : opts.id();
    if (net::client_name_taken(id) || qom::BackendRegistry::instance().find(qom::BackendKind::kNetdev, id))
        throw Error("Duplicate ID '{}'", id);
    net::check_params(*backend, opts);
    if (type == "hubport") {
        if (!opts.has("hubid")) throw Error("Parameter 'hubid' is missing");
        throw Error("network backend 'hubport' is only supported with -netdev/-nic");
    }
    net::legacy_backend_add(opts, id, new_hub_port(0));
}

void Networks::create_nics(hw::Machine& machine) {
    for (const NicRequest& nic : nics_) {
        if (!is_nic_model(nic.model)) throw Error("Unsupported NIC model: {}", nic.model);
        qom::DeviceOptions options{{"driver", nic.model}, {"netdev", nic.netdev}, {"mac", nic.mac.to_string()}};
        if (!nic.addr.empty()) options.emplace_back("addr", nic.addr);
        // As QEMU, errors of the board's NICs name no option.
        qom::device_add(machine, options);
    }
}

void Networks::print_warnings(bool qtest) const {
    for (const std::string& warning : net::client_warnings(qtest))
        std::fprintf(stderr, "%s: warning: %s\n", cli::kProgramName, warning.c_str());
}

}  // namespace mimic::system
