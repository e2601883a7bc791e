// Everything the command line asked for, before anything is built.
//
// The parser (command_line.h) only records and validates syntax; the machine
// and its devices are built from this afterwards. Each repeated option keeps
// the text the user typed, so a later error can name it as QEMU does
// ("mimic-system-x86_64: -device e1000,bogus=1: Property 'e1000.bogus' not found").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mimic/cli/opts.h"
#include "mimic/cli/smp_config.h"
#include "mimic/util/log.h"

namespace mimic::cli {

// One use of an option on the command line.
struct OptionUse {
    std::string location;  // "-device e1000,bogus=1", for error messages
    Opts opts;
};

struct VmConfig {
    // Machine and accelerator.
    OptionUse machine;              // -machine / -M (merged); type defaults to "pc"
    std::optional<std::string> cpu_model;  // -cpu, unset for the machine's default
    std::vector<OptionUse> accels;  // -accel / -enable-kvm, tried in order
    bool overcommit_mem_lock = false;   // -overcommit mem-lock=on: mlockall()
    bool overcommit_cpu_pm = false;     // -overcommit cpu-pm=on: HLT/MWAIT/PAUSE stay in the guest (KVM)
    uint64_t ram_size = 128ull << 20;
    std::optional<OptionUse> memory_option;
    std::string memory_size;        // -m size=, as typed; empty: the default
    SmpConfig smp;
    std::string name;
    std::string uuid;
    std::vector<OptionUse> smbios;  // -smbios type=0|1,field=value...
    bool nodefaults = false;
    std::vector<OptionUse> globals;

    // Storage, devices and networks.
    std::vector<OptionUse> drives;  // -drive, -hda.., -cdrom, -fda.., bare image
    bool snapshot = false;
    std::vector<OptionUse> devices;
    std::vector<OptionUse> objects;  // -object qom-type,id=..., in order
    std::vector<OptionUse> netdevs;
    std::vector<OptionUse> nets;  // legacy -net
    std::vector<OptionUse> nics;

    // Boot and firmware.
    OptionUse boot;
    std::string kernel, initrd, append;
    std::optional<std::string> bios;
    std::vector<std::string> firmware_dirs;  // -L, searched in order
    std::string loadvm;
    OptionUse rtc;

    // Display.
    bool nographic = false;
    std::optional<OptionUse> display;
    std::optional<std::string> vga;
    std::optional<std::string> vnc;
    std::string vnc_location;       // "-vnc ARG" or "-display vnc=ARG", for errors
    std::string keyboard_layout;    // -k

    // Character devices and monitors.
    std::vector<OptionUse> chardevs;
    std::vector<OptionUse> serials;   // -serial DEV (legacy strings in opts "spec")
    std::vector<OptionUse> monitors;  // -monitor DEV
    std::vector<OptionUse> qmps;      // -qmp / -qmp-pretty DEV
    std::vector<OptionUse> mons;      // -mon chardev=ID,mode=...
    std::vector<OptionUse> debugcons;

    // Process.
    std::string pidfile;
    bool daemonize = false;
    bool no_reboot = false;
    bool no_shutdown = false;
    bool start_paused = false;

    // Debugging.
    std::optional<std::string> gdb;
    uint32_t log_mask = 0;
    std::string log_file;
    std::vector<log::AddressRange> log_filter;  // -dfilter
    std::optional<std::string> qtest;
    std::string qtest_log;

    // Security.
    std::vector<OptionUse> sandboxes;  // -sandbox on|off[,...], each a filter of its own
};

}  // namespace mimic::cli
