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

// `info tlb`: one line per present page ("<vaddr>: <frame> XGPDACTUW"), or
// "PG disabled".
std::string info_tlb_text(const CpuState& state, const memory::AddressSpace& memory);

// `info mem`: runs of contiguous pages with the same user/write rights
// ("<start>-<end> <size> urw"), or "PG disabled".
std::string info_mem_text(const CpuState& state, const memory::AddressSpace& memory);

}  // namespace mimic::x86
