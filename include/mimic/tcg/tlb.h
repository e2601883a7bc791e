// The softmmu TLB shared by the generated fast path and the guest target.
//
// Contract for the guest target:
//  - The CPU state struct (what generated code gets as env) embeds a SoftTlb;
//    its offset from env goes into SoftmmuConfig::tlb_offset.
//  - Entry i of mmu_idx maps the virtual page with ((vaddr >> 12) & (kTlbSize - 1)) == i.
//    addr_read/addr_write/addr_code hold the page-aligned virtual address when
//    that access kind may use the fast path, kTlbInvalid otherwise. The guest
//    may set flag bits (kTlbFlagMask, e.g. for MMIO or watched pages) in a tag
//    to force every access to that page through the slow path.
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
// 4096 pages (16 MiB) per MMU mode: a program walking a few MiB keeps its
// pages (1024 entries made glibc's string functions over 4 MiB buffers walk
// page tables); flushes visit only the entries used (the guest target keeps
// track), so a bigger table does not make them slower.
inline constexpr unsigned kTlbBits = 12;
inline constexpr unsigned kTlbSize = 1u << kTlbBits;
// Enough for x86 (kernel, user, kernel with CR0.WP clear); each one more
// makes every full flush longer.
inline constexpr unsigned kNumMmuModes = 4;
inline constexpr uint64_t kTlbInvalid = ~0ull;
// Tag bits the guest may set to force the slow path (alignment checks use bits 0-5).
inline constexpr uint64_t kTlbFlagMask = 0xfc0;

struct TlbEntry {
    uint64_t addr_read;
    uint64_t addr_write;
    uint64_t addr_code;
    uintptr_t addend;
};
static_assert(sizeof(TlbEntry) == 32, "the fast path scales the index by 32");

struct SoftTlb {
    TlbEntry table[kNumMmuModes][kTlbSize];

    SoftTlb() { flush(); }
    void flush();
    void flush_mmu(unsigned mmu_idx);
    void flush_page(uint64_t vaddr);   // in every MMU mode
    // Installs a mapping of the page containing vaddr to host memory `host_page`.
    void set(unsigned mmu_idx, uint64_t vaddr, void* host_page, bool read, bool write, bool exec);

    static unsigned index(uint64_t vaddr) { return (vaddr >> kPageBits) & (kTlbSize - 1); }
    TlbEntry& entry(unsigned mmu_idx, uint64_t vaddr) { return table[mmu_idx][index(vaddr)]; }
};

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
