// Stack instructions: PUSH/POP (registers, memory, immediates, segment
// registers), PUSHA/POPA, PUSHF/POPF, ENTER/LEAVE.
#include "dc.h"

namespace mimic::x86 {

using tcg::I64;

namespace {

void push_op(Dc& dc) {
    const DecodedInsn& in = *dc.insn;
    const Operand& op = in.ops[0];
    unsigned size = in.op_size;
    I64 v;
    if (op.kind == OperandKind::kReg && op.reg.cls == RegClass::kSeg) v = dc.load_reg(op.reg);
    else v = dc.operand(0);
    dc.push(v, size);
}

void pop_op(Dc& dc) {
    auto& b = dc.b;
    const DecodedInsn& in = *dc.insn;
    const Operand& op = in.ops[0];
    unsigned size = in.op_size;
    if (op.kind == OperandKind::kReg && op.reg.cls == RegClass::kSeg) {
        I64 v = dc.pop_peek(size, 0);
        tcg::I32 sel = b.temp_i32();
        b.extrl_i64_i32(sel, v);
        dc.sync_eip(dc.pc);
        b.call(MIMIC_HELPER(helper_load_seg), {b.env(), b.const_i32(op.reg.num), sel});
        dc.add_sp(size);
        if (op.reg.num == kSS) dc.begin_ss_shadow();
        dc.stop_after();   // segment bases and hflags changed
        return;
    }
    I64 v = dc.pop_peek(size, 0);
    if (op.kind == OperandKind::kReg) {
        dc.add_sp(size);
        dc.store_reg(op.reg, v);
        return;
    }
    // POP m: the address is computed with ESP already incremented, but ESP
    // itself changes only after the store, so a fault restarts cleanly.
    MemOperand m = in.mem;
    if (m.base.valid() && m.base.cls != RegClass::kIp && m.base.num == kRSP) m.disp += size;
    I64 addr = dc.linear(m.seg, dc.effective_offset(m), size, true);
    dc.st(addr, v, size, m.seg);
    dc.add_sp(size);
}

void pusha(Dc& dc, unsigned size) {
    auto& b = dc.b;
    I64 old_sp = dc.load_gpr(kRSP, 4);
    unsigned ssz = dc.stack_mask_size();
    // All eight stores use offsets from the original ESP; ESP changes at the end.
    for (unsigned i = 0; i < 8; ++i) {
        I64 v = i == kRSP ? old_sp : dc.load_gpr(i, size);
        I64 sp = b.sub(dc.load_gpr(kRSP, ssz), static_cast<uint64_t>((i + 1) * size));
        if (ssz == 2) b.ext16u(sp, sp); else b.ext32u(sp, sp);
        dc.st(dc.linear(kSS, sp, size, true), v, size);
    }
    dc.add_sp(-static_cast<int64_t>(8 * size));
}

void popa(Dc& dc, unsigned size) {
    I64 vals[8];
    for (unsigned i = 0; i < 8; ++i) vals[7 - i] = dc.pop_peek(size, i * size);
    for (unsigned i = 0; i < 8; ++i)
        if (i != kRSP) dc.store_gpr(i, size, vals[i]);
    dc.add_sp(8 * size);
}

void pushf(Dc& dc, unsigned size) {
    auto& b = dc.b;
    if (dc.vm && dc.iopl < 3) {
        dc.raise(kExcGP, 0);
        return;
    }
    I64 f = b.temp_i64();
    b.call(MIMIC_HELPER_F(helper_pushf_value, tcg::kHelperNoWriteGlobals), f, {b.env()});
    dc.push(f, size);
}

void popf(Dc& dc, unsigned size) {
    auto& b = dc.b;
    if (dc.vm && dc.iopl < 3) {
        dc.raise(kExcGP, 0);
        return;
    }
    I64 v = dc.pop_peek(size, 0);
    tcg::I32 v32 = b.temp_i32();
    b.extrl_i64_i32(v32, v);
    b.call(MIMIC_HELPER(helper_popf), {b.env(), v32, b.const_i32(size >= 4)});
    dc.add_sp(size);
    dc.cc_op = kCcOpDynamic;
    dc.stop_after();   // IF, TF, IOPL may have changed
}

void enter(Dc& dc) {
    auto& b = dc.b;
    const DecodedInsn& in = *dc.insn;
    unsigned size = in.op_size;
    unsigned ssz = dc.stack_mask_size();
    uint64_t alloc = static_cast<uint64_t>(in.imm) & 0xffff;
    unsigned level = static_cast<unsigned>(in.imm2) & 31;
    dc.push(dc.load_gpr(kRBP, size), size);
    I64 frame = dc.load_gpr(kRSP, ssz);
    if (level > 0) {
        for (unsigned i = 1; i < level; ++i) {
            I64 bp = b.sub(dc.load_gpr(kRBP, ssz), static_cast<uint64_t>(i * size));
            dc.wrap_sp(bp);
            I64 v = dc.ld(dc.linear(kSS, bp, size, false), size, false, kSS);
            dc.push(v, size);
        }
        dc.push(frame, size);
    }
    // The frame pointer has the stack's width (BP on a 16-bit stack keeps
    // EBP's high half), as the SDM's ENTER and QEMU do.
    dc.store_gpr(kRBP, ssz, frame);
    dc.add_sp(-static_cast<int64_t>(alloc));
}

void leave(Dc& dc) {
    unsigned ssz = dc.stack_mask_size();
    unsigned size = dc.insn->op_size;
    I64 bp = dc.load_gpr(kRBP, ssz);
    I64 v = dc.ld(dc.linear(kSS, bp, size, false), size, false, kSS);
    I64 sp = dc.b.add(bp, static_cast<uint64_t>(size));
    dc.store_gpr(kRSP, ssz, sp);
    dc.store_gpr(kRBP, size, v);
}

}  // namespace

bool translate_stack(Dc& dc) {
    switch (dc.insn->mnemonic) {
    case Mnemonic::kPush: push_op(dc); return true;
    case Mnemonic::kPop: pop_op(dc); return true;
    case Mnemonic::kPusha: pusha(dc, 2); return true;
    case Mnemonic::kPushad: pusha(dc, 4); return true;
    case Mnemonic::kPopa: popa(dc, 2); return true;
    case Mnemonic::kPopad: popa(dc, 4); return true;
    case Mnemonic::kPushf: pushf(dc, 2); return true;
    case Mnemonic::kPushfd: pushf(dc, 4); return true;
    case Mnemonic::kPushfq: pushf(dc, 8); return true;
    case Mnemonic::kPopf: popf(dc, 2); return true;
    case Mnemonic::kPopfd: popf(dc, 4); return true;
    case Mnemonic::kPopfq: popf(dc, 8); return true;
    case Mnemonic::kEnter: enter(dc); return true;
    case Mnemonic::kLeave: leave(dc); return true;
    default: return false;
    }
}

}  // namespace mimic::x86
