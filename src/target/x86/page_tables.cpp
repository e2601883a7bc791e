#include "mimic/x86/page_tables.h"

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <vector>

#include "mimic/memory/address_space.h"

namespace mimic::x86 {

// A present leaf of the tables: where it maps, its entry, the mask that
// extracts the frame as `info tlb` prints it, and the rights of the whole
// path (U and W only when every level grants them).
struct PageTableLeaf {
    uint64_t vaddr;
    uint64_t size;
    uint64_t entry;
    uint64_t frame_mask;
    uint64_t rights;  // kPteP | kPteU | kPteW
};

namespace {

enum : uint64_t {
    kPteP = 1, kPteW = 2, kPteU = 4, kPtePwt = 8, kPtePcd = 0x10, kPteA = 0x20, kPteD = 0x40, kPtePS = 0x80,
    kPteG = 0x100, kPteNX = 1ull << 63,
};
constexpr uint64_t kAddrMask = 0x000ffffffffff000ull;

uint64_t load(const memory::AddressSpace& memory, uint64_t pa, bool wide) {
    return wide ? memory.ldq(pa) : memory.ldl(pa);
}

// Sign-extends bit 47 as linear addresses are printed.
uint64_t canonical(uint64_t address) { return (address & (1ull << 47)) ? address | ~((1ull << 48) - 1) : address; }

// One level of the tables as the paging mode has it.
struct Level {
    unsigned entries;
    bool wide;          // 8-byte entries
    unsigned shift;     // address bits one entry maps
    bool large_pages;   // PS makes an entry a leaf here
};

// The present leaves of the tables in address order, from any address on
// and within a budget of entries read, so a walk can go in pieces: guest
// tables may alias themselves into 2^36 leaves.
class Walker {
public:
    using Visit = std::function<bool(const PageTableLeaf&)>;  // false: stop after this leaf

    Walker(uint64_t cr3, uint64_t cr4, bool lma, const memory::AddressSpace& memory) : memory_(memory), lma_(lma) {
        if (!(cr4 & kCr4PAE)) {
            bool pse = cr4 & kCr4PSE;
            levels_ = {{1024, false, 22, pse}, {1024, false, 12, false}};
            root_ = cr3 & 0xfffff000;
        } else if (lma_) {
            levels_ = {{512, true, 39, false}, {512, true, 30, true}, {512, true, 21, true}, {512, true, 12, false}};
            root_ = cr3 & kAddrMask;
        } else {
            // Legacy PAE: four PDPTEs without rights bits.
            levels_ = {{4, true, 30, false}, {512, true, 21, true}, {512, true, 12, false}};
            root_ = cr3 & 0xffffffe0;
        }
    }

    // Visits the leaves at or above `from` while `visit` says so and
    // `budget` entries remain to be read. Returns where to go on, or
    // nullopt when the tables are done.
    std::optional<uint64_t> walk(uint64_t from, uint64_t budget, const Visit& visit) {
        from_ = from;
        budget_ = budget;
        visit_ = &visit;
        if (table(0, root_, 0, ~0ull)) return std::nullopt;
        return resume_;
    }

private:
    // False when the walk stopped (resume_ says where to go on).
    bool table(size_t depth, uint64_t table_pa, uint64_t base, uint64_t path_rights) {
        const Level& level = levels_[depth];
        const uint64_t span = 1ull << level.shift;
        const bool last = depth + 1 == levels_.size();
        uint64_t first = from_ > base ? std::min<uint64_t>(level.entries, (from_ - base) >> level.shift) : 0;
        for (uint64_t i = first; i < level.entries; ++i) {
            uint64_t va = base + i * span;
            if (budget_ == 0) {
                resume_ = std::max(va, from_);
                return false;
            }
            --budget_;
            uint64_t entry = load(memory_, table_pa + i * (level.wide ? 8 : 4), level.wide);
            if (!(entry & kPteP)) continue;
            if (last || (level.large_pages && (entry & kPtePS))) {
                if (va < from_) continue;  // visited before this piece
                if (!(*visit_)(leaf(depth, va, span, entry, path_rights))) {
                    resume_ = va + span;
                    return false;
                }
                continue;
            }
            // PAE's PDPTEs carry no rights; elsewhere a path grants what
            // every level grants.
            bool pae_pdpt = !lma_ && level.entries == 4;
            uint64_t rights = pae_pdpt ? kPteP | kPteU | kPteW : path_rights & entry;
            uint64_t next = level.wide ? entry & kAddrMask : entry & 0xfffff000;
            if (!table(depth + 1, next, va, rights)) return false;
        }
        return true;
    }

