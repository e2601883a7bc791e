// C++ helpers shared by the translated code, the MMU and the cpu loop.
// Functions called from generated code take CpuState* first and, when they
// can fault, find the faulting instruction through GETPC().
#pragma once

#include <cstdint>

#include "mimic/tcg/types.h"
#include "mimic/x86/cpu_models.h"
#include "mimic/x86/cpu_state.h"

// The return address into generated code, for restoring the guest state
// when a helper faults. Only valid directly inside a helper.
#define MIMIC_GETPC() (reinterpret_cast<uintptr_t>(__builtin_return_address(0)))

namespace mimic::x86 {

// A guest access through SS (64-bit mode): its slow path raises #SS(0) for
// a non-canonical address, where other accesses raise #GP(0).
inline constexpr tcg::MemOp kMoStack = tcg::kMoGuestBit;

// ---- leaving generated code ----
// Restores eip/cc_op of the instruction running at retaddr (0: state is
// already exact) and jumps back to the cpu loop.
[[noreturn]] void cpu_loop_exit(CpuState* env);
[[noreturn]] void cpu_loop_exit_restore(CpuState* env, uintptr_t retaddr);
void restore_state(CpuState* env, uintptr_t retaddr);
// Raises an exception (fault semantics: eip points at the instruction).
[[noreturn]] void raise_exception(CpuState* env, int vector, uintptr_t retaddr);
[[noreturn]] void raise_exception_err(CpuState* env, int vector, uint32_t error_code, uintptr_t retaddr);
// Software interrupts: INT n, INT3, INTO (eip has been restored; next_eip is the return address).
[[noreturn]] void raise_interrupt(CpuState* env, int vector, uint64_t next_eip);

// ---- debug registers (breakpoints.cpp) ----
// DR6 B0-B3 bits of the instruction breakpoints at `linear`.
// The enabled breakpoints of one kind, slot by slot: what translated code
// (instruction breakpoints) or the TLB (data breakpoints) depends on.
struct BreakpointConfig {
    uint64_t addr[4] = {};
    uint8_t type[4] = {};   // 0: none; else 1 + R/W bits | LEN bits << 4
    bool operator==(const BreakpointConfig&) const = default;
};
BreakpointConfig breakpoint_config(const CpuState* env, bool data);
uint32_t insn_breakpoint_hits(const CpuState* env, uint64_t linear);
// DR6 B0-B3 bits of the data breakpoints an access touches.
uint32_t data_breakpoint_hits(const CpuState* env, uint64_t vaddr, uint64_t size, bool write);
// Whether the page must stay out of the TLB (a data breakpoint watches it).
bool page_has_data_breakpoint(const CpuState* env, uint64_t vaddr);
// Called by the slow path before an access: on a hit, replays the
// instruction alone (does not return), or, in the replay, records the hit.
void data_breakpoint_access(CpuState* env, uint64_t vaddr, uint64_t size, bool write, uintptr_t retaddr);
// After the replayed instruction: sets up the #DB trap if it hit; clears the replay.
bool take_data_breakpoint_trap(CpuState* env);

// ---- flags ----
uint32_t compute_arith_flags(const CpuState* env);   // OF SF ZF AF PF CF from the lazy state
uint32_t compute_cf(const CpuState* env);
uint32_t get_eflags(const CpuState* env);            // the architectural EFLAGS
// Writes the EFLAGS bits in `mask` (the caller decides what the current
// privilege may change) and recomputes hflags.
void set_eflags(CpuState* env, uint32_t value, uint32_t mask);
void update_hflags(CpuState* env);

// ---- guest memory from C++ (helpers) ----
// Virtual (linear) addresses with an explicit MMU index; fault like the
// instruction at retaddr would.
uint64_t cpu_ld(CpuState* env, uint64_t vaddr, unsigned size, unsigned mmu_idx, uintptr_t retaddr);
void cpu_st(CpuState* env, uint64_t vaddr, uint64_t value, unsigned size, unsigned mmu_idx, uintptr_t retaddr);
// The host address for a store of `size` bytes at vaddr (within one page)
// when the TLB entry allows it without a page walk: a plain entry, or a
// code-page entry once the self-modifying code check of those bytes is done
// (it may restart the instruction at retaddr). nullptr: use cpu_st.
void* tlb_store_host(CpuState* env, uint64_t vaddr, uint64_t size, unsigned mmu_idx, uintptr_t retaddr);
inline unsigned mmu_index_of_hflags(uint32_t hflags) {
    if ((hflags & kHfCplMask) == 3) return kMmuUser;
    return (hflags & kHfSmapOff) ? kMmuKernelNoSmap : kMmuKernel;
}
inline unsigned cpu_mmu_index(const CpuState* env) { return mmu_index_of_hflags(env->hflags); }
// Supervisor accesses to system structures (GDT, IDT, TSS) regardless of CPL.
uint64_t sys_ld(CpuState* env, uint64_t vaddr, unsigned size, uintptr_t retaddr);
void sys_st(CpuState* env, uint64_t vaddr, uint64_t value, unsigned size, uintptr_t retaddr);
// Physical addresses (A20 applied).
uint64_t phys_ld(CpuState* env, uint64_t paddr, unsigned size);
void phys_st(CpuState* env, uint64_t paddr, uint64_t value, unsigned size);

// The softmmu slow paths handed to tcg (SoftmmuConfig).
uint64_t softmmu_load_slow(void* env, uint64_t vaddr, uint32_t memop, unsigned mmu_idx, uintptr_t retaddr);
void softmmu_store_slow(void* env, uint64_t vaddr, uint64_t value, uint32_t memop, unsigned mmu_idx, uintptr_t retaddr);

// Code fetch for the translator: the physical address of the code at
// vaddr (walks the page tables; raises #PF like an instruction fetch), and
// marks the page as containing translated code when it is RAM.
uint64_t get_code_phys(CpuState* env, uint64_t vaddr, uintptr_t* host_page, uintptr_t retaddr);
// The same through the TLB when it has the page for execution (no marking
// of code pages: for looking blocks up, not for translating them).
uint64_t lookup_code_phys(CpuState* env, uint64_t vaddr);
// The TLB addend mapping vaddr's code page in the current MMU mode,
// entering the page first; false if it cannot be entered as code (MMIO).
bool code_page_token(CpuState* env, uint64_t vaddr, uint64_t* token);
uint8_t code_ldub(CpuState* env, uint64_t vaddr);
// len bytes of code at vaddr, all on vaddr's page (one TLB check).
void code_fetch(CpuState* env, uint64_t vaddr, uint8_t* dst, unsigned len);

// ---- segments (seg_helper.cpp) ----
void load_seg_real(CpuState* env, int seg, uint16_t selector);   // real and V86 mode
void load_seg(CpuState* env, int seg, uint16_t selector, uintptr_t retaddr);  // any mode, with all checks
// Linear address of seg:offset for a data access, with limit/type checks.
uint64_t seg_check(CpuState* env, int seg, uint64_t offset, unsigned size, bool write, uintptr_t retaddr);

// ---- interrupts (excp_helper.cpp) ----
// Delivers env->exception_index (or a hardware interrupt when is_hw).
void do_interrupt(CpuState* env, int vector, bool is_int, uint32_t error_code, uint64_t next_eip, bool is_hw);
// Classifies a new exception against the one being delivered: #DF, triple fault.
void check_double_fault(CpuState* env, int& vector, uint32_t& error_code);

// ---- CPUID model (cpu.cpp) ----
const CpuFeatures& cpu_features(const CpuState* env);

// ---- control registers (misc_helper.cpp) ----
void write_cr0(CpuState* env, uint64_t value);
void write_cr3(CpuState* env, uint64_t value);
void write_cr4(CpuState* env, uint64_t value);
void write_efer(CpuState* env, uint64_t value, uintptr_t retaddr);
// Whether vaddr is canonical (bits 63..47 all equal) for 48-bit linear addresses.
inline bool is_canonical(uint64_t vaddr) { return static_cast<uint64_t>(static_cast<int64_t>(vaddr << 16) >> 16) == vaddr; }

}  // namespace mimic::x86
