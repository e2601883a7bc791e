#include "guest_memory.h"

#include <algorithm>

#include "mimic/memory/address_space.h"

namespace mimic::hw::virtio {

bool GuestMemory::is_ram(uint64_t addr, uint64_t len, bool for_write) const {
    if (len == 0) return true;
    if (!space_ || addr + len < addr) return false;
    while (len > 0) {
        memory::Translation t = space_->translate(addr);
        if (!t.region || !t.host || t.has_callbacks || t.length == 0) return false;
        if (for_write && t.readonly) return false;
        uint64_t step = std::min(len, t.length);
        addr += step;
        len -= step;
    }
    return true;
}

bool GuestMemory::read(uint64_t addr, void* buf, uint64_t len) const {
    if (!is_ram(addr, len, false)) return false;
    return len == 0 || space_->read(addr, buf, len) == memory::AccessResult::kOk;
}

bool GuestMemory::write(uint64_t addr, const void* buf, uint64_t len) const {
    if (!is_ram(addr, len, true)) return false;
    // Through the address space, which keeps translated code and dirty
    // tracking right.
    return len == 0 || space_->write(addr, buf, len) == memory::AccessResult::kOk;
}

bool GuestMemory::read16(uint64_t addr, uint16_t& value) const {
    uint8_t bytes[2];
    if (!read(addr, bytes, 2)) return false;
    value = static_cast<uint16_t>(bytes[0] | bytes[1] << 8);
    return true;
}

bool GuestMemory::write16(uint64_t addr, uint16_t value) const {
    uint8_t bytes[2] = {static_cast<uint8_t>(value), static_cast<uint8_t>(value >> 8)};
    return write(addr, bytes, 2);
}

bool GuestMemory::write32(uint64_t addr, uint32_t value) const {
    uint8_t bytes[4];
    for (int i = 0; i < 4; ++i) bytes[i] = static_cast<uint8_t>(value >> (8 * i));
    return write(addr, bytes, 4);
}

}  // namespace mimic::hw::virtio
