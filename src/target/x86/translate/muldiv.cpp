// MUL, IMUL (one-, two- and three-operand forms), DIV, IDIV. The one-operand
// forms work on the accumulator pair in env through helpers (DIV raises #DE).
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
            I64 r = b.temp_i64();
            b.call(MIMIC_HELPER(helper_imul2), r, {b.env(), b.const_i32(size), a, c});
            dc.store_reg(in.ops[0].reg, r);
            dc.cc_op = kCcOpDynamic;
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
