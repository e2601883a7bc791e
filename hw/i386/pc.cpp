// The "pc" machine (pc-i440fx-7.2): RAM below and above the 4 GiB hole, the
// BIOS at the top of the 32-bit address space with its last 128 KiB mirrored
// below 1 MiB, and the ISA bus. The chipset and platform devices join here
// as they are modelled.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <functional>
#include <string_view>
#include <vector>

#include "acpi_build.h"
#include "direct_boot.h"
#include "mimic/hw/boot_device.h"
#include "mimic/hw/apic.h"
#include "mimic/hw/fw_cfg.h"
#include "mimic/hw/hpet.h"
#include "mimic/hw/i440fx.h"
#include "mimic/hw/i8259.h"
#include "mimic/hw/ide.h"
#include "mimic/hw/ioapic.h"
#include "mimic/hw/isa.h"
#include "mimic/hw/machine.h"
#include "mimic/hw/mc146818rtc.h"
#include "mimic/hw/piix.h"
#include "mimic/hw/vga.h"
#include "mimic/hw/x86_cpu.h"
#include "mimic/memory/transaction.h"
#include "mimic/qom/property.h"
#include "mimic/util/error.h"
#include "mimic/util/load_file.h"

namespace mimic::hw {
namespace {

constexpr uint64_t k4GiB = 1ull << 32;
// Largest RAM below the hole that keeps PCI/firmware space free (QEMU's
// i440FX layout with gigabyte alignment: 3 GiB once RAM reaches 3.5 GiB).
constexpr uint64_t kMaxLowRamSmall = 0xe0000000;
constexpr uint64_t kLowRamLarge = 0xc0000000;
constexpr uint64_t kIsaBiosMaxSize = 128 * 1024;
constexpr uint64_t kMaxBiosSize = 16 * 1024 * 1024;

class PcMachine : public Machine, public FirmwareSource {
public:
    void init(const cli::VmConfig& config, const system::FirmwarePath& firmware) override {
        memory::Transaction transaction;
        firmware_ = firmware;
        // First, as in QEMU: the CPUs are /machine/unattached/device[0..].
        create_x86_cpus(*this, cpu_model(), config.smp);
        map_ram(config.ram_size);
        create_chipset();
        load_bios(config.bios.value_or("bios.bin"), firmware);
        create_isa_devices(config);
        create_hpet_device();
        create_pci_devices(config);
        fw_cfg_ = &create_pc_fw_cfg(*this, config, ram_below_4g_->size(),
                                    ram_above_4g_ ? ram_above_4g_->size() : 0, restore_boot_order(config));
        if (acpi_enabled())
            install_pc_acpi(*fw_cfg_, [this, cpus = config.smp.cpus] { return describe_for_acpi(cpus); });
        // "bootorder" from the devices' bootindex, as QEMU rebuilds it at
        // every reset (device_add may have brought new boot devices).
        boot_strict_ = config.boot.opts.get_bool("strict").value_or(false);
        fw_cfg_->before_first_access([this] { update_boot_order(); });
        fw_cfg_->on_reset([this] { update_boot_order(); });
    }

    void load_kernel(const cli::VmConfig& config) override {
        kernel_boot_path_ =
            load_direct_boot(*fw_cfg_, config, DirectBootMemory{.ram_below_4g = ram_below_4g_->size()}, firmware_);
    }

    void update_boot_order() {
        std::vector<std::pair<int32_t, std::string>> extra;
        if (!kernel_boot_path_.empty()) extra.emplace_back(0, kernel_boot_path_);
        std::vector<uint8_t> file = boot_order_file(*this, std::move(extra), boot_strict_);
        // An empty list adds no file; once there is one, it follows the list.
        if (!file.empty() || fw_cfg_->has_file("bootorder")) fw_cfg_->add_file("bootorder", std::move(file));
    }

    const system::FirmwarePath& firmware_path() const override { return firmware_; }

    // QEMU's pc answers for the CPUs (its only bus-less devices) through
    // PIIX4's ACPI, which has no CPU hot-unplug in its default legacy mode.
    void unplug_request(qom::Device& device) override {
        if (auto* cpu = dynamic_cast<X86CpuDevice*>(&device)) {
            if (cpu->index() == 0) throw Error("Boot CPU is unpluggable");
            throw Error("acpi: device unplug request for not supported device type: {}", device.type_name());
        }
        Machine::unplug_request(device);
    }

