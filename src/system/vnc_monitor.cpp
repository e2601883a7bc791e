// VNC commands and events of the monitor (see vnc_monitor.h).
#include "vnc_monitor.h"

#include <fmt/format.h>

#include "mimic/monitor/hmp_table.h"
#include "mimic/monitor/monitor_hub.h"
#include "mimic/monitor/qmp_error.h"
#include "mimic/ui/vnc.h"

namespace mimic::system {
namespace {

using monitor::HmpArgKind;
using monitor::Json;
using monitor::QmpError;

// Members in the order QEMU 7.2 prints them.
Json client_json(const ui::VncAddress& a) {
    return {{"family", a.family}, {"service", a.service}, {"host", a.host}, {"websocket", false}};
}

Json server_json(const ui::VncAddress& a, const std::string& auth) {
    return {{"auth", auth}, {"family", a.family}, {"service", a.service}, {"host", a.host}, {"websocket", false}};
}

void check_protocol(const Json& args) {
    std::string protocol = args["protocol"].get<std::string>();
    if (protocol == "spice") throw QmpError(monitor::ErrorClass::kDeviceNotActive, "SPICE is not in use");
    if (protocol != "vnc") throw QmpError(fmt::format("Parameter 'protocol' does not accept value '{}'", protocol));
}

}  // namespace

VncMonitor::VncMonitor(monitor::MonitorHub& hub, ui::VncServer* server) {
    monitor::Schema& schema = hub.schema();
    for (const char* event : {"VNC_CONNECTED", "VNC_INITIALIZED", "VNC_DISCONNECTED"}) {
        schema.add_event({event, {{"server", "any"}, {"client", "any"}}, "A VNC client's session changed."});
    }
    if (server) {
        server->set_event_sink([&hub, server](const char* event, const ui::VncAddress& client,
                                              const ui::VncAddress& listener) {
            hub.emit_event(event, {{"server", server_json(listener, server->auth_name())},
                                   {"client", client_json(client)}});
        });
    }

    schema.add_command({
        .name = "query-vnc",
        .returns = "any",
        .doc = "The VNC server: its first listening address and its clients.",
        .handler = [server](const Json&, monitor::CommandContext&) -> Json {
            std::vector<ui::VncAddress> listeners = server ? server->listeners() : std::vector<ui::VncAddress>{};
            if (listeners.empty()) return {{"enabled", false}};
            const ui::VncAddress& first = listeners.front();
            Json clients = Json::array();
            for (const ui::VncAddress& c : server->clients()) clients.push_back(client_json(c));
            return {{"enabled", true}, {"auth", server->auth_name()}, {"family", first.family},
                    {"clients", clients}, {"service", first.service}, {"host", first.host}};
        },
    });
    schema.add_command({
        .name = "query-vnc-servers",
        .returns = "[any]",
        .doc = "Every VNC server with its listening sockets and clients.",
        .handler = [server](const Json&, monitor::CommandContext&) -> Json {
            Json list = Json::array();
            if (!server) return list;
            Json clients = Json::array();
            for (const ui::VncAddress& c : server->clients()) clients.push_back(client_json(c));
            Json listeners = Json::array();
            for (const ui::VncAddress& l : server->listeners()) listeners.push_back(server_json(l, server->auth_name()));
            list.push_back({{"auth", server->auth_name()}, {"clients", clients}, {"server", listeners},
                            {"id", server->options().id}});
            return list;
        },
    });
    schema.add_enum({"SetPasswordAction", {"keep", "fail", "disconnect"}});
    schema.add_command({
        .name = "set_password",
        .arguments = {{"protocol", "str"}, {"password", "str"}, {"connected", "SetPasswordAction", monitor::kOptional},
                      {"display", "str", monitor::kOptional}},
        .doc = "Sets the password of a remote display.",
        .handler = [server](const Json& args, monitor::CommandContext&) -> Json {
            check_protocol(args);
            if (args.contains("connected") && args["connected"].get<std::string>() != "keep")
                throw QmpError("VNC protocol does not support 'connected' actions other than 'keep'");
            if (!server || !server->set_password(args["password"].get<std::string>()))
                throw QmpError("Could not set password");
            return Json::object();
        },
    });
    schema.add_command({
        .name = "expire_password",
        .arguments = {{"protocol", "str"}, {"time", "str"}, {"display", "str", monitor::kOptional}},
        .doc = "Sets when the password of a remote display expires: now, never, +SECONDS or SECONDS since the epoch.",
        .handler = [server](const Json& args, monitor::CommandContext&) -> Json {
            check_protocol(args);
            if (!server) throw QmpError("Could not set password expire time.");
            // As QEMU's strtoull: what is not a number means time 0, long past.
            if (!server->expire_password(args["time"].get<std::string>())) server->expire_password("0");
            return Json::object();
        },
    });
    schema.add_command({
        .name = "change-vnc-password",
        .arguments = {{"password", "str"}},
        .doc = "Sets the VNC password.",
        .handler = [server](const Json& args, monitor::CommandContext&) -> Json {
            if (!server || !server->set_password(args["password"].get<std::string>()))
                throw QmpError("Could not set password");
            return Json::object();
        },
    });

    monitor::HmpTable& hmp = hub.hmp();
    hmp.add_info({"vnc", "", "show the vnc server status", {}, [](const Json&, monitor::HmpContext& ctx) {
                      Json servers = ctx.hub.execute("query-vnc-servers", Json::object(), ctx.monitor);
                      if (servers.empty()) {
                          ctx.print("None\n");
                          return;
                      }
                      for (const Json& s : servers) {
                          ctx.print("{}:\n", s["id"].get<std::string>());
                          for (const Json& l : s["server"]) {
                              ctx.print("  Server: {}:{} ({})\n", l["host"].get<std::string>(),
                                        l["service"].get<std::string>(), l["family"].get<std::string>());
                              ctx.print("    Auth: {} (Sub: none)\n", l["auth"].get<std::string>());
                          }
                          for (const Json& c : s["clients"]) {
                              ctx.print("  Client: {}:{} ({})\n", c["host"].get<std::string>(),
                                        c["service"].get<std::string>(), c["family"].get<std::string>());
                              ctx.print("    x509_dname: none\n");
                              ctx.print("    sasl_username: none\n");
                          }
                          if (s["server"].empty()) ctx.print("  Auth: {} (Sub: none)\n", s["auth"].get<std::string>());
                      }
                  }});
    hmp.add_command({"set_password", "protocol password [action-if-connected]",
                     "set spice/vnc password",
                     {{"protocol", HmpArgKind::kString},
                      {"password", HmpArgKind::kString},
                      {"connected", HmpArgKind::kString, monitor::kOptional}},
                     [](const Json& args, monitor::HmpContext& ctx) {
                         Json qmp = {{"protocol", args["protocol"]}, {"password", args["password"]}};
                         if (args.contains("connected")) qmp["connected"] = args["connected"];
                         ctx.hub.execute("set_password", qmp, ctx.monitor);
                     }});
    hmp.add_command({"expire_password", "protocol time", "set spice/vnc password expire-time",
                     {{"protocol", HmpArgKind::kString}, {"time", HmpArgKind::kString}},
                     [](const Json& args, monitor::HmpContext& ctx) {
                         ctx.hub.execute("expire_password", {{"protocol", args["protocol"]}, {"time", args["time"]}},
                                         ctx.monitor);
                     }});
}

}  // namespace mimic::system
