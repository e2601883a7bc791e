// QMP commands answered by other subsystems through their providers, and
// declarations of commands whose subsystem does not exist yet.
#include "builtins.h"
#include "mimic/monitor/monitor_hub.h"
#include "mimic/monitor/qmp_error.h"

namespace mimic::monitor {

namespace {

void declare_types(Schema& schema) {
    schema.add_object({"KvmInfo", {{"enabled", "bool"}, {"present", "bool"}}});
    schema.add_object({"MachineInfo",
                       {{"name", "str"},
                        {"alias", "str", kOptional},
                        {"is-default", "bool", kOptional},
                        {"cpu-max", "int"},
                        {"hotpluggable-cpus", "bool"},
                        {"numa-mem-supported", "bool"},
                        {"deprecated", "bool"},
                        {"default-cpu-type", "str", kOptional},
                        {"default-ram-id", "str", kOptional}}});
    schema.add_object({"CpuDefinitionInfo",
                       {{"name", "str"},
                        {"migration-safe", "bool", kOptional},
                        {"static", "bool"},
                        {"typename", "str"},
                        {"unavailable-features", "[str]", kOptional},
                        {"alias-of", "str", kOptional},
                        {"deprecated", "bool"}}});
    schema.add_object({"ChardevInfo", {{"label", "str"}, {"filename", "str"}, {"frontend-open", "bool"}}});
    schema.add_object({"UuidInfo", {{"UUID", "str"}}});
}

// A command the monitor declares so clients see it in query-commands and get
// a clear error, until the owning subsystem replaces it with a real handler.
void placeholder(Schema& schema, std::string name, std::vector<Member> arguments, std::string doc,
                 TypeName returns = {}) {
    schema.add_command({.name = std::move(name),
                        .arguments = std::move(arguments),
                        .returns = std::move(returns),
                        .doc = std::move(doc)});
}

}  // namespace

void register_provider_commands(MonitorHub& hub) {
    Schema& schema = hub.schema();
    declare_types(schema);

    schema.add_command({
        .name = "query-kvm",
        .returns = "KvmInfo",
        .doc = "Whether KVM is available and in use.",
        .handler = [](const Json&, CommandContext& ctx) -> Json {
            KvmInfo info = require(ctx.hub.providers().accel, "query-kvm").kvm();
            return {{"enabled", info.enabled}, {"present", info.present}};
        },
    });

    schema.add_command({
        .name = "query-machines",
        .returns = "[MachineInfo]",
        .doc = "The machine types -machine accepts.",
        .handler = [](const Json&, CommandContext& ctx) -> Json {
            Json list = Json::array();
            for (const MachineInfo& m : require(ctx.hub.providers().machine, "query-machines").machines()) {
                Json entry = {{"name", m.name}};
                if (m.alias) entry["alias"] = *m.alias;
                if (m.is_default) entry["is-default"] = true;
                entry["cpu-max"] = m.cpu_max;
                entry["hotpluggable-cpus"] = m.hotpluggable_cpus;
                entry["numa-mem-supported"] = m.numa_mem_supported;
                entry["deprecated"] = m.deprecated;
                if (m.default_cpu_type) entry["default-cpu-type"] = *m.default_cpu_type;
                if (m.default_ram_id) entry["default-ram-id"] = *m.default_ram_id;
                list.push_back(std::move(entry));
            }
            return list;
        },
    });

    schema.add_command({
        .name = "query-cpu-definitions",
        .returns = "[CpuDefinitionInfo]",
        .doc = "The CPU models -cpu accepts.",
        .handler = [](const Json&, CommandContext& ctx) -> Json {
            Json list = Json::array();
            for (const CpuDefinition& d : require(ctx.hub.providers().cpu, "query-cpu-definitions").cpu_definitions()) {
                Json def = {{"name", d.name},
                            {"typename", d.type_name},
                            {"unavailable-features", d.unavailable_features},
                            {"migration-safe", d.migration_safe},
                            {"static", d.is_static},
                            {"deprecated", d.deprecated}};
                if (!d.alias_of.empty()) def["alias-of"] = d.alias_of;
                list.push_back(std::move(def));
            }
            return list;
        },
    });

    schema.add_command({
        .name = "query-cpus-fast",
        .returns = "[any]",
        .doc = "The guest CPUs, without interrupting them.",
        .handler = [](const Json&, CommandContext& ctx) -> Json {
            return require(ctx.hub.providers().cpu, "query-cpus-fast").query_cpus_fast();
        },
    });

    schema.add_command({
        .name = "query-block",
        .returns = "[any]",
        .doc = "The block devices (drives) and their media.",
        .handler = [](const Json&, CommandContext& ctx) -> Json {
            return require(ctx.hub.providers().block, "query-block").query_block();
        },
    });

    schema.add_command({
        .name = "query-blockstats",
        .arguments = {{"query-nodes", "bool", kOptional}},
        .returns = "[any]",
        .doc = "I/O statistics of the block devices.",
        .handler = [](const Json&, CommandContext& ctx) -> Json {
            return require(ctx.hub.providers().block, "query-blockstats").query_blockstats();
        },
    });

    schema.add_command({
        .name = "query-chardev",
        .returns = "[ChardevInfo]",
        .doc = "The character devices.",
        .handler = [](const Json&, CommandContext& ctx) -> Json {
            Json list = Json::array();
            for (const ChardevInfo& c : require(ctx.hub.providers().chardev, "query-chardev").chardevs()) {
                list.push_back({{"frontend-open", c.frontend_open}, {"filename", c.filename}, {"label", c.label}});
            }
            return list;
        },
    });

    schema.add_command({
        .name = "query-pci",
        .returns = "[any]",
        .doc = "The PCI buses and devices.",
        .handler = [](const Json&, CommandContext& ctx) -> Json {
            return require(ctx.hub.providers().pci, "query-pci").query_pci();
        },
    });

    schema.add_command({
        .name = "query-uuid",
        .returns = "UuidInfo",
        .doc = "The VM's UUID (-uuid); all zeroes when none was given.",
        .handler = [](const Json&, CommandContext& ctx) -> Json {
            return {{"UUID", ctx.hub.uuid().value_or("00000000-0000-0000-0000-000000000000")}};
        },
    });

    // Declared now with QEMU's arguments; their subsystems add the handlers.
    placeholder(schema, "eject", {{"device", "str", kOptional}, {"id", "str", kOptional}, {"force", "bool", kOptional}},
                "Ejects the medium of a removable drive.");
    placeholder(schema, "blockdev-change-medium",
                {{"device", "str", kOptional}, {"id", "str", kOptional}, {"filename", "str"},
                 {"format", "str", kOptional}, {"force", "bool", kOptional}, {"read-only-mode", "str", kOptional}},
                "Changes the medium of a removable drive.");
    schema.add_enum({"ImageFormat", {"ppm", "png"}});
    placeholder(schema, "screendump",
                {{"filename", "str"}, {"device", "str", kOptional}, {"head", "int", kOptional},
                 {"format", "ImageFormat", kOptional}},
                "Writes the screen to a PPM or PNG file.");
    placeholder(schema, "device_add", {{"driver", "str"}, {"bus", "str", kOptional}, {"id", "str", kOptional}},
                "Hot-plugs a device; further arguments are its properties.");
    placeholder(schema, "device_del", {{"id", "str"}}, "Hot-unplugs a device.");
    placeholder(schema, "object-add", {{"qom-type", "str"}, {"id", "str"}}, "Creates a QOM object.");
    placeholder(schema, "object-del", {{"id", "str"}}, "Deletes a QOM object.");
    placeholder(schema, "qom-list", {{"path", "str"}}, "Lists the properties of a QOM object.", "[any]");
    placeholder(schema, "qom-get", {{"path", "str"}, {"property", "str"}}, "Reads a QOM property.", "any");
    placeholder(schema, "qom-set", {{"path", "str"}, {"property", "str"}, {"value", "any"}}, "Writes a QOM property.");
    placeholder(schema, "netdev_add", {{"type", "str"}, {"id", "str"}},
                "Adds a network back end; further arguments are its options.");
    placeholder(schema, "netdev_del", {{"id", "str"}}, "Removes a network back end.");
    // device_add, object-add and netdev_add take arbitrary further properties.
    for (const char* name : {"device_add", "object-add", "netdev_add"}) {
        CommandDef def = *schema.find_command(name);
        def.extra_arguments = true;
        schema.add_command(std::move(def));
    }
}

}  // namespace mimic::monitor
