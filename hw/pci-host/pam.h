// The legacy windows a PC host bridge steers between RAM and PCI, which
// the i440FX (PAM 0x59-0x5F, SMRAM 0x72) and the Q35 MCH (PAM 0x90-0x96,
// SMRAM 0x9D) lay out the same way.
//
// PAM: each nibble of the seven registers governs one segment of the
// 0xC0000-0xFFFFF shadow area (the first register's high nibble the 64 KiB
// F segment, then 16 KiB segments from 0xC0000): 0 = accesses go to PCI
// (where the BIOS image and option ROMs appear), 1 = reads from RAM, 2 =
// writes to RAM, 3 = RAM. As in QEMU, each segment is four aliases over
// system memory of which one is enabled, and modes 1 and 2 are
// approximated by read-only RAM and RAM.
//
// SMRAM: with D_OPEN clear, 0xA0000-0xBFFFF shows the PCI side (the VGA
// window); with it set, the RAM below. D_LCK makes G_SMRAME, D_LCK itself
// and D_OPEN read-only until reset: firmware locks SMRAM away from the OS
// this way.
#pragma once

#include <array>
#include <cstdint>

#include "mimic/memory/memory_region.h"

namespace mimic::hw {

inline constexpr int kPamRegisterCount = 7;
inline constexpr uint8_t kSmramDOpen = 0x40;
inline constexpr uint8_t kSmramDLock = 0x10;
inline constexpr uint8_t kSmramGSmrame = 0x08;
inline constexpr uint8_t kSmramCBaseSeg = 0x02;  // hard-wired: SMRAM at 0xA0000
// What the guest may write to SMRAM while it is unlocked, and once locked.
inline constexpr uint8_t kSmramWritable = kSmramDOpen | 0x20 | kSmramDLock | kSmramGSmrame;
inline constexpr uint8_t kSmramWritableLocked = 0x20;
// The write mask of each PAM register: the first has only the F segment.
inline constexpr uint8_t pam_register_wmask(int index) { return index == 0 ? 0x30 : 0x33; }

class LegacyWindows {
public:
    ~LegacyWindows() { unmap(); }

    // Maps the windows over `system` (all showing PCI until update()).
    void map(memory::MemoryRegion& system, memory::MemoryRegion& ram, memory::MemoryRegion& pci);
    void unmap();
    // Applies the kPamRegisterCount PAM registers at `pam` and the SMRAM
    // register's D_OPEN.
    void update(const uint8_t* pam, uint8_t smram);

    // After a guest write to SMRAM: once D_LCK is set, D_OPEN closes and
    // stays closed. Returns the register's write mask from now on.
    static uint8_t apply_smram_lock(uint8_t& smram);

private:
    static constexpr int kSegments = 13;  // the F segment and twelve 16 KiB ones
    struct Segment {
        std::array<memory::MemoryRegion, 4> modes;
        int current = -1;
    };

    memory::MemoryRegion* system_ = nullptr;
    std::array<Segment, kSegments> segments_;
    memory::MemoryRegion smram_window_;
};

}  // namespace mimic::hw
