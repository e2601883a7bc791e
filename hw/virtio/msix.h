// MSI-X for a PCI function: the capability's control bits, the vector table
// and the pending-bit array, kept in one memory BAR (table at 0, PBA at
// 0x800, as QEMU's msix_init_exclusive_bar lays them out).
//
// A message is a 32-bit write of the entry's data to the entry's address
// through the function's DMA address space, as on a real bus: an address in
// the APIC window (0xfee00000) reaches the local APICs as an MSI, any other
// address is an ordinary memory write. A vector that is masked (entry or
// whole function) sets its pending bit instead, and the message goes out
// when it is unmasked.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "mimic/hw/pci.h"
#include "mimic/memory/memory_region.h"

namespace mimic::hw {

class Msix {
  public:
    static constexpr uint64_t kTableOffset = 0;
    static constexpr uint64_t kPbaOffset = 0x800;
    static constexpr uint64_t kBarSize = 0x1000;
    static constexpr uint16_t kControlEnable = 0x8000;
    static constexpr uint16_t kControlMask = 0x4000;
    static constexpr unsigned kMaxVectors = 128;  // table and PBA fit 4 KiB

    // Adds the capability to `device` (offset 0: next free) for `vectors`
    // entries in BAR `bar`, and registers the BAR. `send` performs the
    // message write.
    void init(PciDevice& device, unsigned vectors, int bar, uint8_t offset,
              std::function<void(uint64_t address, uint32_t data)> send);

    unsigned vectors() const { return static_cast<unsigned>(table_.size() / 16); }
    bool present() const { return cap_ != 0; }
    bool enabled() const;
    // Signals `vector`; ignored when it is beyond the table.
    void notify(unsigned vector);
    // After a write to config space: unmasking the function may release
    // pending messages.
    void config_written();
    void reset();

    memory::MemoryRegion& region() { return region_; }

  private:
    bool function_masked() const;
    bool vector_masked(unsigned vector) const;
    uint32_t entry_word(unsigned vector, unsigned word) const;
    void deliver_pending();

    PciDevice* device_ = nullptr;
    uint8_t cap_ = 0;
    std::vector<uint8_t> table_;
    std::vector<uint8_t> pba_;
    std::function<void(uint64_t, uint32_t)> send_;
    memory::MemoryRegion region_;
};

}  // namespace mimic::hw
