// PAM and SMRAM windows (see pam.h).
#include "pam.h"

#include "mimic/memory/transaction.h"

namespace mimic::hw {

void LegacyWindows::map(memory::MemoryRegion& system, memory::MemoryRegion& ram, memory::MemoryRegion& pci) {
    memory::Transaction transaction;
    system_ = &system;
    for (int index = 0; index < kSegments; ++index) {
        uint64_t start = index == 0 ? 0xf0000 : 0xc0000 + 0x4000 * (index - 1);
        uint64_t size = index == 0 ? 0x10000 : 0x4000;
        Segment& segment = segments_[static_cast<size_t>(index)];
        segment.modes[0].init_alias("pam-pci", pci, start, size);
        segment.modes[1].init_alias("pam-rom", ram, start, size);
        segment.modes[1].set_readonly(true);
        segment.modes[2].init_alias("pam-ram", ram, start, size);
        segment.modes[3].init_alias("pam-ram", ram, start, size);
        for (auto& mode : segment.modes) {
            mode.set_enabled(false);
            system.add_subregion(start, mode, 1);
        }
        segment.current = -1;
    }
    smram_window_.init_alias("smram-region", pci, 0xa0000, 0x20000);
    system.add_subregion(0xa0000, smram_window_, 1);
}

void LegacyWindows::update(const uint8_t* pam, uint8_t smram) {
    memory::Transaction transaction;
    for (int index = 0; index < kSegments; ++index) {
        int mode;
        if (index == 0) {
            mode = (pam[0] >> 4) & 3;
        } else {
            int expansion = index - 1;  // 0xC0000 + 16 KiB * expansion
            uint8_t reg = pam[1 + expansion / 2];
            mode = (expansion & 1) ? (reg >> 4) & 3 : reg & 3;
        }
        Segment& segment = segments_[static_cast<size_t>(index)];
        if (mode == segment.current) continue;
        if (segment.current >= 0) segment.modes[static_cast<size_t>(segment.current)].set_enabled(false);
        segment.modes[static_cast<size_t>(mode)].set_enabled(true);
        segment.current = mode;
    }
    smram_window_.set_enabled(!(smram & kSmramDOpen));
}

void LegacyWindows::unmap() {
    if (!system_) return;
    memory::Transaction transaction;
    for (Segment& segment : segments_) {
        for (auto& mode : segment.modes) {
            if (mode.parent()) mode.parent()->del_subregion(mode);
        }
    }
    if (smram_window_.parent()) smram_window_.parent()->del_subregion(smram_window_);
    system_ = nullptr;
}

uint8_t LegacyWindows::apply_smram_lock(uint8_t& smram) {
    if (!(smram & kSmramDLock)) return kSmramWritable;
    smram = static_cast<uint8_t>(smram & ~kSmramDOpen);
    return kSmramWritableLocked;
}

}  // namespace mimic::hw
