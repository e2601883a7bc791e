// Segment register loads and stores (MOV Sreg, LDS/LES/LFS/LGS/LSS), the
// FS/GS base instructions, ARPL and BOUND.
#include "dc.h"

namespace mimic::x86 {

using tcg::I32;
using tcg::I64;

namespace {

void load_seg(Dc& dc, unsigned seg, I64 sel) {
    auto& b = dc.b;
    I32 s = b.temp_i32();
    b.extrl_i64_i32(s, sel);
    dc.sync_eip(dc.pc);
    b.call(MIMIC_HELPER(helper_load_seg), {b.env(), b.const_i32(seg), s});
    if (seg == kSS) dc.begin_ss_shadow();
    dc.stop_after();   // bases and hflags (ADDSEG, SS32, checks) changed
}

void load_far_pointer(Dc& dc, unsigned seg) {
    auto& b = dc.b;
    const DecodedInsn& in = *dc.insn;
    unsigned size = in.op_size;
    I64 a = dc.linear(in.mem.seg, dc.effective_offset(in.mem), size + 2, false);
    I64 off = dc.ld(a, size);
    I64 sel = dc.ld(b.add(a, static_cast<uint64_t>(size)), 2);
    load_seg(dc, seg, sel);
    dc.store_reg(in.ops[0].reg, off);
}

}  // namespace

bool translate_seg(Dc& dc) {
    auto& b = dc.b;
    const DecodedInsn& in = *dc.insn;
    switch (in.mnemonic) {
    case Mnemonic::kMov:
        if (in.ops[0].kind == OperandKind::kReg && in.ops[0].reg.cls == RegClass::kSeg) {
            load_seg(dc, in.ops[0].reg.num, dc.operand(1));
        } else {
            // MOV r/m, Sreg: 16 bits to memory; zero-extended to a 32-bit register.
            I64 v = dc.load_reg(in.ops[1].reg);
            dc.write(dc.loc(0, true), v);
        }
        return true;
    case Mnemonic::kLds: load_far_pointer(dc, kDS); return true;
    case Mnemonic::kLes: load_far_pointer(dc, kES); return true;
    case Mnemonic::kLfs: load_far_pointer(dc, kFS); return true;
    case Mnemonic::kLgs: load_far_pointer(dc, kGS); return true;
    case Mnemonic::kLss: load_far_pointer(dc, kSS); return true;
    case Mnemonic::kArpl: {
        if (!dc.pe || dc.vm) {
            dc.raise(kExcUD);
            return true;
        }
        Loc d = dc.loc(0, false);
        I64 dst = dc.read(d);
        I64 src = dc.load_reg(in.ops[1].reg);
        I64 drpl = b.and_(dst, 3ull), srpl = b.and_(src, 3ull);
        I64 adjust = b.setcond(tcg::Cond::Ltu, drpl, srpl);
        I64 nv = b.or_(b.andc(dst, b.const_i64(3)), srpl);
        // The selector is written only when its RPL rises: an ARPL that
        // leaves it alone does not fault on a read-only segment.
        tcg::Label same = b.new_label();
        b.brcond(tcg::Cond::Eq, adjust, 0u, same);
        dc.write(d.is_mem ? dc.loc(0, true) : d, nv);
        b.set_label(same);
        // ZF = adjusted; the other flags are kept.
        tcg::I32 f = dc.flags_all();
        tcg::I32 a32 = b.temp_i32();
        b.extrl_i64_i32(a32, adjust);
        tcg::I32 nf = b.or_(b.and_(f, ~kFlagZF), b.shl(a32, 6u));
        b.extu_i32_i64(dc.g.cc_src, nf);
        dc.set_cc_op(kCcOpEflags);
        return true;
    }
    case Mnemonic::kRdfsbase: case Mnemonic::kRdgsbase: case Mnemonic::kWrfsbase: case Mnemonic::kWrgsbase: {
        if (!(cpu_features(dc.env).f7_ebx & cpuid::kFsgsbase)) {
            dc.raise(kExcUD);
            return true;
        }
        // CR4.FSGSBASE and canonical bases are checked by the helpers. A
        // 32-bit read zero-extends; a 32-bit write clears the upper half.
        const bool fs = in.mnemonic == Mnemonic::kRdfsbase || in.mnemonic == Mnemonic::kWrfsbase;
        const bool read = in.mnemonic == Mnemonic::kRdfsbase || in.mnemonic == Mnemonic::kRdgsbase;
        I32 seg = b.const_i32(fs ? kFS : kGS);
        dc.sync_eip(dc.pc);
        if (read) {
            I64 base = b.temp_i64();
            b.call(MIMIC_HELPER(helper_read_segment_base), base, {b.env(), seg});
            dc.store_reg(in.ops[0].reg, base);
        } else {
            b.call(MIMIC_HELPER(helper_write_segment_base), {b.env(), seg, dc.load_reg(in.ops[0].reg)});
        }
        return true;
    }
    case Mnemonic::kBound: {
        unsigned size = in.op_size;
        I64 a = dc.linear(in.mem.seg, dc.effective_offset(in.mem), size * 2, false);
        I64 idx = dc.load_reg(in.ops[0].reg);
        b.call(MIMIC_HELPER(helper_bound), {b.env(), idx, a, b.const_i32(size)});
        return true;
    }
    default: return false;
    }
}

}  // namespace mimic::x86
