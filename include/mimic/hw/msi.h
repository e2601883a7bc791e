// MSI (capability ID 0x05) for a PCI function: the capability's registers in
// config space, laid out as PCI 3.0 section 6.8.1 and QEMU's msi.c have them:
//
//   +0 id, next   +2 message control
//   32-bit:  +4 address   +8 data   (+0xc mask, +0x10 pending)
//   64-bit:  +4 address low, +8 address high, +0xc data (+0x10 mask, +0x14 pending)
//
// Message control: bit 0 enable, bits 1-3 multiple message capable (log2 of
// the vectors), bits 4-6 multiple message enable, bit 7 64-bit address,
// bit 8 per-vector masking.
//
// The guest programs it through the function's generic config write path
// (the wmask bits init() sets); the owner calls config_written() after each
// config write so the capability can clamp multiple-message enable, drop
// INTx and release pending messages.
//
// A message is a 4-byte little-endian write of the data (with the vector in
// its low bits when several are enabled) to the address, through the
// function's bus_master_space(), as a real bus master does; nothing goes
// out while COMMAND's bus-master bit is clear. A masked vector sets its
// pending bit instead and is sent when it is unmasked.
#pragma once

#include <cstdint>

namespace mimic::hw {

class PciDevice;

class Msi {
  public:
    static constexpr uint8_t kCapId = 0x05;
    static constexpr unsigned kMaxVectors = 32;
    // Message control bits.
    static constexpr uint16_t kControlEnable = 0x0001;
    static constexpr uint16_t kControlCapableMask = 0x000e;  // multiple message capable
    static constexpr uint16_t kControlEnableMask = 0x0070;   // multiple message enable
    static constexpr uint16_t kControl64Bit = 0x0080;
    static constexpr uint16_t kControlMaskBit = 0x0100;

    struct Options {
        unsigned vectors = 1;  // a power of two, 1..32
        bool address64 = true;
        bool per_vector_mask = false;
    };

    // Adds the capability to `device` at `offset` (0: the next free place).
    // Throws std::logic_error for a vector count that is not a power of two
    // in 1..32 (a device model bug, not a guest's). Call from pci_realize().
    void init(PciDevice& device, const Options& options, uint8_t offset = 0);

    bool present() const { return cap_ != 0; }
    uint8_t offset() const { return cap_; }
    // The capability's size in config space (0x0a, 0x0e, 0x14 or 0x18).
    uint8_t size() const;
    bool enabled() const;
    // Vectors the guest enabled (multiple message enable), 1 when off.
    unsigned enabled_vectors() const;
    uint64_t address() const;
    uint16_t data() const;
    uint32_t mask_bits() const;
    uint32_t pending_bits() const;

    // Signals `vector`: sends its message, or marks it pending when masked.
    // Ignored while MSI is disabled or for a vector not enabled.
    void notify(unsigned vector);
    // After every config write of the owner (cheap when it missed the
    // capability).
    void config_written(uint8_t offset, unsigned size);
    // Device reset: disabled, one vector, address/data/mask/pending zero.
    void reset();

  private:
    uint16_t control() const;
    bool is64() const { return control() & kControl64Bit; }
    bool has_mask() const { return control() & kControlMaskBit; }
    uint8_t data_offset() const;
    uint8_t mask_offset() const;
    uint8_t pending_offset() const;
    void send(unsigned vector);

    PciDevice* device_ = nullptr;
    uint8_t cap_ = 0;
};

}  // namespace mimic::hw
