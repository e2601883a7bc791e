#include "msix.h"

#include <algorithm>

namespace mimic::hw {
namespace {
constexpr uint8_t kCapIdMsix = 0x11;
constexpr unsigned kEntrySize = 16;
constexpr unsigned kVectorControl = 12;  // bit 0: masked
}  // namespace

void Msix::init(PciDevice& device, unsigned vectors, int bar, uint8_t offset,
                std::function<void(uint64_t address, uint32_t data)> send) {
    device_ = &device;
    send_ = std::move(send);
    table_.assign(size_t{vectors} * kEntrySize, 0);
    pba_.assign((vectors + 63) / 64 * 8, 0);
    reset();
    cap_ = device.add_capability(kCapIdMsix, offset, 12);
    device.set_word(static_cast<uint8_t>(cap_ + 2), static_cast<uint16_t>(vectors - 1));
    device.set_long(static_cast<uint8_t>(cap_ + 4),
                    static_cast<uint32_t>(kTableOffset) | static_cast<uint32_t>(bar));
    device.set_long(static_cast<uint8_t>(cap_ + 8),
                    static_cast<uint32_t>(kPbaOffset) | static_cast<uint32_t>(bar));
    device.set_wmask_byte(static_cast<uint8_t>(cap_ + 3), (kControlEnable | kControlMask) >> 8);

    memory::MmioOps ops;
    ops.read = [this](uint64_t offset, unsigned size) -> uint64_t {
        const std::vector<uint8_t>* bytes = nullptr;
        uint64_t at = 0;
        if (offset < kPbaOffset) {
            bytes = &table_;
            at = offset - kTableOffset;
        } else {
            bytes = &pba_;
            at = offset - kPbaOffset;
        }
        uint64_t value = 0;
        for (unsigned i = 0; i < size; ++i)
            if (at + i < bytes->size()) value |= uint64_t{(*bytes)[at + i]} << (8 * i);
        return value;
    };
    ops.write = [this](uint64_t offset, uint64_t value, unsigned size) {
        if (offset >= kPbaOffset || offset + size > table_.size()) return;  // the PBA is read-only
        unsigned vector = static_cast<unsigned>(offset / kEntrySize);
        bool was_masked = vector_masked(vector);
        for (unsigned i = 0; i < size; ++i)
            table_[offset + i] = static_cast<uint8_t>(value >> (8 * i));
        if (was_masked && !vector_masked(vector)) deliver_pending();
    };
    ops.valid = {4, 8, false};
    ops.impl = {4, 4, false};
    region_.init_io("msix-table-and-pba", kBarSize, std::move(ops));
    device.register_bar(bar, kBarMem32, region_);
}

void Msix::reset() {
    std::fill(table_.begin(), table_.end(), 0);
    std::fill(pba_.begin(), pba_.end(), 0);
    // Every vector starts masked (PCI 3.0, 6.8.2.9).
    for (unsigned v = 0; v < vectors(); ++v) table_[v * kEntrySize + kVectorControl] = 1;
}

bool Msix::enabled() const {
    return cap_ && (device_->get_word(static_cast<uint8_t>(cap_ + 2)) & kControlEnable);
}
bool Msix::function_masked() const {
    return device_->get_word(static_cast<uint8_t>(cap_ + 2)) & kControlMask;
}
bool Msix::vector_masked(unsigned vector) const {
    return function_masked() || (entry_word(vector, kVectorControl / 4) & 1);
}

uint32_t Msix::entry_word(unsigned vector, unsigned word) const {
    size_t at = size_t{vector} * kEntrySize + 4 * word;
    return static_cast<uint32_t>(table_[at] | table_[at + 1] << 8 | table_[at + 2] << 16 |
                                 static_cast<uint32_t>(table_[at + 3]) << 24);
}

void Msix::notify(unsigned vector) {
    if (!enabled() || vector >= vectors()) return;
    if (vector_masked(vector)) {
        pba_[vector / 8] = static_cast<uint8_t>(pba_[vector / 8] | 1u << (vector % 8));
        return;
    }
    uint64_t address = entry_word(vector, 0) | uint64_t{entry_word(vector, 1)} << 32;
    send_(address, entry_word(vector, 2));
}

void Msix::deliver_pending() {
    if (!enabled()) return;
    for (unsigned v = 0; v < vectors(); ++v) {
        if (!(pba_[v / 8] & (1u << (v % 8))) || vector_masked(v)) continue;
        pba_[v / 8] = static_cast<uint8_t>(pba_[v / 8] & ~(1u << (v % 8)));
        notify(v);
    }
}

void Msix::config_written() { deliver_pending(); }

}  // namespace mimic::hw
