// PIIX4 function 3: ACPI power management ("PIIX4_PM", 01.3 on the pc
// machine). Firmware programs the I/O base (PMBA, config 0x40) and enables
// it (PMREGMISC, config 0x80); the 64-byte block then holds:
//   +0  PM1a_EVT  status (write 1 to clear) and enable: timer overflow,
//                 power button, global lock
//   +4  PM1a_CNT  SCI_EN, SLP_TYP and SLP_EN: typ 0 with SLP_EN is S5 soft
//                 off, which ends the VM like QEMU's guest shutdown
//   +8  PM_TMR    24-bit free-running counter at 3.579545 MHz (virtual clock)
// plus the APM control port 0xB2 (ACPI enable/disable commands, as the FADT
// advertises), the GPE0 block at 0xAFE0 and the ACPI PCI hotplug registers
// at 0xAE00 (pci_hotplug.h), which make pci.0 hot-pluggable and raise GPE0
// bit 1. The SCI is ISA IRQ 9.
// It also holds the SMBus host controller (../i2c/pm_smbus.h), decoded at
// SMBBA (config 0x90) while SMBHSTCFG (0xd2) bit 0 is set, with QEMU's
// eight SPD EEPROMs at 0x50-0x57 on its bus.
#include <array>
#include <memory>
#include <vector>

#include "../i2c/pm_smbus.h"
#include "../i2c/smbus_eeprom.h"
#include "mimic/hw/machine.h"
#include "mimic/hw/piix.h"
#include "mimic/main_loop/clock.h"
#include "mimic/main_loop/timer.h"
#include "mimic/memory/transaction.h"
#include "mimic/system/runstate.h"
#include "mimic/util/log.h"
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
constexpr uint8_t kSpdEepromAddress = 0x50;
constexpr int kSpdEepromCount = 8;
constexpr uint64_t kPmIoSize = 64;
constexpr int64_t kPmTimerHz = 3579545;
constexpr uint16_t kApmControlPort = 0xb2;
constexpr uint16_t kGpe0Port = 0xafe0;
constexpr uint8_t kAcpiEnable = 0xf1;
constexpr uint8_t kAcpiDisable = 0xf0;

// PM1 event bits.
constexpr uint16_t kTimerStatus = 0x0001;
constexpr uint16_t kGlobalStatus = 0x0020;
constexpr uint16_t kPowerButtonStatus = 0x0100;
constexpr uint16_t kRtcStatus = 0x0400;
constexpr uint16_t kSciEvents = kTimerStatus | kGlobalStatus | kPowerButtonStatus | kRtcStatus;
// PM1 control bits.
constexpr uint16_t kSciEnable = 0x0001;
constexpr uint16_t kSleepEnable = 0x2000;
constexpr int kSleepTypeShift = 10;
constexpr int kS4SleepType = 2;  // the \_S4 value QEMU's DSDT would use

class Piix4Pm : public PciDevice {
public:
    Piix4Pm() : overflow_timer_(Clock::kVirtual, [this] { timer_overflowed(); }), smbus_(true) {
        // QEMU's pc machine leaves the SPD contents empty (all zero).
        for (int i = 0; i < kSpdEepromCount; ++i) {
            eeproms_.push_back(std::make_unique<SmbusEeprom>(SmbusEeprom::Contents{}));
            smbus_.bus().attach(static_cast<uint8_t>(kSpdEepromAddress + i), *eeproms_.back());
        }
    }
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
        ops.read = [this](uint64_t offset, unsigned size) -> uint64_t { return pm_read(offset, size); };
        ops.write = [this](uint64_t offset, uint64_t value, unsigned size) {
            pm_write(offset, static_cast<uint32_t>(value), size);
        };
        ops.valid = {1, 4, false};
        ops.impl = {1, 4, false};
        pm_io_.init_io("piix4-pm", kPmIoSize, std::move(ops));

        memory::MmioOps apm;
        apm.read = [this](uint64_t offset, unsigned) -> uint64_t { return offset ? apm_status_ : apm_control_; };
        apm.write = [this](uint64_t offset, uint64_t value, unsigned) {
            offset ? void(apm_status_ = static_cast<uint8_t>(value)) : apm_command(static_cast<uint8_t>(value));
        };
        apm.valid = {1, 1, false};
        apm.impl = {1, 1, false};
        apm_io_.init_io("apm-io", 2, std::move(apm));

        memory::MmioOps gpe;
        gpe.read = [this](uint64_t offset, unsigned) -> uint64_t { return gpe_[offset]; };
        gpe.write = [this](uint64_t offset, uint64_t value, unsigned) { gpe_write(offset, static_cast<uint8_t>(value)); };
        gpe.valid = {1, 4, false};
        gpe.impl = {1, 1, false};
        gpe_io_.init_io("acpi-gpe0", 4, std::move(gpe));

        // Hot-plug on the bus this function sits on, as QEMU's PIIX4 does
        // for the root bus.
        hotplug_ = std::make_unique<AcpiPciHotplug>(host()->bus(), [this] {
            gpe_[0] |= kGpePciHotplug;
            update_sci();
        });

