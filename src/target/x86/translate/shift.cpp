// Shifts and rotates (ROL ROR RCL RCR SHL SHR SAR, SHLD SHRD). The result
// and the flags come from one helper: counts of zero leave the flags alone
// and the rotate-through-carry forms need the incoming CF, both awkward in IR.
// The helper leaves the flags pending; they are committed after the store so
// that a faulting store restarts the instruction with the flags it began with.
#include "dc.h"

namespace mimic::x86 {

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
