// The x87 fast path's view of an instruction (x87_fast.h): what it does to
// the register stack, and for the ones that compute, a host stub that runs
// the same instruction on the host's x87 with only the guest registers it
// reads loaded, in place of a whole-state FXRSTOR/FXSAVE round trip.
#pragma once

#include <cstddef>
#include <cstdint>

#include "mimic/x86/decode/decoded_insn.h"

namespace mimic::x86 {

struct HostOp;

enum class X87Kind : uint8_t {
    kNone,       // not on the fast path
    kHost,       // computed by the host (X87Stub)
    kLoadReg,    // FLD ST(i)
    kStoreReg,   // FST/FSTP ST(i)
    kXchg,       // FXCH ST(i)
    kFree,       // FFREE ST(i)
    kIncStp,
    kDecStp,
    kChs,
    kAbs,
    kNop,
    kLoad80,     // FLD m80: a bit copy
    kStore80,    // FSTP m80: a bit copy
    kStoreSw,    // FNSTSW AX/m16
    kStoreCw,    // FNSTCW m16
    kLoadCw,     // FLDCW m16
    kClearEx,    // FNCLEX
};

// What a stub works on. It loads the guest's FCW into the host (when it
// differs from the host's), clears the host's exception flags (when some
// the guest has not raised yet are set), loads guest ST(window-1)..ST(0)
// from the physical registers (so host ST(i) is guest ST(i)), runs the
// instruction with its memory operand at `mem`, and stores the host's stack
// back to the registers that are the guest's new ST(0..depth-1); the host's
// own FCW is put back. A stub that stores to memory writes registers back
// unchanged, so a fault on the store afterwards leaves the state as it was.
struct alignas(16) X87HostCtx {
    uint8_t (*st)[16];      // FpuState::st
    uint8_t mem[16];
    uint64_t rflags;        // in for FCMOVcc, out for FCOMI
    uint32_t top;           // the guest's TOP before
    uint32_t depth;         // out: the host's stack depth after the instruction
    // Not next to each other as in FpuState: a copy of both would be one
    // 32-bit load, which cannot take them from the two 16-bit stores that
    // wrote them.
    uint16_t fcw;           // the guest's
    uint16_t host_fcw;
    uint16_t fsw;           // in: the guest's; out: the host's right after the instruction
};
using X87Stub = void (*)(X87HostCtx*);

struct X87Op {
    X87Kind kind = X87Kind::kNone;
    uint8_t sti = 0;         // i of an ST(i) operand
    uint8_t need = 0;        // bit i: ST(i) must be valid; otherwise a stack fault, left to the slow path
    bool push = false;       // the register below ST(0) must be empty
    bool pop = false;        // kStoreReg: FSTP
    uint8_t window = 0;      // kHost: ST(0..window-1) loaded into the host
    uint16_t cc = 0;         // kHost: FSW condition bits (C0..C3) the host's result sets
    uint16_t cc_nan = 0;     // kHost: the same when that result (ST(0)) is a NaN
    X87Stub stub = nullptr;  // kHost
};

// The fast-path form of an x87 instruction (kind kNone when it has none),
// its stub assembled.
X87Op x87_op_for(const DecodedInsn& insn, const HostOp& op);

}  // namespace mimic::x86
