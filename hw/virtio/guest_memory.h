// Bus-master access to guest RAM for virtio devices, with bounds checks.
//
// Every range a device reads or writes on the guest's behalf (rings,
// descriptor tables, buffers) must lie entirely in RAM as the DMA address
// space sees it now: an address that reaches nothing, a ROM (for writes) or
// a device's registers makes the access fail instead of happening. Refusing
// MMIO also keeps a ring pointed at the device's own BAR from re-entering
// the device. Failures are for the caller to turn into DEVICE_NEEDS_RESET.
#pragma once

#include <cstdint>

namespace mimic::memory {
class AddressSpace;
}

namespace mimic::hw::virtio {

class GuestMemory {
  public:
    explicit GuestMemory(const memory::AddressSpace* space = nullptr) : space_(space) {}

    // Is [addr, addr + len) RAM (writable RAM when `for_write`)? Zero-length
    // ranges are fine anywhere; wrapping ranges are not.
    bool is_ram(uint64_t addr, uint64_t len, bool for_write) const;

    bool read(uint64_t addr, void* buf, uint64_t len) const;
    bool write(uint64_t addr, const void* buf, uint64_t len) const;

    // Little-endian ring fields; false when the address is not RAM.
    bool read16(uint64_t addr, uint16_t& value) const;
    bool write16(uint64_t addr, uint16_t value) const;
    bool write32(uint64_t addr, uint32_t value) const;

  private:
    const memory::AddressSpace* space_;
};

}  // namespace mimic::hw::virtio
