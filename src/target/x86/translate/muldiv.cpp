// MUL, IMUL (one-, two- and three-operand forms), DIV, IDIV. Multiplies
// are inline; DIV and IDIV work on the accumulator pair in env through a
// helper (they raise #DE).
#include "dc.h"

namespace mimic::x86 {

using tcg::I64;

namespace {

constexpr unsigned kRax = 0, kRdx = 2;

// One-operand MUL/IMUL: the accumulator times src, the product in AX,
// DX:AX, EDX:EAX or RDX:RAX; flags lazily (cc_op MUL: CF = OF = the high
// half is more than the low half's extension; SF, ZF, PF from the low half
// as current processors set them). Inline: compilers divide by constants
// with MUL, in printf, hashing and modulo.
void translate_widening_multiply(Dc& dc, unsigned size, bool is_signed, I64 src) {
    auto& b = dc.b;
    I64 a = dc.load_gpr(kRax, size);
    I64 lo = b.temp_i64(), hi = b.temp_i64(), overflow = b.temp_i64();
    if (size == 8) {
        if (is_signed) {
            b.muls2(lo, hi, a, src);
            b.setcond(tcg::Cond::Ne, overflow, hi, b.sar(lo, 63ull));
        } else {
            b.mulu2(lo, hi, a, src);
            b.setcond(tcg::Cond::Ne, overflow, hi, b.const_i64(0));
        }
    } else {
        // Both factors fit 32 bits: the 64-bit product is exact.
        const unsigned bits = size * 8;
        I64 p = b.temp_i64();
        if (is_signed) {
            I64 sa = b.temp_i64(), ss = b.temp_i64(), sp = b.temp_i64();
            b.sextract(sa, a, 0, bits);
            b.sextract(ss, src, 0, bits);
            b.mul(p, sa, ss);
            b.sextract(sp, p, 0, bits);
            b.setcond(tcg::Cond::Ne, overflow, sp, p);
        } else {
            I64 ua = b.temp_i64(), us = b.temp_i64();
            b.extract(ua, a, 0, bits);
            b.extract(us, src, 0, bits);
            b.mul(p, ua, us);
            b.setcond(tcg::Cond::Gtu, overflow, p, b.const_i64((1ull << bits) - 1));
        }
        b.extract(lo, p, 0, bits);
        b.extract(hi, p, bits, bits);
    }
    if (size == 1) {
        dc.store_gpr(kRax, 2, b.or_(lo, b.shl(hi, 8ull)));   // AX = AH:AL
    } else {
        dc.store_gpr(kRax, size, lo);
        dc.store_gpr(kRdx, size, hi);
    }
    b.mov(dc.g.cc_dst, lo);
    b.mov(dc.g.cc_src, overflow);
    dc.set_cc_op(cc_op_sized(kCcOpMulB, size));
}

}  // namespace

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
                // The full product only for the flags (dead code when the
                // next flag-setting instruction overwrites them): one
                // two-operand host multiply, free of rdx:rax.
                I64 full_lo = b.temp_i64(), hi = b.temp_i64();
                b.muls2(full_lo, hi, a, c);
                b.setcond(tcg::Cond::Ne, overflow, hi, b.sar(full_lo, 63ull));
                b.mul(lo, a, c);
            } else {
                const unsigned bits = size * 8;
                // The low bits of a product do not depend on the operands'
                // high bits: the result is one host multiply of the raw
                // values. The overflow flag needs the exact product of the
                // sign-extended operands, a computation dead code removes
                // when the next flag-setting instruction overwrites it.
                I64 sa = b.temp_i64(), sc = b.temp_i64(), p = b.temp_i64(), sp = b.temp_i64();
                b.sextract(sa, a, 0, bits);
                b.sextract(sc, c, 0, bits);
                b.mul(p, sa, sc);   // exact: at most 64 bits
                b.sextract(sp, p, 0, bits);
                b.setcond(tcg::Cond::Ne, overflow, sp, p);
                b.and_(lo, b.mul(a, c), (1ull << bits) - 1);
            }
            dc.store_reg(in.ops[0].reg, lo);
            b.mov(dc.g.cc_dst, lo);
            b.mov(dc.g.cc_src, overflow);
            dc.set_cc_op(cc_op_sized(kCcOpMulB, size));
            return true;
        }
        I64 src = dc.operand(0);
        const bool is_signed = in.mnemonic == Mnemonic::kImul || in.mnemonic == Mnemonic::kIdiv;
        if (in.mnemonic == Mnemonic::kMul || in.mnemonic == Mnemonic::kImul) {
            translate_widening_multiply(dc, size, is_signed, src);
            return true;
        }
        const uint32_t desc = size | (is_signed ? 0x100u : 0u);
        b.call(MIMIC_HELPER(helper_div), {b.env(), b.const_i32(desc), src});
        dc.cc_op = kCcOpDynamic;
        return true;
    }
    default: return false;
    }
}

}  // namespace mimic::x86
