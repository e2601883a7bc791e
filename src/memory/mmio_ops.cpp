#include "mimic/memory/mmio_ops.h"

namespace mimic::memory {

MmioOps empty_bus_ops() {
    MmioOps ops;
    // Any size and alignment in, one callback per access out: there is
    // nothing behind it to split for.
    ops.valid = {1, 8, true};
    ops.impl = {1, 8, true};
    ops.read = [](uint64_t, unsigned) { return ~uint64_t{0}; };
    ops.write = [](uint64_t, uint64_t, unsigned) {};
    return ops;
}

}  // namespace mimic::memory
