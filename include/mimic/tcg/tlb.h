// The softmmu TLB shared by the generated fast path and the guest target.
//
// Contract for the guest target:
//  - The CPU state struct (what generated code gets as env) embeds a SoftTlb;
//    its offset from env goes into SoftmmuConfig::tlb_offset.
//  - Entry i of mmu_idx maps the virtual page with ((vaddr >> 12) & mask[mmu_idx]) == i.
//    Its fields live in one array each (addr_read[mmu_idx][i], ...).
//    addr_read/addr_write/addr_code hold the page-aligned virtual address when
//    that access kind may use the fast path, kTlbInvalid otherwise. The guest
//    may set flag bits (kTlbFlagMask: kTlbFlagMmio, kTlbFlagCode) in a tag to
//    force every access of that kind to the page through the slow path,
//    which then finds the entry (tlb_tag_matches_page) and acts on the flag
//    without walking the page tables.
//  - addend = host address of the page - virtual address of the page, so a
//    hit accesses host memory at vaddr + addend (little-endian host order).
//  - Everything else goes to the slow path: load_slow/store_slow, called with
//    the exact MemOp and MMU index. They handle misses (page walk, refill),
//    MMIO, misalignment (including raising #AC if the MemOp asked for
//    alignment) and page-crossing accesses. load_slow returns the value
//    zero-extended and already in the byte order the MemOp asks for; tcg
//    sign-extends. store_slow stores the low `size` bytes of value.
//  - A slow path that raises a guest exception calls the guest's restore
//    logic with retaddr (Backend::restore_state) and siglongjmps to the cpu
//    loop; generated code never needs C++ unwinding.
//  - The fast path compares (vaddr + size - align) masked with the page mask
//    and the alignment bits against the tag: misaligned and page-crossing
//    accesses miss by construction.
#pragma once

#include <cstddef>
#include <cstdint>

#include "mimic/tcg/types.h"

namespace mimic::tcg {

inline constexpr unsigned kPageBits = 12;
inline constexpr uint64_t kPageSize = 1ull << kPageBits;
inline constexpr uint64_t kPageMask = ~(kPageSize - 1);
// Each MMU mode's table grows and shrinks with use (the guest target
// decides, with tlb_bits_after_conflicts/tlb_bits_after_flush) between 256
// and 8192 entries (32 MiB). It starts at 4096 pages (16 MiB): a program
// walking a few MiB keeps its pages (1024 entries made glibc's string
// functions over 4 MiB buffers walk page tables). Flushes visit only the
// entries used (the guest target keeps track), so a bigger table does not
// make them slower; a smaller one keeps the entries in use on fewer cache
// lines.
inline constexpr unsigned kTlbMinBits = 8, kTlbMaxBits = 13, kTlbDefaultBits = 12;
inline constexpr unsigned kTlbCapacity = 1u << kTlbMaxBits;
// Enough for x86 (kernel, user, kernel with CR0.WP clear); each one more
// makes every full flush longer.
inline constexpr unsigned kNumMmuModes = 4;
inline constexpr uint64_t kTlbInvalid = ~0ull;
// Tag bits the guest may set to force the slow path (alignment checks use
// bits 0-5). A flagged tag never equals a compare value, so the fast path
// misses; the entry stays exact otherwise (its access kind was allowed by
// the page walk that filled it).
inline constexpr uint64_t kTlbFlagMask = 0xfc0;
// Accesses of this kind go through the memory API at the physical address
// the guest target remembers for the entry: device regions, and writes to
// memory whose writes need bookkeeping (ROM, read-only or dirty-logged RAM).
inline constexpr uint64_t kTlbFlagMmio = 0x40;
// addr_write only: the page holds translated code. A store first checks it
// touches no code (self-modifying code), then goes through the host page.
inline constexpr uint64_t kTlbFlagCode = 0x80;
static_assert((kTlbFlagMmio | kTlbFlagCode) == ((kTlbFlagMmio | kTlbFlagCode) & kTlbFlagMask));

// Whether a tag maps `page` (page-aligned), flag bits aside. kTlbInvalid
// never matches: its alignment bits are set.
inline bool tlb_tag_matches_page(uint64_t tag, uint64_t page) { return (tag & ~kTlbFlagMask) == page; }

// One entry's fields, copied out of the table (victim TLB, C++ lookups).
struct TlbEntry {
    uint64_t addr_read;
    uint64_t addr_write;
    uint64_t addr_code;
    uintptr_t addend;
};

// The table is a structure of arrays: the tags and the addend of entry i are
// each at i * 8 from the start of their array. The fast path extracts i from
// the address with one BMI1 BEXTR and lets the addressing mode scale it by 8;
// 32-byte entries would need a shift and a mask, one more cycle on the
// dependency chain of every guest load whose address comes from a load.
struct SoftTlb {
    // Entry index of a page: (vaddr >> 12) & mask[mmu_idx], a field of
    // bits(mmu_idx) bits; index_ctl is the same field as a BEXTR control
    // (start | length << 8). Generated code reads both from here.
    uint32_t mask[kNumMmuModes];
    uint32_t index_ctl[kNumMmuModes];
    uint64_t addr_read[kNumMmuModes][kTlbCapacity];
    uint64_t addr_write[kNumMmuModes][kTlbCapacity];
    uint64_t addr_code[kNumMmuModes][kTlbCapacity];
    uintptr_t addend[kNumMmuModes][kTlbCapacity];

