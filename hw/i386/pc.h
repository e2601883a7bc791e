// What QEMU's PC machines share, whichever chipset they model: RAM below
// and above the 4 GiB hole, the BIOS at the top of the 32-bit address space
// with its last 128 KiB mirrored below 1 MiB, the CPUs and their APICs,
// the ISA board devices, the HPET, fw_cfg with the boot order, and ACPI.
// A chipset (pc_piix.cpp, pc_q35.cpp) supplies the host bridge and south
// bridge, its built-in PCI functions, its RAM split and its ACPI tables.
#pragma once

#include <array>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "acpi_build.h"
#include "mimic/hw/fw_cfg.h"
#include "mimic/hw/machine.h"
#include "mimic/hw/pc_pci_host.h"
#include "mimic/hw/pci.h"
#include "mimic/qom/property.h"

namespace mimic::x86 {
class InterruptController;
}

namespace mimic::hw {

class ApicBus;

class PcMachine : public Machine, public FirmwareSource {
public:
    void init(const cli::VmConfig& config, const system::FirmwarePath& firmware) override;
    void load_kernel(const cli::VmConfig& config) override;
    const system::FirmwarePath& firmware_path() const override { return firmware_; }
    void unplug_request(qom::Device& device) override;

    // Properties every PC machine has (public for the type registrations).
    qom::OnOffAuto acpi_ = qom::OnOffAuto::kAuto;  // -machine acpi=on|off|auto, -no-acpi
    bool hpet_ = true;                             // -machine hpet=on|off
    qom::OnOffAuto pit_ = qom::OnOffAuto::kAuto;   // -machine pit=on|off|auto

protected:
    // How much of `ram_size` goes below the 4 GiB hole.
    virtual uint64_t ram_below_4g_size(uint64_t ram_size) const = 0;
    // Host bridge, its PCI function and the south bridge that owns the ISA
    // bus (set_isa_bus); after RAM and CPUs, before the ISA devices.
    virtual void create_chipset(const cli::VmConfig& config) = 0;
    // Built-in PCI functions that need the ISA devices (legacy IRQs).
    virtual void create_pci_devices(const cli::VmConfig& config) = 0;
    // The chipset's ACPI tables into fw_cfg (when ACPI is on).
    virtual void install_acpi(FwCfg& fw_cfg, unsigned cpus) = 0;
    // IOAPIC inputs the board wires: 24 on both chipsets, of which the
    // i440FX drives the ISA ones only.
    static constexpr int kGsiCount = 24;

    bool acpi_enabled() const { return acpi_ != qom::OnOffAuto::kOff; }
    // Adds the ISA-, HPET- and PCI-derived parts of the ACPI description.
    void describe_board_for_acpi(PcAcpiConfig& acpi, unsigned cpus) const;
    static bool has_device_of_type(const qom::Object& object, std::string_view type);
    // -vga std (the default unless -nodefaults or a -device names one).
    static bool wants_std_vga(const cli::VmConfig& config);

    PcPciHost& place_host_bridge(std::unique_ptr<PcPciHost> host, const char* name);
    qom::Device& add_pci_device(const char* type, int devfn);
    PcPciHost& host() const { return *host_; }
    memory::MemoryRegion& ram() const { return *ram_; }
    uint64_t ram_below_4g() const { return ram_below_4g_->size(); }
    uint64_t ram_above_4g() const { return ram_above_4g_ ? ram_above_4g_->size() : 0; }
    // Drives IOAPIC input `gsi` (and the 8259 for ISA ones).
    void drive_gsi(int gsi, bool level);

private:
    void update_boot_order();
    void create_isa_devices(const cli::VmConfig& config);
    void create_apics(const cli::VmConfig& config);
    void create_hpet_device();
    qom::Device& add_isa_device(const char* type, const std::function<void(qom::Object&)>& configure = {});
    void map_ram(uint64_t size);
    void load_bios(const std::string& name, const system::FirmwarePath& firmware);
    std::function<void(const std::string&)> restore_boot_order(const cli::VmConfig& config);

    std::unique_ptr<memory::MemoryRegion> ram_below_4g_, ram_above_4g_, bios_, isa_bios_;
    memory::MemoryRegion* ram_ = nullptr;
    PcPciHost* host_ = nullptr;
    FwCfg* fw_cfg_ = nullptr;
    std::string kernel_boot_path_;
    bool boot_strict_ = false;
    system::FirmwarePath firmware_;
    x86::InterruptController* pic_ = nullptr;
    ApicBus* apic_bus_ = nullptr;
    std::shared_ptr<IrqInputs> ioapic_, pic_inputs_;
    std::array<bool, kGsiCount> gsi_levels_{};
    bool hpet_legacy_ = false;
    bool intr_ = false;
};

// The -machine properties every PC machine type has.
std::vector<qom::Property> pc_machine_properties();

}  // namespace mimic::hw
