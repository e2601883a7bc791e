// HMP's `info` subcommands: QMP queries formatted in QEMU's text layout.
#include "builtins.h"
#include "mimic/monitor/monitor_hub.h"
#include "mimic/monitor/qmp_error.h"

#include <string>

namespace mimic::monitor {

namespace {

HmpCommandDef not_yet(std::string name, std::string params, std::string help) {
    return {name, std::move(params), std::move(help), {{"args", HmpArgKind::kRestOfLine, kOptional}},
            [name](const Json&, HmpContext&) { throw_not_supported("info " + name); }};
}

bool flag(const Json& json, const char* key) { return json.contains(key) && json[key].is_boolean() && json[key].get<bool>(); }

std::string str(const Json& json, const char* key) {
    return json.contains(key) && json[key].is_string() ? json[key].get<std::string>() : std::string();
}

// One drive of `info block`, from a QAPI BlockInfo.
void print_block_info(HmpContext& ctx, const Json& info) {
    const Json* inserted = info.contains("inserted") ? &info["inserted"] : nullptr;
    std::string device = str(info, "device");
    if (!device.empty()) {
        ctx.print_text(device);
        if (inserted && inserted->contains("node-name")) ctx.print(" ({})", str(*inserted, "node-name"));
    } else if (inserted && inserted->contains("node-name")) {
        ctx.print_text(str(*inserted, "node-name"));
    } else {
        ctx.print_text(info.contains("qdev") ? str(info, "qdev") : "<anonymous>");
    }
    if (inserted) {
        ctx.print(": {} ({}{}{})\n", str(*inserted, "file"), str(*inserted, "drv"),
                  flag(*inserted, "ro") ? ", read-only" : "", flag(*inserted, "encrypted") ? ", encrypted" : "");
    } else {
        ctx.print(": [not inserted]\n");
    }
    if (info.contains("qdev")) ctx.print("    Attached to:      {}\n", str(info, "qdev"));
    if (info.contains("io-status") && str(info, "io-status") != "ok") {
        ctx.print("    I/O status:       {}\n", str(info, "io-status"));
    }
    if (flag(info, "removable")) {
        ctx.print("    Removable device: {}locked, tray {}\n", flag(info, "locked") ? "" : "not ",
                  flag(info, "tray_open") ? "open" : "closed");
    }
    if (!inserted) return;
    const Json cache = inserted->value("cache", Json::object());
    ctx.print("    Cache mode:       {}{}{}\n", flag(cache, "writeback") ? "writeback" : "writethrough",
              flag(cache, "direct") ? ", direct" : "", flag(cache, "no-flush") ? ", ignore flushes" : "");
    if (inserted->contains("backing_file")) {
        ctx.print("    Backing file:     {} (chain depth: {})\n", str(*inserted, "backing_file"),
                  inserted->value("backing_file_depth", 0));
    }
    std::string zeroes = str(*inserted, "detect_zeroes");
    if (!zeroes.empty() && zeroes != "off") ctx.print("    Detect zeroes:    {}\n", zeroes);
}

}  // namespace

void register_hmp_info_commands(MonitorHub& hub) {
    HmpTable& hmp = hub.hmp();

    hmp.add_info({"version", "", "show the version of Mimic (and the QEMU release it follows)", {},
                  [](const Json&, HmpContext& ctx) {
                      Json v = ctx.hub.execute("query-version", Json::object(), ctx.monitor);
                      ctx.print("{}.{}.{} ({})\n", v["qemu"]["major"].get<int>(), v["qemu"]["minor"].get<int>(),
                                v["qemu"]["micro"].get<int>(), v["package"].get<std::string>());
                  }});
    hmp.add_info({"status", "", "show the current VM status (running|paused)", {},
                  [](const Json&, HmpContext& ctx) {
                      Json s = ctx.hub.execute("query-status", Json::object(), ctx.monitor);
                      bool running = s["running"].get<bool>();
                      std::string status = s["status"].get<std::string>();
                      ctx.print("VM status: {}", running ? "running" : "paused");
                      if (!running && status != "paused") ctx.print(" ({})", status);
                      ctx.print("\n");
                  }});
    hmp.add_info({"name", "", "show the current VM name", {}, [](const Json&, HmpContext& ctx) {
                      Json n = ctx.hub.execute("query-name", Json::object(), ctx.monitor);
                      if (n.contains("name")) ctx.print("{}\n", n["name"].get<std::string>());
                  }});
    hmp.add_info({"uuid", "", "show the current VM UUID", {}, [](const Json&, HmpContext& ctx) {
                      ctx.print("{}\n", ctx.hub.execute("query-uuid", Json::object(), ctx.monitor)["UUID"]
                                            .get<std::string>());
                  }});
    hmp.add_info({"kvm", "", "show KVM information", {}, [](const Json&, HmpContext& ctx) {
                      Json k = ctx.hub.execute("query-kvm", Json::object(), ctx.monitor);
                      ctx.print("kvm support: ");
                      if (k["present"].get<bool>()) {
                          ctx.print("{}\n", k["enabled"].get<bool>() ? "enabled" : "disabled");
                      } else {
                          ctx.print("not compiled\n");
                      }
                  }});
    hmp.add_info({"history", "", "show the command line history", {}, [](const Json&, HmpContext& ctx) {
                      const std::vector<std::string>& history = ctx.session.history;
                      for (size_t i = 0; i < history.size(); ++i) ctx.print("{}: '{}'\n", i, history[i]);
                  }});
    hmp.add_info({"commands", "", "list QMP available commands", {}, [](const Json&, HmpContext& ctx) {
                      for (const CommandDef& command : ctx.hub.schema().commands()) ctx.print("{}\n", command.name);
                  }});
    hmp.add_info({"cpus", "", "show infos for each CPU", {}, [](const Json&, HmpContext& ctx) {
                      Json cpus = ctx.hub.execute("query-cpus-fast", Json::object(), ctx.monitor);
                      for (const Json& cpu : cpus) {
                          int index = cpu.value("cpu-index", 0);
                          ctx.print("{} CPU #{}: thread_id={}\n", index == ctx.session.cpu ? '*' : ' ', index,
                                    cpu.value("thread-id", int64_t{0}));
                      }
                  }});
    hmp.add_info({"registers", "[-a]", "show the cpu registers (-a: all - show register info for all cpus)",
                  {{"all", HmpArgKind::kFlag, kOptional, 'a'}},
                  [](const Json& args, HmpContext& ctx) {
                      CpuProvider& cpu = require(ctx.hub.providers().cpu, "info registers");
                      if (args["all"].get<bool>()) {
                          for (int i = 0; i < cpu.cpu_count(); ++i) {
                              ctx.print("\nCPU#{}\n", i);
                              ctx.print_text(cpu.registers_text(i));
                          }
                      } else {
                          // QEMU 7.2 names the CPU even when it shows just one.
                          ctx.print("\nCPU#{}\n", ctx.session.cpu);
                          ctx.print_text(cpu.registers_text(ctx.session.cpu));
                      }
                  }});
    hmp.add_info({"mtree", "[-f]", "show memory tree (-f: dump flat view for address spaces)",
                  {{"flatview", HmpArgKind::kFlag, kOptional, 'f'}},
                  [](const Json& args, HmpContext& ctx) {
                      ctx.print_text(require(ctx.hub.providers().memory, "info mtree")
                                         .mtree_text(args["flatview"].get<bool>()));
                  }});
    hmp.add_info({"qtree", "", "show device tree", {}, [](const Json&, HmpContext& ctx) {
                      ctx.print_text(require(ctx.hub.providers().machine, "info qtree").qtree_text());
                  }});
    hmp.add_info({"pci", "", "show PCI info", {}, [](const Json&, HmpContext& ctx) {
                      ctx.print_text(require(ctx.hub.providers().pci, "info pci").info_pci_text());
                  }});
    hmp.add_info({"block", "[-n] [-v] [device]", "show info of one block device or all block devices",
                  {{"nodes", HmpArgKind::kFlag, kOptional, 'n'},
                   {"verbose", HmpArgKind::kFlag, kOptional, 'v'},
                   {"device", HmpArgKind::kString, kOptional}},
                  [](const Json& args, HmpContext& ctx) {
                      Json list = ctx.hub.execute("query-block", Json::object(), ctx.monitor);
                      std::string device = args.value("device", std::string());
                      bool first = true;
                      for (const Json& info : list) {
                          if (!device.empty() && str(info, "device") != device) continue;
                          if (!first) ctx.print("\n");
                          first = false;
                          print_block_info(ctx, info);
                      }
                  }});
    hmp.add_info({"blockstats", "", "show block device statistics", {}, [](const Json&, HmpContext& ctx) {
                      Json list = ctx.hub.execute("query-blockstats", Json::object(), ctx.monitor);
                      for (const Json& entry : list) {
                          if (!entry.contains("device")) continue;
                          const Json stats = entry.value("stats", Json::object());
                          auto n = [&](const char* key) { return stats.value(key, int64_t{0}); };
                          ctx.print("{}: rd_bytes={} wr_bytes={} rd_operations={} wr_operations={} "
                                    "flush_operations={} wr_total_time_ns={} rd_total_time_ns={} "
                                    "flush_total_time_ns={} rd_merged={} wr_merged={} idle_time_ns={}\n",
                                    str(entry, "device"), n("rd_bytes"), n("wr_bytes"), n("rd_operations"),
                                    n("wr_operations"), n("flush_operations"), n("wr_total_time_ns"),
                                    n("rd_total_time_ns"), n("flush_total_time_ns"), n("rd_merged"), n("wr_merged"),
                                    n("idle_time_ns"));
                      }
                  }});
    hmp.add_info({"chardev", "", "show the character devices", {}, [](const Json&, HmpContext& ctx) {
                      Json list = ctx.hub.execute("query-chardev", Json::object(), ctx.monitor);
                      for (const Json& c : list) ctx.print("{}: filename={}\n", str(c, "label"), str(c, "filename"));
                  }});

    hmp.add_info(not_yet("network", "", "show the network state"));
    hmp.add_info(not_yet("usernet", "", "show user network stack connection states"));
    hmp.add_info(not_yet("mem", "", "show the active virtual memory mappings"));
    hmp.add_info(not_yet("tlb", "", "show virtual to physical memory mappings"));
    hmp.add_info(not_yet("pic", "", "show PIC state"));
    hmp.add_info(not_yet("irq", "", "show the interrupts statistics (if available)"));
    hmp.add_info(not_yet("roms", "", "show roms"));
    hmp.add_info(not_yet("snapshots", "", "show the currently saved VM snapshots"));
    hmp.add_info(not_yet("block-jobs", "", "show progress of ongoing block device operations"));
}

}  // namespace mimic::monitor
