// Creating, deleting and listing network back ends (see netdev.h).
#include "mimic/net/netdev.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <random>

#include "backends.h"
#include "mimic/cli/opts.h"
#include "mimic/net/hub.h"
#include "mimic/qom/backend_registry.h"
#include "mimic/util/error.h"
#include "mimic/util/size.h"

namespace mimic::net {
namespace {

struct Owned {
    std::unique_ptr<NetClient> client;
    bool is_netdev = false;   // -netdev, -nic, netdev_add
    bool registered = false;  // in the BackendRegistry under its name
};

std::vector<Owned>& owned() {
    static std::vector<Owned> list;
    return list;
}

// Back ends netdev_del retired while a NIC still had them as peer.
std::vector<std::unique_ptr<NetClient>>& retired() {
    static std::vector<std::unique_ptr<NetClient>> list;
    return list;
}

Owned* find_owned(std::string_view name) {
    for (Owned& entry : owned()) {
        if (entry.client->name() == name) return &entry;
    }
    return nullptr;
}

bool parses_int(std::string_view text) {
    std::string s(text);
    if (s.empty()) return false;
    char* end = nullptr;
    errno = 0;
    std::strtoll(s.c_str(), &end, 0);
    return errno == 0 && *end == '\0';
}

}  // namespace

std::span<const BackendType* const> backend_types() {
    static const std::array<const BackendType*, 4> types = {&kSocketBackend, &kHubportBackend, &kTapBackend,
                                                           &kUserBackend};
    return types;
}

const BackendType* find_backend_type(std::string_view name) {
    for (const BackendType* type : backend_types()) {
        if (type->name == name) return type;
    }
    return nullptr;
}

void check_params(const BackendType& type, const cli::Opts& opts) {
    for (const cli::KeyValue& entry : opts.entries()) {
        if (entry.key == "type") continue;
        auto it = std::find_if(type.params.begin(), type.params.end(),
                               [&](const ParamDesc& d) { return d.name == entry.key; });
        if (it == type.params.end()) throw Error("Invalid parameter '{}'", entry.key);
        switch (it->type) {
        case ParamType::kBool:
            if (!parse_bool(entry.value)) throw Error("Parameter '{}' expects 'on' or 'off'", entry.key);
            break;
        case ParamType::kInt:
            if (!parses_int(entry.value)) throw Error("Parameter '{}' expects an int64 value", entry.key);
            break;
        case ParamType::kString:
        case ParamType::kList:
            break;
        }
    }
}

void refuse_unknown_type(const std::string& type_name) {
    static const std::array<std::string_view, 8> qemu_only = {"bridge", "stream", "dgram", "l2tpv3",
                                                              "vde",    "netmap", "vhost-user", "vhost-vdpa"};
    if (std::find(qemu_only.begin(), qemu_only.end(), type_name) != qemu_only.end())
        throw Error("the '{}' network back end is not supported yet", type_name);
    throw Error("Parameter 'type' does not accept value '{}'", type_name);
}

static std::unique_ptr<NetClient> create_backend(const cli::Opts& opts, const std::string& name) {
    std::string type_name = opts.get_or("type", "");
    const BackendType* type = find_backend_type(type_name);
    if (!type) refuse_unknown_type(type_name);
    check_params(*type, opts);
    return type->create(name, opts);
}

NetClient& netdev_add(const cli::Opts& opts) {
    std::string type_name = opts.get_or("type", "");
    if (type_name.empty()) throw Error("Parameter 'type' is missing");
    if (opts.id().empty()) throw Error("Parameter 'id' is missing");
    if (!find_backend_type(type_name)) refuse_unknown_type(type_name);
    auto& registry = qom::BackendRegistry::instance();
    if (registry.find(qom::BackendKind::kNetdev, opts.id()) || find_owned(opts.id()))
        throw Error("Duplicate ID '{}' for netdev", opts.id());
    std::unique_ptr<NetClient> client = create_backend(opts, opts.id());
    NetClient* raw = client.get();
    registry.add(qom::BackendKind::kNetdev, opts.id(), std::any(raw));
    owned().push_back({std::move(client), true, true});
    return *raw;
}

NetClient& legacy_backend_add(const cli::Opts& opts, const std::string& name, NetClient& peer) {
    std::unique_ptr<NetClient> client = create_backend(opts, name);
    NetClient::link(*client, peer);
    NetClient* raw = client.get();
    owned().push_back({std::move(client), false, false});
    return *raw;
}

NetClient& adopt_client(std::unique_ptr<NetClient> client, bool register_by_name) {
    NetClient* raw = client.get();
    if (register_by_name) qom::BackendRegistry::instance().add(qom::BackendKind::kNetdev, raw->name(), std::any(raw));
    owned().push_back({std::move(client), false, register_by_name});
    return *raw;
}

bool client_name_taken(std::string_view name) { return find_owned(name) != nullptr; }

void netdev_del(std::string_view id) {
    auto& list = owned();
    auto it = std::find_if(list.begin(), list.end(), [&](const Owned& e) { return e.client->name() == id; });
    if (it == list.end()) throw Error("Device '{}' not found", id);
    if (!it->is_netdev) throw Error("Device '{}' is not a netdev", id);
    auto& registry = qom::BackendRegistry::instance();
    std::unique_ptr<NetClient> client = std::move(it->client);
    list.erase(it);
    registry.remove(qom::BackendKind::kNetdev, id);
    NetClient* peer = client->peer();
    if (peer && peer->kind() == ClientKind::kNic) {
        // The NIC keeps its peer (QEMU frees it with the NIC) but loses
        // the cable.
        client->retire();
        peer->set_link_up(false);
        notify_link_status(*peer);
        retired().push_back(std::move(client));
        return;
    }
    client.reset();
}

void netdev_delete_all() {
    auto& registry = qom::BackendRegistry::instance();
    for (Owned& entry : owned()) {
        if (entry.registered) registry.remove(qom::BackendKind::kNetdev, entry.client->name());
    }
    // Newest first: a -net back end goes before the hub port it hangs off.
    while (!owned().empty()) owned().pop_back();
    retired().clear();
}

void set_link(std::string_view name, bool up) {
    NetClient* client = nullptr;
    for (NetClient* c : NetClient::all()) {
        if (c->name() == name) {
            client = c;
            break;
        }
    }
    if (!client) throw Error("Device '{}' not found", name);
    // Each side hears about it exactly once, changed or not, as in QEMU.
    auto apply = [up](NetClient& c, bool change) {
        bool changes = change && c.link_up() != up;
        if (changes) {
            c.set_link_up(up);  // notifies
        } else {
            notify_link_status(c);
        }
    };
    apply(*client, true);
    if (NetClient* peer = client->peer()) {
        // Only a NIC peer follows: the other ports of a hub, or a back end
        // shared by nothing else, keep talking among themselves.
        apply(*peer, peer->kind() == ClientKind::kNic);
    }
}

static std::string client_line(const NetClient& client) {
    return fmt::format("{}: index=0,type={},{}\n", client.name(), client_kind_name(client.kind()), client.info_str());
}

std::string info_network() {
    std::string out;
    for (Hub* hub : Hub::all()) {
        out += fmt::format("hub {}\n", hub->id());
        for (HubPort* port : hub->ports()) {
            out += " \\ " + port->name();
            if (NetClient* peer = port->peer()) {
                out += ": " + client_line(*peer);
            } else {
                out += "\n";
            }
        }
    }
    for (NetClient* client : NetClient::all()) {
        if (hub_id_for_client(*client)) continue;  // listed under its hub
        NetClient* peer = client->peer();
        bool nic = client->kind() == ClientKind::kNic;
        if (!peer || nic) out += client_line(*client);
        if (peer && nic) out += " \\ " + client_line(*peer);
    }
    return out;
}

std::vector<std::string> client_warnings(bool qtest) {
    std::vector<std::string> out = hub_warnings(qtest);
    for (NetClient* client : NetClient::all()) {
        if (!client->peer())
            out.push_back(fmt::format("{} {} has no peer", client->kind() == ClientKind::kNic ? "nic" : "netdev",
                                      client->name()));
    }
    return out;
}

std::string generate_net_id() {
    static uint64_t counter = 0;
    static std::minstd_rand random(std::random_device{}());
    return fmt::format("#net{}{:02}", counter++, random() % 100);
}

}  // namespace mimic::net
