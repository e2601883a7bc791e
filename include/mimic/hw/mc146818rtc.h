// The MC146818 RTC's CMOS memory as the board sees it ("mc146818rtc"): the
// board fills the fields firmware reads (memory sizes, equipment, boot order)
// and applies -rtc.
#pragma once

#include <cstdint>

#include "mimic/cli/vm_config.h"

namespace mimic::hw {

inline constexpr const char* kTypeMc146818Rtc = "mc146818rtc";

class CmosMemory {
public:
    virtual ~CmosMemory() = default;
    virtual void set_cmos(int index, uint8_t value) = 0;
    virtual uint8_t cmos(int index) const = 0;
    // -rtc base=utc|localtime|DATE,clock=host|rt|vm[,driftfix=none|slew].
    // Throws mimic::Error for bad values. Call before realize.
    virtual void configure(const cli::OptionUse& rtc_option) = 0;
};

// The fields QEMU's pc board writes: base/extended memory (0x15-0x18,
// 0x30-0x31), memory above 16 MiB (0x34-0x35) and above 4 GiB (0x5b-0x5d),
// equipment (0x14), CPU count (0x5f) and the boot order (0x3d, 0x38) from
// -boot ("cad" when absent).
void fill_pc_cmos(CmosMemory& cmos, const cli::VmConfig& config, uint64_t ram_below_4g,
                  uint64_t ram_above_4g);

}  // namespace mimic::hw
