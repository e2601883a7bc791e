// QMP commands about the monitor itself and the VM's run state.
#include "builtins.h"
#include "mimic/cli/option_parameters.h"
#include "mimic/monitor/monitor.h"
#include "mimic/monitor/monitor_hub.h"
#include "mimic/monitor/qmp_error.h"
#include "mimic/system/runstate.h"
#include "qmp_monitor.h"

namespace mimic::monitor {

namespace {

using system::RunState;

void declare_types(Schema& schema) {
    schema.add_object({"VersionTriple", {{"major", "int"}, {"minor", "int"}, {"micro", "int"}}});
    schema.add_object({"VersionInfo", {{"qemu", "VersionTriple"}, {"package", "str"}}});
    schema.add_enum({"RunState",
                     {"debug", "inmigrate", "internal-error", "io-error", "paused", "postmigrate", "prelaunch",
                      "finish-migrate", "restore-vm", "running", "save-vm", "shutdown", "suspended", "watchdog",
                      "guest-panicked", "colo"}});
    schema.add_object({"StatusInfo", {{"running", "bool"}, {"singlestep", "bool"}, {"status", "RunState"}}});
    schema.add_object({"NameInfo", {{"name", "str", kOptional}}});
    schema.add_object({"CommandInfo", {{"name", "str"}}});
    schema.add_object({"EventInfo", {{"name", "str"}}});
    schema.add_enum({"SchemaMetaType", {"builtin", "enum", "array", "object", "alternate", "command", "event"}});
    schema.add_object({"SchemaInfo", {{"name", "str"}, {"meta-type", "SchemaMetaType"}},
                       "Base members; the rest depend on meta-type as in QEMU's SchemaInfo union."});
    schema.add_enum({"QMPCapability", {"oob"}});
    schema.add_enum({"CommandLineParameterType", {"string", "boolean", "number", "size"}});
    schema.add_object({"CommandLineParameterInfo",
                       {{"name", "str"}, {"type", "CommandLineParameterType"}, {"help", "str", kOptional},
                        {"default", "str", kOptional}}});
    schema.add_object({"CommandLineOptionInfo", {{"option", "str"}, {"parameters", "[CommandLineParameterInfo]"}}});
}

// One option's entry of query-command-line-options. QEMU builds its lists
// by prepending, so parameters come last-declared first; clients that
// compare transcripts see the same order.
Json command_line_option_info(const cli::OptionParameters& option) {
    Json parameters = Json::array();
    for (auto it = option.parameters.rbegin(); it != option.parameters.rend(); ++it) {
        Json parameter = {{"name", it->name}};
        if (*it->help) parameter["help"] = it->help;
        parameter["type"] = cli::option_type_name(it->type);
        parameters.push_back(std::move(parameter));
    }
    return {{"parameters", std::move(parameters)}, {"option", option.option}};
}

bool needs_reset(RunState state) {
    return state == RunState::kInternalError || state == RunState::kShutdown || state == RunState::kGuestPanicked;
}

}  // namespace

void register_core_commands(MonitorHub& hub) {
    Schema& schema = hub.schema();
    declare_types(schema);

    schema.add_command({
        .name = "qmp_capabilities",
        .arguments = {{"enable", "[QMPCapability]", kOptional, "capabilities to enable ('oob')"}},
        .doc = "Leaves capabilities negotiation mode; every other command needs this first.",
        .handler = [](const Json& args, CommandContext& ctx) -> Json {
            auto* qmp = dynamic_cast<QmpMonitor*>(ctx.monitor);
            if (qmp && qmp->negotiated()) {
                throw QmpError(ErrorClass::kCommandNotFound,
                               "Capabilities negotiation is already complete, command ignored");
            }
            bool oob = false;
            if (args.contains("enable")) {
                for (const Json& capability : args["enable"]) oob |= capability == "oob";
            }
            if (qmp) qmp->complete_negotiation(oob);
            return Json::object();
        },
    });

    schema.add_command({
        .name = "query-version",
        .returns = "VersionInfo",
        .doc = "The QEMU interface version Mimic implements, and Mimic's own in 'package'.",
        .handler = [](const Json&, CommandContext&) -> Json {
            const VersionInfo& v = version_info();
            return {{"qemu", {{"micro", v.micro}, {"minor", v.minor}, {"major", v.major}}}, {"package", v.package}};
        },
    });

    schema.add_command({
        .name = "query-status",
        .returns = "StatusInfo",
        .doc = "Whether the VM is running, and its run state.",
        .handler = [](const Json&, CommandContext& ctx) -> Json {
            const system::RunControl& run = ctx.hub.run_control();
            return {{"status", to_string(run.state())}, {"singlestep", false}, {"running", run.running()}};
        },
    });

    schema.add_command({
        .name = "query-name",
        .returns = "NameInfo",
        .doc = "The VM's name as given by -name.",
        .handler = [](const Json&, CommandContext& ctx) -> Json {
            Json result = Json::object();
            if (ctx.hub.name()) result["name"] = *ctx.hub.name();
            return result;
        },
    });

    schema.add_command({
        .name = "query-commands",
        .returns = "[CommandInfo]",
        .doc = "Lists the QMP commands.",
        .handler = [](const Json&, CommandContext& ctx) -> Json {
            Json list = Json::array();
            for (const CommandDef& command : ctx.hub.schema().commands()) list.push_back({{"name", command.name}});
            return list;
        },
    });

    schema.add_command({
        .name = "query-events",
        .returns = "[EventInfo]",
        .doc = "Lists the QMP events (deprecated in QEMU in favour of query-qmp-schema).",
        .handler = [](const Json&, CommandContext& ctx) -> Json {
            Json list = Json::array();
            for (const EventDef& event : ctx.hub.schema().events()) list.push_back({{"name", event.name}});
            return list;
        },
    });

    schema.add_command({
        .name = "query-qmp-schema",
        .returns = "[SchemaInfo]",
        .doc = "The QMP schema, in QEMU's introspection format.",
        .handler = [](const Json&, CommandContext& ctx) -> Json { return ctx.hub.schema().introspect(); },
    });

    schema.add_command({
        .name = "stop",
        .doc = "Stops all guest CPUs.",
        .handler = [](const Json&, CommandContext& ctx) -> Json {
            ctx.hub.run_control().stop(RunState::kPaused);
            return Json::object();
        },
    });

    schema.add_command({
        .name = "cont",
        .doc = "Resumes guest execution (also after -S).",
        .handler = [](const Json&, CommandContext& ctx) -> Json {
            system::RunControl& run = ctx.hub.run_control();
            if (needs_reset(run.state())) throw QmpError("Resetting the Virtual Machine is required");
            if (run.state() == RunState::kSuspended) return Json::object();
            run.start();
            return Json::object();
        },
    });

    schema.add_command({
        .name = "system_reset",
        .doc = "Performs a hard reset of the VM.",
        .handler = [](const Json&, CommandContext& ctx) -> Json {
            ctx.hub.run_control().request_reset(system::ShutdownCause::kHostQmpSystemReset);
            return Json::object();
        },
    });

    schema.add_command({
        .name = "system_powerdown",
        .doc = "Presses the ACPI power button; the guest decides what to do.",
        .handler = [](const Json&, CommandContext& ctx) -> Json {
            ctx.hub.run_control().request_powerdown();
            return Json::object();
        },
    });

    schema.add_command({
        .name = "quit",
        .doc = "Exits the emulator; the reply is sent before the process ends.",
        .handler = [](const Json&, CommandContext& ctx) -> Json {
            ctx.hub.run_control().request_shutdown(system::ShutdownCause::kHostQmpQuit);
            return Json::object();
        },
    });

    schema.add_command({
        .name = "query-command-line-options",
        .arguments = {{"option", "str", kOptional, "only this option"}},
        .returns = "[CommandLineOptionInfo]",
        .doc = "The parameters of the command-line options that take key=value lists.",
        .handler = [](const Json& args, CommandContext&) -> Json {
            std::optional<std::string> wanted;
            if (args.contains("option")) wanted = args["option"].get<std::string>();
            Json list = Json::array();
            for (const cli::OptionParameters& option : cli::command_line_option_parameters()) {
                if (!wanted || *wanted == option.option) list.push_back(command_line_option_info(option));
            }
            if (wanted && list.empty()) throw QmpError("invalid option name: " + *wanted);
            return list;
        },
    });

    schema.add_command({
        .name = "human-monitor-command",
        .arguments = {{"command-line", "str", false, "the HMP command line"},
                      {"cpu-index", "int", kOptional, "the CPU HMP commands act on"}},
        .returns = "str",
        .doc = "Runs an HMP command and returns its output.",
        .handler = [](const Json& args, CommandContext& ctx) -> Json {
            int cpu = 0;
            if (args.contains("cpu-index")) {
                cpu = args["cpu-index"].get<int>();
                CpuProvider* cpus = ctx.hub.providers().cpu;
                if (cpu < 0 || (cpus && cpu >= cpus->cpu_count())) throw QmpError("Invalid CPU index");
            }
            // QEMU's monitor writes "\r\n" line ends into the returned text too.
            std::string text = ctx.hub.execute_hmp(args["command-line"].get<std::string>(), ctx.monitor, cpu);
            std::string converted;
            for (char c : text) {
                if (c == '\n') converted += '\r';
                converted += c;
            }
            return converted;
        },
    });
}

}  // namespace mimic::monitor
