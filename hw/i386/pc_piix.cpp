// The "pc" machine (pc-i440fx-7.2): the i440FX host bridge (00.0), the
// PIIX3 south bridge (01.0, owning the ISA bus) with its IDE (01.1) and
// PIIX4 power-management (01.3) functions, and the std VGA at 02.0.
#include "pc.h"

#include "mimic/hw/i440fx.h"
#include "mimic/hw/ide.h"
#include "mimic/hw/piix.h"
#include "mimic/hw/vga.h"

namespace mimic::hw {
namespace {

// Largest RAM below the hole that keeps PCI/firmware space free (QEMU's
// i440FX layout with gigabyte alignment: 3 GiB once RAM reaches 3.5 GiB).
constexpr uint64_t kMaxLowRamSmall = 0xe0000000;
constexpr uint64_t kLowRamLarge = 0xc0000000;

class PcI440fxMachine : public PcMachine {
protected:
    uint64_t ram_below_4g_size(uint64_t ram_size) const override {
        return ram_size >= kMaxLowRamSmall ? kLowRamLarge : ram_size;
    }

    // At the addresses QEMU gives them (firmware and guests' ACPI tables
    // expect them there). The i440FX has no direct PIRQ-to-GSI 16..23
    // wiring: PIIX3 routes PIRQs onto ISA IRQs.
    void create_chipset(const cli::VmConfig&) override {
        place_host_bridge(qom::new_object<PcPciHost>(kTypeI440fxHost), "i440fx");  // /machine/i440fx, as in QEMU
        add_pci_device(kTypeI440fx, 0x00);
        auto& piix3 = static_cast<Piix3&>(add_pci_device(kTypePiix3, 0x08));
        set_isa_bus(&piix3.isa_bus());
        // Without ACPI QEMU's pc has no PM function either, and so no
        // power button and no PCI hotplug.
        if (acpi_enabled()) pm_ = &dynamic_cast<PciDevice&>(add_pci_device(kTypePiix4Pm, 0x0b));
    }

    // After the ISA devices: the IDE function's legacy interrupts are ISA
    // IRQs 14/15, which need the PIC connected.
    void create_pci_devices(const cli::VmConfig& config) override {
        // PIIX IDE (01.1); the runtime attaches the -drive if=ide drives.
        add_pci_device(kTypePiix3Ide, 0x09);
        if (wants_std_vga(config)) add_pci_device(kTypeVga, 0x10);
    }

    void install_acpi(FwCfg& fw_cfg, unsigned cpus) override {
        install_pc_acpi(fw_cfg, [this, cpus] {
            PcAcpiConfig acpi;
            describe_board_for_acpi(acpi, cpus);
            constexpr uint8_t kPmba = 0x40, kPmRegMisc = 0x80;
            if (pm_->get_byte(kPmRegMisc) & 1) acpi.pm_io_base = static_cast<uint16_t>(pm_->get_long(kPmba) & 0xffc0);
            return acpi;
        });
    }

private:
    PciDevice* pm_ = nullptr;
};

MIMIC_REGISTER_TYPE({
    .name = "pc-i440fx-7.2-machine",
    .parent = kTypeX86Machine,
    .factory = qom::factory_of<PcI440fxMachine>(),
    .description = "Standard PC (i440FX + PIIX, 1996)",
    .properties = pc_machine_properties(),
    .alias = "pc",
});

}  // namespace
}  // namespace mimic::hw
