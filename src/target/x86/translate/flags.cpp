// Direct flag manipulation: CLC/STC/CMC, CLD/STD, CLI/STI, STAC/CLAC,
// SAHF/LAHF, SALC.
#include "dc.h"

namespace mimic::x86 {

using tcg::I32;
using tcg::I64;

namespace {

// Materialises the arithmetic flags, applies f, and leaves cc_op = EFLAGS.
template <typename F>
void edit_flags(Dc& dc, F f) {
    auto& b = dc.b;
    I32 fl = dc.flags_all();
    I32 r = f(fl);
    b.extu_i32_i64(dc.g.cc_src, r);
    dc.set_cc_op(kCcOpEflags);
}

}  // namespace

bool translate_flags(Dc& dc) {
    auto& b = dc.b;
    switch (dc.insn->mnemonic) {
    case Mnemonic::kClc: edit_flags(dc, [&](I32 f) { return b.and_(f, ~kFlagCF); }); return true;
    case Mnemonic::kStc: edit_flags(dc, [&](I32 f) { return b.or_(f, kFlagCF); }); return true;
    case Mnemonic::kCmc: edit_flags(dc, [&](I32 f) { return b.xor_(f, kFlagCF); }); return true;
    case Mnemonic::kCld: b.st(b.const_i32(1), ENV_OFF(df), tcg::kMo32); return true;
    case Mnemonic::kStd: b.st(b.const_i32(~0u), ENV_OFF(df), tcg::kMo32); return true;
    case Mnemonic::kCli:
    case Mnemonic::kSti:
        dc.sync_eip(dc.pc);
        if (dc.insn->mnemonic == Mnemonic::kCli) b.call(MIMIC_HELPER(helper_cli), {b.env()});
        else b.call(MIMIC_HELPER(helper_sti), {b.env()});
        dc.stop_after();   // STI opens the interrupt window one instruction later
        return true;
    case Mnemonic::kStac:
    case Mnemonic::kClac:
        // Only with SMAP, and only at CPL 0 (#UD, not #GP, otherwise).
        if (!(cpu_features(dc.env).f7_ebx & cpuid::kSmap) || dc.cpl != 0 || dc.vm) {
            dc.raise(kExcUD);
            return true;
        }
        b.call(MIMIC_HELPER(helper_set_ac), {b.env(), b.const_i32(dc.insn->mnemonic == Mnemonic::kStac)});
        dc.stop_after();   // later accesses use the MMU index AC selects
        return true;
    case Mnemonic::kSahf: {
        I64 ah = b.temp_i64();
        b.extract(ah, dc.g.regs[kRAX], 8, 8);
        I32 ah32 = b.temp_i32();
        b.extrl_i64_i32(ah32, ah);
        edit_flags(dc, [&](I32 f) {
            const uint32_t m = kFlagSF | kFlagZF | kFlagAF | kFlagPF | kFlagCF;
            return b.or_(b.and_(f, ~m), b.and_(ah32, m));
        });
        return true;
    }
    case Mnemonic::kLahf: {
        I64 f = b.temp_i64();
        b.call(MIMIC_HELPER_F(helper_read_eflags, tcg::kHelperNoWriteGlobals | tcg::kHelperNoSideEffects), f,
               {b.env()});
        b.and_(f, f, 0xffull);
        b.deposit(dc.g.regs[kRAX], dc.g.regs[kRAX], f, 8, 8);
        return true;
    }
    case Mnemonic::kSalc: {
        I64 c = dc.carry();
        dc.store_gpr(kRAX, 1, b.neg(c));
        return true;
    }
    default: return false;
    }
}

}  // namespace mimic::x86
