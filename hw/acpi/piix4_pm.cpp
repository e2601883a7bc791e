// PIIX4 function 3: ACPI power management ("PIIX4_PM", 01.3 on the pc
// machine). Firmware programs the I/O base (PMBA, config 0x40) and enables
// it (PMREGMISC, config 0x80); the 64-byte block then starts with the PM1
// registers and the PM timer (acpi_pm.h). Beside it: the APM control port
// 0xB2 (ACPI enable/disable commands, as the FADT advertises), the 4-byte
// GPE0 block at 0xAFE0 and the ACPI PCI hotplug registers at 0xAE00
// (pci_hotplug.h), which make pci.0 hot-pluggable and raise GPE0 bit 1.
// The SCI is ISA IRQ 9.
// It also holds the SMBus host controller (../i2c/pm_smbus.h), decoded at
// SMBBA (config 0x90) while SMBHSTCFG (0xd2) bit 0 is set, with QEMU's
// eight SPD EEPROMs at 0x50-0x57 on its bus.
#include <memory>

#include "../i2c/pm_smbus.h"
#include "../i2c/smbus_eeprom.h"
#include "mimic/hw/machine.h"
#include "mimic/hw/piix.h"
#include "mimic/memory/transaction.h"
#include "mimic/system/runstate.h"
#include "acpi_pm.h"
#include "pci_hotplug.h"

namespace mimic::hw {
namespace {

constexpr uint8_t kPmba = 0x40;
constexpr uint8_t kPmRegMisc = 0x80;
constexpr uint8_t kSmbBase = 0x90;
constexpr uint8_t kSmbHostConfig = 0xd2;
constexpr uint8_t kSmbHostEnable = 0x01;
// Where QEMU's pc machine has the SMBus before firmware moves it, and the
// interrupt-select bits it reports (SMI, which nothing models).
constexpr uint16_t kSmbDefaultBase = 0xb100;
constexpr uint8_t kSmbHostConfigDefault = 0x09;
constexpr uint64_t kPmIoSize = 64;
constexpr uint16_t kGpe0Port = 0xafe0;
constexpr unsigned kGpe0Length = 4;
constexpr uint8_t kAcpiEnable = 0xf1;
constexpr uint8_t kAcpiDisable = 0xf0;

class Piix4Pm : public PciDevice {
public:
    Piix4Pm()
        : pm_(*this, "PIIX4_PM", kGpe0Length,
              [this](bool level) {
                  if (Machine* machine = Machine::of(*this)) machine->isa_irq(kAcpiSciIrq).set(level);
              }),
          smbus_(true) {}
    ~Piix4Pm() override { unmap(); }

protected:
    void pci_realize() override {
        set_ids({.vendor = 0x8086, .device = 0x7113, .revision = 0x03, .class_code = 0x068000});
        set_interrupt_pin(1);
        // PMBA: 64-byte aligned I/O base, bit 0 hard-wired to 1 (I/O space).
        set_wmask_long(kPmba, 0x0000ffc0);
        set_wmask_byte(kPmRegMisc, 0x01);
        // The SMBus registers are plain read/write bytes, as on QEMU, and
        // keep their values across reset there too.
        set_wmask_long(kSmbBase, 0xffffffff);
        set_wmask_long(kSmbHostConfig & 0xfc, 0xffffffff);
        set_long(kSmbBase, kSmbDefaultBase | 1);
        set_byte(kSmbHostConfig, kSmbHostConfigDefault);

        memory::MmioOps ops;
        ops.read = [this](uint64_t offset, unsigned size) -> uint64_t { return pm_.pm1_read(offset, size); };
        ops.write = [this](uint64_t offset, uint64_t value, unsigned size) {
            pm_.pm1_write(offset, static_cast<uint32_t>(value), size);
        };
        ops.valid = {1, 4, false};
        ops.impl = {1, 4, false};
        pm_io_.init_io("piix4-pm", kPmIoSize, std::move(ops));

        memory::MmioOps gpe;
        gpe.read = [this](uint64_t offset, unsigned) -> uint64_t { return pm_.gpe_read(offset); };
        gpe.write = [this](uint64_t offset, uint64_t value, unsigned) {
            pm_.gpe_write(offset, static_cast<uint8_t>(value));
        };
        gpe.valid = {1, 4, false};
        gpe.impl = {1, 1, false};
        gpe_io_.init_io("acpi-gpe0", kGpe0Length, std::move(gpe));

        // Hot-plug on the bus this function sits on, as QEMU's PIIX4 does
        // for the root bus.
        hotplug_ = std::make_unique<AcpiPciHotplug>(host()->bus(), [this] { pm_.raise_gpe(kGpePciHotplugBit); });

        Machine* machine = Machine::of(*this);
        memory::Transaction transaction;
        machine->io().add_subregion(ApmPorts::kBase, apm_.io());
        machine->io().add_subregion(kGpe0Port, gpe_io_);
        machine->io().add_subregion(kAcpiPciHotplugBase, hotplug_->io());
        if (system::RunControl* control = machine->run_control())
            control->set_powerdown_hook([this] { pm_.press_power_button(); });
        pci_reset();
        update_smbus_mapping();
    }

    void pci_unrealize() override {
        unmap();
        hotplug_.reset();
    }

    void pci_reset() override {
        set_long(kPmba, 0x00000001);
        set_byte(kPmRegMisc, 0);
        pm_.reset();
        apm_.reset();
        if (hotplug_) hotplug_->reset();
        eeproms_.reset();
        update_io_mapping();
    }

    void config_written(uint8_t offset, uint32_t, unsigned size) override {
        if ((offset < kPmba + 4 && offset + size > kPmba) || (offset <= kPmRegMisc && offset + size > kPmRegMisc))
            update_io_mapping();
        if ((offset < kSmbBase + 4 && offset + size > kSmbBase) ||
            (offset <= kSmbHostConfig && offset + size > kSmbHostConfig))
            update_smbus_mapping();
    }

private:
    void update_io_mapping() {
        memory::Transaction transaction;
        if (pm_io_.parent()) pm_io_.parent()->del_subregion(pm_io_);
        if (!(get_byte(kPmRegMisc) & 1)) return;
        uint32_t base = get_long(kPmba) & 0xffc0;
        Machine::of(*this)->io().add_subregion(base, pm_io_);
    }

    void update_smbus_mapping() {
        memory::Transaction transaction;
        memory::MemoryRegion& io = smbus_.io();
        if (io.parent()) io.parent()->del_subregion(io);
        if (!(get_byte(kSmbHostConfig) & kSmbHostEnable)) return;
        Machine::of(*this)->io().add_subregion(get_long(kSmbBase) & 0xffc0, io);
    }

    void unmap() {
        for (memory::MemoryRegion* region : {&pm_io_, &apm_.io(), &gpe_io_, &smbus_.io()}) {
            if (region->parent()) region->parent()->del_subregion(*region);
        }
    }

    memory::MemoryRegion pm_io_, gpe_io_;
    AcpiPmRegisters pm_;
    ApmPorts apm_{pm_, kAcpiEnable, kAcpiDisable};
    std::unique_ptr<AcpiPciHotplug> hotplug_;
    PmSmbus smbus_;
    EmptySpdEeproms eeproms_{smbus_.bus()};
};

}  // namespace

MIMIC_REGISTER_TYPE({
    .name = kTypePiix4Pm,
    .parent = kTypePciDevice,
    .factory = qom::factory_of<Piix4Pm>(),
    .description = "PM",
    .categories = {qom::DeviceCategory::kBridge},
    .user_creatable = false,
    .hotpluggable = false,
});

}  // namespace mimic::hw
