// Two-operand arithmetic and logic, INC/DEC/NEG/NOT, and the exchanging
// instructions (XCHG, XADD, CMPXCHG). Flags are left lazy: each operation
// records its operands and cc_op; readers compute what they need.
#include "dc.h"

namespace mimic::x86 {

using tcg::I64;

namespace {

uint64_t mask_of(unsigned size) { return size == 8 ? ~0ull : (1ull << (size * 8)) - 1; }

enum class AluOp { kAdd, kOr, kAdc, kSbb, kAnd, kSub, kXor, kCmp, kTest };

void alu(Dc& dc, AluOp op) {
    auto& b = dc.b;
    const unsigned size = dc.insn->ops[0].size;
    const bool writes = op != AluOp::kCmp && op != AluOp::kTest;
    Loc dst = dc.loc(0, writes);
    I64 a = dc.read(dst);
    I64 s = dc.operand(1);
    if (dc.insn->ops[1].kind == OperandKind::kImm) s = b.const_i64(static_cast<uint64_t>(dc.insn->imm) & mask_of(size));
    I64 r = b.temp_i64();
    switch (op) {
    case AluOp::kAdd: b.add(r, a, s); break;
    case AluOp::kOr: b.or_(r, a, s); break;
    case AluOp::kAnd: case AluOp::kTest: b.and_(r, a, s); break;
    case AluOp::kXor: b.xor_(r, a, s); break;
    case AluOp::kSub: case AluOp::kCmp: b.sub(r, a, s); break;
    case AluOp::kAdc: case AluOp::kSbb: {
        I64 c = dc.carry();
        if (op == AluOp::kAdc) b.add(r, b.add(a, s), c);
        else b.sub(r, b.sub(a, s), c);
        b.and_(r, r, mask_of(size));
        if (writes) dc.write(dst, r);
        b.mov(dc.g.cc_src2, c);
        b.mov(dc.g.cc_src, s);
        b.mov(dc.g.cc_dst, r);
        dc.set_cc_op(cc_op_sized(op == AluOp::kAdc ? kCcOpAdcB : kCcOpSbbB, size));
        return;
    }
    }
    b.and_(r, r, mask_of(size));
    if (writes) dc.write(dst, r);
    b.mov(dc.g.cc_dst, r);
    switch (op) {
    case AluOp::kAdd:
        b.mov(dc.g.cc_src, s);
        dc.set_cc_op(cc_op_sized(kCcOpAddB, size));
        break;
    case AluOp::kSub: case AluOp::kCmp:
        b.mov(dc.g.cc_src, s);
        dc.set_cc_op(cc_op_sized(kCcOpSubB, size));
        dc.sub_src1 = b.temp_i64();
        b.mov(dc.sub_src1, a);
        dc.sub_src1_for_pc = dc.next_pc;
        break;
    default:
        dc.set_cc_op(cc_op_sized(kCcOpLogicB, size));
        break;
    }
}

void inc_dec(Dc& dc, bool inc) {
    auto& b = dc.b;
    const unsigned size = dc.insn->ops[0].size;
    Loc dst = dc.loc(0, true);
    I64 a = dc.read(dst);
    I64 c = dc.carry();   // INC/DEC keep CF: record it before cc_op changes
    I64 r = inc ? b.add(a, 1ull) : b.sub(a, 1ull);
    b.and_(r, r, mask_of(size));
    dc.write(dst, r);
    b.mov(dc.g.cc_src, c);
    b.mov(dc.g.cc_dst, r);
    dc.set_cc_op(cc_op_sized(inc ? kCcOpIncB : kCcOpDecB, size));
}

void neg(Dc& dc) {
    auto& b = dc.b;
    const unsigned size = dc.insn->ops[0].size;
    Loc dst = dc.loc(0, true);
    I64 a = dc.read(dst);
    I64 r = b.and_(b.neg(a), mask_of(size));
    dc.write(dst, r);
    // 0 - a: a SUB whose first operand is zero.
    b.mov(dc.g.cc_src, a);
    b.mov(dc.g.cc_dst, r);
    dc.set_cc_op(cc_op_sized(kCcOpSubB, size));
}

void not_(Dc& dc) {
    auto& b = dc.b;
    Loc dst = dc.loc(0, true);
    I64 r = b.not_(dc.read(dst));
    dc.write(dst, r);
}

void xchg(Dc& dc) {
    Loc a = dc.loc(0, true);
    Loc c = dc.loc(1, true);
    I64 va = dc.read(a), vc = dc.read(c);
    // Memory first: if the store faults no register has changed.
    if (c.is_mem) { dc.write(c, va); dc.write(a, vc); }
    else { dc.write(a, vc); dc.write(c, va); }
}

void xadd(Dc& dc) {
    auto& b = dc.b;
    const unsigned size = dc.insn->ops[0].size;
    Loc dst = dc.loc(0, true);
    I64 a = dc.read(dst);
    I64 s = dc.load_reg(dc.insn->ops[1].reg);
    I64 r = b.and_(b.add(a, s), mask_of(size));
    // The destination is written last, so XADD r, r leaves the sum; a memory
    // destination is stored first so a fault changes no register.
    if (dst.is_mem) {
        dc.write(dst, r);
        dc.store_reg(dc.insn->ops[1].reg, a);
    } else {
        dc.store_reg(dc.insn->ops[1].reg, a);
        dc.write(dst, r);
    }
    b.mov(dc.g.cc_src, s);
    b.mov(dc.g.cc_dst, r);
    dc.set_cc_op(cc_op_sized(kCcOpAddB, size));
}

void cmpxchg(Dc& dc) {
    auto& b = dc.b;
    const unsigned size = dc.insn->ops[0].size;
    Loc dst = dc.loc(0, true);
    I64 old = dc.read(dst);
    I64 acc = dc.load_gpr(kRAX, size);
    I64 src = dc.load_reg(dc.insn->ops[1].reg);
    if (dst.is_mem || size != 4) {
        // The destination is always written (the old value back on failure), as the processor does.
        I64 nv = b.temp_i64();
        b.movcond(tcg::Cond::Eq, nv, old, acc, src, old);
        dc.write(dst, nv);
    } else {
        // A 32-bit register is written (zero-extended) only on success: on
        // failure its upper half survives, as on the host.
        I64 r = dc.g.regs[dst.reg.num];
        I64 zsrc = b.temp_i64();
        b.ext32u(zsrc, src);
        b.movcond(tcg::Cond::Eq, r, old, acc, zsrc, r);
    }
    // On failure the accumulator receives the old value (a 32-bit one
    // zero-extended); on success it is not written at all, so it keeps
    // whatever it holds now, upper half included (CMPXCHG r, EAX may just
    // have written it).
    if (size == 4) {
        I64 rax = dc.g.regs[kRAX];
        b.movcond(tcg::Cond::Eq, rax, old, acc, rax, old);
    } else {
        I64 nacc = b.temp_i64();
        b.movcond(tcg::Cond::Eq, nacc, old, acc, dc.load_gpr(kRAX, size), old);
        dc.store_gpr(kRAX, size, nacc);
    }
    I64 r = b.and_(b.sub(acc, old), mask_of(size));
    b.mov(dc.g.cc_src, old);
    b.mov(dc.g.cc_dst, r);
    dc.set_cc_op(cc_op_sized(kCcOpSubB, size));
}

}  // namespace

bool translate_alu(Dc& dc) {
    switch (dc.insn->mnemonic) {
    case Mnemonic::kAdd: alu(dc, AluOp::kAdd); return true;
    case Mnemonic::kOr: alu(dc, AluOp::kOr); return true;
    case Mnemonic::kAdc: alu(dc, AluOp::kAdc); return true;
    case Mnemonic::kSbb: alu(dc, AluOp::kSbb); return true;
    case Mnemonic::kAnd: alu(dc, AluOp::kAnd); return true;
    case Mnemonic::kSub: alu(dc, AluOp::kSub); return true;
    case Mnemonic::kXor: alu(dc, AluOp::kXor); return true;
    case Mnemonic::kCmp: alu(dc, AluOp::kCmp); return true;
    case Mnemonic::kTest: alu(dc, AluOp::kTest); return true;
    case Mnemonic::kInc: inc_dec(dc, true); return true;
    case Mnemonic::kDec: inc_dec(dc, false); return true;
    case Mnemonic::kNeg: neg(dc); return true;
    case Mnemonic::kNot: not_(dc); return true;
    case Mnemonic::kXchg: xchg(dc); return true;
    case Mnemonic::kXadd: xadd(dc); return true;
    case Mnemonic::kCmpxchg: cmpxchg(dc); return true;
    default: return false;
    }
}

}  // namespace mimic::x86
