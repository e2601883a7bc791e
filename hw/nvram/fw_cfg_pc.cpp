// The pc board's fw_cfg contents (see create_pc_fw_cfg in fw_cfg.h).
#include <array>
#include <memory>

#include "../smbios/smbios.h"
#include "mimic/hw/fw_cfg.h"
#include "mimic/hw/machine.h"
#include "mimic/util/error.h"
#include "mimic/util/uuid.h"
#include "mimic/x86/cpu_models.h"

namespace mimic::hw {

namespace {

constexpr uint32_t kE820Ram = 1, kE820Reserved = 2;
constexpr size_t kLegacyE820Entries = 16;

void put_le(std::vector<uint8_t>& out, uint64_t value, int bytes) {
    for (int i = 0; i < bytes; ++i) out.push_back(static_cast<uint8_t>(value >> (8 * i)));
}


// QEMU's pc SMBIOS: machine-type defaults, -smbios fields, -smp topology
// and the RAM layout.
SmbiosFiles pc_smbios(const cli::VmConfig& config, uint64_t ram_below_4g, uint64_t ram_above_4g) {
    SmbiosConfig smbios;
    for (const cli::OptionUse& use : config.smbios) {
        auto& fields = use.opts.get_or("type", "0") == "0" ? smbios.type0 : smbios.type1;
        for (const cli::KeyValue& entry : use.opts.entries()) {
            if (entry.key != "type") fields[entry.key] = entry.value;
        }
    }
    if (auto uefi = smbios.type0.find("uefi"); uefi != smbios.type0.end()) {
        const std::string& value = uefi->second;
        uefi->second = value == "on" || value == "yes" || value == "true" ? "on" : "off";
    }
    smbios.uuid = config.uuid;
    smbios.sockets = config.smp.sockets;
    smbios.cores = config.smp.cores;
    smbios.threads = config.smp.threads;
    smbios.ram_size = ram_below_4g + ram_above_4g;
    smbios.ram_ranges.push_back({0, ram_below_4g});
    if (ram_above_4g) smbios.ram_ranges.push_back({1ull << 32, ram_above_4g});
    // As QEMU: CPUID leaf 1 EAX and EDX of the -cpu model.
    const x86::CpuModel* model = config.cpu_model ? x86::find_cpu_model(*config.cpu_model) : nullptr;
    if (!model) model = &x86::default_cpu_model();
    smbios.processor_id = uint64_t{model->features.f1_edx} << 32 | model->version;
    return build_smbios(smbios);
}

}  // namespace

FwCfg& create_pc_fw_cfg(Machine& machine, const cli::VmConfig& config, uint64_t ram_below_4g,
                        uint64_t ram_above_4g, std::function<void(const std::string& order)> set_boot_order) {
    auto created = qom::new_object<FwCfg>(kTypeFwCfgIo);
    created->set_parent_bus(machine.sysbus());
    // Where QEMU's pc machine puts it.
    auto& fw_cfg = machine.add_child("fw_cfg", std::move(created));
    namespace key = fw_cfg_key;

    const std::array<uint8_t, 16> uuid = uuid_bytes(config.uuid);
    fw_cfg.add_bytes(key::kUuid, std::vector<uint8_t>(uuid.begin(), uuid.end()));
    fw_cfg.add_i64(key::kRamSize, ram_below_4g + ram_above_4g);
    fw_cfg.add_i16(key::kNographic, config.nographic ? 1 : 0);
    fw_cfg.add_i16(key::kNbCpus, static_cast<uint16_t>(config.smp.cpus));
    fw_cfg.add_i16(key::kMaxCpus, static_cast<uint16_t>(config.smp.max_cpus));
    fw_cfg.add_i16(key::kMachineId, 0);

    // NUMA: a node count (0), then the node of every possible APIC ID, then
    // each node's memory; without -numa that is all zeros.
    std::vector<uint8_t> numa((1 + config.smp.max_cpus) * 8, 0);
    fw_cfg.add_bytes(key::kNuma, std::move(numa));

    // Reserved ranges come first, as QEMU adds them before RAM; they also go
    // in the legacy table (a count, then address, length, type).
    std::vector<uint8_t> legacy;
    put_le(legacy, std::min<size_t>(machine.e820_reservations().size(), kLegacyE820Entries), 4);
    std::vector<uint8_t> e820;
    for (const Machine::Reservation& range : machine.e820_reservations()) {
        for (std::vector<uint8_t>* table : {&legacy, &e820}) {
            if (table == &legacy && legacy.size() >= 4 + kLegacyE820Entries * 20) continue;
            put_le(*table, range.address, 8);
            put_le(*table, range.length, 8);
            put_le(*table, kE820Reserved, 4);
        }
    }
    legacy.resize(4 + kLegacyE820Entries * 20, 0);
    fw_cfg.add_bytes(key::kE820Table, std::move(legacy));
    fw_cfg.add_i32(key::kIrq0Override, 1);

    // Then RAM: SeaBIOS adds its own reservations (itself, the EBDA, ACPI).
    put_le(e820, 0, 8);
    put_le(e820, ram_below_4g, 8);
    put_le(e820, kE820Ram, 4);
    if (ram_above_4g) {
        put_le(e820, 1ull << 32, 8);
        put_le(e820, ram_above_4g, 8);
        put_le(e820, kE820Ram, 4);
    }
    fw_cfg.add_file("etc/e820", std::move(e820));

    // -boot: the boot device letter (the order itself reaches SeaBIOS through
    // the CMOS, as with QEMU), the menu and its wait.
    const cli::Opts& boot = config.boot.opts;
    std::string order = boot.get_or("order", "cad");
    std::string once = boot.get_or("once", "");
    const std::string& first = once.empty() ? order : once;
    fw_cfg.add_i16(key::kBootDevice, first.empty() ? 0 : static_cast<uint16_t>(first[0]));
    std::string menu = boot.get_or("menu", "off");
    bool menu_on = menu == "on" || menu == "yes" || menu == "true";
    fw_cfg.add_i16(key::kBootMenu, menu_on ? 1 : 0);
    if (auto splash = boot.get("splash-time")) {
        uint64_t ms = std::stoull(*splash);
        fw_cfg.add_file("etc/boot-menu-wait", {static_cast<uint8_t>(ms), static_cast<uint8_t>(ms >> 8)});
    }
    // How long SeaBIOS waits to reboot when nothing boots: QEMU always says,
    // and -1 (never) unless -boot reboot-timeout= gives milliseconds.
    uint64_t fail_wait = UINT64_MAX;
    if (auto timeout = boot.get("reboot-timeout")) {
        fail_wait = std::stoull(*timeout);
        if (fail_wait > 0xffff && fail_wait != UINT64_MAX)
            throw Error("reboot timeout is invalid,it should be a value between -1 and 65535");
    }
    std::vector<uint8_t> wait;
    put_le(wait, fail_wait & 0xffffffff, 4);
    fw_cfg.add_file("etc/boot-fail-wait", std::move(wait));

    // With -nographic SeaBIOS mirrors its text screen to COM1, so the user
    // sees the banner and boot menu on the console.
    if (config.nographic) fw_cfg.add_file("etc/sercon-port", {0xf8, 0x03});

    SmbiosFiles smbios = pc_smbios(config, ram_below_4g, ram_above_4g);
    fw_cfg.add_file(kSmbiosAnchorFile, std::move(smbios.anchor));
    fw_cfg.add_file(kSmbiosTablesFile, std::move(smbios.tables));

    if (!once.empty()) {
        // -boot once= lasts for the first boot only: the next reset brings
        // back order= (QEMU's restore_boot_order; the machine has no reset
        // before the first boot, so the first reset seen is a reboot).
        auto pending = std::make_shared<bool>(true);
        fw_cfg.on_reset([&fw_cfg, pending, order, set_boot_order] {
            if (!*pending) return;
            *pending = false;
            fw_cfg.add_i16(key::kBootDevice, order.empty() ? 0 : static_cast<uint16_t>(order[0]));
            if (set_boot_order) set_boot_order(order);
        });
    }
    fw_cfg.realize();
    return fw_cfg;
}

}  // namespace mimic::hw
