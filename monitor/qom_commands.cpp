#include "mimic/monitor/qom_commands.h"

#include "mimic/cli/opts.h"
#include "mimic/monitor/monitor_hub.h"
#include "mimic/monitor/qmp_error.h"
#include "mimic/qom/device.h"
#include "mimic/qom/device_add.h"
#include "mimic/qom/device_help.h"
#include "mimic/qom/machine.h"
#include "mimic/qom/object_help.h"
#include "mimic/qom/qtree.h"
#include "mimic/qom/user_creatable.h"

#include <nlohmann/json.hpp>

#include <type_traits>
#include <variant>

namespace mimic::monitor {

namespace {

nlohmann::json to_plain(const Json& value) { return nlohmann::json::parse(value.dump()); }

// QEMU answers lookups of missing objects with the DeviceNotFound class.
[[noreturn]] void rethrow_with_class(const Error& e) {
    std::string_view text = e.what();
    bool not_found = text.starts_with("Device '") && text.ends_with("' not found");
    throw QmpError(not_found ? ErrorClass::kDeviceNotFound : ErrorClass::kGenericError, std::string(text));
}

qom::Object& resolve(qom::Machine& machine, const std::string& path) {
    qom::Object* object = machine.resolve_path(path);
    if (!object) throw QmpError(ErrorClass::kDeviceNotFound, fmt::format("Device '{}' not found", path));
    return *object;
}

// QAPI ObjectPropertyInfo of a declared property: its description as
// -device/-object help shows it, and (device-list-properties only) its default.
Json declared_property_info(const qom::Property& property, bool with_default) {
    Json info = {{"name", property.name}, {"type", std::string(property.type->name())}};
    if (std::string description = property.help_description(); !description.empty()) {
        info["description"] = description;
    }
    if (with_default && property.qdev_help) {
        std::visit(
            [&](const auto& v) {
                if constexpr (!std::is_same_v<std::decay_t<decltype(v)>, std::monostate>) info["default-value"] = v;
            },
            property.default_value);
    }
    return info;
}

// What qom-list-properties and device-list-properties see: QEMU makes an
// instance of a concrete type; of an abstract one it has only the class's
// properties (for devices, DeviceState's own among them).
Json type_property_infos(const qom::Type& type, bool with_defaults) {
    Json list = Json::array();
    if (type.is_abstract()) {
        list.push_back({{"name", "type"}, {"type", "string"}});
        if (type.is_a(qom::kTypeDevice)) {
            list.push_back({{"name", "parent_bus"}, {"type", "link<bus>"}});
            for (const char* name : {"realized", "hotplugged", "hotpluggable"}) {
                list.push_back({{"name", name}, {"type", "bool"}});
            }
        }
        for (const qom::Property* p : type.all_properties()) list.push_back(declared_property_info(*p, with_defaults));
        return list;
    }
    std::unique_ptr<qom::Object> instance = qom::new_object(type.name());
    for (const auto& listed : instance->list_properties()) {
        const qom::Property* declared = instance->find_property(listed.name);
        list.push_back(declared ? declared_property_info(*declared, with_defaults)
                                : Json{{"name", listed.name}, {"type", listed.type}});
    }
    return list;
}

}  // namespace

void register_qom_commands(MonitorHub& hub, qom::Machine& machine) {
    Schema& schema = hub.schema();
    qom::Machine* m = &machine;

    CommandDef device_add{
        .name = "device_add",
        .arguments = {{"driver", "str"}, {"bus", "str", kOptional}, {"id", "str", kOptional}},
        .doc = "Hot-plugs a device; further arguments are its properties.",
        .handler = [m](const Json& args, CommandContext&) -> Json {
            try {
                qom::device_add(*m, to_plain(args));
            } catch (const QmpError&) {
                throw;
            } catch (const Error& e) {
                rethrow_with_class(e);
            }
            return Json::object();
        },
    };
    device_add.extra_arguments = true;
    schema.add_command(std::move(device_add));

    schema.add_command({
        .name = "device_del",
        .arguments = {{"id", "str", false, "the device's id or QOM path"}},
        .doc = "Asks for a device to be unplugged; DEVICE_DELETED follows when it is gone.",
        .handler = [m](const Json& args, CommandContext& ctx) -> Json {
            std::string id = args["id"].get<std::string>();
            qom::Object* object = m->peripheral().resolve_path(id);
            std::string path = object ? object->canonical_path() : std::string();
            auto* device = dynamic_cast<qom::Device*>(object);
            std::string device_id = device ? device->id() : std::string();
            try {
                qom::device_del(*m, id);
            } catch (const Error& e) {
                rethrow_with_class(e);
            }
            // Buses without an unplug handshake remove the device at once;
            // it is gone when the path no longer leads anywhere.
            if (!path.empty() && !m->resolve_path(path)) {
                Json data = Json::object();
                if (!device_id.empty()) data["device"] = device_id;
                data["path"] = path;
                ctx.hub.emit_event("DEVICE_DELETED", data);
            }
            return Json::object();
        },
    });

    schema.add_object({"ObjectPropertyInfo", {{"name", "str"}, {"type", "str"}}});
    schema.add_command({
        .name = "qom-list",
        .arguments = {{"path", "str"}},
        .returns = "[ObjectPropertyInfo]",
        .doc = "Lists the properties (and children) of a QOM object.",
        .handler = [m](const Json& args, CommandContext&) -> Json {
            Json list = Json::array();
            for (const auto& property : resolve(*m, args["path"].get<std::string>()).list_properties()) {
                list.push_back({{"name", property.name}, {"type", property.type}});
            }
            return list;
        },
    });
    schema.add_command({
        .name = "qom-get",
        .arguments = {{"path", "str"}, {"property", "str"}},
        .returns = "any",
        .doc = "Reads a QOM property.",
        .handler = [m](const Json& args, CommandContext&) -> Json {
            qom::Object& object = resolve(*m, args["path"].get<std::string>());
            return Json::parse(object.get_property(args["property"].get<std::string>()).dump());
        },
    });
    schema.add_command({
        .name = "qom-set",
        .arguments = {{"path", "str"}, {"property", "str"}, {"value", "any"}},
        .doc = "Writes a QOM property.",
        .handler = [m](const Json& args, CommandContext&) -> Json {
            qom::Object& object = resolve(*m, args["path"].get<std::string>());
            object.set_property(args["property"].get<std::string>(), to_plain(args["value"]));
            return Json::object();
        },
    });

    schema.add_command({
        .name = "qom-list-types",
        .arguments = {{"implements", "str", kOptional}, {"abstract", "bool", kOptional}},
        .returns = "[any]",
        .doc = "Lists the QOM types (those implementing a type, abstract ones too if asked).",
        .handler = [](const Json& args, CommandContext&) -> Json {
            qom::link_object_types();
            std::string implements = args.value("implements", std::string(qom::kTypeObject));
            Json list = Json::array();
            for (const qom::Type* type : qom::TypeRegistry::instance().list(implements, args.value("abstract", false))) {
                Json info = {{"name", type->name()}};
                if (type->is_abstract()) info["abstract"] = true;
                if (type->parent()) info["parent"] = type->parent()->name();
                list.push_back(std::move(info));
            }
            return list;
        },
    });
    schema.add_command({
        .name = "qom-list-properties",
        .arguments = {{"typename", "str"}},
        .returns = "[ObjectPropertyInfo]",
        .doc = "Lists the properties of a QOM type.",
        .handler = [](const Json& args, CommandContext&) -> Json {
            qom::link_object_types();
            std::string name = args["typename"].get<std::string>();
            const qom::Type* type = qom::find_type(name);
            if (!type) throw QmpError(ErrorClass::kDeviceNotFound, fmt::format("Class '{}' not found", name));
            return type_property_infos(*type, false);
        },
    });
    schema.add_command({
        .name = "device-list-properties",
        .arguments = {{"typename", "str"}},
        .returns = "[ObjectPropertyInfo]",
        .doc = "Lists the properties a device type takes (-device TYPE,help).",
        .handler = [](const Json& args, CommandContext&) -> Json {
            qom::link_object_types();
            std::string name = args["typename"].get<std::string>();
            const qom::Type* type = qom::TypeRegistry::instance().find(name, /*with_alias=*/true);
            if (!type) throw QmpError(ErrorClass::kDeviceNotFound, fmt::format("Device '{}' not found", name));
            if (type->is_abstract() || !type->is_a(qom::kTypeDevice))
                throw QmpError("Parameter 'typename' expects a non-abstract device type");
            // The Object and DeviceState basics are left out, and QEMU lists
            // the rest newest first.
            Json list = Json::array();
            for (const Json& info : type_property_infos(*type, true)) {
                std::string property = info["name"].get<std::string>();
                if (property == "type" || property == "realized" || property == "hotpluggable" ||
                    property == "hotplugged" || property == "parent_bus" || property.starts_with("legacy-"))
                    continue;
                list.insert(list.begin(), info);
            }
            return list;
        },
    });

    HmpTable& hmp = hub.hmp();
    hmp.add_command({"device_add", "driver[,prop=value][,...]", "add device, like -device on the command line",
                     {{"device", HmpArgKind::kRestOfLine}},
                     [m](const Json& args, HmpContext& ctx) {
                         cli::Opts opts = cli::parse_opts(args["device"].get<std::string>(), "driver");
                         std::string driver = opts.get_or("driver", "");
                         if (driver == "help" || driver == "?") {
                             ctx.print_text(qom::device_list_help());
                             return;
                         }
                         if (opts.wants_help()) {
                             ctx.print_text(qom::device_properties_help(driver));
                             return;
                         }
                         qom::DeviceOptions options;
                         if (!opts.id().empty()) options.emplace_back("id", opts.id());
                         for (const cli::KeyValue& entry : opts.entries()) options.emplace_back(entry.key, entry.value);
                         qom::device_add(*m, options);
                     }});
    hmp.add_command({"device_del", "device", "remove device", {{"id", HmpArgKind::kString}},
                     [](const Json& args, HmpContext& ctx) {
                         ctx.hub.execute("device_del", {{"id", args["id"]}}, ctx.monitor);
                     }});
    hmp.add_command({"qom-list", "path", "list QOM properties", {{"path", HmpArgKind::kString, kOptional}},
                     [m](const Json& args, HmpContext& ctx) {
                         if (!args.contains("path")) {
                             ctx.print("/\n");
                             return;
                         }
                         Json list = ctx.hub.execute("qom-list", {{"path", args["path"]}}, ctx.monitor);
                         for (const Json& entry : list) {
                             ctx.print("{} ({})\n", entry["name"].get<std::string>(), entry["type"].get<std::string>());
                         }
                         (void)m;
                     }});
    hmp.add_command({"qom-get", "path property", "print QOM property",
                     {{"path", HmpArgKind::kString}, {"property", HmpArgKind::kString}},
                     [](const Json& args, HmpContext& ctx) {
                         Json value = ctx.hub.execute("qom-get", {{"path", args["path"]}, {"property", args["property"]}},
                                                      ctx.monitor);
                         ctx.print("{}\n", to_qmp_text(value, true));
                     }});
    hmp.add_command({"qom-set", "path property value", "set QOM property",
                     {{"path", HmpArgKind::kString}, {"property", HmpArgKind::kString},
                      {"value", HmpArgKind::kRestOfLine}},
                     [m](const Json& args, HmpContext&) {
                         // HMP gives text, parsed the way -device parses it.
                         resolve(*m, args["path"].get<std::string>())
                             .parse_property(args["property"].get<std::string>(), args["value"].get<std::string>());
                     }});
    // User-creatable objects (-object, object-add): /objects/<id>.
    CommandDef object_add{
        .name = "object-add",
        .arguments = {{"qom-type", "str"}, {"id", "str"}},
        .doc = "Creates a user-creatable QOM object; further arguments are its properties.",
        .handler = [m](const Json& args, CommandContext&) -> Json {
            nlohmann::json properties = to_plain(args);
            std::string type = properties["qom-type"].get<std::string>();
            std::string id = properties["id"].get<std::string>();
            properties.erase("qom-type");
            properties.erase("id");
            try {
                auto object = qom::user_creatable_new(type, id, {}, &properties, qom::ObjectSource::kMonitor);
                qom::user_creatable_add(*m, id, std::move(object));
            } catch (const Error& e) {
                throw QmpError(e.what());
            }
            return Json::object();
        },
    };
    object_add.extra_arguments = true;
    schema.add_command(std::move(object_add));
    schema.add_command({
        .name = "object-del",
        .arguments = {{"id", "str"}},
        .doc = "Deletes a user-creatable QOM object.",
        .handler = [m](const Json& args, CommandContext&) -> Json {
            try {
                qom::user_creatable_del(*m, args["id"].get<std::string>());
            } catch (const Error& e) {
                throw QmpError(e.what());
            }
            return Json::object();
        },
    });
    hmp.add_command({"object_add", "[qom-type=]type,id=str[,prop=value][,...]", "create QOM object",
                     {{"object", HmpArgKind::kRestOfLine}},
                     [m](const Json& args, HmpContext& ctx) {
                         // HMP gives text, parsed as -object's, with QMP's wording of errors.
                         cli::Opts opts = cli::parse_opts(args["object"].get<std::string>(), "qom-type");
                         // Help as -object's, except that QEMU lists the types for
                         // one it does not know rather than refusing it.
                         std::string type = opts.get_or("qom-type", "");
                         if (type == "help" || type == "?" || (opts.wants_help() && !qom::find_type(type))) {
                             ctx.print_text(qom::object_list_help());
                             return;
                         }
                         if (opts.wants_help()) {
                             ctx.print_text(qom::object_properties_help(type));
                             return;
                         }
                         std::vector<qom::ObjectProperty> properties;
                         for (const cli::KeyValue& entry : opts.entries()) {
                             if (entry.key != "qom-type") properties.push_back({entry.key, entry.value});
                         }
                         auto object = qom::user_creatable_new(opts.get_or("qom-type", ""), opts.id(), properties,
                                                               nullptr, qom::ObjectSource::kMonitor);
                         qom::user_creatable_add(*m, opts.id(), std::move(object));
                     }});
    hmp.add_command({"object_del", "id", "destroy QOM object", {{"id", HmpArgKind::kString}},
                     [](const Json& args, HmpContext& ctx) {
                         ctx.hub.execute("object-del", {{"id", args["id"]}}, ctx.monitor);
                     }});

    hmp.add_info({"qtree", "", "show device tree", {},
                  [m](const Json&, HmpContext& ctx) { ctx.print_text(qom::format_qtree(m->sysbus())); }});
}

}  // namespace mimic::monitor