    // The PIC's INT output; the CPU model connects to it when it exists.
    x86::InterruptController* interrupt_controller() const { return pic_; }

private:
    // i440FX host bridge (00.0) and PIIX3 (01.0), which owns the ISA bus,
    // at the addresses QEMU gives them (firmware and guests' ACPI tables
    // expect them there).
    void create_chipset() {
        auto host = qom::new_object<I440fxHost>(kTypeI440fxHost);
        host->set_ram(*ram_);
        host->set_parent_bus(sysbus());
        host_ = &add_child("i440fx", std::move(host));  // /machine/i440fx, as in QEMU
        host_->realize();
        add_pci_device(kTypeI440fx, 0x00);
        auto& piix3 = static_cast<Piix3&>(add_pci_device(kTypePiix3, 0x08));
        set_isa_bus(&piix3.isa_bus());
        // Without ACPI QEMU's pc has no PM function either, and so no
        // power button and no PCI hotplug.
        if (acpi_enabled()) pm_ = &dynamic_cast<PciDevice&>(add_pci_device(kTypePiix4Pm, 0x0b));
    }

    bool acpi_enabled() const { return acpi_ != qom::OnOffAuto::kOff; }

    // What the ACPI tables describe, read when they are built: by then
    // -device and -serial devices exist and firmware has programmed the PM
    // function's I/O base.
    PcAcpiConfig describe_for_acpi(unsigned cpus) const {
        PcAcpiConfig acpi;
        acpi.cpus = cpus;
        acpi.ram_below_4g = ram_below_4g_->size();
        acpi.ram_above_4g = ram_above_4g_ ? ram_above_4g_->size() : 0;
        constexpr uint8_t kPmba = 0x40, kPmRegMisc = 0x80;
        if (pm_->get_byte(kPmRegMisc) & 1) acpi.pm_io_base = static_cast<uint16_t>(pm_->get_long(kPmba) & 0xffc0);
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
            if (!function || function->function() != 0) continue;
            acpi.pci_devices.push_back({static_cast<uint8_t>(function->devfn()),
                                        function->get_word(pci_config::kClassDevice) == 0x0300,
                                        function->type().hotpluggable()});
        }
        std::sort(acpi.pci_devices.begin(), acpi.pci_devices.end(),
                  [](const auto& a, const auto& b) { return a.devfn < b.devfn; });
        acpi.hpet = has_device_of_type(*this, "hpet");
        acpi.pci_hotplug = host_->bus().hotpluggable();
        return acpi;
    }

    static bool has_device_of_type(const qom::Object& object, std::string_view type) {
        for (qom::Object* child : object.children()) {
            if (child->is_a(type) || has_device_of_type(*child, type)) return true;
        }
        return false;
    }

    // After the ISA devices: the IDE function's legacy interrupts are ISA
    // IRQs 14/15, which need the PIC connected.
    void create_pci_devices(const cli::VmConfig& config) {
        // PIIX IDE (01.1); the runtime attaches the -drive if=ide drives.
        add_pci_device(kTypePiix3Ide, 0x09);
        // -vga std (the default) at 02.0, where QEMU puts it.
        if (config.vga ? *config.vga == "std" : wants_default_vga(config)) add_pci_device(kTypeVga, 0x10);
    }

    // As QEMU: no default display card with -nodefaults or when -device
    // names one itself.
    static bool wants_default_vga(const cli::VmConfig& config) {
        if (config.nodefaults) return false;
        for (const cli::OptionUse& device : config.devices) {
            if (device.opts.get_or("driver", "") == kTypeVga) return false;
        }
        return true;
    }

    // -boot once=: at the first reset the CMOS boot bytes go back to
    // order= (fw_cfg's boot device item follows by itself).
    std::function<void(const std::string&)> restore_boot_order(const cli::VmConfig& config) {
        if (!config.boot.opts.has("once")) return {};
        auto normal = std::make_shared<cli::VmConfig>(config);
        normal->boot.opts.remove("once");
        return [this, normal](const std::string&) {
            for (qom::Device* device : isa_bus()->devices()) {
                if (auto* cmos = dynamic_cast<CmosMemory*>(device)) {
                    fill_pc_cmos(*cmos, *normal, ram_below_4g_->size(), ram_above_4g_ ? ram_above_4g_->size() : 0);
                }
            }
        };
    }

    qom::Device& add_pci_device(const char* type, int devfn) {
        auto device = qom::new_object<qom::Device>(type);
        device->set_property("addr", devfn);
        device->set_parent_bus(host_->bus());
        auto& placed = static_cast<qom::Device&>(add_unattached(std::move(device)));
        placed.realize();
        return placed;
    }

    // The ISA board devices every PC has, at their fixed ports and IRQs.
    void create_isa_devices(const cli::VmConfig& config) {
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
        fill_pc_cmos(dynamic_cast<CmosMemory&>(rtc), config, ram_below_4g_->size(),
                     ram_above_4g_ ? ram_above_4g_->size() : 0);
    }

