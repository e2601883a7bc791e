#include "mmio_dispatch.h"

#include <algorithm>
#include <bit>

#include "mimic/memory/memory_region.h"
#include "mimic/util/log.h"

namespace mimic::memory {

namespace {

uint64_t size_mask(unsigned size) {
    return size >= 8 ? ~uint64_t{0} : (uint64_t{1} << (size * 8)) - 1;
}

bool check_valid(const MemoryRegion& region, uint64_t offset, unsigned size, bool is_write) {
    const MmioOps& ops = region.ops();
    const char* what = is_write ? "write" : "read";
    if ((is_write && !ops.write) || (!is_write && !ops.read) ||
        (ops.accepts && !ops.accepts(offset, size, is_write))) {
        MIMIC_LOG(log::kGuestErrors,
                  "Invalid {} at addr 0x{:X}, size {}, region '{}', reason: rejected\n", what,
                  offset, size, region.name());
        return false;
    }
    if (!ops.valid.unaligned && (offset & (size - 1))) {
        MIMIC_LOG(log::kGuestErrors,
                  "Invalid {} at addr 0x{:X}, size {}, region '{}', reason: unaligned\n", what,
                  offset, size, region.name());
        return false;
    }
    if (size < ops.valid.min || size > ops.valid.max) {
        MIMIC_LOG(log::kGuestErrors,
                  "Invalid {} at addr 0x{:X}, size {}, region '{}', reason: invalid size (min:{} "
                  "max:{})\n",
                  what, offset, size, region.name(), ops.valid.min, ops.valid.max);
        return false;
    }
    return true;
}

// The callback accesses that cover [offset, offset + size): `width` bytes
// each, from `first` on. Width is the access size clamped to what the
// callbacks implement; units are aligned to it unless impl.unaligned.
struct Units {
    unsigned width;
    uint64_t first;
};

Units plan_units(const MmioOps& ops, uint64_t offset, unsigned size) {
    unsigned width = std::clamp(size, ops.impl.min, ops.impl.max);
    uint64_t first = ops.impl.unaligned ? offset : offset & ~uint64_t{width - 1};
    return {width, first};
}

// Byte `index` (0 = lowest address) of a callback value of `width` bytes.
uint8_t value_byte(uint64_t value, unsigned width, unsigned index, Endianness order) {
    unsigned shift = order == Endianness::kLittle ? index * 8 : (width - 1 - index) * 8;
    return static_cast<uint8_t>(value >> shift);
}

uint64_t value_from_bytes(const uint8_t* bytes, unsigned width, Endianness order) {
    uint64_t value = 0;
    for (unsigned i = 0; i < width; ++i) {
        unsigned shift = order == Endianness::kLittle ? i * 8 : (width - 1 - i) * 8;
        value |= uint64_t{bytes[i]} << shift;
    }
    return value;
}

}  // namespace

AccessResult mmio_read(const MemoryRegion& region, uint64_t offset, unsigned size,
                       uint64_t* value) {
    if (!check_valid(region, offset, size, false)) {
        *value = size_mask(size);
        return AccessResult::kRejected;
    }
    const MmioOps& ops = region.ops();
    Units units = plan_units(ops, offset, size);
    // The common case needs no reshaping at all.
    if (units.width == size && units.first == offset && ops.endianness == Endianness::kLittle) {
        *value = ops.read(offset, size) & size_mask(size);
        return AccessResult::kOk;
    }
    // Otherwise gather the guest's bytes from each unit, then assemble them
    // in guest (little-endian) order.
    uint8_t bytes[8] = {};
    for (uint64_t unit = units.first; unit < offset + size; unit += units.width) {
        uint64_t got = ops.read(unit, units.width);
        for (unsigned i = 0; i < units.width; ++i) {
            uint64_t at = unit + i;
            if (at >= offset && at < offset + size)
                bytes[at - offset] = value_byte(got, units.width, i, ops.endianness);
        }
    }
    *value = value_from_bytes(bytes, size, Endianness::kLittle);
    return AccessResult::kOk;
}

AccessResult mmio_write(const MemoryRegion& region, uint64_t offset, unsigned size,
                        uint64_t value) {
    if (!check_valid(region, offset, size, true)) return AccessResult::kRejected;
    const MmioOps& ops = region.ops();
    value &= size_mask(size);
    Units units = plan_units(ops, offset, size);
    if (units.width == size && units.first == offset && ops.endianness == Endianness::kLittle) {
        ops.write(offset, value, size);
        return AccessResult::kOk;
    }
    for (uint64_t unit = units.first; unit < offset + size; unit += units.width) {
        bool whole = unit >= offset && unit + units.width <= offset + size;
        // A unit the guest covers only partly keeps its other bytes: read it
        // first (the callbacks cannot take byte enables).
        uint64_t old = whole || !ops.read ? 0 : ops.read(unit, units.width);
        uint8_t bytes[8];
        for (unsigned i = 0; i < units.width; ++i) {
            uint64_t at = unit + i;
            bytes[i] = at >= offset && at < offset + size
                           ? static_cast<uint8_t>(value >> ((at - offset) * 8))
                           : value_byte(old, units.width, i, ops.endianness);
        }
        ops.write(unit, value_from_bytes(bytes, units.width, ops.endianness), units.width);
    }
    return AccessResult::kOk;
}

unsigned mmio_access_size(const MemoryRegion& region, uint64_t offset, uint64_t len) {
    const MmioOps& ops = region.ops();
    uint64_t limit = ops.valid.max;
    if (!ops.impl.unaligned && offset != 0) {
        uint64_t alignment = offset & (~offset + 1);  // lowest set bit
        limit = std::min(limit, alignment);
    }
    return static_cast<unsigned>(std::bit_floor(std::min(len, limit)));
}

}  // namespace mimic::memory
