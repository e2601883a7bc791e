// Calling an I/O region's callbacks for one guest access, applying the
// region's `valid` and `impl` size rules (see mmio_ops.h). Private to the
// memory core.
#pragma once

#include <cstdint>

#include "mimic/memory/mmio_ops.h"

namespace mimic::memory {

class MemoryRegion;

// One access of `size` (1, 2, 4 or 8) bytes at `offset` in `region`. The
// value is in guest (little-endian) order. An invalid access is logged under
// kGuestErrors; its read yields all ones.
AccessResult mmio_read(const MemoryRegion& region, uint64_t offset, unsigned size, uint64_t* value);
AccessResult mmio_write(const MemoryRegion& region, uint64_t offset, unsigned size, uint64_t value);

// The largest access the bus path should issue for `len` bytes at `offset`
// (QEMU's rule: valid.max, bounded by the address alignment unless the
// device handles unaligned accesses, rounded down to a power of two).
unsigned mmio_access_size(const MemoryRegion& region, uint64_t offset, uint64_t len);

}  // namespace mimic::memory
