// FlatView: the region tree of an address space rendered into sorted,
// non-overlapping ranges, each pointing at the one region that answers
// there. Built by the main loop, then immutable and shared by readers.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace mimic::memory {

class MemoryRegion;

struct FlatRange {
    uint64_t start = 0;
    uint64_t last = 0;               // inclusive, so a range can end at 2^64-1
    MemoryRegion* region = nullptr;  // a terminating region, never a container or alias
    uint64_t offset = 0;             // offset inside `region` of `start`
    bool readonly = false;           // guest writes rejected (ROM, read-only RAM)
    bool romd = false;               // ROM device in romd mode: reads from its memory
    bool dirty_log = false;          // RAM whose guest writes are recorded

    uint64_t offset_of(uint64_t addr) const { return offset + (addr - start); }
    bool operator==(const FlatRange&) const = default;
};

// What a TLB needs to map one guest-physical address.
struct Translation {
    MemoryRegion* region = nullptr;  // nullptr: nothing mapped here
    uint64_t offset = 0;             // offset inside `region`
    // Bytes from the address to the end of this range (or, when unassigned,
    // to the next range); UINT64_MAX when that would be 2^64.
    uint64_t length = 0;
    // Host memory for the address when reads may bypass the region
    // (RAM, ROM, ROM device in romd mode); nullptr for callbacks.
    uint8_t* host = nullptr;
    // Writes may also go through `host` for the page of the address: RAM
    // that is not read-only, not dirty-logged, and whose page holds no
    // translated code (code_tracking.h). Otherwise writes must take the
    // AddressSpace path, which does the bookkeeping.
    bool writable = false;
    // RAM that would be writable but for translated code on the page: a
    // write through `host` is fine once the self-modifying code check for
    // the written bytes is done (code_tracking.h).
    bool code_write_protected = false;
    bool readonly = false;  // guest writes are rejected here
    // Some access here runs device callbacks: an I/O region, or a ROM device
    // (whose writes always do, even in romd mode when `host` is set). The
    // slow path must then hold the BQL (address_space.h).
    bool has_callbacks = false;
};

class FlatView {
  public:
    FlatView() = default;
    FlatView(std::vector<FlatRange> ranges, const MemoryRegion* root);

    std::span<const FlatRange> ranges() const { return ranges_; }
    const MemoryRegion* root() const { return root_; }

    // The range holding `addr`, or nullptr. Binary search.
    const FlatRange* find(uint64_t addr) const;
    // Bytes from `addr` to the end of its range, or to the next range when
    // `addr` is unassigned; saturated at UINT64_MAX.
    uint64_t remaining(uint64_t addr) const;
    Translation translate(uint64_t addr) const;

    // Views with the same ranges are interchangeable; rebuilding to an equal
    // view neither republishes nor disturbs listeners (and TLBs).
    bool operator==(const FlatView& other) const { return ranges_ == other.ranges_; }

  private:
    std::vector<FlatRange> ranges_;
    const MemoryRegion* root_ = nullptr;
};

// What changed between two views, for listeners that mirror the mapping
// elsewhere (KVM memory slots): ranges to drop, then ranges to add. A
// listener keeps the view it last saw (AddressSpace::view()) to diff from.
struct FlatViewDiff {
    std::vector<FlatRange> removed;  // in `before` but not in `after`
    std::vector<FlatRange> added;    // in `after` but not in `before`
};
FlatViewDiff diff_views(const FlatView& before, const FlatView& after);

// Renders the tree under `root` (QEMU's rules: priority, aliases, clipping to
// each region, disabled regions absent, adjacent pieces merged).
FlatView render_flat_view(const MemoryRegion& root);

}  // namespace mimic::memory
