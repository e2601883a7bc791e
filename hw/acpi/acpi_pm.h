// The ACPI fixed-hardware registers of a PC's power-management function,
// which PIIX4 PM and the ICH9 LPC bridge lay out alike at the start of
// their PM I/O block:
//   +0  PM1a_EVT  status (write 1 to clear) and enable: timer overflow,
//                 power button, global lock, RTC
//   +4  PM1a_CNT  SCI_EN, SLP_TYP and SLP_EN: typ 0 with SLP_EN is S5 soft
//                 off, which ends the VM like QEMU's guest shutdown
//   +8  PM_TMR    24-bit free-running counter at 3.579545 MHz (virtual clock)
// and a GPE0 block (its status bytes, then as many enable bytes), whose
// place and size the chipset decides. The SCI is raised while an enabled
// event is pending.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "mimic/main_loop/timer.h"
#include "mimic/memory/memory_region.h"
#include "mimic/qom/object.h"

namespace mimic::hw {

inline constexpr uint64_t kAcpiPm1BlockSize = 12;

class AcpiPmRegisters {
public:
    // `owner` finds the machine (run control for sleep requests), `name`
    // prefixes log lines, `gpe_length` is the GPE0 block's size in bytes
    // (half status, half enable), `set_sci` drives the SCI line.
    AcpiPmRegisters(qom::Object& owner, std::string name, unsigned gpe_length, std::function<void(bool)> set_sci);
    ~AcpiPmRegisters();

    // PM1a event/control and the timer: offsets 0..11 of the PM block.
    uint32_t pm1_read(uint64_t offset, unsigned size) const;
    void pm1_write(uint64_t offset, uint32_t value, unsigned size);

    uint8_t gpe_read(uint64_t offset) const;
    void gpe_write(uint64_t offset, uint8_t value);
    // Sets GPE0 status bit `bit` (an event the chipset raises).
    void raise_gpe(unsigned bit);

    // The APM port's ACPI enable/disable commands set and clear SCI_EN.
    void set_sci_enabled(bool enabled);
    // The power button (system_powerdown): status when enabled.
    void press_power_button();

    void reset();

private:
    uint32_t timer_ticks() const;
    void write_control(uint16_t value);
    void timer_overflowed();
    void update_sci();

    qom::Object& owner_;
    std::string name_;
    std::function<void(bool)> set_sci_;
    Timer overflow_timer_;
    uint16_t pm1_status_ = 0, pm1_enable_ = 0, pm1_control_ = 0;
    std::vector<uint8_t> gpe_;  // status bytes, then enable bytes
    bool sci_level_ = false;
};

// The APM control and status ports (0xB2, 0xB3): the control port takes
// the FADT's ACPI enable and disable commands (values the chipset
// chooses); both read back what was written.
class ApmPorts {
public:
    static constexpr uint16_t kBase = 0xb2;

    ApmPorts(AcpiPmRegisters& pm, uint8_t acpi_enable, uint8_t acpi_disable);
    memory::MemoryRegion& io() { return io_; }
    uint8_t control() const { return control_; }
    void reset() { control_ = status_ = 0; }

private:
    void command(uint8_t value);

    AcpiPmRegisters& pm_;
    uint8_t acpi_enable_, acpi_disable_;
    memory::MemoryRegion io_;
    uint8_t control_ = 0, status_ = 0;
};

}  // namespace mimic::hw
