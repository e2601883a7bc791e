// The callbacks a device gives an I/O region (MMIO or I/O ports), and the
// access-size rules the memory core enforces around them.
//
// Two sets of sizes, as in QEMU:
//  - `valid` is what the *bus* accepts. An access outside it never reaches
//    the device: reads return all ones, writes are dropped, and the event is
//    logged under log::kGuestErrors (like a PC chipset ignoring a bad cycle).
//  - `impl` is what the *callbacks* implement. A valid access wider than
//    impl.max is split into several callback calls; one narrower than impl.min
//    is widened to the aligned impl.min unit around it (reads extract the
//    bytes, writes do read-modify-write of that unit). Devices whose reads
//    have side effects should therefore implement every valid size.
// So a device can write only 4-byte callbacks and still be reached by 1..8
// byte guest accesses.
#pragma once

#include <cstdint>
#include <functional>

namespace mimic::memory {

// Byte order of the values the callbacks exchange. Almost every PC device is
// little-endian; big-endian ones (fw_cfg DMA address) see the guest bytes
// with the lowest address as the most significant.
enum class Endianness : uint8_t { kLittle, kBig };

struct AccessSizes {
    unsigned min = 1;        // bytes, power of two in 1..8
    unsigned max = 8;        // bytes, power of two in min..8
    bool unaligned = false;  // accept/issue accesses not aligned to their size
};

struct MmioOps {
    // `offset` is relative to the region; `size` is 1, 2, 4 or 8. A missing
    // callback makes the corresponding accesses invalid (logged, all ones /
    // dropped), which suits read-only or write-only registers.
    std::function<uint64_t(uint64_t offset, unsigned size)> read;
    std::function<void(uint64_t offset, uint64_t value, unsigned size)> write;
    // Optional finer filter on top of `valid`; returning false rejects the
    // access exactly like a bad size.
    std::function<bool(uint64_t offset, unsigned size, bool is_write)> accepts;

    AccessSizes valid{1, 8, false};
    AccessSizes impl{1, 4, false};
    Endianness endianness = Endianness::kLittle;
};

// Ops for a region that answers everything like an empty bus, silently:
// reads all ones, writes ignored, any size. The PC's I/O port space uses it
// as its root ("io"), so probing absent ports is not a guest error there,
// the same as in QEMU.
MmioOps empty_bus_ops();

// Outcome of an access through an AddressSpace. Anything but kOk has already
// been handled the hardware way (all ones read, write dropped) and, except
// for ROM writes, logged; the value is for callers that must report bus
// errors (DMA engines, IOMMU).
enum class AccessResult : uint8_t {
    kOk,
    kUnassigned,  // part of the range hit no region
    kRejected,    // size/alignment not valid for the device, or write to ROM
};

// Combines results of the pieces of one access: the first failure sticks.
inline AccessResult merge(AccessResult a, AccessResult b) { return a != AccessResult::kOk ? a : b; }

}  // namespace mimic::memory
