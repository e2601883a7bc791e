// MUL, IMUL (one-, two- and three-operand forms), DIV, IDIV. The one-operand
// forms work on the accumulator pair in env through helpers (DIV raises #DE);
// the two- and three-operand IMUL is inline.
#include "dc.h"

namespace mimic::x86 {

using tcg::I64;

bool translate_muldiv(Dc& dc) {
    auto& b = dc.b;
    const DecodedInsn& in = *dc.insn;
    const unsigned size = in.ops[0].size;
    switch (in.mnemonic) {
    case Mnemonic::kMul:
    case Mnemonic::kDiv:
    case Mnemonic::kIdiv:
    case Mnemonic::kImul: {
        if (in.mnemonic == Mnemonic::kImul && in.op_count > 1) {
            // IMUL r, r/m[, imm]: truncated signed product.
            I64 a = in.op_count == 3 ? dc.operand(1) : dc.load_reg(in.ops[0].reg);
            I64 c = in.op_count == 3 ? dc.operand(2) : dc.operand(1);
            // Inline with lazy flags (cc_op MUL: CF = OF = the product did
            // not fit); decompressors' range coders multiply in hot loops.
            I64 lo = b.temp_i64(), overflow = b.temp_i64();
            if (size == 8) {
                I64 hi = b.temp_i64();
                b.muls2(lo, hi, a, c);
                b.setcond(tcg::Cond::Ne, overflow, hi, b.sar(lo, 63ull));
            } else {
                const unsigned bits = size * 8;
                I64 sa = b.temp_i64(), sc = b.temp_i64(), p = b.temp_i64(), sp = b.temp_i64();
                b.sextract(sa, a, 0, bits);
                b.sextract(sc, c, 0, bits);
                b.mul(p, sa, sc);   // exact: at most 64 bits
                b.sextract(sp, p, 0, bits);
                b.setcond(tcg::Cond::Ne, overflow, sp, p);
                b.and_(lo, p, (1ull << bits) - 1);
            }
            dc.store_reg(in.ops[0].reg, lo);
            b.mov(dc.g.cc_dst, lo);
            b.mov(dc.g.cc_src, overflow);
            dc.set_cc_op(cc_op_sized(kCcOpMulB, size));
            return true;
        }
        I64 src = dc.operand(0);
        uint32_t desc = size | ((in.mnemonic == Mnemonic::kImul || in.mnemonic == Mnemonic::kIdiv) ? 0x100u : 0u);
        if (in.mnemonic == Mnemonic::kMul || in.mnemonic == Mnemonic::kImul) {
            b.call(MIMIC_HELPER(helper_mul), {b.env(), b.const_i32(desc), src});
        } else {
            b.call(MIMIC_HELPER(helper_div), {b.env(), b.const_i32(desc), src});
        }
        dc.cc_op = kCcOpDynamic;
        return true;
    }
    default: return false;
    }
}

}  // namespace mimic::x86