    SoftTlb();
    void flush();
    void flush_mmu(unsigned mmu_idx);
    void flush_page(uint64_t vaddr);   // in every MMU mode
    // Installs a mapping of the page containing vaddr to host memory `host_page`.
    void set(unsigned mmu_idx, uint64_t vaddr, void* host_page, bool read, bool write, bool exec);

    unsigned bits(unsigned mmu_idx) const { return static_cast<unsigned>(index_ctl[mmu_idx] >> 8); }
    unsigned size(unsigned mmu_idx) const { return mask[mmu_idx] + 1; }
    // A new size for mmu_idx's table: entries stay where they are, so the
    // caller moves (or drops) them; flushes before or after are its choice.
    void set_bits(unsigned mmu_idx, unsigned bits);
    unsigned index(unsigned mmu_idx, uint64_t vaddr) const {
        return static_cast<unsigned>(vaddr >> kPageBits) & mask[mmu_idx];
    }
    TlbEntry get(unsigned mmu_idx, unsigned i) const {
        return {addr_read[mmu_idx][i], addr_write[mmu_idx][i], addr_code[mmu_idx][i], addend[mmu_idx][i]};
    }
    void put(unsigned mmu_idx, unsigned i, const TlbEntry& e) {
        addr_read[mmu_idx][i] = e.addr_read;
        addr_write[mmu_idx][i] = e.addr_write;
        addr_code[mmu_idx][i] = e.addr_code;
        addend[mmu_idx][i] = e.addend;
    }
    void invalidate(unsigned mmu_idx, unsigned i) { put(mmu_idx, i, {kTlbInvalid, kTlbInvalid, kTlbInvalid, kTlbInvalid}); }
    TlbEntry entry(unsigned mmu_idx, uint64_t vaddr) const { return get(mmu_idx, index(mmu_idx, vaddr)); }

    // Where the generated code finds these, from the SoftTlb.
    static constexpr size_t mask_offset(unsigned mmu_idx) { return offsetof(SoftTlb, mask) + mmu_idx * 4; }
    static constexpr size_t index_ctl_offset(unsigned mmu_idx) { return offsetof(SoftTlb, index_ctl) + mmu_idx * 4; }
    static constexpr size_t read_offset(unsigned mmu_idx) { return offsetof(SoftTlb, addr_read) + mmu_idx * kTlbCapacity * 8; }
    static constexpr size_t write_offset(unsigned mmu_idx) { return offsetof(SoftTlb, addr_write) + mmu_idx * kTlbCapacity * 8; }
    static constexpr size_t code_offset(unsigned mmu_idx) { return offsetof(SoftTlb, addr_code) + mmu_idx * kTlbCapacity * 8; }
    static constexpr size_t addend_offset(unsigned mmu_idx) { return offsetof(SoftTlb, addend) + mmu_idx * kTlbCapacity * 8; }
};

// When a table should change size (as QEMU's dynamic TLB, in our terms):
//  - after a run of fills that evicted entries of other pages, with `used`
//    entries in use: grow (twice the size) when most of the table is in use,
//    so that a working set larger than the table stops evicting itself;
//  - at a flush, given the most entries in use during the last window of
//    time: shrink to twice that (at least kTlbMinBits) when under a third
//    of the table was used, keeping the entries on fewer cache lines.
// Both return the new bits (the same when no change).
unsigned tlb_bits_after_conflicts(unsigned bits, unsigned used);
unsigned tlb_bits_after_flush(unsigned bits, unsigned window_max_used);

using LoadSlowFn = uint64_t (*)(void* env, uint64_t vaddr, MemOp memop, unsigned mmu_idx, uintptr_t retaddr);
using StoreSlowFn = void (*)(void* env, uint64_t vaddr, uint64_t value, MemOp memop, unsigned mmu_idx,
                             uintptr_t retaddr);

struct SoftmmuConfig {
    int32_t tlb_offset = -1;   // offset of the SoftTlb from env; -1: no TLB, always slow
    LoadSlowFn load_slow = nullptr;
    StoreSlowFn store_slow = nullptr;
};

// The value the fast path compares with an entry's tag.
inline uint64_t tlb_compare_value(uint64_t vaddr, MemOp m) {
    uint64_t align = memop_align(m), size = memop_size(m);
    uint64_t last = size > align ? size - align : 0;
    return (vaddr + last) & (kPageMask | (align - 1));
}

// The same fast path in C++ (used by the interpreter).
uint64_t softmmu_load(const SoftmmuConfig& cfg, void* env, uint64_t vaddr, MemOpIdx oi, uintptr_t retaddr);
void softmmu_store(const SoftmmuConfig& cfg, void* env, uint64_t vaddr, uint64_t value, MemOpIdx oi,
                   uintptr_t retaddr);

}  // namespace mimic::tcg