        Machine* machine = Machine::of(*this);
        memory::Transaction transaction;
        machine->io().add_subregion(kApmControlPort, apm_io_);
        machine->io().add_subregion(kGpe0Port, gpe_io_);
        machine->io().add_subregion(kAcpiPciHotplugBase, hotplug_->io());
        if (system::RunControl* control = machine->run_control())
            control->set_powerdown_hook([this] { power_button(); });
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
        pm1_status_ = pm1_enable_ = pm1_control_ = 0;
        gpe_.fill(0);
        apm_control_ = apm_status_ = 0;
        if (hotplug_) hotplug_->reset();
        for (auto& eeprom : eeproms_) eeprom->reset();
        update_io_mapping();
        update_sci();
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
        overflow_timer_.del();
        for (memory::MemoryRegion* region : {&pm_io_, &apm_io_, &gpe_io_, &smbus_.io()}) {
            if (region->parent()) region->parent()->del_subregion(*region);
        }
    }

    static uint32_t timer_ticks() {
        auto ns = static_cast<unsigned __int128>(clock_get_ns(Clock::kVirtual));
        return static_cast<uint32_t>(ns * kPmTimerHz / kNsPerSec);
    }

    uint32_t pm_read(uint64_t offset, unsigned size) {
        uint32_t block[3] = {
            static_cast<uint32_t>(pm1_status_ | pm1_enable_ << 16),
            pm1_control_,
            timer_ticks() & 0xffffff,
        };
        if (offset >= 12) return 0;
        uint32_t value = block[offset / 4] >> (8 * (offset & 3));
        return size == 4 ? value : value & ((1u << (8 * size)) - 1);
    }

    void pm_write(uint64_t offset, uint32_t value, unsigned size) {
        // Registers are written in pieces of their natural width or less;
        // merge each byte into the register it lands in.
        for (unsigned i = 0; i < size; ++i) {
            uint64_t at = offset + i;
            auto byte = static_cast<uint16_t>((value >> (8 * i)) & 0xff);
            switch (at) {
            case 0: pm1_status_ &= static_cast<uint16_t>(~byte); break;
            case 1: pm1_status_ &= static_cast<uint16_t>(~(byte << 8)); break;
            case 2: pm1_enable_ = static_cast<uint16_t>((pm1_enable_ & 0xff00) | byte); break;
            case 3: pm1_enable_ = static_cast<uint16_t>((pm1_enable_ & 0x00ff) | byte << 8); break;
            case 4: pm1_control_ = static_cast<uint16_t>((pm1_control_ & 0xff00) | byte); break;
            case 5: write_control(static_cast<uint16_t>((pm1_control_ & 0x00ff) | byte << 8)); break;
            default: break;  // the timer is read-only
            }
        }
        update_sci();
    }

    void write_control(uint16_t value) {
        if (value & kSleepEnable) {
            int type = (value >> kSleepTypeShift) & 7;
            system::RunControl* control = Machine::of(*this)->run_control();
            if ((type == 0 || type == kS4SleepType) && control) {
                // S5 (and S4, which has nothing to save to) is power off.
                control->request_shutdown(system::ShutdownCause::kGuestShutdown);
            } else {
                MIMIC_LOG(log::kUnimp, "PIIX4_PM: sleep type {} not supported\n", type);
            }
        }
        // SLP_EN reads back as zero.
        pm1_control_ = value & ~kSleepEnable;
    }

    void apm_command(uint8_t value) {
        apm_control_ = value;
        if (value == kAcpiEnable) pm1_control_ |= kSciEnable;
        if (value == kAcpiDisable) pm1_control_ &= ~kSciEnable;
    }

    void gpe_write(uint64_t offset, uint8_t value) {
        if (offset < 2) gpe_[offset] &= static_cast<uint8_t>(~value);  // status: write 1 to clear
        else gpe_[offset] = value;
        update_sci();
    }

    void power_button() {
        if (!(pm1_enable_ & kPowerButtonStatus)) return;
        pm1_status_ |= kPowerButtonStatus;
        update_sci();
    }

    void timer_overflowed() {
        pm1_status_ |= kTimerStatus;
        update_sci();
    }

    // Raises the SCI while an enabled event is pending, and keeps a timer for
    // the next flip of the counter's bit 23 while its event is enabled.
    void update_sci() {
        bool level = (pm1_status_ & pm1_enable_ & kSciEvents) || (gpe_[0] & gpe_[2]) || (gpe_[1] & gpe_[3]);
        if (level != sci_level_) {
            sci_level_ = level;
            if (Machine* machine = Machine::of(*this)) machine->isa_irq(kAcpiSciIrq).set(level);
        }
        if ((pm1_enable_ & kTimerStatus) && !(pm1_status_ & kTimerStatus)) {
            constexpr int64_t kHalfPeriod = int64_t{1} << 23;
            int64_t next_tick = (static_cast<int64_t>(timer_ticks()) / kHalfPeriod + 1) * kHalfPeriod;
            auto ns = static_cast<int64_t>((static_cast<unsigned __int128>(next_tick) * kNsPerSec + kPmTimerHz - 1) /
                                           kPmTimerHz);
            overflow_timer_.mod_ns(ns);
        } else {
            overflow_timer_.del();
        }
    }

    memory::MemoryRegion pm_io_, apm_io_, gpe_io_;
    std::unique_ptr<AcpiPciHotplug> hotplug_;
    Timer overflow_timer_;
    PmSmbus smbus_;
    std::vector<std::unique_ptr<SmbusEeprom>> eeproms_;
    uint16_t pm1_status_ = 0, pm1_enable_ = 0, pm1_control_ = 0;
    std::array<uint8_t, 4> gpe_{};  // two status bytes, two enable bytes
    uint8_t apm_control_ = 0, apm_status_ = 0;
    bool sci_level_ = false;
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
