// The ICH9's ACPI power-management block: 128 I/O ports at the LPC
// bridge's PMBASE, decoded while ACPI_CNTL's ACPI_EN is set:
//   +0x00  PM1a_EVT, PM1a_CNT, PM_TMR (acpi_pm.h)
//   +0x20  GPE0: 8 status bytes, then 8 enable bytes
//   +0x30  SMI_EN   (read/write; SMIs themselves are not modelled)
//   +0x34  SMI_STS  (write 1 to clear)
// plus the APM ports 0xB2/0xB3, whose ACPI enable and disable commands are
// 0x02 and 0x03 on this chipset (the FADT says so).
#pragma once

#include <cstdint>
#include <functional>

#include "acpi_pm.h"
#include "mimic/memory/memory_region.h"
#include "mimic/qom/object.h"

namespace mimic::hw {

class Ich9Pm {
public:
    static constexpr uint64_t kIoSize = 128;
    static constexpr uint64_t kGpe0Offset = 0x20;
    static constexpr unsigned kGpe0Length = 16;
    static constexpr uint8_t kAcpiEnable = 0x02;
    static constexpr uint8_t kAcpiDisable = 0x03;

    Ich9Pm(qom::Object& owner, std::function<void(bool)> set_sci);

    memory::MemoryRegion& io() { return io_; }
    ApmPorts& apm() { return apm_; }
    void press_power_button() { registers_.press_power_button(); }
    void reset();

private:
    uint32_t read(uint64_t offset, unsigned size) const;
    void write(uint64_t offset, uint32_t value, unsigned size);

    AcpiPmRegisters registers_;
    ApmPorts apm_{registers_, kAcpiEnable, kAcpiDisable};
    memory::MemoryRegion io_;
    uint32_t smi_enable_ = 0, smi_status_ = 0;
};

}  // namespace mimic::hw
