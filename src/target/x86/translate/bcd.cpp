// Decimal adjust instructions (DAA DAS AAA AAS AAM AAD), all in a helper.
#include "dc.h"

namespace mimic::x86 {

bool translate_bcd(Dc& dc) {
    auto& b = dc.b;
    unsigned op;
    switch (dc.insn->mnemonic) {
    case Mnemonic::kDaa: op = 0; break;
    case Mnemonic::kDas: op = 1; break;
    case Mnemonic::kAaa: op = 2; break;
    case Mnemonic::kAas: op = 3; break;
    case Mnemonic::kAam: op = 4; break;
    case Mnemonic::kAad: op = 5; break;
    default: return false;
    }
    uint32_t imm = (op >= 4) ? static_cast<uint32_t>(dc.insn->imm) & 0xff : 0;
    b.call(MIMIC_HELPER(helper_bcd), {b.env(), b.const_i32(op), b.const_i32(imm)});
    dc.cc_op = kCcOpDynamic;
    return true;
}

}  // namespace mimic::x86