    // A local APIC per vCPU, and the IOAPIC. ISA IRQs reach both the 8259
    // and the IOAPIC (IRQ0 at input 2, as QEMU and the MADT have it); PCI
    // interrupts follow, as the PIIX3 routes PIRQs onto ISA IRQs (i440FX has
    // no direct PIRQ-to-GSI 16..23 wiring; that is the Q35 chipset's).
    void create_apics(const cli::VmConfig& config) {
        apic_bus_ = &create_apic_bus(*this, static_cast<int>(config.smp.cpus));
        apic_bus_->set_pic_intr(intr_);
        ioapic_ = create_ioapic(*this, *host_);
        pic_inputs_ = isa_irq_inputs();
        connect_isa_irqs(std::make_shared<IrqInputs>("isa-irq", kIsaIrqCount, [this](int irq, bool level) {
            isa_levels_[static_cast<size_t>(irq)] = level;
            // HPET legacy replacement owns IRQ0 and IRQ8.
            if (hpet_legacy_ && (irq == 0 || irq == 8)) return;
            drive_gsi(irq, level);
        }));
    }

    void drive_gsi(int gsi, bool level) {
        if (gsi < kIsaIrqCount && pic_inputs_) pic_inputs_->deliver(gsi, level);
        if (ioapic_) ioapic_->deliver(gsi == 0 ? 2 : gsi, level);
    }

    // The HPET, as QEMU 7.2's pc has it unless -machine hpet=off.
    void create_hpet_device() {
        if (!hpet_) return;
        HpetWiring wiring;
        wiring.irq = [this](int gsi, bool level) { drive_gsi(gsi, level); };
        wiring.legacy_mode = [this](bool on) {
            hpet_legacy_ = on;
            for (int irq : {0, 8}) drive_gsi(irq, on ? false : isa_levels_[static_cast<size_t>(irq)]);
        };
        create_hpet(*this, std::move(wiring));
    }

    qom::Device& add_isa_device(const char* type,
                                const std::function<void(qom::Object&)>& configure = {}) {
        auto device = qom::new_object<qom::Device>(type);
        if (configure) configure(*device);
        device->set_parent_bus(*isa_bus());
        auto& placed = static_cast<qom::Device&>(add_unattached(std::move(device)));
        placed.realize();
        return placed;
    }

    void map_ram(uint64_t size) {
        memory::MemoryRegion& ram = allocate_ram(size);
        ram_ = &ram;
        uint64_t below = size >= kMaxLowRamSmall ? kLowRamLarge : size;
        uint64_t above = size - below;
        ram_below_4g_ = memory::MemoryRegion::make_alias("ram-below-4g", ram, 0, below);
        system_memory().add_subregion(0, *ram_below_4g_);
        if (above) {
            ram_above_4g_ = memory::MemoryRegion::make_alias("ram-above-4g", ram, below, above);
            system_memory().add_subregion(k4GiB, *ram_above_4g_);
        }
    }

    void load_bios(const std::string& name, const system::FirmwarePath& firmware) {
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

    std::unique_ptr<memory::MemoryRegion> ram_below_4g_, ram_above_4g_, bios_, isa_bios_;
    memory::MemoryRegion* ram_ = nullptr;
    I440fxHost* host_ = nullptr;
    FwCfg* fw_cfg_ = nullptr;
    std::string kernel_boot_path_;
    bool boot_strict_ = false;
    PciDevice* pm_ = nullptr;
    system::FirmwarePath firmware_;
    x86::InterruptController* pic_ = nullptr;
    ApicBus* apic_bus_ = nullptr;
    std::shared_ptr<IrqInputs> ioapic_, pic_inputs_;
    std::array<bool, kIsaIrqCount> isa_levels_{};
    bool hpet_legacy_ = false;
    bool intr_ = false;

public:
    qom::OnOffAuto acpi_ = qom::OnOffAuto::kAuto;  // -machine acpi=on|off|auto, -no-acpi
    bool hpet_ = true;   // -machine hpet=on|off
    qom::OnOffAuto pit_ = qom::OnOffAuto::kAuto;   // -machine pit=on|off|auto
};

MIMIC_REGISTER_TYPE({
    .name = "pc-i440fx-7.2-machine",
    .parent = kTypeX86Machine,
    .factory = qom::factory_of<PcMachine>(),
    .description = "Standard PC (i440FX + PIIX, 1996)",
    .properties = {
        qom::prop::on_off_auto("acpi", &PcMachine::acpi_, qom::OnOffAuto::kAuto, "Enable ACPI"),
        qom::prop::boolean("hpet", &PcMachine::hpet_, true, "Enable the HPET"),
        qom::prop::on_off_auto("pit", &PcMachine::pit_, qom::OnOffAuto::kAuto, "Enable i8254 PIT"),
    },
    .alias = "pc",
});

}  // namespace
}  // namespace mimic::hw
