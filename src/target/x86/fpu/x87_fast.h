// The x87 fast path of helper_fpu, after its CR0 checks: while every x87
// exception is masked and none is pending, an instruction works on
// FpuState's registers directly: data movement in C++, the rest through
// its X87Op's host stub on its operands only. Stack faults, unmasked
// exceptions and the state instructions take the image path.
#pragma once

#include <cstdint>

#include "host_op.h"
#include "mimic/x86/cpu_state.h"

namespace mimic::x86 {

// Runs `op` on the fast path; false (nothing changed) when it does not apply.
bool x87_fast(CpuState* env, const HostOp& op, uint64_t addr, uint64_t data_offset, uint64_t ip, uintptr_t ra);

// FOP, FIP/FCS and (with a memory operand) FDP/FDS after x87 instruction
// `op` at ip ran, on either path; control instructions leave them alone.
void x87_note_last_instruction(CpuState* env, const HostOp& op, uint64_t ip, uint64_t data_offset);

}  // namespace mimic::x86
