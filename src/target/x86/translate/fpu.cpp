// x87, MMX, SSE..SSE4.2, XSAVE: every instruction becomes one call of
// helper_fpu with its HostOp (fpu/host_op.h), which checks CR0/CR4, touches
// guest memory and runs the instruction on the host's FPU.
#include "../fpu/host_op.h"
#include "dc.h"

namespace mimic::x86 {

using tcg::I64;
using M = Mnemonic;

namespace {

bool translate_xsave(Dc& dc) {
    const DecodedInsn& insn = *dc.insn;
    tcg::Builder& b = dc.b;
    switch (insn.mnemonic) {
    case M::kXgetbv: b.call(MIMIC_HELPER(helper_xgetbv), {b.env()}); return true;
    case M::kXsetbv: b.call(MIMIC_HELPER(helper_xsetbv), {b.env()}); dc.stop_after(); return true;
    case M::kXsave: case M::kXsave64: case M::kXsaveopt: case M::kXsaveopt64:
    case M::kXrstor: case M::kXrstor64: {
        const bool save = insn.mnemonic != M::kXrstor && insn.mnemonic != M::kXrstor64;
        const bool wide = insn.mnemonic == M::kXsave64 || insn.mnemonic == M::kXsaveopt64 || insn.mnemonic == M::kXrstor64;
        // Legacy region and header of the x87|SSE layout.
        I64 addr = dc.linear(insn.mem.seg, dc.effective_offset(insn.mem), 576, save);
        b.call(save ? MIMIC_HELPER(helper_xsave) : MIMIC_HELPER(helper_xrstor), {b.env(), addr, b.const_i32(wide)});
        return true;
    }
    default: return false;
    }
}

}  // namespace

bool translate_fpu(Dc& dc) {
    const DecodedInsn& insn = *dc.insn;
    tcg::Builder& b = dc.b;
    switch (insn.mnemonic) {
    case M::kLfence: case M::kMfence: case M::kSfence:
        // One vCPU thread sees its own stores in order; nothing to order.
        return true;
    case M::kClflush:
        // No caches to write back; the address is checked like a byte read.
        dc.linear(insn.mem.seg, dc.effective_offset(insn.mem), 1, false);
        return true;
    default: break;
    }
    if (translate_xsave(dc)) return true;
    const HostOp* op = host_op_for(insn);
    if (!op) return false;

    I64 addr = b.const_i64(0), offset = b.const_i64(0);
    if (op->mask_reg >= 0) {
        // MASKMOVQ/MASKMOVDQU store to DS:rDI (segment override allowed).
        offset = dc.load_gpr(kRDI, insn.addr_size);
        addr = dc.linear(insn.mem.seg, offset, op->mem_size, true);
    } else if (op->mem_size) {
        offset = dc.effective_offset(insn.mem);
        addr = dc.linear(insn.mem.seg, offset, op->mem_size, op->mem_store);
    }
    b.call(MIMIC_HELPER(helper_fpu), {b.env(), b.const_i64(reinterpret_cast<uint64_t>(op)), addr, offset,
                                      b.const_i32(static_cast<uint32_t>(dc.pc))});
    if (op->writes_flags) dc.cc_op = kCcOpDynamic;
    return true;
}

}  // namespace mimic::x86
