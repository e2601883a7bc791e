#include "mimic/hw/msi.h"

#include <stdexcept>

#include "mimic/hw/pci.h"
#include "mimic/memory/address_space.h"

namespace mimic::hw {
namespace {

constexpr uint8_t kControl = 2;
constexpr uint8_t kAddressLo = 4;
constexpr uint8_t kAddressHi = 8;
constexpr uint32_t kAddressLoWritable = 0xfffffffc;  // dword-aligned messages

unsigned log2_of(unsigned value) {
    unsigned log = 0;
    while ((1u << log) < value) ++log;
    return log;
}

uint8_t at(uint8_t base, unsigned delta) { return static_cast<uint8_t>(base + delta); }

}  // namespace

void Msi::init(PciDevice& device, const Options& options, uint8_t offset) {
    unsigned vectors = options.vectors;
    if (vectors == 0 || vectors > kMaxVectors || (vectors & (vectors - 1)))
        throw std::logic_error("msi: the vector count must be a power of two from 1 to 32");
    device_ = &device;
    uint16_t control = static_cast<uint16_t>(log2_of(vectors) << 1);
    if (options.address64) control |= kControl64Bit;
    if (options.per_vector_mask) control |= kControlMaskBit;
    // size() reads the control word, not written yet.
    auto cap_size = static_cast<uint8_t>((options.address64 ? 0x0e : 0x0a) +
                                         (options.per_vector_mask ? 0x0a : 0));
    cap_ = device.add_capability(kCapId, offset, cap_size);
    device.set_word(at(cap_, kControl), control);
    device.set_wmask_word(at(cap_, kControl), kControlEnable | kControlEnableMask);
    device.set_wmask_long(at(cap_, kAddressLo), kAddressLoWritable);
    if (options.address64) device.set_wmask_long(at(cap_, kAddressHi), 0xffffffff);
    device.set_wmask_word(data_offset(), 0xffff);
    // Only the mask bits of vectors that exist are writable; pending bits
    // are the device's, read-only to the guest.
    if (options.per_vector_mask)
        device.set_wmask_long(mask_offset(), 0xffffffffu >> (kMaxVectors - vectors));
    reset();
}

uint16_t Msi::control() const { return device_->get_word(at(cap_, kControl)); }

uint8_t Msi::size() const {
    if (!present()) return 0;
    return static_cast<uint8_t>((is64() ? 0x0e : 0x0a) + (has_mask() ? 0x0a : 0));
}

// Data follows the address; in the 32-bit layout with masking, two reserved
// bytes keep the mask register dword-aligned.
uint8_t Msi::data_offset() const { return at(cap_, is64() ? 0x0c : 0x08); }
uint8_t Msi::mask_offset() const { return at(cap_, is64() ? 0x10 : 0x0c); }
uint8_t Msi::pending_offset() const { return at(cap_, is64() ? 0x14 : 0x10); }

bool Msi::enabled() const { return present() && (control() & kControlEnable); }

unsigned Msi::enabled_vectors() const { return 1u << ((control() & kControlEnableMask) >> 4); }

uint64_t Msi::address() const {
    uint64_t address = device_->get_long(at(cap_, kAddressLo));
    if (is64()) address |= uint64_t{device_->get_long(at(cap_, kAddressHi))} << 32;
    return address;
}

uint16_t Msi::data() const { return device_->get_word(data_offset()); }
uint32_t Msi::mask_bits() const { return has_mask() ? device_->get_long(mask_offset()) : 0; }
uint32_t Msi::pending_bits() const { return has_mask() ? device_->get_long(pending_offset()) : 0; }

void Msi::notify(unsigned vector) {
    if (!enabled() || vector >= enabled_vectors()) return;
    if (mask_bits() & (1u << vector)) {
        device_->set_long(pending_offset(), pending_bits() | 1u << vector);
        return;
    }
    send(vector);
}

void Msi::send(unsigned vector) {
    // A message is a bus-master write: without bus mastering it is lost,
    // as on a real bus (QEMU's disabled bus-master address space).
    if (!(device_->command() & kPciCommandMaster)) return;
    memory::AddressSpace* space = device_->bus_master_space();
    if (!space) return;
    uint32_t message = data();
    // With N vectors enabled the function owns the low log2(N) data bits.
    unsigned vectors = enabled_vectors();
    if (vectors > 1) message = (message & ~(vectors - 1)) | vector;
    // A message nothing decodes is a master abort, not an emulator error.
    if (space->store(address(), message, 4) != memory::AccessResult::kOk)
        device_->note_master_abort();
}

void Msi::config_written(uint8_t offset, unsigned size) {
    if (!present() || offset >= cap_ + this->size() || offset + size <= cap_) return;
    if (!enabled()) return;
    // While MSI is on the function must not use INTx (PCI 3.0 6.8.3.3);
    // drop a level a guest left asserted when it switched over.
    device_->set_irq(false);
    // Enabling more vectors than capable is not legal; clamp to capable.
    uint16_t control = this->control();
    unsigned capable = (control & kControlCapableMask) >> 1;
    if (((control & kControlEnableMask) >> 4) > capable) {
        control = static_cast<uint16_t>((control & ~kControlEnableMask) | capable << 4);
        device_->set_word(at(cap_, kControl), control);
    }
    if (!has_mask()) return;
    // Pending bits of vectors no longer enabled are dropped; those of
    // unmasked vectors go out now.
    unsigned vectors = enabled_vectors();
    uint32_t pending = pending_bits() & (0xffffffffu >> (kMaxVectors - vectors));
    device_->set_long(pending_offset(), pending);
    for (unsigned v = 0; v < vectors; ++v) {
        if (!(pending & (1u << v)) || (mask_bits() & (1u << v))) continue;
        device_->set_long(pending_offset(), pending_bits() & ~(1u << v));
        send(v);
    }
}

void Msi::reset() {
    if (!present()) return;
    device_->set_word(at(cap_, kControl),
                      static_cast<uint16_t>(control() & ~(kControlEnable | kControlEnableMask)));
    device_->set_long(at(cap_, kAddressLo), 0);
    if (is64()) device_->set_long(at(cap_, kAddressHi), 0);
    device_->set_word(data_offset(), 0);
    if (has_mask()) {
        device_->set_long(mask_offset(), 0);
        device_->set_long(pending_offset(), 0);
    }
}

}  // namespace mimic::hw
