// The register dump of HMP's `info registers`, in QEMU's layout.
//
// 32-bit layout (EAX=... EIP=... segment lines with 8-digit bases) while the
// CPU runs 16/32-bit code, 64-bit layout (RAX=... R8 =... RIP=...) once CS
// is a long-mode code segment; segment descriptions ("DPL=0 CS32 [-RA]")
// in protected mode, then control, debug and FPU/SSE registers.
//
//   std::string text = x86::format_registers(cpu.state(), cpu.eflags());
#pragma once

#include <cstdint>
#include <string>

#include "mimic/x86/cpu_state.h"

namespace mimic::x86 {

// `eflags` is the architectural value (X86Cpu::eflags()); the state keeps
// the arithmetic flags lazily.
std::string format_registers(const CpuState& state, uint32_t eflags);

}  // namespace mimic::x86
