// Bit tests (BT BTS BTR BTC), scans (BSF BSR, and TZCNT as BSF) and counts
// (POPCNT LZCNT). A register bit offset on a memory operand addresses beyond
// the operand: the effective address moves by (offset >> log2(bits))
// operands, signed.
#include "dc.h"

namespace mimic::x86 {

using tcg::I64;

namespace {

bool bsf_bsr(Dc& dc, bool reverse) {
    auto& b = dc.b;
    const DecodedInsn& in = *dc.insn;
    I64 v = dc.operand(1);
    I64 old = dc.load_reg(in.ops[0].reg);
    I64 r = b.temp_i64();
    uint32_t desc = in.ops[0].size | (reverse ? 0x100u : 0u);
    b.call(MIMIC_HELPER(helper_bsf_bsr), r, {b.env(), b.const_i32(desc), v, old});
    dc.store_reg(in.ops[0].reg, r);   // unchanged (zero-extended) when the source is 0
    dc.cc_op = kCcOpDynamic;
    return true;
}

}  // namespace

bool translate_bit(Dc& dc) {
    auto& b = dc.b;
    const DecodedInsn& in = *dc.insn;
    const unsigned size = in.ops[0].size;
    unsigned op;
    switch (in.mnemonic) {
    case Mnemonic::kBt: op = 0; break;
    case Mnemonic::kBts: op = 1; break;
    case Mnemonic::kBtr: op = 2; break;
    case Mnemonic::kBtc: op = 3; break;
    case Mnemonic::kPopcnt: case Mnemonic::kLzcnt: {
        if (in.mnemonic == Mnemonic::kPopcnt && !(cpu_features(dc.env).f1_ecx & cpuid::kPopcnt)) {
            dc.raise(kExcUD);
            return true;
        }
        // Without ABM, F3 0F BD is BSR with an ignored prefix.
        if (in.mnemonic == Mnemonic::kLzcnt && !(cpu_features(dc.env).e1_ecx & cpuid::kExtAbm)) return bsf_bsr(dc, true);
        I64 v = dc.operand(1);
        I64 r = b.temp_i64();
        uint32_t desc = size | (in.mnemonic == Mnemonic::kLzcnt ? 0x100u : 0u);
        b.call(MIMIC_HELPER(helper_popcnt_lzcnt), r, {b.env(), b.const_i32(desc), v});
        dc.store_reg(in.ops[0].reg, r);
        dc.cc_op = kCcOpDynamic;
        return true;
    }
    // TZCNT is BMI1, which Mimic does not implement: like processors
    // without it, F3 0F BC runs as BSF (REP BSF, which kernels rely on).
    case Mnemonic::kTzcnt:
    case Mnemonic::kBsf: return bsf_bsr(dc, false);
    case Mnemonic::kBsr: return bsf_bsr(dc, true);
    default: return false;
    }
    const unsigned bits = size * 8;
    I64 bit;
    Loc d;
    if (in.ops[1].kind == OperandKind::kImm) {
        bit = b.const_i64(static_cast<uint64_t>(in.imm) & (bits - 1));
        d = dc.loc(0, op != 0);
    } else {
        I64 off = dc.load_reg(in.ops[1].reg);
        if (in.ops[0].kind == OperandKind::kMem) {
            // Signed displacement in operands of `size` bytes.
            I64 soff = b.temp_i64();
            if (size == 2) b.ext16s(soff, off);
            else if (size == 4) b.ext32s(soff, off);
            else b.mov(soff, off);
            I64 disp = b.shl(b.sar(soff, static_cast<uint64_t>(__builtin_ctz(bits))), static_cast<uint64_t>(__builtin_ctz(size)));
            I64 ea = b.add(dc.effective_offset(in.mem), disp);
            dc.wrap_addr(ea, in.mem.addr_size);
            d.is_mem = true;
            d.size = size;
            d.addr = dc.linear(in.mem.seg, ea, size, op != 0);
            d.seg = in.mem.seg;
        } else {
            d = dc.loc(0, op != 0);
        }
        bit = b.and_(off, static_cast<uint64_t>(bits - 1));
    }
    I64 v = dc.read(d);
    I64 r = b.temp_i64();
    b.call(MIMIC_HELPER_F(helper_bitop, tcg::kHelperNoWriteGlobals), r, {b.env(), b.const_i32(op | (size << 8)), v, bit});
    if (op != 0) dc.write(d, r);
    dc.commit_pending_flags();   // after the store: a fault leaves EFLAGS alone
    return true;
}

}  // namespace mimic::x86
