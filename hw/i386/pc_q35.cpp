// The "q35" machine (pc-q35-7.2): the Q35 host bridge (MCH, 00.0) with
// its PCI Express root bus pcie.0 and MMCONFIG, the ICH9 LPC bridge (1f.0,
// owning the ISA bus, with PIRQA-H wired to IOAPIC inputs 16-23), AHCI
// (1f.2, its ports the -drive if=ide disks) and SMBus (1f.3) controllers,
// and the std VGA at 00.1, where QEMU puts them.
#include "mimic/hw/ich9.h"
#include "mimic/hw/ide.h"
#include "mimic/hw/q35.h"
#include "mimic/hw/vga.h"
#include "pc.h"

namespace mimic::hw {
namespace {

// RAM below the hole: all of it up to 2.75 GiB, else 2 GiB (QEMU's q35,
// leaving MMCONFIG at 0xB0000000 and the PCI window above it free).
constexpr uint64_t kMaxLowRam = 0xb0000000;
constexpr uint64_t kLowRamLarge = 0x80000000;

class PcQ35Machine : public PcMachine {
protected:
    uint64_t ram_below_4g_size(uint64_t ram_size) const override {
        return ram_size >= kMaxLowRam ? kLowRamLarge : ram_size;
    }

    void create_chipset(const cli::VmConfig&) override {
        place_host_bridge(qom::new_object<PcPciHost>(kTypeQ35Host), "q35");  // /machine/q35, as in QEMU
        add_pci_device(kTypeMch, 0x00);
        lpc_ = &static_cast<Ich9Lpc&>(add_pci_device(kTypeIch9Lpc, kIch9LpcDevfn));
        set_isa_bus(&lpc_->isa_bus());
    }

    // One unit per bus: -hda, -hdb, -cdrom (index 0, 1, 2) are AHCI ports
    // 0, 1 and 2, as QEMU's q35 numbers them.
    int ide_units_per_bus() const override { return 1; }
    void attach_ide_drives(system::DriveSet& drives) override { attach_ahci_drives(*sata_, drives); }

    // The AHCI controller (1f.2) is always there, as on QEMU's q35.
    void create_pci_devices(const cli::VmConfig& config) override {
        if (wants_std_vga(config)) add_pci_device(kTypeVga, 0x08);
        sata_ = &add_pci_device(kTypeIch9Ahci, kIch9SataDevfn);
        add_pci_device(kTypeIch9Smbus, kIch9SmbusDevfn);
    }

    void install_acpi(FwCfg& fw_cfg, unsigned cpus) override {
        install_pc_acpi(fw_cfg, [this, cpus] {
            PcAcpiConfig acpi;
            describe_board_for_acpi(acpi, cpus);
            acpi.chipset = PcAcpiConfig::Chipset::kQ35;
            acpi.pm_io_base = lpc_->pm_io_base();
            acpi.sci_irq = static_cast<uint16_t>(lpc_->sci_gsi());
            auto& q35 = static_cast<Q35Host&>(host());
            acpi.mmconfig_base = q35.mmconfig_base();
            acpi.mmconfig_size = q35.mmconfig_size();
            acpi.intel_iommu = find_intel_iommu(*this);
            return acpi;
        });
    }

private:
    Ich9Lpc* lpc_ = nullptr;
    qom::Device* sata_ = nullptr;
};

MIMIC_REGISTER_TYPE({
    .name = "pc-q35-7.2-machine",
    .parent = kTypeX86Machine,
    .factory = qom::factory_of<PcQ35Machine>(),
    .description = "Standard PC (Q35 + ICH9, 2009)",
    .properties = pc_machine_properties(),
    .alias = "q35",
});

}  // namespace
}  // namespace mimic::hw
