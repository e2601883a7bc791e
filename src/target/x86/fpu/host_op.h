// x87, MMX and SSE instructions executed by the host processor.
//
// Mimic runs on x86-64 hosts, and the host's own x87 and SSE units are the
// most exact model of the guest's: same 80-bit rounding, same transcendental
// results, same MXCSR and FSW flags. So the front end turns each floating-
// point or SIMD instruction into a HostOp: a small host stub that loads the
// guest's register file (an FXSAVE image) into the host FPU, runs the same
// instruction with its memory operand redirected to a buffer and its general
// registers mapped to RAX/RCX/RDX, and saves the register file back. The
// helper (fpu_helper.cpp) does what the host cannot do for us: CR0/CR4
// checks, guest memory (with its faults), pending-exception delivery,
// FIP/FDP/FOP, and the instructions whose effect depends on the guest's
// mode (environment formats, FXSAVE, XSAVE).
#pragma once

#include <cstddef>
#include <cstdint>

#include "mimic/x86/decode/decoded_insn.h"
#include "x87_op.h"

namespace mimic::x86 {

// What the stub works on. The host FPU state is saved and restored around
// the guest instruction, so the emulator's own floating point never sees
// guest control words.
struct alignas(64) HostFpuCtx {
    uint8_t guest[512];   // FXSAVE64 image of the guest's x87/MMX/SSE state
    uint8_t host[512];    // the host's state while the stub runs
    uint8_t mem[528];     // the memory operand (RSI and RDI point here)
    uint64_t rax, rcx, rdx, rflags;
};
inline constexpr int kCtxHost = 512, kCtxMem = 1024, kCtxRax = 1552, kCtxRcx = 1560, kCtxRdx = 1568,
                     kCtxRflags = 1576;
static_assert(offsetof(HostFpuCtx, mem) == kCtxMem && offsetof(HostFpuCtx, rax) == kCtxRax &&
              offsetof(HostFpuCtx, rflags) == kCtxRflags);

using HostStub = void (*)(HostFpuCtx*);

enum class HostOpKind : uint8_t {
    kX87,        // x87 run by the host
    kX87Ctrl,    // x87 control/state instructions done in C++ (FLDENV, FNSAVE, FXSAVE, ...)
    kMmx,
    kSse,
    kSseCtrl,    // LDMXCSR, STMXCSR
    kInteger,    // POPCNT, CRC32: run by the host, no FPU state checks
};

// Everything the helper needs about one translated instruction. Interned:
// identical instructions share one HostOp (and one stub), which lives as long
// as the process.
struct HostOp {
    HostStub stub = nullptr;
    Mnemonic mnemonic = Mnemonic::kInvalid;
    HostOpKind kind = HostOpKind::kX87;
    uint8_t op_size = 4;       // for the environment formats (16/32-bit) and REX.W forms
    uint8_t mem_seg = 0;       // segment of the memory operand (FDS)
    uint16_t mem_size = 0;     // 0: no memory operand
    bool mem_load = false, mem_store = false;
    bool aligned = false;      // 16-byte alignment required (#GP otherwise)
    bool reads_flags = false, writes_flags = false;
    bool x87_nowait = false;   // FN* forms: no pending-exception check
    bool x87_control = false;  // does not update FIP/FOP/FDP
    // General registers the host instruction sees in RAX (ModRM.reg) and RCX
    // (ModRM.rm); -1: none. Written back when `*_write`.
    int8_t reg_gpr = -1, rm_gpr = -1;
    uint8_t reg_gpr_size = 0, rm_gpr_size = 0;
    bool reg_gpr_write = false, rm_gpr_write = false;
    bool rm_gpr_high = false;        // the rm operand is AH/CH/DH/BH (CRC32 r32, r/m8): bits 8..15
    bool implicit_eax_edx = false;   // PCMPESTRx lengths
    bool writes_ecx = false;         // PCMPxSTRI index
    bool writes_ax = false;          // FNSTSW AX
    int8_t mask_reg = -1;            // MASKMOVQ/MASKMOVDQU: the register holding the byte mask
    uint16_t fop = 0;                // x87 opcode (11 bits) for FOP
    X87Op x87;                       // the x87 fast path's form (not part of the interning key)
};

// Builds (or finds) the HostOp of a decoded x87/MMX/SSE instruction; nullptr
// when it is not one Mimic executes this way.
const HostOp* host_op_for(const DecodedInsn& insn);

}  // namespace mimic::x86
