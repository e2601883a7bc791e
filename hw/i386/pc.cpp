// What QEMU's PC machines share (see pc.h).
#include "pc.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <vector>

#include "direct_boot.h"
#include "mimic/hw/apic.h"
#include "mimic/hw/boot_device.h"
#include "mimic/hw/hpet.h"
#include "mimic/hw/i8259.h"
#include "mimic/hw/ioapic.h"
#include "mimic/hw/isa.h"
#include "mimic/hw/mc146818rtc.h"
#include "mimic/hw/vga.h"
#include "mimic/hw/x86_cpu.h"
#include "mimic/memory/transaction.h"
#include "mimic/util/error.h"
#include "mimic/util/load_file.h"

namespace mimic::hw {
namespace {

constexpr uint64_t k4GiB = 1ull << 32;
constexpr uint64_t kIsaBiosMaxSize = 128 * 1024;
constexpr uint64_t kMaxBiosSize = 16 * 1024 * 1024;

}  // namespace

std::vector<qom::Property> pc_machine_properties() {
    return {
        qom::prop::on_off_auto("acpi", &PcMachine::acpi_, qom::OnOffAuto::kAuto, "Enable ACPI"),
        qom::prop::boolean("hpet", &PcMachine::hpet_, true, "Enable the HPET"),
        qom::prop::on_off_auto("pit", &PcMachine::pit_, qom::OnOffAuto::kAuto, "Enable i8254 PIT"),
    };
}

void PcMachine::init(const cli::VmConfig& config, const system::FirmwarePath& firmware) {
    memory::Transaction transaction;
    firmware_ = firmware;
    // First, as in QEMU: the CPUs are /machine/unattached/device[0..].
    create_x86_cpus(*this, cpu_model(), config.smp);
    map_ram(config.ram_size);
    create_chipset(config);
    load_bios(config.bios.value_or("bios.bin"), firmware);
    create_isa_devices(config);
    create_hpet_device();
    create_pci_devices(config);
    fw_cfg_ = &create_pc_fw_cfg(*this, config, ram_below_4g(), ram_above_4g(), restore_boot_order(config));
    if (acpi_enabled()) install_acpi(*fw_cfg_, config.smp.cpus);
    // "bootorder" from the devices' bootindex, as QEMU rebuilds it at
    // every reset (device_add may have brought new boot devices).
    boot_strict_ = config.boot.opts.get_bool("strict").value_or(false);
    fw_cfg_->before_first_access([this] { update_boot_order(); });
    fw_cfg_->on_reset([this] { update_boot_order(); });
}

void PcMachine::load_kernel(const cli::VmConfig& config) {
    kernel_boot_path_ = load_direct_boot(*fw_cfg_, config, DirectBootMemory{.ram_below_4g = ram_below_4g()}, firmware_);
}

void PcMachine::update_boot_order() {
    std::vector<std::pair<int32_t, std::string>> extra;
    if (!kernel_boot_path_.empty()) extra.emplace_back(0, kernel_boot_path_);
    std::vector<uint8_t> file = boot_order_file(*this, std::move(extra), boot_strict_);
    // An empty list adds no file; once there is one, it follows the list.
    if (!file.empty() || fw_cfg_->has_file("bootorder")) fw_cfg_->add_file("bootorder", std::move(file));
}

// QEMU's PC machines answer for the CPUs (their only bus-less devices)
// through ACPI, which has no CPU hot-unplug in its default legacy mode.
void PcMachine::unplug_request(qom::Device& device) {
    if (auto* cpu = dynamic_cast<X86CpuDevice*>(&device)) {
        if (cpu->index() == 0) throw Error("Boot CPU is unpluggable");
        throw Error("acpi: device unplug request for not supported device type: {}", device.type_name());
    }
    Machine::unplug_request(device);
}

// What the ACPI tables describe, read when they are built: by then
// -device and -serial devices exist and firmware has programmed the PM
// function's I/O base.
void PcMachine::describe_board_for_acpi(PcAcpiConfig& acpi, unsigned cpus) const {
    acpi.cpus = cpus;
    acpi.ram_below_4g = ram_below_4g();
    acpi.ram_above_4g = ram_above_4g();
    acpi.i8042 = acpi.rtc = false;
    for (qom::Device* device : isa_bus()->devices()) {
        const std::string& type = device->type_name();
        if (type == "i8042") acpi.i8042 = true;
        if (type == "mc146818rtc") acpi.rtc = true;
        if (type == "isa-serial") {
            acpi.serial_ports.push_back({static_cast<unsigned>(device->get_property("index").get<uint32_t>()),
                                         static_cast<uint16_t>(device->get_property("iobase").get<uint32_t>()),
                                         static_cast<uint8_t>(device->get_property("irq").get<uint32_t>())});
        }
    }
    std::sort(acpi.serial_ports.begin(), acpi.serial_ports.end(),
              [](const auto& a, const auto& b) { return a.index < b.index; });
    for (qom::Device* device : host_->bus().devices()) {
        auto* function = dynamic_cast<PciDevice*>(device);
        if (!function) continue;
        PcAcpiConfig::PciFunction described{static_cast<uint8_t>(function->devfn()),
                                            function->get_word(pci_config::kClassDevice) == 0x0300,
                                            function->type().hotpluggable()};
        acpi.pci_functions.push_back(described);
        if (function->function() == 0) acpi.pci_devices.push_back(described);
    }
    for (auto* list : {&acpi.pci_devices, &acpi.pci_functions})
        std::sort(list->begin(), list->end(), [](const auto& a, const auto& b) { return a.devfn < b.devfn; });
    acpi.hpet = has_device_of_type(*this, "hpet");
    acpi.pci_hotplug = host_->bus().hotpluggable();
}

bool PcMachine::has_device_of_type(const qom::Object& object, std::string_view type) {
    for (qom::Object* child : object.children()) {
        if (child->is_a(type) || has_device_of_type(*child, type)) return true;
    }
    return false;
}

// As QEMU: no default display card with -nodefaults or when -device
// names one itself.
bool PcMachine::wants_std_vga(const cli::VmConfig& config) {
    if (config.vga) return *config.vga == "std";
    if (config.nodefaults) return false;
    for (const cli::OptionUse& device : config.devices) {
        if (device.opts.get_or("driver", "") == kTypeVga) return false;
    }
    return true;
}

// -boot once=: at the first reset the CMOS boot bytes go back to
// order= (fw_cfg's boot device item follows by itself).
std::function<void(const std::string&)> PcMachine::restore_boot_order(const cli::VmConfig& config) {
    if (!config.boot.opts.has("once")) return {};
    auto normal = std::make_shared<cli::VmConfig>(config);
    normal->boot.opts.remove("once");
    return [this, normal](const std::string&) {
        for (qom::Device* device : isa_bus()->devices()) {
            if (auto* cmos = dynamic_cast<CmosMemory*>(device)) {
                fill_pc_cmos(*cmos, *normal, ram_below_4g(), ram_above_4g());
            }
        }
    };
}

PcPciHost& PcMachine::place_host_bridge(std::unique_ptr<PcPciHost> host, const char* name) {
    host->set_ram(*ram_);
    host->set_parent_bus(sysbus());
    host_ = &add_child(name, std::move(host));
    host_->realize();
    return *host_;
}

qom::Device& PcMachine::add_pci_device(const char* type, int devfn) {
    auto device = qom::new_object<qom::Device>(type);
    device->set_property("addr", devfn);
    device->set_parent_bus(host_->bus());
    auto& placed = static_cast<qom::Device&>(add_unattached(std::move(device)));
    placed.realize();
    return placed;
}

// The ISA board devices every PC has, at their fixed ports and IRQs.
void PcMachine::create_isa_devices(const cli::VmConfig& config) {
    pic_ = &create_i8259_pair(*this, [this](bool level) {
        intr_ = level;
        if (apic_bus_) apic_bus_->set_pic_intr(level);
    });
    create_apics(config);
    // -machine pit=off leaves out the PIT and the speaker it drives, as QEMU.
    if (pit_ != qom::OnOffAuto::kOff) {
        add_isa_device("isa-pit");
        add_isa_device("isa-pcspk");
    }
    add_isa_device("port92");
    add_isa_device("i8042");
    auto& rtc = add_isa_device("mc146818rtc", [&](qom::Object& device) {
        if (!config.rtc.location.empty()) dynamic_cast<CmosMemory&>(device).configure(config.rtc);
    });
    fill_pc_cmos(dynamic_cast<CmosMemory&>(rtc), config, ram_below_4g(), ram_above_4g());
}

// A local APIC per vCPU, and the IOAPIC. ISA IRQs reach both the 8259
// and the IOAPIC (IRQ0 at input 2, as QEMU and the MADT have it); the
// chipset drives the IOAPIC inputs above them (Q35's PIRQs) through gsi().
void PcMachine::create_apics(const cli::VmConfig& config) {
    apic_bus_ = &create_apic_bus(*this, static_cast<int>(config.smp.cpus));
    apic_bus_->set_pic_intr(intr_);
    ioapic_ = create_ioapic(*this, *host_);
    pic_inputs_ = isa_irq_inputs();
    connect_isa_irqs(std::make_shared<IrqInputs>("isa-irq", kGsiCount, [this](int gsi, bool level) {
        gsi_levels_[static_cast<size_t>(gsi)] = level;
        // HPET legacy replacement owns IRQ0 and IRQ8.
        if (hpet_legacy_ && (gsi == 0 || gsi == 8)) return;
        drive_gsi(gsi, level);
    }));
}

void PcMachine::drive_gsi(int gsi, bool level) {
    if (gsi < kIsaIrqCount && pic_inputs_) pic_inputs_->deliver(gsi, level);
    if (ioapic_) ioapic_->deliver(gsi == 0 ? 2 : gsi, level);
}

// The HPET, as QEMU 7.2's PC machines have it unless -machine hpet=off.
void PcMachine::create_hpet_device() {
    if (!hpet_) return;
    HpetWiring wiring;
    wiring.irq = [this](int gsi, bool level) { drive_gsi(gsi, level); };
    wiring.legacy_mode = [this](bool on) {
        hpet_legacy_ = on;
        for (int irq : {0, 8}) drive_gsi(irq, on ? false : gsi_levels_[static_cast<size_t>(irq)]);
    };
    create_hpet(*this, std::move(wiring));
}

qom::Device& PcMachine::add_isa_device(const char* type, const std::function<void(qom::Object&)>& configure) {
    auto device = qom::new_object<qom::Device>(type);
    if (configure) configure(*device);
    device->set_parent_bus(*isa_bus());
    auto& placed = static_cast<qom::Device&>(add_unattached(std::move(device)));
    placed.realize();
    return placed;
}

void PcMachine::map_ram(uint64_t size) {
    memory::MemoryRegion& ram = allocate_ram(size);
    ram_ = &ram;
    uint64_t below = ram_below_4g_size(size);
    uint64_t above = size - below;
    ram_below_4g_ = memory::MemoryRegion::make_alias("ram-below-4g", ram, 0, below);
    system_memory().add_subregion(0, *ram_below_4g_);
    if (above) {
        ram_above_4g_ = memory::MemoryRegion::make_alias("ram-above-4g", ram, below, above);
        system_memory().add_subregion(k4GiB, *ram_above_4g_);
    }
}

void PcMachine::load_bios(const std::string& name, const system::FirmwarePath& firmware) {
    auto path = firmware.find(name);
    if (!path) throw Error("could not load PC BIOS '{}'", name);
    // As QEMU: the image must fill whole 64 KiB blocks, and fit below 4 GiB
    // above the 16 MiB the ISA era needs. QEMU has one message for all.
    std::vector<uint8_t> image;
    try {
        image = load_file_bounded(*path, kMaxBiosSize);
    } catch (const FileLoadError&) {
        throw Error("could not load PC BIOS '{}'", name);
    }
    if (image.empty() || image.size() % 65536 != 0) throw Error("could not load PC BIOS '{}'", name);
    uint64_t size = image.size();
    bios_ = memory::MemoryRegion::make_rom("pc.bios", size);
    std::copy(image.begin(), image.end(), bios_->host());
    // The flash sits on the PCI side of the host bridge: PAM decides
    // whether the low copy or shadow RAM answers below 1 MiB.
    host_->pci_memory().add_subregion(k4GiB - size, *bios_);
    add_rom_image({.name = path->substr(path->rfind('/') + 1), .address = k4GiB - size, .size = size});

    // The real-mode reset vector and the 0xE0000-0xFFFFF BIOS area see
    // the image's last 128 KiB.
    uint64_t isa_size = std::min(size, kIsaBiosMaxSize);
    isa_bios_ = memory::MemoryRegion::make_alias("isa-bios", *bios_, size - isa_size, isa_size);
    isa_bios_->set_readonly(true);
    host_->pci_memory().add_subregion(0x100000 - isa_size, *isa_bios_, 1);
}

}  // namespace mimic::hw
