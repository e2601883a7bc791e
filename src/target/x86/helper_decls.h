// Helpers called from generated code. Arguments and results are 32 or 64
// bits (tcg passes every argument in a 64-bit register; I32 values are
// zero-extended). Helpers that may fault find the instruction with GETPC().
#pragma once

#include <cstdint>

#include "mimic/x86/cpu_state.h"

namespace mimic::x86 {

// exceptions
void helper_raise_exception(CpuState* env, uint32_t vector, uint32_t error_code);
void helper_raise_trap(CpuState* env, uint32_t vector);
// #GP(0) at the instruction retaddr is in (a guard_sext_i64's raise).
[[noreturn]] void helper_raise_gp_at(CpuState* env, uintptr_t retaddr);
void helper_raise_interrupt(CpuState* env, uint32_t vector, uint32_t next_eip_delta);
void helper_into(CpuState* env, uint32_t next_eip_delta);
void helper_single_step(CpuState* env);
void helper_set_inhibit_irq(CpuState* env);
void helper_bound(CpuState* env, uint64_t index, uint64_t addr, uint32_t size);

// flags
uint32_t helper_cc_compute_all(CpuState* env);
uint64_t helper_read_eflags(CpuState* env);
void helper_write_eflags(CpuState* env, uint32_t value, uint32_t mask);
void helper_popf(CpuState* env, uint32_t value, uint32_t op32);
void helper_cli(CpuState* env);
void helper_sti(CpuState* env);
void helper_set_ac(CpuState* env, uint32_t on);   // STAC/CLAC
uint64_t helper_pushf_value(CpuState* env);

// arithmetic with awkward flags or faults
uint64_t helper_shift(CpuState* env, uint32_t op_size, uint64_t value, uint32_t count);
void helper_insn_breakpoint(CpuState* env, uint32_t hits);   // #DB for DR0-3 execute breakpoints
void helper_clear_rf(CpuState* env);                          // after the instruction RF let through
uint64_t helper_shld(CpuState* env, uint32_t size_right, uint64_t dst, uint64_t src, uint32_t count);
void helper_div(CpuState* env, uint32_t size_signed, uint64_t src);
void helper_bcd(CpuState* env, uint32_t op, uint32_t imm);
uint64_t helper_bitop(CpuState* env, uint32_t op_size, uint64_t value, uint64_t bit);
uint64_t helper_bsf_bsr(CpuState* env, uint32_t op_size, uint64_t value, uint64_t old);
uint64_t helper_popcnt_lzcnt(CpuState* env, uint32_t op_size, uint64_t value);

// strings (the whole REP loop runs in the helper)
void helper_string(CpuState* env, uint32_t desc, uint64_t next_eip);

// segments, far transfers (seg_helper.cpp)
void helper_load_seg(CpuState* env, uint32_t seg, uint32_t selector);
uint64_t helper_seg_check(CpuState* env, uint32_t seg_write_size, uint64_t offset);
void helper_ljmp(CpuState* env, uint32_t sel, uint64_t eip, uint64_t next_eip);
// size: the operand size in bytes (2, 4 or 8).
void helper_lcall(CpuState* env, uint32_t sel, uint64_t eip, uint64_t next_eip, uint32_t size);
void helper_lret(CpuState* env, uint32_t size, uint32_t imm);
void helper_iret(CpuState* env, uint32_t size, uint64_t next_eip);
uint64_t helper_lar(CpuState* env, uint32_t sel);
uint64_t helper_lsl(CpuState* env, uint32_t sel);
void helper_verr(CpuState* env, uint32_t sel);
void helper_verw(CpuState* env, uint32_t sel);
void helper_lldt(CpuState* env, uint32_t sel);
void helper_ltr(CpuState* env, uint32_t sel);

// system (misc_helper.cpp)
void helper_cpuid(CpuState* env);
void helper_rdtsc(CpuState* env);
void helper_rdmsr(CpuState* env);
void helper_wrmsr(CpuState* env);
void helper_hlt(CpuState* env, uint64_t next_eip);
void helper_pause(CpuState* env, uint64_t next_eip);
uint64_t helper_read_cr(CpuState* env, uint32_t n);
void helper_write_cr(CpuState* env, uint32_t n, uint64_t value);
uint64_t helper_read_dr(CpuState* env, uint32_t n);
void helper_write_dr(CpuState* env, uint32_t n, uint64_t value);
void helper_lmsw(CpuState* env, uint32_t value);
void helper_clts(CpuState* env);
void helper_invlpg(CpuState* env, uint64_t linear);
void helper_lgdt_lidt(CpuState* env, uint64_t linear, uint32_t which_op32);
void helper_sgdt_sidt(CpuState* env, uint64_t linear, uint32_t which);
void helper_check_cpl0(CpuState* env);
uint64_t helper_in(CpuState* env, uint32_t port, uint32_t size);
void helper_out(CpuState* env, uint32_t port, uint32_t size, uint64_t value);
void helper_check_io(CpuState* env, uint32_t port, uint32_t size);
void helper_cmpxchg8b(CpuState* env, uint64_t linear);
void helper_cmpxchg16b(CpuState* env, uint64_t linear);

// long mode and fast system calls (syscall_helper.cpp)
void helper_syscall(CpuState* env, uint64_t next_eip);
void helper_sysret(CpuState* env, uint32_t size);
void helper_sysenter(CpuState* env);
void helper_sysexit(CpuState* env, uint32_t size);
void helper_swapgs(CpuState* env);
// RDFSBASE/RDGSBASE and WRFSBASE/WRGSBASE (64-bit mode, CR4.FSGSBASE).
uint64_t helper_read_segment_base(CpuState* env, uint32_t seg);
void helper_write_segment_base(CpuState* env, uint32_t seg, uint64_t base);
void helper_rdtscp(CpuState* env);
void helper_rdpkru(CpuState* env);
uint64_t helper_random(CpuState* env);   // RDRAND, RDSEED: CF in pending_flags
void helper_wrpkru(CpuState* env);

// x87, MMX, SSE (fpu/): op is a HostOp*; addr the linear address of the
// memory operand, data_offset its offset (FDP), eip the instruction's (FIP).
void helper_fpu(CpuState* env, uint64_t op, uint64_t addr, uint64_t data_offset, uint64_t ip);
void helper_xsave(CpuState* env, uint64_t addr, uint32_t wide);
void helper_xrstor(CpuState* env, uint64_t addr, uint32_t wide);
void helper_xgetbv(CpuState* env);
void helper_xsetbv(CpuState* env);

}  // namespace mimic::x86
