// SSE..SSE4.2, POPCNT and CRC32 as host code the JIT copies into the block.
//
// The guest's XMM registers are plain fields of the CPU state
// (FpuState::xmm), so an SSE instruction runs as itself: its XMM operands
// are loaded from env into host XMM registers, the instruction is re-encoded
// with them (a memory operand becomes the env scratch the front end fills
// and drains through the softmmu), and the destination is stored back. No
// register file image, no helper call.
//
// Floating-point instructions run under the guest's MXCSR rounding and
// DAZ/FTZ modes with its exception flags merged back afterwards. The front
// end takes this path only while SSE cannot fault (kHfSseInline: no #UD or
// #NM, every SIMD exception masked); otherwise, and for the instructions
// here that do not fit (MASKMOVDQU, MMX registers, x87), helper_fpu runs them.
#pragma once

#include <cstdint>

#include "host_op.h"
#include "mimic/tcg/ir.h"

namespace mimic::x86 {

struct InlineSse {
    tcg::HostCode code;
    // Guest general registers the code takes in (and gives back, when
    // written): ModRM.reg in rax, ModRM.rm in rcx. -1: none.
    int8_t reg_gpr = -1, rm_gpr = -1;
    bool reg_gpr_written = false, rm_gpr_written = false;
    bool eax_edx_in = false;    // PCMPESTRx string lengths (rax, rdx)
    bool ecx_out = false;       // PCMPxSTRI index (rcx)
    bool flags_out = false;     // EFLAGS after the instruction (rdx)
    // The memory operand, through CpuState::sse_scratch.mem.
    uint16_t mem_size = 0;
    bool mem_load = false, mem_store = false;
    bool aligned = false;       // 16-byte alignment required (#GP(0))
};

// The inline form of an instruction helper_fpu would run with `op`, or
// nullptr when it has none. Interned: lives as long as the process.
const InlineSse* inline_sse_for(const DecodedInsn& insn, const HostOp& op);

}  // namespace mimic::x86
