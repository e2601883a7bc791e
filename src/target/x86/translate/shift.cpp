// Shifts and rotates (ROL ROR RCL RCR SHL SHR SAR, SHLD SHRD).
//
// SHL/SHR/SAR are inline IR with lazy flags (cc_op SHL/SAR/SHR): they are
// hot (decompressors, hashing) and a helper that materialised the old flags
// on every shift cost a fifth of a Linux boot. A count in CL may be zero at
// run time, which leaves the flags alone: movcond keeps the old lazy state
// then, and cc_op becomes dynamic. ROL/ROR by an immediate are inline too
// (they change only CF and OF of the materialised flags). RCL/RCR, rotates
// by CL and SHLD/SHRD stay in one helper, which leaves the flags pending;
// they are committed after the store so that a faulting store restarts the
// instruction with the flags it began with. Everywhere the destination is
// written before cc_* change, for the same reason.
#include "dc.h"

namespace mimic::x86 {

using tcg::Cond;
using tcg::I32;
using tcg::I64;

namespace {

// Operation numbers shared with helper_shift.
unsigned shift_op(Mnemonic m) {
    switch (m) {
    case Mnemonic::kRol: return 0;
    case Mnemonic::kRor: return 1;
    case Mnemonic::kRcl: return 2;
    case Mnemonic::kRcr: return 3;
    case Mnemonic::kShl: return 4;
    case Mnemonic::kShr: return 5;
    case Mnemonic::kSar: return 7;
    default: return ~0u;
    }
}

I32 count_of(Dc& dc, unsigned i) {
    auto& b = dc.b;
    I32 c = b.temp_i32();
    const Operand& op = dc.insn->ops[i];
    if (op.kind == OperandKind::kImm) b.movi(c, static_cast<uint32_t>(dc.insn->imm));
    else b.extrl_i64_i32(c, dc.load_gpr(kRCX, 1));
    return c;
}

uint64_t mask_of(unsigned size) { return size == 8 ? ~0ull : (1ull << (size * 8)) - 1; }

// SHL/SHR/SAR (op 4, 5, 7) without a helper.
void shift_inline(Dc& dc, unsigned op, unsigned size) {
    auto& b = dc.b;
    const DecodedInsn& in = *dc.insn;
    const unsigned bits = size * 8;
    const unsigned count_mask = size == 8 ? 63 : 31;
    const CcOp base = op == 4 ? kCcOpShlB : op == 5 ? kCcOpShrB : kCcOpSarB;
    Loc d = dc.loc(0, true);
    I64 v = dc.read(d);   // zero-extended
    I64 sv = v;
    if (op == 7 && size != 8) {
        sv = b.temp_i64();
        b.sextract(sv, v, 0, bits);
    }
    auto shift = [&](I64 x, I64 c) { return op == 4 ? b.shl(x, c) : op == 5 ? b.shr(x, c) : b.sar(x, c); };
    if (in.ops[1].kind == OperandKind::kImm) {
        const unsigned c = static_cast<unsigned>(in.imm) & count_mask;
        if (c == 0) {   // no change, flags untouched; the write still happens as for any count
            dc.write(d, v);
            return;
        }
        I64 r = b.and_(shift(sv, b.const_i64(c)), mask_of(size));
        I64 before_last = shift(sv, b.const_i64(c - 1));   // CF is its bit shifted out last
        dc.write(d, r);
        b.mov(dc.g.cc_dst, r);
        b.mov(dc.g.cc_src, before_last);
        if (op == 5) b.mov(dc.g.cc_src2, v);   // OF = MSB of the original
        dc.set_cc_op(cc_op_sized(base, size));
        return;
    }
    I64 c = b.temp_i64();
    b.and_(c, dc.load_gpr(kRCX, 1), static_cast<uint64_t>(count_mask));
    I64 r = b.and_(shift(sv, c), mask_of(size));
    I64 cm1 = b.and_(b.sub(c, 1ull), 63ull);   // any value will do for a count of zero
    I64 before_last = shift(sv, cm1);
    dc.write(d, r);
    I64 zero = b.const_i64(0);
    b.movcond(Cond::Eq, dc.g.cc_dst, c, zero, dc.g.cc_dst, r);
    b.movcond(Cond::Eq, dc.g.cc_src, c, zero, dc.g.cc_src, before_last);
    if (op == 5) b.movcond(Cond::Eq, dc.g.cc_src2, c, zero, dc.g.cc_src2, v);
    I32 c32 = b.temp_i32();
    b.extrl_i64_i32(c32, c);
    b.movcond(Cond::Eq, dc.g.cc_op, c32, b.const_i32(0), dc.g.cc_op, b.const_i32(cc_op_sized(base, size)));
    dc.cc_op = kCcOpDynamic;
}

// ROL/ROR by an immediate: CF and OF from the result, the rest kept.
void rotate_imm(Dc& dc, bool left, unsigned size) {
    auto& b = dc.b;
    const unsigned bits = size * 8;
    const unsigned count = static_cast<unsigned>(dc.insn->imm) & (size == 8 ? 63 : 31);
    Loc d = dc.loc(0, true);
    I64 v = dc.read(d);
    if (count == 0) {
        dc.write(d, v);
        return;
    }
    const unsigned c = count % bits;
    I64 r = v;
    if (c) {
        const unsigned lc = left ? c : bits - c;   // as a left rotate
        if (size == 8) {
            r = b.rotl(v, static_cast<uint64_t>(lc));
        } else {
            r = b.or_(b.shl(v, static_cast<uint64_t>(lc)), b.shr(v, static_cast<uint64_t>(bits - lc)));
            b.and_(r, r, mask_of(size));
        }
    }
    I32 f = dc.flags_all();
    dc.write(d, r);
    I64 msb = b.temp_i64();
    b.extract(msb, r, bits - 1, 1);
    I64 cf = b.temp_i64(), of = b.temp_i64();
    if (left) {
        b.and_(cf, r, 1ull);
        b.xor_(of, msb, cf);
    } else {
        b.mov(cf, msb);
        I64 next = b.temp_i64();
        b.extract(next, r, bits - 2, 1);
        b.xor_(of, msb, next);
    }
    I64 f64 = b.temp_i64();
    b.extu_i32_i64(f64, b.and_(f, ~(kFlagCF | kFlagOF)));
    b.or_(f64, f64, cf);
    b.or_(f64, f64, b.shl(of, 11ull));
    b.mov(dc.g.cc_src, f64);
    dc.set_cc_op(kCcOpEflags);
}

}  // namespace

bool translate_shift(Dc& dc) {
    auto& b = dc.b;
    const DecodedInsn& in = *dc.insn;
    const unsigned size = in.ops[0].size;
    if (in.mnemonic == Mnemonic::kShld || in.mnemonic == Mnemonic::kShrd) {
        Loc d = dc.loc(0, true);
        I64 v = dc.read(d);
        I64 s = dc.load_reg(in.ops[1].reg);
        I32 c = count_of(dc, 2);
        I64 r = b.temp_i64();
        uint32_t desc = size | (in.mnemonic == Mnemonic::kShrd ? 0x100u : 0u);
        b.call(MIMIC_HELPER_F(helper_shld, tcg::kHelperNoWriteGlobals), r, {b.env(), b.const_i32(desc), v, s, c});
        dc.write(d, r);
        dc.commit_pending_flags();
        return true;
    }
    unsigned op = shift_op(in.mnemonic);
    if (op == ~0u) return false;
    if (op >= 4) {
        shift_inline(dc, op, size);
        return true;
    }
    if (op <= 1 && in.ops[1].kind == OperandKind::kImm) {
        rotate_imm(dc, op == 0, size);
        return true;
    }
    Loc d = dc.loc(0, true);
    I64 v = dc.read(d);
    I32 c = count_of(dc, 1);
    I64 r = b.temp_i64();
    b.call(MIMIC_HELPER_F(helper_shift, tcg::kHelperNoWriteGlobals), r, {b.env(), b.const_i32(op | (size << 8)), v, c});
    dc.write(d, r);
    dc.commit_pending_flags();
    return true;
}

}  // namespace mimic::x86
