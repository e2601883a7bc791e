#include "mimic/x86/page_tables.h"

#include <fmt/format.h>

#include <functional>

#include "mimic/memory/address_space.h"

namespace mimic::x86 {

namespace {

enum : uint64_t {
    kPteP = 1, kPteW = 2, kPteU = 4, kPtePwt = 8, kPtePcd = 0x10, kPteA = 0x20, kPteD = 0x40, kPtePS = 0x80,
    kPteG = 0x100, kPteNX = 1ull << 63,
};
constexpr uint64_t kAddrMask = 0x000ffffffffff000ull;

// A present leaf of the tables: where it maps, its entry, the mask that
// extracts the frame as `info tlb` prints it, and the rights of the whole
// path (U and W only when every level grants them).
struct Leaf {
    uint64_t vaddr;
    uint64_t size;
    uint64_t entry;
    uint64_t frame_mask;
    uint64_t rights;  // kPteP | kPteU | kPteW
};

uint64_t load(const memory::AddressSpace& memory, uint64_t pa, bool wide) {
    return wide ? memory.ldq(pa) : memory.ldl(pa);
}

// Sign-extends bit 47 as linear addresses are printed.
uint64_t canonical(uint64_t address) { return (address & (1ull << 47)) ? address | ~((1ull << 48) - 1) : address; }

// Visits every present leaf in address order.
void walk(const CpuState& s, const memory::AddressSpace& memory, const std::function<void(const Leaf&)>& visit) {
    const uint64_t rights_mask = kPteP | kPteU | kPteW;
    if (!(s.cr[4] & kCr4PAE)) {
        uint64_t dir = s.cr[3] & 0xfffff000;
        for (uint64_t i = 0; i < 1024; ++i) {
            uint64_t pde = load(memory, dir + i * 4, false);
            if (!(pde & kPteP)) continue;
            if ((pde & kPtePS) && (s.cr[4] & kCr4PSE)) {
                // QEMU prints 4 MiB frames through a 2 MiB mask; kept for identical output.
                visit({i << 22, 4u << 20, pde, ~((1ull << 21) - 1) & 0xffffffffull, pde & rights_mask});
                continue;
            }
            uint64_t table = pde & 0xfffff000;
            for (uint64_t j = 0; j < 1024; ++j) {
                uint64_t pte = load(memory, table + j * 4, false);
                if (pte & kPteP) visit({(i << 22) | (j << 12), 4096, pte & ~kPtePS, 0xfffff000, pte & pde & rights_mask});
            }
        }
        return;
    }
    auto directory = [&](uint64_t table, uint64_t base, uint64_t rights) {
        for (uint64_t k = 0; k < 512; ++k) {
            uint64_t pde = load(memory, table + k * 8, true);
            if (!(pde & kPteP)) continue;
            uint64_t va = base | (k << 21);
            if (pde & kPtePS) {
                uint64_t mask = (s.hflags & kHfLma) ? 0x3ffffffe00000ull : ~((1ull << 20) - 1);
                visit({va, 2u << 20, pde, mask, pde & rights & rights_mask});
                continue;
            }
            uint64_t pt = pde & kAddrMask;
            for (uint64_t l = 0; l < 512; ++l) {
                uint64_t pte = load(memory, pt + l * 8, true);
                if (pte & kPteP)
                    visit({va | (l << 12), 4096, pte & ~kPtePS,
                           (s.hflags & kHfLma) ? 0x3fffffffff000ull : ~0xfffull, pte & pde & rights & rights_mask});
            }
        }
    };
    if (s.hflags & kHfLma) {
        uint64_t pml4 = s.cr[3] & kAddrMask;
        for (uint64_t i = 0; i < 512; ++i) {
            uint64_t pml4e = load(memory, pml4 + i * 8, true);
            if (!(pml4e & kPteP)) continue;
            uint64_t pdpt = pml4e & kAddrMask;
            for (uint64_t j = 0; j < 512; ++j) {
                uint64_t pdpte = load(memory, pdpt + j * 8, true);
                if (!(pdpte & kPteP)) continue;
                uint64_t va = (i << 39) | (j << 30);
                if (pdpte & kPtePS) {
                    visit({va, 1ull << 30, pdpte, 0x3ffffc0000000ull, pdpte & pml4e & rights_mask});
                    continue;
                }
                directory(pdpte & kAddrMask, va, pml4e & pdpte);
            }
        }
        return;
    }
    // Legacy PAE: four PDPTEs without rights bits.
    uint64_t pdpt = s.cr[3] & 0xffffffe0;
    for (uint64_t i = 0; i < 4; ++i) {
        uint64_t pdpte = load(memory, pdpt + i * 8, true);
        if (pdpte & kPteP) directory(pdpte & kAddrMask, i << 30, kPteP | kPteU | kPteW);
    }
}

bool paging(const CpuState& s) { return s.cr[0] & kCr0PG; }

}  // namespace

std::optional<uint64_t> debug_translate(const CpuState& s, const memory::AddressSpace& memory, uint64_t vaddr) {
    if (!paging(s)) return (vaddr & 0xffffffffull) & s.a20_mask;
    const bool pae = s.cr[4] & kCr4PAE;
    const bool lma = s.hflags & kHfLma;
    if (!pae) {
        uint64_t pde = memory.ldl((s.cr[3] & 0xfffff000) + ((vaddr >> 20) & 0xffc));
        if (!(pde & kPteP)) return std::nullopt;
        if ((pde & kPtePS) && (s.cr[4] & kCr4PSE))
            return ((pde & 0xffc00000) | ((pde & 0x1e000) << 19)) + (vaddr & 0x3fffff);
        uint64_t pte = memory.ldl((pde & 0xfffff000) + ((vaddr >> 10) & 0xffc));
        if (!(pte & kPteP)) return std::nullopt;
        return (pte & 0xfffff000) + (vaddr & 0xfff);
    }
    uint64_t table;
    if (lma) {
        uint64_t pml4e = memory.ldq((s.cr[3] & kAddrMask) + (((vaddr >> 39) & 511) << 3));
        if (!(pml4e & kPteP)) return std::nullopt;
        uint64_t pdpte = memory.ldq((pml4e & kAddrMask) + (((vaddr >> 30) & 511) << 3));
        if (!(pdpte & kPteP)) return std::nullopt;
        if (pdpte & kPtePS) return (pdpte & kAddrMask & ~((1ull << 30) - 1)) + (vaddr & ((1ull << 30) - 1));
        table = pdpte & kAddrMask;
    } else {
        uint64_t pdpte = memory.ldq((s.cr[3] & 0xffffffe0) + (((vaddr >> 30) & 3) << 3));
        if (!(pdpte & kPteP)) return std::nullopt;
        table = pdpte & kAddrMask;
    }
    uint64_t pde = memory.ldq(table + (((vaddr >> 21) & 511) << 3));
    if (!(pde & kPteP)) return std::nullopt;
    if (pde & kPtePS) return (pde & kAddrMask & ~((2ull << 20) - 1)) + (vaddr & ((2ull << 20) - 1));
    uint64_t pte = memory.ldq((pde & kAddrMask) + (((vaddr >> 12) & 511) << 3));
    if (!(pte & kPteP)) return std::nullopt;
    return (pte & kAddrMask) + (vaddr & 0xfff);
}

std::string info_tlb_text(const CpuState& s, const memory::AddressSpace& memory) {
    if (!paging(s)) return "PG disabled\n";
    std::string out;
    walk(s, memory, [&](const Leaf& leaf) {
        uint64_t e = leaf.entry;
        out += fmt::format("{:016x}: {:016x} {}{}{}{}{}{}{}{}{}\n", canonical(leaf.vaddr), e & leaf.frame_mask,
                           (e & kPteNX) ? 'X' : '-', (e & kPteG) ? 'G' : '-', (e & kPtePS) ? 'P' : '-',
                           (e & kPteD) ? 'D' : '-', (e & kPteA) ? 'A' : '-', (e & kPtePcd) ? 'C' : '-',
                           (e & kPtePwt) ? 'T' : '-', (e & kPteU) ? 'U' : '-', (e & kPteW) ? 'W' : '-');
    });
    return out;
}

std::string info_mem_text(const CpuState& s, const memory::AddressSpace& memory) {
    if (!paging(s)) return "PG disabled\n";
    std::string out;
    bool open = false;
    uint64_t start = 0, end = 0, rights = 0;
    auto close = [&] {
        if (open)
            out += fmt::format("{:016x}-{:016x} {:016x} {}r{}\n", canonical(start), canonical(end),
                               canonical(end - start), (rights & kPteU) ? 'u' : '-', (rights & kPteW) ? 'w' : '-');
        open = false;
    };
    walk(s, memory, [&](const Leaf& leaf) {
        if (open && (leaf.vaddr != end || leaf.rights != rights)) close();
        if (!open) {
            open = true;
            start = leaf.vaddr;
            rights = leaf.rights;
        }
        end = leaf.vaddr + leaf.size;
    });
    close();
    return out;
}

}  // namespace mimic::x86
