// Guest memory operands of the FPU helpers, byte buffers moved through the
// softmmu: faults are raised at `ra` before anything is written.
#pragma once

#include <cstdint>

#include "mimic/x86/cpu_state.h"

namespace mimic::x86 {

// The address-size wrap of the current code segment.
uint64_t addr_mask(const CpuState* env);
void guest_read(CpuState* env, uint64_t addr, uint8_t* buf, unsigned n, uintptr_t ra);
void guest_write(CpuState* env, uint64_t addr, const uint8_t* buf, unsigned n, uintptr_t ra);

}  // namespace mimic::x86
