// The softmmu slow path: page walks, TLB refills, MMIO, split accesses and
// the code-page bookkeeping for self-modifying code.
//
// Paging structures supported: 2-level 32-bit (with PSE 4 MiB pages), PAE
// 3-level (2 MiB pages, NX) and 4-level for long mode (with 1 GiB pages).
// Accessed/dirty bits are set as the hardware
// does: A on every level of a successful walk, D on the final entry for a
// write. A page that is not yet dirty is entered into the TLB read-only so
// the first write comes back here to set D.
#include <cstring>

#include "cpu_impl.h"
#include "helpers.h"
#include "mimic/memory/memory_region.h"
#include "mimic/util/log.h"

namespace mimic::x86 {
namespace {

enum Access { kRead = 0, kWrite = 1, kExec = 2 };

enum : uint64_t {
    kPteP = 1, kPteW = 2, kPteU = 4, kPteA = 0x20, kPteD = 0x40, kPtePS = 0x80, kPteG = 0x100,
    kPteNX = 1ull << 63,
};

struct Walk {
    uint64_t paddr;        // physical address of vaddr
    bool readable, writable, user, exec, global, dirty;
    uint64_t page_size;
};

[[noreturn]] void page_fault(CpuState* env, uint64_t vaddr, uint32_t err, uintptr_t retaddr) {
    env->cr[2] = vaddr;
    MIMIC_LOG(log::kPage, "#PF vaddr={:#x} err={:#x}\n", vaddr, err);
    raise_exception_err(env, kExcPF, err, retaddr);
}

uint64_t pt_ld(CpuState* env, uint64_t pa, bool wide) { return phys_ld(env, pa, wide ? 8 : 4); }

// Sets bits in a paging-structure entry if they are not set yet.
void pt_set(CpuState* env, uint64_t pa, uint64_t entry, uint64_t bits, bool wide) {
    if ((entry & bits) != bits) phys_st(env, pa, entry | bits, wide ? 8 : 4);
}

// Between PAT (bit 12) and the frame of a large page: reserved.
constexpr uint64_t kLargePageReserved2M = 0x1fe000, kLargePageReserved1G = 0x3fffe000;

// Walks the page tables for an access through `mmu_idx`. Returns false
// (having set *err) on a fault.
bool page_walk(CpuState* env, uint64_t vaddr, Access access, unsigned mmu_idx, Walk& w, uint32_t& err) {
    const bool user = mmu_idx == kMmuUser;
    const bool pae = env->cr[4] & kCr4PAE;
    const bool nxe = pae && (env->efer & kEferNXE);
    const bool lma = env->efer & kEferLMA;
    // The supervisor may not execute user pages under SMEP, nor touch their
    // data under SMAP unless EFLAGS.AC lets an explicit access through.
    const bool smep = !user && (env->cr[4] & kCr4SMEP);
    const bool smap = !user && mmu_idx != kMmuKernelNoSmap && (env->cr[4] & kCr4SMAP);
    err = (access == kWrite ? 2u : 0u) | (user ? 4u : 0u) | (access == kExec && (nxe || smep) ? 0x10u : 0u);

    // Levels from the top: the address of each entry and the bits it covers.
    struct Level { uint64_t pa, entry; };
    Level levels[4];
    int n = 0;
    bool writable = true, usr = true, nx = false;
    uint64_t entry = 0, page_size = 4096, frame = 0;

    // Reserved bits in a present entry fault with P and RSVD in the error
    // code: XD while EFER.NXE is clear, and address bits past MAXPHYADDR.
    const uint64_t reserved = pae ? cpu_of(env).paging_address_reserved_ | (nxe ? 0 : uint64_t{kPteNX}) : 0;
    auto visit = [&](uint64_t pa, bool wide) -> bool {
        entry = pt_ld(env, pa, wide);
        levels[n++] = {pa, entry};
        if (!(entry & kPteP)) return false;
        if (entry & reserved) {
            err |= 9;
            return false;
        }
        writable &= (entry & kPteW) != 0;
        usr &= (entry & kPteU) != 0;
        nx |= nxe && (entry & kPteNX);
        return true;
    };

    if (!pae) {
        uint64_t pde_pa = (env->cr[3] & 0xfffff000) + ((vaddr >> 20) & 0xffc);
        if (!visit(pde_pa, false)) return false;
        if ((entry & kPtePS) && (env->cr[4] & kCr4PSE)) {
            page_size = 4u << 20;
            // PSE-36: bits 13..16 of the PDE are physical address bits 32..35.
            frame = (entry & 0xffc00000) | ((entry & 0x1e000) << 19);
        } else {
            uint64_t pte_pa = (entry & 0xfffff000) + ((vaddr >> 10) & 0xffc);
            if (!visit(pte_pa, false)) return false;
            frame = entry & 0xfffff000;
        }
    } else {
        const uint64_t addr_mask = 0x000ffffffffff000ull;
        uint64_t table;
        if (lma) {
            uint64_t pml4e_pa = (env->cr[3] & addr_mask) + (((vaddr >> 39) & 511) << 3);
            if (!visit(pml4e_pa, true) || (entry & kPtePS)) {
                if ((entry & kPteP) && (entry & kPtePS)) err |= 9;   // PS is reserved in a PML4E
                return false;
            }
            uint64_t pdpte_pa = (entry & addr_mask) + (((vaddr >> 30) & 511) << 3);
            if (!visit(pdpte_pa, true)) return false;
            if ((entry & kPtePS) && !(cpu_features(env).e1_edx & cpuid::kExtPage1Gb)) {
                err |= 9;   // PS in a PDPTE is reserved without 1 GiB page support
                return false;
            }
            if (entry & kPtePS) {
                page_size = 1u << 30;
                if (entry & kLargePageReserved1G) {
                    err |= 9;
                    return false;
                }
                frame = entry & addr_mask & ~(page_size - 1);
                goto done;
            }
            table = entry & addr_mask;
        } else {
            // The four PDPTEs: no R/W, U/S or NX bits in legacy PAE mode.
            uint64_t pdpte_pa = (env->cr[3] & 0xffffffe0) + (((vaddr >> 30) & 3) << 3);
            uint64_t pdpte = pt_ld(env, pdpte_pa, true);
            if (!(pdpte & kPteP)) return false;
            table = pdpte & addr_mask;
        }
        uint64_t pde_pa = table + (((vaddr >> 21) & 511) << 3);
        if (!visit(pde_pa, true)) return false;
        if (entry & kPtePS) {
            page_size = 2u << 20;
            if (entry & kLargePageReserved2M) {
                err |= 9;
                return false;
            }
            frame = entry & addr_mask & ~(page_size - 1);
        } else {
            uint64_t pte_pa = (entry & addr_mask) + (((vaddr >> 12) & 511) << 3);
            if (!visit(pte_pa, true)) return false;
            frame = entry & addr_mask;
        }
    }
done:
    err |= 1;   // present: from here on a fault is a protection violation
    const bool denied = (user && !usr) || (access == kWrite && !writable && (user || (env->cr[0] & kCr0WP))) ||
                        (access == kExec && nx) || (usr && (access == kExec ? smep : smap));
    // Protection keys: in 4-level paging the data accesses to a page, from
    // either privilege, obey the rights of the key in its PTE: PKRU's for
    // user pages, IA32_PKRS's for supervisor pages. The error code's PK bit
    // says so even when the access is refused for other reasons too.
    bool key_denies_read = false, key_denies_write = false;
    if (lma && (env->cr[4] & (usr ? kCr4PKE : kCr4PKS))) {
        const unsigned key = static_cast<unsigned>(entry >> 59) & 0xf;
        const uint64_t rights = usr ? env->pkru : env->msr.pkrs;
        key_denies_read = (rights >> (2 * key)) & 1;
        key_denies_write = key_denies_read ||
                           (((rights >> (2 * key + 1)) & 1) && (user || (env->cr[0] & kCr0WP)));
        if (access == kRead ? key_denies_read : access == kWrite && key_denies_write) {
            err |= 0x20;
            return false;
        }
    }
    if (denied) return false;

    // Accessed on every level; dirty on the last one for writes.
    for (int i = 0; i < n; ++i) {
        uint64_t bits = kPteA;
        if (i == n - 1 && access == kWrite) bits |= kPteD;
        pt_set(env, levels[i].pa, levels[i].entry, bits, pae);
    }
    w.paddr = frame + (vaddr & (page_size - 1));
    w.page_size = page_size;
    w.user = usr;
    // The entry serves every kind of access: each gets its own verdict.
    w.readable = !(usr && smap) && !key_denies_read;
    // Supervisor writes to read-only pages are allowed without CR0.WP.
    w.writable = (writable || (!user && !(env->cr[0] & kCr0WP))) && w.readable && !key_denies_write;
    w.exec = !nx && !(usr && smep);
    w.global = (entry & kPteG) && (env->cr[4] & kCr4PGE);
    w.dirty = access == kWrite || (entry & kPteD);
    return true;
}

// Translates vaddr for `access`, raising #PF on failure.
Walk translate(CpuState* env, uint64_t vaddr, Access access, unsigned mmu_idx, uintptr_t retaddr) {
    Walk w{};
    if (!(env->cr[0] & kCr0PG)) {
        w.paddr = vaddr & 0xffffffffull;
        w.readable = w.writable = w.user = w.exec = w.dirty = true;
        w.page_size = 4096;
        return w;
    }
    uint32_t err;
    if (!page_walk(env, vaddr, access, mmu_idx, w, err)) page_fault(env, vaddr, err, retaddr);
    return w;
}

// Enters vaddr's page into the TLB, with the access kinds the walk allowed.
// RAM and ROM pages map to host memory; the others (devices, unassigned)
// get the MMIO flag, as do writes the memory API must see (ROM, read-only or
// dirty-logged RAM) and, with the code flag, writes to pages holding
// translated code. Executing from a device page always walks.
void tlb_fill(CpuState* env, uint64_t vaddr, const Walk& w, unsigned mmu_idx) {
    CpuImpl& cpu = cpu_of(env);
    if (page_has_data_breakpoint(env, vaddr)) return;
    const uint64_t paddr_page = (w.paddr & env->a20_mask) & tcg::kPageMask;
    const memory::Translation t = cpu.mem_.translate(paddr_page);
    const uint64_t page = vaddr & tcg::kPageMask;
    // A page not yet dirty stays read-only: the first write walks to set D.
    const bool write = w.writable && w.dirty;
    tcg::TlbEntry e{tcg::kTlbInvalid, tcg::kTlbInvalid, tcg::kTlbInvalid, tcg::kTlbInvalid};
    if (t.host && t.length >= tcg::kPageSize) {
        if (w.readable) e.addr_read = page;
        if (write)
            e.addr_write = t.writable ? page
                                      : page | (t.code_write_protected ? tcg::kTlbFlagCode : tcg::kTlbFlagMmio);
        if (w.exec) e.addr_code = page;
        e.addend = reinterpret_cast<uintptr_t>(t.host) - page;
    } else {
        if (w.readable) e.addr_read = page | tcg::kTlbFlagMmio;
        if (write) e.addr_write = page | tcg::kTlbFlagMmio;
    }
    cpu.tlb_evict_to_victim(mmu_idx, vaddr);   // (may resize the table: index after it)
    const unsigned i = env->tlb.index(mmu_idx, vaddr);
    env->tlb.put(mmu_idx, i, e);
    cpu.tlb_paddr_[mmu_idx][i] = paddr_page;
    cpu.note_tlb_entry(mmu_idx, vaddr, w.global, w.page_size);
}

// One access within a page at physical address paddr, through the memory
// API (and, for writes to RAM holding code, the self-modifying code check).
uint64_t access_phys(CpuState* env, uint64_t paddr, uint64_t value, unsigned size, Access access,
                     uintptr_t retaddr) {
    CpuImpl& cpu = cpu_of(env);
    memory::Translation t = cpu.mem_.translate(paddr);
    if (access == kWrite) {
        memory::RamBlock* rb = t.region ? t.region->ram_block() : nullptr;
        if (t.host && !t.readonly && rb && rb->code_pages().test(t.offset >> tcg::kPageBits)) {
            cpu.code_write_check(paddr, size, retaddr);
            t = cpu.mem_.translate(paddr);   // the page may have become directly writable
        }
        if (t.host && t.writable) {
            std::memcpy(t.host, &value, size);
        } else {
            bool lock = !t.host;
            if (lock) cpu.bql_lock();
            cpu.mem_.store(paddr, value, size);
            if (lock) cpu.bql_unlock();
        }
        return 0;
    }
    if (t.host) {
        uint64_t v = 0;
        std::memcpy(&v, t.host, size);
        return v;
    }
    cpu.bql_lock();
    uint64_t v = cpu.mem_.load(paddr, size);
    cpu.bql_unlock();
    return v;
}

// One aligned-within-a-page access through the walk (which refills the TLB).
uint64_t access_page(CpuState* env, uint64_t vaddr, uint64_t value, unsigned size, Access access, unsigned mmu_idx,
                     uintptr_t retaddr) {
    Walk w = translate(env, vaddr, access, mmu_idx, retaddr);
    tlb_fill(env, vaddr, w, mmu_idx);
    return access_phys(env, w.paddr & env->a20_mask, value, size, access, retaddr);
}

uint64_t& tlb_tag(CpuState* env, Access access, unsigned mmu_idx, unsigned i) {
    return (access == kRead ? env->tlb.addr_read : access == kWrite ? env->tlb.addr_write : env->tlb.addr_code)[mmu_idx][i];
}

// The entry allowing `access` to vaddr's page, flag bits aside (a victim
// entry is swapped in if need be): its index, or -1 when only a page walk
// can tell.
int tlb_entry_for(CpuState* env, uint64_t vaddr, Access access, unsigned mmu_idx) {
    const uint64_t page = vaddr & tcg::kPageMask;
    auto hit = [&] {
        const unsigned i = env->tlb.index(mmu_idx, vaddr);
        return tcg::tlb_tag_matches_page(tlb_tag(env, access, mmu_idx, i), page) ? static_cast<int>(i) : -1;
    };
    int i = hit();
    // (A swap may resize the table, and a resize may drop the entry: look again.)
    if (i < 0 && cpu_of(env).tlb_victim_refill(mmu_idx, vaddr, access)) i = hit();
    return i;
}

// The physical address of vaddr by entry i (as the walk that filled it found).
uint64_t tlb_entry_paddr(CpuState* env, unsigned mmu_idx, unsigned i, uint64_t vaddr) {
    return cpu_of(env).tlb_paddr_[mmu_idx][i] | (vaddr & ~tcg::kPageMask);
}

void* tlb_entry_host(CpuState* env, unsigned mmu_idx, unsigned i, uint64_t vaddr) {
    return reinterpret_cast<void*>(vaddr + env->tlb.addend[mmu_idx][i]);
}

// Where a store of `size` bytes at vaddr (one page) through write entry i
// goes in host memory: for a code page once the self-modifying code check
// of those bytes is done (which may restart the instruction); nullptr for
// an MMIO-flagged entry.
void* entry_store_host(CpuState* env, unsigned mmu_idx, unsigned i, uint64_t vaddr, uint64_t size,
                       uintptr_t retaddr) {
    uint64_t& tag = env->tlb.addr_write[mmu_idx][i];
    if (tag & tcg::kTlbFlagMmio) return nullptr;
    // The last block on the page gone: stores take the fast path again.
    if ((tag & tcg::kTlbFlagCode) &&
        !cpu_of(env).code_write_check(tlb_entry_paddr(env, mmu_idx, i, vaddr), static_cast<unsigned>(size), retaddr))
        tag &= ~tcg::kTlbFlagCode;
    return tlb_entry_host(env, mmu_idx, i, vaddr);
}

// Long mode: a non-canonical linear address faults before any page walk
// (#GP(0); the slow paths raise #SS(0) for stack accesses first).
void check_canonical(CpuState* env, uint64_t vaddr, unsigned size, uintptr_t retaddr, int vector = kExcGP) {
    if (!(env->efer & kEferLMA)) return;
    if (!is_canonical(vaddr) || !is_canonical(vaddr + size - 1)) {
        MIMIC_LOG(log::kGuestErrors, "x86: non-canonical address {:#x}\n", vaddr);
        raise_exception_err(env, vector, 0, retaddr);
    }
}

uint64_t do_load(CpuState* env, uint64_t vaddr, unsigned size, unsigned mmu_idx, uintptr_t retaddr, Access acc) {
    check_canonical(env, vaddr, size, retaddr);
    if (acc != kExec) data_breakpoint_access(env, vaddr, size, false, retaddr);
    uint64_t off = vaddr & (tcg::kPageSize - 1);
    if (off + size <= tcg::kPageSize) {
        const int i = tlb_entry_for(env, vaddr, acc, mmu_idx);
        if (i < 0) return access_page(env, vaddr, 0, size, acc, mmu_idx, retaddr);
        if (tlb_tag(env, acc, mmu_idx, i) & tcg::kTlbFlagMmio)
            return access_phys(env, tlb_entry_paddr(env, mmu_idx, i, vaddr), 0, size, acc, retaddr);
        uint64_t v = 0;
        std::memcpy(&v, tlb_entry_host(env, mmu_idx, i, vaddr), size);
        return v;
    }
    // Crosses a page: byte by byte, both pages checked before the value is used.
    uint64_t v = 0;
    for (unsigned i = 0; i < size; ++i)
        v |= access_page(env, vaddr + i, 0, 1, acc, mmu_idx, retaddr) << (8 * i);
    return v;
}

void do_store(CpuState* env, uint64_t vaddr, uint64_t value, unsigned size, unsigned mmu_idx, uintptr_t retaddr) {
    check_canonical(env, vaddr, size, retaddr);
    data_breakpoint_access(env, vaddr, size, true, retaddr);
    uint64_t off = vaddr & (tcg::kPageSize - 1);
    if (off + size <= tcg::kPageSize) {
        const int i = tlb_entry_for(env, vaddr, kWrite, mmu_idx);
        if (i < 0) {
            access_page(env, vaddr, value, size, kWrite, mmu_idx, retaddr);
            return;
        }
        if (void* host = entry_store_host(env, mmu_idx, i, vaddr, size, retaddr))
            std::memcpy(host, &value, size);
        else
            access_phys(env, tlb_entry_paddr(env, mmu_idx, i, vaddr), value, size, kWrite, retaddr);
        return;
    }
    // Both pages must be writable before any byte is stored.
    uint64_t second = (vaddr + size - 1) & tcg::kPageMask;
    translate(env, vaddr, kWrite, mmu_idx, retaddr);
    translate(env, second, kWrite, mmu_idx, retaddr);
    for (unsigned i = 0; i < size; ++i)
        access_page(env, vaddr + i, (value >> (8 * i)) & 0xff, 1, kWrite, mmu_idx, retaddr);
}

}  // namespace

// The interpreter calls the slow paths with retaddr 0, which our helpers
// read as "the state is already exact". It does know which instruction it
// is in (it ignores the address), so any nonzero value gets it restored.
constexpr uintptr_t kFromInterpreter = 1;

namespace {

// The front end asks for natural alignment only while alignment checking is
// on (kHfAc): a misaligned access is then #AC(0), a fault. An explicit
// alignment (the 16 bytes of MOVAPS and friends) is the instruction's own
// rule, #GP(0).
void check_stack_canonical(CpuState* env, uint64_t vaddr, uint32_t memop, uintptr_t retaddr) {
    if (memop & kMoStack) check_canonical(env, vaddr, tcg::memop_size(memop), retaddr, kExcSS);
}

void check_alignment(CpuState* env, uint64_t vaddr, uint32_t memop, uintptr_t retaddr) {
    const uint64_t align = tcg::memop_align(memop);
    if (align <= 1 || !(vaddr & (align - 1))) return;
    const bool natural = (memop & tcg::kMoAlignMask) == tcg::kMoAlignNatural;
    raise_exception_err(env, natural ? kExcAC : kExcGP, 0, retaddr);
}

}  // namespace

uint64_t softmmu_load_slow(void* envp, uint64_t vaddr, uint32_t memop, unsigned mmu_idx, uintptr_t retaddr) {
    auto* env = static_cast<CpuState*>(envp);
    if (!retaddr) retaddr = kFromInterpreter;
    check_stack_canonical(env, vaddr, memop, retaddr);
    check_alignment(env, vaddr, memop, retaddr);
    unsigned size = tcg::memop_size(memop);
    return do_load(env, vaddr, size, mmu_idx, retaddr, kRead);
}

void softmmu_store_slow(void* envp, uint64_t vaddr, uint64_t value, uint32_t memop, unsigned mmu_idx,
                        uintptr_t retaddr) {
    auto* env = static_cast<CpuState*>(envp);
    if (!retaddr) retaddr = kFromInterpreter;
    check_stack_canonical(env, vaddr, memop, retaddr);
    check_alignment(env, vaddr, memop, retaddr);
    do_store(env, vaddr, value, tcg::memop_size(memop), mmu_idx, retaddr);
}

// Helpers (string instructions above all) take the TLB hit path generated
// code takes: a full walk and two memory-map lookups per element made a
// REP MOVS over RAM several times slower than the loop it replaces.
uint64_t cpu_ld(CpuState* env, uint64_t vaddr, unsigned size, unsigned mmu_idx, uintptr_t retaddr) {
    if ((vaddr & ~tcg::kPageMask) + size <= tcg::kPageSize) {
        const unsigned i = env->tlb.index(mmu_idx, vaddr);
        if (env->tlb.addr_read[mmu_idx][i] == (vaddr & tcg::kPageMask)) {
            uint64_t v = 0;
            std::memcpy(&v, reinterpret_cast<const void*>(vaddr + env->tlb.addend[mmu_idx][i]), size);
            return v;
        }
    }
    return do_load(env, vaddr, size, mmu_idx, retaddr, kRead);
}

void cpu_st(CpuState* env, uint64_t vaddr, uint64_t value, unsigned size, unsigned mmu_idx, uintptr_t retaddr) {
    if ((vaddr & ~tcg::kPageMask) + size <= tcg::kPageSize) {
        const unsigned i = env->tlb.index(mmu_idx, vaddr);
        if (env->tlb.addr_write[mmu_idx][i] == (vaddr & tcg::kPageMask)) {
            std::memcpy(reinterpret_cast<void*>(vaddr + env->tlb.addend[mmu_idx][i]), &value, size);
            return;
        }
    }
    do_store(env, vaddr, value, size, mmu_idx, retaddr);
}

void* tlb_store_host(CpuState* env, uint64_t vaddr, uint64_t size, unsigned mmu_idx, uintptr_t retaddr) {
    const unsigned i = env->tlb.index(mmu_idx, vaddr);
    if (!tcg::tlb_tag_matches_page(env->tlb.addr_write[mmu_idx][i], vaddr & tcg::kPageMask)) return nullptr;
    return entry_store_host(env, mmu_idx, i, vaddr, size, retaddr);
}

uint64_t sys_ld(CpuState* env, uint64_t vaddr, unsigned size, uintptr_t retaddr) {
    return do_load(env, vaddr, size, kMmuKernel, retaddr, kRead);
}

void sys_st(CpuState* env, uint64_t vaddr, uint64_t value, unsigned size, uintptr_t retaddr) {
    do_store(env, vaddr, value, size, kMmuKernel, retaddr);
}

uint64_t phys_ld(CpuState* env, uint64_t paddr, unsigned size) {
    CpuImpl& cpu = cpu_of(env);
    paddr &= env->a20_mask;
    memory::Translation t = cpu.mem_.translate(paddr);
    if (t.host && t.length >= size) {
        uint64_t v = 0;
        std::memcpy(&v, t.host, size);
        return v;
    }
    cpu.bql_lock();
    uint64_t v = cpu.mem_.load(paddr, size);
    cpu.bql_unlock();
    return v;
}

void phys_st(CpuState* env, uint64_t paddr, uint64_t value, unsigned size) {
    CpuImpl& cpu = cpu_of(env);
    paddr &= env->a20_mask;
    memory::Translation t = cpu.mem_.translate(paddr);
    if (t.host && t.writable && t.length >= size) {
        std::memcpy(t.host, &value, size);
        return;
    }
    // Page tables living in a code page: the memory API's hook invalidates.
    cpu.bql_lock();
    cpu.mem_.store(paddr, value, size);
    cpu.bql_unlock();
}

uint64_t get_code_phys(CpuState* env, uint64_t vaddr, uintptr_t* host_page, uintptr_t retaddr) {
    CpuImpl& cpu = cpu_of(env);
    unsigned mmu_idx = cpu_mmu_index(env);
    check_canonical(env, vaddr, 1, retaddr);
    Walk w = translate(env, vaddr, kExec, mmu_idx, retaddr);
    uint64_t paddr = w.paddr & env->a20_mask;
    memory::Translation t = cpu.mem_.translate(paddr & tcg::kPageMask);
    *host_page = 0;
    if (t.host && t.region && t.region->ram_block()) {
        *host_page = reinterpret_cast<uintptr_t>(t.host);
        memory::RamBlock* rb = t.region->ram_block();
        uint64_t page = t.offset >> tcg::kPageBits;
        if (!rb->code_pages().test(page)) {
            rb->code_pages().set(page);
            cpu.flag_code_page_mappings(*host_page);
        }
    } else if (t.host) {
        *host_page = reinterpret_cast<uintptr_t>(t.host);   // ROM: never written by the guest
    }
    tlb_fill(env, vaddr, w, mmu_idx);
    return paddr;
}

uint64_t lookup_code_phys(CpuState* env, uint64_t vaddr) {
    const unsigned mmu_idx = cpu_mmu_index(env);
    const unsigned i = env->tlb.index(mmu_idx, vaddr);
    if (env->tlb.addr_code[mmu_idx][i] == (vaddr & tcg::kPageMask))
        return cpu_of(env).tlb_paddr_[mmu_idx][i] | (vaddr & ~tcg::kPageMask);
    uintptr_t host;
    return get_code_phys(env, vaddr, &host, 0);
}

bool code_page_token(CpuState* env, uint64_t vaddr, uint64_t* token) {
    const unsigned mmu_idx = cpu_mmu_index(env);
    if (env->tlb.addr_code[mmu_idx][env->tlb.index(mmu_idx, vaddr)] != (vaddr & tcg::kPageMask)) {
        uintptr_t host;
        get_code_phys(env, vaddr, &host, 0);   // enters the page (or raises, as a fetch would)
    }
    // (Entering a page may have resized the table.)
    const unsigned i = env->tlb.index(mmu_idx, vaddr);
    if (env->tlb.addr_code[mmu_idx][i] != (vaddr & tcg::kPageMask)) return false;
    *token = env->tlb.addend[mmu_idx][i];
    return true;
}

void code_fetch(CpuState* env, uint64_t vaddr, uint8_t* dst, unsigned len) {
    // One TLB check for the whole range (get_code_phys has just entered the
    // page, so it nearly always hits); byte by byte only when it misses.
    const unsigned mmu_idx = cpu_mmu_index(env), i = env->tlb.index(mmu_idx, vaddr);
    if (len && env->tlb.addr_code[mmu_idx][i] == (vaddr & tcg::kPageMask) &&
        ((vaddr + len - 1) & tcg::kPageMask) == (vaddr & tcg::kPageMask)) {
        std::memcpy(dst, reinterpret_cast<const uint8_t*>(vaddr + env->tlb.addend[mmu_idx][i]), len);
        return;
    }
    for (unsigned i = 0; i < len; ++i) dst[i] = code_ldub(env, vaddr + i);
}

uint8_t code_ldub(CpuState* env, uint64_t vaddr) {
    // The translator fetches byte by byte; get_code_phys has just entered
    // the page into the TLB, so this is nearly always a hit.
    const unsigned mmu_idx = cpu_mmu_index(env);
    const unsigned i = env->tlb.index(mmu_idx, vaddr);
    if (env->tlb.addr_code[mmu_idx][i] == (vaddr & tcg::kPageMask))
        return *reinterpret_cast<const uint8_t*>(vaddr + env->tlb.addend[mmu_idx][i]);
    return static_cast<uint8_t>(do_load(env, vaddr, 1, mmu_idx, 0, kExec));
}

}  // namespace mimic::x86