    // The frame masks are those `info tlb` prints through, QEMU's.
    PageTableLeaf leaf(size_t depth, uint64_t va, uint64_t span, uint64_t entry, uint64_t path_rights) const {
        const uint64_t rights_mask = kPteP | kPteU | kPteW;
        const bool last = depth + 1 == levels_.size();
        uint64_t frame_mask;
        if (!levels_[depth].wide) {
            // QEMU prints 4 MiB frames through a 2 MiB mask; kept for identical output.
            frame_mask = last ? 0xfffff000ull : ~((1ull << 21) - 1) & 0xffffffffull;
        } else if (last) {
            frame_mask = lma_ ? 0x3fffffffff000ull : ~0xfffull;
        } else if (span == (1ull << 30)) {
            frame_mask = 0x3ffffc0000000ull;
        } else {
            frame_mask = lma_ ? 0x3ffffffe00000ull : ~((1ull << 20) - 1);
        }
        // In a 4 KiB entry bit 7 is PAT, not PS.
        return {va, span, last ? entry & ~kPtePS : entry, frame_mask, entry & path_rights & rights_mask};
    }

    const memory::AddressSpace& memory_;
    bool lma_;
    std::vector<Level> levels_;
    uint64_t root_ = 0;
    uint64_t from_ = 0, budget_ = 0, resume_ = 0;
    const Visit* visit_ = nullptr;
};

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

PageTableText::PageTableText(const CpuState& state, const memory::AddressSpace& memory, Kind kind)
    : registers_{state.cr[0], state.cr[3], state.cr[4], state.hflags}, memory_(memory), kind_(kind) {}

PageTableText::~PageTableText() = default;

bool PageTableText::next(std::string& out) {
    if (done_) return false;
    if (!(registers_.cr0 & kCr0PG)) {
        out += "PG disabled\n";
        done_ = true;
        return false;
    }
    size_t piece_end = out.size() + kPieceBytes;
    std::optional<uint64_t> resume =
        Walker(registers_.cr3, registers_.cr4, registers_.hflags & kHfLma, memory_).walk(next_address_, kEntriesPerPiece, [&](const PageTableLeaf& leaf) {
            if (kind_ == Kind::kTlb) {
                append_tlb_line(leaf, out);
            } else {
                extend_run(leaf, out);
            }
            return out.size() < piece_end;
        });
    if (resume) {
        next_address_ = *resume;
        return true;
    }
    if (kind_ == Kind::kMem) close_run(out);
    done_ = true;
    return false;
}

void PageTableText::append_tlb_line(const PageTableLeaf& leaf, std::string& out) {
    uint64_t e = leaf.entry;
    out += fmt::format("{:016x}: {:016x} {}{}{}{}{}{}{}{}{}\n", canonical(leaf.vaddr), e & leaf.frame_mask,
                       (e & kPteNX) ? 'X' : '-', (e & kPteG) ? 'G' : '-', (e & kPtePS) ? 'P' : '-',
                       (e & kPteD) ? 'D' : '-', (e & kPteA) ? 'A' : '-', (e & kPtePcd) ? 'C' : '-',
                       (e & kPtePwt) ? 'T' : '-', (e & kPteU) ? 'U' : '-', (e & kPteW) ? 'W' : '-');
}

// `info mem` merges contiguous pages with the same rights into one run.
void PageTableText::extend_run(const PageTableLeaf& leaf, std::string& out) {
    if (run_open_ && (leaf.vaddr != run_end_ || leaf.rights != run_rights_)) close_run(out);
    if (!run_open_) {
        run_open_ = true;
        run_start_ = leaf.vaddr;
        run_rights_ = leaf.rights;
    }
    run_end_ = leaf.vaddr + leaf.size;
}

void PageTableText::close_run(std::string& out) {
    if (!run_open_) return;
    out += fmt::format("{:016x}-{:016x} {:016x} {}r{}\n", canonical(run_start_), canonical(run_end_),
                       canonical(run_end_ - run_start_), (run_rights_ & kPteU) ? 'u' : '-',
                       (run_rights_ & kPteW) ? 'w' : '-');
    run_open_ = false;
}

std::string info_tlb_text(const CpuState& s, const memory::AddressSpace& memory) {
    PageTableText text(s, memory, PageTableText::Kind::kTlb);
    std::string out;
    while (text.next(out)) {}
    return out;
}

std::string info_mem_text(const CpuState& s, const memory::AddressSpace& memory) {
    PageTableText text(s, memory, PageTableText::Kind::kMem);
    std::string out;
    while (text.next(out)) {}
    return out;
}

}  // namespace mimic::x86
