// Network commands of the monitor (see net_monitor.h), in QEMU 7.2's words.
#include "net_monitor.h"

#include <cstdio>

#include "mimic/cli/command_line.h"
#include "mimic/cli/opts.h"
#include "mimic/monitor/hmp_table.h"
#include "mimic/monitor/monitor_hub.h"
#include "mimic/monitor/qmp_error.h"
#include "mimic/net/hub.h"
#include "mimic/net/netdev.h"
#include "mimic/net/user.h"
#include "mimic/qom/backend_registry.h"
#include "mimic/util/error.h"

namespace mimic::system {
namespace {

using monitor::ErrorClass;
using monitor::HmpArgKind;
using monitor::Json;
using monitor::QmpError;

// QMP's netdev_add arguments, typed as QEMU's Netdev union, turned into
// the option list -netdev would give. Lists of {"str": ...} become
// repeated keys (hostfwd=..,hostfwd=..).
cli::Opts qmp_netdev_options(const Json& args) {
    std::string type = args["type"].get<std::string>();
    const net::BackendType* backend = net::find_backend_type(type);
    if (!backend) throw QmpError(fmt::format("Parameter 'type' does not accept value '{}'", type));
    std::vector<cli::KeyValue> entries{{"type", type}};
    for (const auto& [key, value] : args.items()) {
        if (key == "type" || key == "id") continue;
        const net::ParamDesc* desc = nullptr;
        for (const net::ParamDesc& d : backend->params) {
            if (d.name == key) desc = &d;
        }
        if (!desc) throw QmpError(fmt::format("Parameter '{}' is unexpected", key));
        auto wrong = [&name = key](const char* expected) {
            return QmpError(fmt::format("Invalid parameter type for '{}', expected: {}", name, expected));
        };
        switch (desc->type) {
        case net::ParamType::kString:
            if (!value.is_string()) throw wrong("string");
            entries.push_back({key, value.get<std::string>()});
            break;
        case net::ParamType::kBool:
            if (!value.is_boolean()) throw wrong("boolean");
            entries.push_back({key, value.get<bool>() ? "on" : "off"});
            break;
        case net::ParamType::kInt:
            if (!value.is_number_integer()) throw wrong("integer");
            entries.push_back({key, std::to_string(value.get<int64_t>())});
            break;
        case net::ParamType::kList:
            if (!value.is_array()) throw wrong("array");
            for (const Json& element : value) {
                if (!element.is_object()) throw wrong("object");
                if (!element.contains("str") || !element["str"].is_string())
                    throw QmpError(fmt::format("Parameter '{}.str' is missing", key));
                entries.push_back({key, element["str"].get<std::string>()});
            }
            break;
        }
    }
    return cli::Opts(args["id"].get<std::string>(), std::move(entries));
}

// [[noreturn]] rethrow keeping QEMU's DeviceNotFound class where it has it.
[[noreturn]] void rethrow(const Error& e) {
    std::string_view text = e.what();
    bool not_found = text.starts_with("Device '") && text.ends_with("' not found");
    throw QmpError(not_found ? ErrorClass::kDeviceNotFound : ErrorClass::kGenericError, std::string(text));
}

// The user back end hostfwd_* act on: the named one, or the first; prints
// QEMU's complaint and returns nullptr otherwise.
net::UserNetdev* lookup_user(const std::string* id, monitor::HmpContext& ctx) {
    auto stacks = net::user_netdevs();
    if (!id) {
        if (stacks.empty()) {
            ctx.print("user mode network stack not in use\n");
            return nullptr;
        }
        return stacks.front();
    }
    net::NetClient* client = nullptr;
    for (net::NetClient* c : net::NetClient::all()) {
        if (c->kind() != net::ClientKind::kNic && c->name() == *id) client = c;
    }
    if (!client) {
        ctx.print("unrecognized netdev id '{}'\n", *id);
        return nullptr;
    }
    auto* user = dynamic_cast<net::UserNetdev*>(client);
    if (!user) ctx.print("invalid device specified\n");
    return user;
}

}  // namespace

NetMonitor::NetMonitor(monitor::MonitorHub& hub) {
    monitor::Schema& schema = hub.schema();
    monitor::CommandDef netdev_add{
        .name = "netdev_add",
        .arguments = {{"type", "str"}, {"id", "str"}},
        .doc = "Adds a network back end; further arguments are its options, as -netdev takes them.",
        .handler = [](const Json& args, monitor::CommandContext&) -> Json {
            try {
                cli::Opts opts = qmp_netdev_options(args);
                if (net::client_name_taken(opts.id()) ||
                    qom::BackendRegistry::instance().find(qom::BackendKind::kNetdev, opts.id()))
                    throw QmpError(fmt::format("Duplicate ID '{}'", opts.id()));
                net::netdev_add(opts);
            } catch (const QmpError&) {
                throw;
            } catch (const Error& e) {
                rethrow(e);
            }
            return Json::object();
        },
    };
    netdev_add.extra_arguments = true;
    schema.add_command(std::move(netdev_add));
    schema.add_command({
        .name = "netdev_del",
        .arguments = {{"id", "str"}},
        .doc = "Removes a network back end.",
        .handler = [](const Json& args, monitor::CommandContext&) -> Json {
            try {
                net::netdev_del(args["id"].get<std::string>());
            } catch (const Error& e) {
                rethrow(e);
            }
            return Json::object();
        },
    });
    schema.add_command({
        .name = "set_link",
        .arguments = {{"name", "str", false, "a NIC's or back end's name"}, {"up", "bool"}},
        .doc = "Plugs (up) or unplugs the virtual cable of a network client.",
        .handler = [](const Json& args, monitor::CommandContext&) -> Json {
            try {
                net::set_link(args["name"].get<std::string>(), args["up"].get<bool>());
            } catch (const Error& e) {
                rethrow(e);
            }
            return Json::object();
        },
    });

    monitor::HmpTable& hmp = hub.hmp();
    hmp.add_command({"netdev_add", "[user|tap|socket|hubport],id=str[,prop=value][,...]", "add host network device",
                     {{"netdev", HmpArgKind::kRestOfLine, monitor::kOptional}},
                     [](const Json& args, monitor::HmpContext& ctx) {
                         std::string text = args.value("netdev", std::string());
                         // QEMU's option parser wants the id before anything else.
                         if (text.empty()) throw Error("Parameter 'id' is missing");
                         if (text == "help" || text == "?") {
                             ctx.print("Available netdev backend types:\n");
                             for (const net::BackendType* type : net::backend_types()) ctx.print("{}\n", type->name);
                             return;
                         }
                         cli::Opts opts = cli::parse_opts(text, "type");
                         if (!opts.id().empty() && (net::client_name_taken(opts.id()) ||
                                                    qom::BackendRegistry::instance().find(
                                                        qom::BackendKind::kNetdev, opts.id()))) {
                             // QEMU's option parser reports this one on stderr.
                             std::fprintf(stderr, "%s: Duplicate ID '%s' for netdev\n", cli::kProgramName,
                                          opts.id().c_str());
                             ctx.print("Try \"help netdev_add\" for more information\n");
                             return;
                         }
                         net::netdev_add(opts);
                     }});
    hmp.add_command({"netdev_del", "id", "remove host network device", {{"id", HmpArgKind::kString}},
                     [](const Json& args, monitor::HmpContext& ctx) {
                         ctx.hub.execute("netdev_del", {{"id", args["id"]}}, ctx.monitor);
                     }});
    hmp.add_command({"set_link", "name on|off", "change the link status of a network adapter",
                     {{"name", HmpArgKind::kString}, {"up", HmpArgKind::kBool}},
                     [](const Json& args, monitor::HmpContext& ctx) {
                         ctx.hub.execute("set_link", {{"name", args["name"]}, {"up", args["up"]}}, ctx.monitor);
                     }});
    hmp.add_command({"hostfwd_add", "[netdev_id] [tcp|udp]:[hostaddr]:hostport-[guestaddr]:guestport",
                     "redirect TCP or UDP connections from host to guest (requires -net user)",
                     {{"arg1", HmpArgKind::kString}, {"arg2", HmpArgKind::kString, monitor::kOptional}},
                     [](const Json& args, monitor::HmpContext& ctx) {
                         std::string arg1 = args["arg1"].get<std::string>();
                         bool two = args.contains("arg2") && args["arg2"].is_string();
                         std::string rule = two ? args["arg2"].get<std::string>() : arg1;
                         net::UserNetdev* user = lookup_user(two ? &arg1 : nullptr, ctx);
                         if (!user) return;
                         try {
                             user->add_hostfwd(rule);
                         } catch (const Error& e) {
                             ctx.print("{}\n", e.what());
                         }
                     }});
    hmp.add_command({"hostfwd_remove", "[netdev_id] [tcp|udp]:[hostaddr]:hostport",
                     "remove host-to-guest TCP or UDP redirection",
                     {{"arg1", HmpArgKind::kString}, {"arg2", HmpArgKind::kString, monitor::kOptional}},
                     [](const Json& args, monitor::HmpContext& ctx) {
                         std::string arg1 = args["arg1"].get<std::string>();
                         bool two = args.contains("arg2") && args["arg2"].is_string();
                         std::string spec = two ? args["arg2"].get<std::string>() : arg1;
                         net::UserNetdev* user = lookup_user(two ? &arg1 : nullptr, ctx);
                         if (!user) return;
                         std::optional<net::HostForward> fwd = net::parse_hostfwd_remove(spec);
                         if (!fwd) {
                             ctx.print("invalid format\n");
                             return;
                         }
                         ctx.print("host forwarding rule for {} {}\n", spec,
                                   user->remove_hostfwd(*fwd) ? "removed" : "not found");
                     }});
    hmp.add_info({"network", "", "show the network state", {},
                  [](const Json&, monitor::HmpContext& ctx) { ctx.print_text(net::info_network()); }});
    hmp.add_info({"usernet", "", "show user network stack connection states", {},
                  [](const Json&, monitor::HmpContext& ctx) {
                      for (net::UserNetdev* user : net::user_netdevs()) {
                          ctx.print("Hub {} ({}):\n", net::hub_id_for_client(*user).value_or(-1), user->name());
                          ctx.print_text(user->connection_info());
                      }
                  }});
}

}  // namespace mimic::system
