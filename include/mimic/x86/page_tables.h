// The guest's page tables as a debugger reads them: without side effects
// (no accessed/dirty bits, no TLB fills, no faults).
//
// Used by the monitor's x, memsave, `info tlb` and `info mem`. Reads go
// straight to the physical address space, so they work while the vCPU is
// parked or running (what they see of a table being rewritten is as racy
// as on real hardware).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "mimic/x86/cpu_state.h"

namespace mimic::memory {
class AddressSpace;
}

namespace mimic::x86 {

// The physical address `vaddr` maps to now, or nullopt when no present
// mapping covers it. With paging off, the address itself (A20 applied).
std::optional<uint64_t> debug_translate(const CpuState& state, const memory::AddressSpace& memory,
                                        uint64_t vaddr);

struct PageTableLeaf;

// The text of `info tlb` (one line per present page, "<vaddr>: <frame>
// XGPDACTUW") or `info mem` (runs of contiguous pages with the same
// user/write rights, "<start>-<end> <size> urw"), or "PG disabled", in
// pieces: tables that alias themselves map up to 2^36 pages, far more text
// (and table walking) than one call may produce. Each next() adds about
// 64 KiB of text or reads a bounded number of entries, then remembers
// where it is. The register state is taken at the start; the tables are
// read as they are at each piece, as a debugger would.
class PageTableText {
public:
    enum class Kind { kTlb, kMem };
    static constexpr size_t kPieceBytes = 64 * 1024;
    static constexpr uint64_t kEntriesPerPiece = 1 << 20;

    PageTableText(const CpuState& state, const memory::AddressSpace& memory, Kind kind);
    ~PageTableText();

    // Appends the next piece; false once the text is complete.
    bool next(std::string& out);

private:
    void append_tlb_line(const PageTableLeaf& leaf, std::string& out);
    void extend_run(const PageTableLeaf& leaf, std::string& out);
    void close_run(std::string& out);

    // What the walk needs of the registers, as they were at the start.
    struct Registers {
        uint64_t cr0, cr3, cr4;
        uint64_t hflags;
    };
    Registers registers_;
    const memory::AddressSpace& memory_;
    Kind kind_;
    uint64_t next_address_ = 0;
    bool done_ = false;
    bool run_open_ = false;
    uint64_t run_start_ = 0, run_end_ = 0, run_rights_ = 0;
};

// The whole text at once, for tables known to be small (tests).
std::string info_tlb_text(const CpuState& state, const memory::AddressSpace& memory);
std::string info_mem_text(const CpuState& state, const memory::AddressSpace& memory);

}  // namespace mimic::x86
