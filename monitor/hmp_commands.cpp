// HMP's top-level commands (everything but `info`, x/xp and memsave).
#include "builtins.h"
#include "mimic/monitor/monitor_hub.h"
#include "mimic/monitor/qmp_error.h"
#include "mimic/util/log.h"

#include <string>

namespace mimic::monitor {

namespace {

// An HMP command that forwards to the QMP command of the same meaning.
HmpHandler forward(std::string qmp_command) {
    return [qmp_command](const Json&, HmpContext& ctx) { ctx.hub.execute(qmp_command, Json::object(), ctx.monitor); };
}

// A command whose subsystem is not there yet: parsed leniently, and it says so.
HmpCommandDef not_yet(std::string names, std::string params, std::string help) {
    std::string name = names.substr(0, names.find('|'));
    return {std::move(names), std::move(params), std::move(help),
            {{"args", HmpArgKind::kRestOfLine, kOptional}},
            [name](const Json&, HmpContext&) { throw_not_supported(name); }};
}

void print_value(HmpContext& ctx, char format, uint64_t value) {
    switch (format) {
        case 'o': ctx.print("{:#o}\n", value); break;
        case 'x': ctx.print("{:#x}\n", value); break;
        case 'u': ctx.print("{}\n", value); break;
        case 'c': {
            uint64_t c = value & 0xff;
            if (c == '\'') ctx.print("'\\''\n");
            else if (c == '\\') ctx.print("'\\\\'\n");
            else if (c == '\n') ctx.print("'\\n'\n");
            else if (c == '\r') ctx.print("'\\r'\n");
            else if (c >= 32 && c <= 126) ctx.print("'{}'\n", static_cast<char>(c));
            else ctx.print("'\\x{:02x}'\n", c);
            break;
        }
        default: ctx.print("{}\n", static_cast<int64_t>(value)); break;
    }
}

}  // namespace

void register_hmp_commands(MonitorHub& hub) {
    HmpTable& hmp = hub.hmp();

    hmp.add_command({"help|?", "[cmd]", "show the help", {{"name", HmpArgKind::kRestOfLine, kOptional}},
                     [](const Json& args, HmpContext& ctx) {
                         ctx.print_text(ctx.hub.hmp().help_text(args.value("name", std::string())));
                     }});
    // The parser dispatches `info NAME` to the info table itself; this entry
    // is what help lists and what completes.
    hmp.add_command({"info", "[subcommand]", "show various information about the system state", {},
                     [](const Json&, HmpContext& ctx) { ctx.print_text(ctx.hub.hmp().info_help_text()); }});

    hmp.add_command({"stop", "", "stop emulation", {}, forward("stop")});
    hmp.add_command({"c|cont", "", "resume emulation", {}, forward("cont")});
    hmp.add_command({"system_reset", "", "reset the system", {}, forward("system_reset")});
    hmp.add_command({"system_powerdown", "", "send system power down event", {}, forward("system_powerdown")});
    hmp.add_command({"q|quit", "", "quit the emulator", {}, forward("quit")});

    hmp.add_command({"print|p", "/fmt expr", "print expression value (use $reg for CPU register access)",
                     {{"fmt", HmpArgKind::kFormat}, {"val", HmpArgKind::kInteger}},
                     [](const Json& args, HmpContext& ctx) {
                         print_value(ctx, args["fmt"]["format"].get<std::string>()[0], args["val"].get<uint64_t>());
                     }});

    hmp.add_command({"cpu", "index", "set the default CPU", {{"index", HmpArgKind::kInteger}},
                     [](const Json& args, HmpContext& ctx) {
                         auto index = static_cast<int64_t>(args["index"].get<uint64_t>());
                         CpuProvider* cpu = ctx.hub.providers().cpu;
                         if (!cpu || index < 0 || index >= cpu->cpu_count()) {
                             ctx.print("invalid CPU index\n");
                             return;
                         }
                         ctx.session.cpu = static_cast<int>(index);
                     }});

    hmp.add_command({"log", "item1[,...]", "activate logging of the specified items",
                     {{"items", HmpArgKind::kString}},
                     [](const Json& args, HmpContext& ctx) {
                         std::string items = args["items"].get<std::string>();
                         uint32_t mask = 0;
                         if (items != "none") {
                             try {
                                 mask = log::parse_items(items);
                             } catch (const Error& e) {
                                 ctx.print("{}\n", e.what());
                                 return;
                             }
                         }
                         log::set_mask(mask);
                     }});
    hmp.add_command({"logfile", "filename", "output logs to 'filename'", {{"filename", HmpArgKind::kString}},
                     [](const Json& args, HmpContext& ctx) {
                         try {
                             log::set_file(args["filename"].get<std::string>());
                         } catch (const Error& e) {
                             ctx.print("{}\n", e.what());
                         }
                     }});

    // Commands of subsystems still to come; each will replace its entry.
    hmp.add_command(not_yet("sendkey", "keys [hold_ms]", "send keys to the VM (e.g. 'sendkey ctrl-alt-f1', default hold time=100 ms)"));
    hmp.add_command(not_yet("change", "device [filename] [format [read-only-mode]]", "change a removable medium, optional format"));
    hmp.add_command(not_yet("eject", "[-f] device", "eject a removable medium (use -f to force it)"));
    hmp.add_command(not_yet("screendump", "filename [-f format] [device [head]]", "save screen from head 'head' of display device 'device' in specified format 'format' as image 'filename'. Currently only 'png' and 'ppm' formats are supported."));
    hmp.add_command(not_yet("commit", "device|all", "commit changes to the disk images (if -snapshot is used) or backing files"));
    hmp.add_command(not_yet("drive_add", "[-n] [[<domain>:]<bus>:]<slot>\n[file=file][,if=type][,bus=n]\n[,unit=m][,media=d][,index=i]\n[,snapshot=on|off][,cache=on|off]\n[,readonly=on|off][,copy-on-read=on|off]", "add drive to PCI storage controller"));
    hmp.add_command(not_yet("drive_del", "device", "remove host block device"));
    hmp.add_command(not_yet("device_add", "driver[,prop=value][,...]", "add device, like -device on the command line"));
    hmp.add_command(not_yet("device_del", "device", "remove device"));
    hmp.add_command(not_yet("netdev_add", "[user|tap|socket|...],id=str[,prop=value][,...]", "add host network device"));
    hmp.add_command(not_yet("netdev_del", "id", "remove host network device"));
    hmp.add_command(not_yet("set_link", "name on|off", "change the link status of a network adapter"));
}

}  // namespace mimic::monitor
