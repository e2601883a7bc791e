// Data movement: MOV, MOVZX/MOVSX, LEA, CMOVcc, SETcc, XLAT, the
// accumulator conversions (CBW, CWDE, CWD, CDQ) and BSWAP.
#include "dc.h"

namespace mimic::x86 {

using tcg::I64;

namespace {

// Cmovo..Cmovnle and Seto..Setnle are declared alphabetically in mnemonics.inc,
// so map each to its condition code explicitly.
int cond_code(Mnemonic m) {
    switch (m) {
#define C(suffix, code) case Mnemonic::kCmov##suffix: case Mnemonic::kSet##suffix: return code;
    C(o, 0) C(no, 1) C(b, 2) C(nb, 3) C(z, 4) C(nz, 5) C(be, 6) C(nbe, 7)
    C(s, 8) C(ns, 9) C(p, 10) C(np, 11) C(l, 12) C(nl, 13) C(le, 14) C(nle, 15)
#undef C
    default: return -1;
    }
}

}  // namespace

bool translate_mov(Dc& dc) {
    auto& b = dc.b;
    const DecodedInsn& in = *dc.insn;
    switch (in.mnemonic) {
    case Mnemonic::kMov: {
        if (in.ops[0].kind == OperandKind::kMem && in.ops[1].kind != OperandKind::kMem) {
            I64 v = dc.operand(1);
            Loc d = dc.loc(0, true);
            dc.write(d, v);
        } else {
            I64 v = dc.operand(1);
            dc.write(dc.loc(0, true), v);
        }
        return true;
    }
    case Mnemonic::kMovzx: {
        I64 v = dc.operand(1);
        dc.store_reg(in.ops[0].reg, v);
        return true;
    }
    case Mnemonic::kMovsx: {
        I64 v = dc.operand(1);
        I64 r = b.temp_i64();
        if (in.ops[1].size == 1) b.ext8s(r, v);
        else b.ext16s(r, v);
        dc.store_reg(in.ops[0].reg, r);
        return true;
    }
    case Mnemonic::kLea: {
        dc.store_reg(in.ops[0].reg, dc.effective_offset(in.mem));
        return true;
    }
    case Mnemonic::kXlat: {
        I64 off = b.add(dc.load_gpr(kRBX, in.addr_size), dc.load_gpr(kRAX, 1));
        dc.wrap_addr(off, in.addr_size);
        I64 v = dc.ld(dc.linear(in.mem.seg, off, 1, false), 1);
        dc.store_gpr(kRAX, 1, v);
        return true;
    }
    case Mnemonic::kMovsxd: {
        // Without REX.W this is a plain 32-bit move (zero-extending).
        I64 v = dc.operand(1);
        I64 r = b.temp_i64();
        if (in.ops[0].size == 8) b.ext32s(r, v);
        else b.mov(r, v);
        dc.store_reg(in.ops[0].reg, r);
        return true;
    }
    case Mnemonic::kCdqe: { I64 t = b.temp_i64(); b.ext32s(t, dc.load_gpr(kRAX, 4)); dc.store_gpr(kRAX, 8, t); return true; }
    case Mnemonic::kCqo: {
        I64 t = b.temp_i64();
        b.sar(t, dc.g.regs[kRAX], 63ull);
        dc.store_gpr(kRDX, 8, t);
        return true;
    }
    case Mnemonic::kCbw: { I64 t = b.temp_i64(); b.ext8s(t, dc.load_gpr(kRAX, 1)); dc.store_gpr(kRAX, 2, t); return true; }
    case Mnemonic::kCwde: { I64 t = b.temp_i64(); b.ext16s(t, dc.load_gpr(kRAX, 2)); dc.store_gpr(kRAX, 4, t); return true; }
    case Mnemonic::kCwd: {
        I64 t = b.temp_i64();
        b.sextract(t, dc.load_gpr(kRAX, 2), 15, 1);
        dc.store_gpr(kRDX, 2, t);
        return true;
    }
    case Mnemonic::kCdq: {
        I64 t = b.temp_i64();
        b.sextract(t, dc.load_gpr(kRAX, 4), 31, 1);
        dc.store_gpr(kRDX, 4, t);
        return true;
    }
    case Mnemonic::kBswap: {
        unsigned size = in.ops[0].size;
        I64 v = dc.load_reg(in.ops[0].reg);
        I64 r = b.temp_i64();
        if (size == 4) {
            tcg::I32 t = b.temp_i32();
            b.extrl_i64_i32(t, v);
            b.bswap32(t, t);
            b.extu_i32_i64(r, t);
        } else if (size == 8) {
            b.bswap64(r, v);
        } else {
            b.movi(r, 0);   // BSWAP r16 is undefined; this CPU clears the low word like many
        }
        dc.store_reg(in.ops[0].reg, r);
        return true;
    }
    case Mnemonic::kMovbe: {
        if (!(cpu_features(dc.env).f1_ecx & cpuid::kMovbe)) {
            dc.raise(kExcUD);
            return true;
        }
        // A load into a register or a store from one, the bytes reversed.
        const bool load = in.ops[0].kind == OperandKind::kReg;
        const unsigned size = in.ops[0].size;
        Loc mem = dc.loc(load ? 1 : 0, !load);
        I64 v = load ? dc.read(mem) : dc.load_reg(in.ops[1].reg);
        I64 swapped = b.temp_i64();
        if (size == 2) b.bswap16(swapped, v);
        else if (size == 4) b.bswap32(swapped, v);
        else b.bswap64(swapped, v);
        if (load) dc.store_reg(in.ops[0].reg, swapped);
        else dc.write(mem, swapped);
        return true;
    }
    default: break;
    }
    int cc = cond_code(in.mnemonic);
    if (cc < 0) return false;
    if (in.ops[0].kind == OperandKind::kReg && in.ops[0].reg.cls != RegClass::kGpr8 &&
        in.ops[0].reg.cls != RegClass::kGpr8High) {
        // CMOVcc: the source is read (and may fault) whatever the condition.
        I64 src = dc.operand(1);
        I64 cur = dc.load_reg(in.ops[0].reg);
        tcg::I32 c = dc.cond(static_cast<unsigned>(cc));
        I64 c64 = b.temp_i64();
        b.extu_i32_i64(c64, c);
        I64 r = b.temp_i64();
        b.movcond(tcg::Cond::Ne, r, c64, b.const_i64(0), src, cur);
        // A 32-bit CMOV writes (zero-extends) even when false, as in 64-bit mode.
        dc.store_reg(in.ops[0].reg, r);
        return true;
    }
    // SETcc
    tcg::I32 c = dc.cond(static_cast<unsigned>(cc));
    I64 v = b.temp_i64();
    b.extu_i32_i64(v, c);
    dc.write(dc.loc(0, true), v);
    return true;
}

}  // namespace mimic::x86
