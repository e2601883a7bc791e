// Classifying x87 instructions for the fast path and assembling their host
// stubs (see x87_op.h).
#include "x87_op.h"

#include "fpu_state.h"
#include "host_op.h"
#include "stub_arena.h"

namespace mimic::x86 {

namespace {

using M = Mnemonic;

// Instructions that push without reading the stack.
bool pure_push(M m) {
    return one_of(m, {M::kFld, M::kFild, M::kFbld, M::kFld1, M::kFldl2t, M::kFldl2e, M::kFldpi, M::kFldlg2,
                      M::kFldln2, M::kFldz});
}

// Reads ST(0) and pushes a second result.
bool push_after_st0(M m) { return one_of(m, {M::kFxtract, M::kFptan, M::kFsincos}); }

unsigned pops(M m) {
    if (one_of(m, {M::kFcompp, M::kFucompp})) return 2;
    return one_of(m, {M::kFstp, M::kFistp, M::kFisttp, M::kFbstp, M::kFcomp, M::kFucomp, M::kFicomp, M::kFaddp,
                      M::kFmulp, M::kFsubp, M::kFsubrp, M::kFdivp, M::kFdivrp, M::kFcomip, M::kFucomip, M::kFpatan,
                      M::kFyl2x, M::kFyl2xp1})
               ? 1
               : 0;
}

// Reads ST(1) without naming it.
bool reads_st1(M m) {
    return one_of(m, {M::kFpatan, M::kFyl2x, M::kFyl2xp1, M::kFprem, M::kFprem1, M::kFscale});
}

// The condition bits the host's result decides; the others keep their
// values (measured on the host: C0, C2 and C3 are left alone where the
// SDM calls them undefined, and FCOMI/FCMOVcc leave C1 too).
uint16_t condition_bits(M m) {
    if (one_of(m, {M::kFcom, M::kFcomp, M::kFcompp, M::kFucom, M::kFucomp, M::kFucompp, M::kFicom, M::kFicomp,
                   M::kFtst, M::kFxam, M::kFprem, M::kFprem1}))
        return 0x4700;
    if (one_of(m, {M::kFptan, M::kFsin, M::kFcos, M::kFsincos})) return 0x0600;
    if (one_of(m, {M::kFcomi, M::kFucomi, M::kFcomip, M::kFucomip, M::kFcmovb, M::kFcmove, M::kFcmovbe,
                   M::kFcmovu, M::kFcmovnb, M::kFcmovne, M::kFcmovnbe, M::kFcmovnu}))
        return 0;
    return 0x0200;
}

// Everything the host computes: arithmetic, conversions, compares,
// transcendentals, constants.
bool computed_by_host(M m) {
    return pure_push(m) || push_after_st0(m) || pops(m) || reads_st1(m) ||
           one_of(m, {M::kFadd, M::kFmul, M::kFsub, M::kFsubr, M::kFdiv, M::kFdivr, M::kFiadd, M::kFimul, M::kFisub,
                      M::kFisubr, M::kFidiv, M::kFidivr, M::kFst, M::kFist, M::kF2xm1, M::kFsqrt, M::kFrndint,
                      M::kFsin, M::kFcos, M::kFcom, M::kFucom, M::kFicom, M::kFtst, M::kFxam, M::kFcomi, M::kFucomi,
                      M::kFcmovb, M::kFcmove, M::kFcmovbe, M::kFcmovu, M::kFcmovnb, M::kFcmovne, M::kFcmovnbe,
                      M::kFcmovnu});
}

X87Stub assemble(const DecodedInsn& insn, const HostOp& op, unsigned window, unsigned max_depth) {
    return reinterpret_cast<X87Stub>(assemble_stub(512, [&](Xbyak::CodeGenerator& g) {
        using namespace Xbyak::util;
        using Xbyak::Label;
        const auto at = [&](size_t offset) { return rdi + static_cast<uint32_t>(offset); };
        // rsi: the registers, ecx: the guest's TOP, rdx: the memory operand.
        g.mov(rsi, g.qword[at(offsetof(X87HostCtx, st))]);
        g.mov(ecx, g.dword[at(offsetof(X87HostCtx, top))]);
        g.lea(rdx, g.ptr[at(offsetof(X87HostCtx, mem))]);
        Label same_cw, flags_clear, done, same_cw_after;
        g.fnstcw(g.word[at(offsetof(X87HostCtx, host_fcw))]);
        g.movzx(eax, g.word[at(offsetof(X87HostCtx, host_fcw))]);
        g.cmp(ax, g.word[at(offsetof(X87HostCtx, fcw))]);
        g.je(same_cw);
        g.fldcw(g.word[at(offsetof(X87HostCtx, fcw))]);
        g.L(same_cw);
        // r8d: the host's TOP with its stack empty. Flags the guest already
        // has may stay set: they change nothing when merged.
        g.fnstsw(ax);
        g.mov(r8d, eax);
        g.shr(r8d, kFswTopShift);
        g.and_(r8d, 7);
        g.movzx(r9d, g.word[at(offsetof(X87HostCtx, fsw))]);
        g.not_(r9d);
        g.and_(eax, r9d);
        g.test(al, 0x7f);
        g.jz(flags_clear);
        g.fnclex();
        g.L(flags_clear);
        // The physical register of ST(k) in eax, as a byte offset.
        const auto reg_offset = [&](const Xbyak::Reg32& top, unsigned k) {
            g.lea(eax, g.ptr[top.cvt64() + k]);
            g.and_(eax, 7);
            g.shl(eax, 4);
        };
        for (unsigned k = window; k-- > 0;) {
            reg_offset(ecx, k);
            g.db(0xdb); g.db(0x2c); g.db(0x06);   // fld tword [rsi + rax]
        }
        if (op.reads_flags) {
            g.push(g.qword[at(offsetof(X87HostCtx, rflags))]);
            g.popfq();
        }
        g.db(insn.opcode);
        // Register forms as they are (host ST(i) is guest ST(i)); the memory operand at [rdx].
        g.db((insn.modrm >> 6) == 3 ? insn.modrm : static_cast<uint8_t>((insn.modrm & 0x38) | 0x02));
        g.fnstsw(ax);
        g.mov(g.word[at(offsetof(X87HostCtx, fsw))], ax);
        if (op.writes_flags) {
            g.pushfq();
            g.pop(g.qword[at(offsetof(X87HostCtx, rflags))]);
        }
        // r8d: the depth (FPTAN and FSINCOS push only when their operand is
        // in range); r10d: the guest's new TOP = TOP + window - depth.
        g.shr(eax, kFswTopShift);
        g.and_(eax, 7);
        g.sub(r8d, eax);
        g.and_(r8d, 7);
        if (max_depth == 8) {   // a full stack wraps to 0
            Label not_full;
            g.jnz(not_full);
            g.mov(r8d, 8);
            g.L(not_full);
        }
        g.mov(g.dword[at(offsetof(X87HostCtx, depth))], r8d);
        g.lea(r10d, g.ptr[rcx + window]);
        g.sub(r10d, r8d);
        for (unsigned j = 0; j < max_depth; ++j) {
            g.cmp(r8d, j);
            g.jbe(done, Xbyak::CodeGenerator::T_NEAR);
            reg_offset(r10d, j);
            g.db(0xdb); g.db(0x3c); g.db(0x06);   // fstp tword [rsi + rax]
        }
        g.L(done);
        g.movzx(eax, g.word[at(offsetof(X87HostCtx, host_fcw))]);
        g.cmp(ax, g.word[at(offsetof(X87HostCtx, fcw))]);
        g.je(same_cw_after);
        g.fldcw(g.word[at(offsetof(X87HostCtx, host_fcw))]);
        g.L(same_cw_after);
        g.ret();
    }));
}

}  // namespace

X87Op x87_op_for(const DecodedInsn& insn, const HostOp& op) {
    X87Op x;
    const M m = insn.mnemonic;
    const bool reg = insn.has_modrm && (insn.modrm >> 6) == 3;
    const uint8_t i = insn.modrm & 7;
    auto st_i = [&](X87Kind kind, uint8_t need) {
        x.kind = kind;
        x.sti = i;
        x.need = need;
    };
    switch (m) {
    case M::kFld:
        if (reg) {
            st_i(X87Kind::kLoadReg, static_cast<uint8_t>(1u << i));
            x.push = true;
            return x;
        }
        if (op.mem_size == 10) {
            x.kind = X87Kind::kLoad80;
            x.push = true;
            return x;
        }
        break;
    case M::kFst:
    case M::kFstp:
    case M::kFstpnce:
        if (reg) {
            st_i(X87Kind::kStoreReg, 1);
            x.pop = m != M::kFst;
            return x;
        }
        if (op.mem_size == 10) {
            x.kind = X87Kind::kStore80;
            x.need = 1;
            return x;
        }
        break;
    case M::kFxch: st_i(X87Kind::kXchg, static_cast<uint8_t>(1u | 1u << i)); return x;
    case M::kFfree: st_i(X87Kind::kFree, 0); return x;
    case M::kFincstp: x.kind = X87Kind::kIncStp; return x;
    case M::kFdecstp: x.kind = X87Kind::kDecStp; return x;
    case M::kFchs: x.kind = X87Kind::kChs; x.need = 1; return x;
    case M::kFabs: x.kind = X87Kind::kAbs; x.need = 1; return x;
    case M::kFnop: x.kind = X87Kind::kNop; return x;
    case M::kFnstsw: x.kind = X87Kind::kStoreSw; return x;
    case M::kFnstcw: x.kind = X87Kind::kStoreCw; return x;
    case M::kFldcw: x.kind = X87Kind::kLoadCw; return x;
    case M::kFnclex: x.kind = X87Kind::kClearEx; return x;
    default: break;
    }
    // FADDP ST(0), ST(0) and the like write the register they pop, which
    // keeps the result; the host's popped register cannot be stored back.
    if (!computed_by_host(m) || (reg && insn.opcode == 0xde && i == 0)) return x;
    x.kind = X87Kind::kHost;
    x.cc = x.cc_nan = condition_bits(m);
    // A partial remainder that is a NaN (a NaN operand, an invalid one)
    // leaves C0 and C3 alone, as the host does.
    if (m == M::kFprem || m == M::kFprem1) x.cc_nan = 0x0600;
    if (pure_push(m)) {
        x.push = true;
    } else {
        x.need = 1;
        x.push = push_after_st0(m);
        if (reads_st1(m)) x.need |= 2;
        // ST(i) of the D8..DF register forms (FCOMPP and FUCOMPP encode ST(1) there too).
        if (reg && insn.opcode != 0xd9) x.need |= static_cast<uint8_t>(1u << i);
    }
    while (x.need >> x.window) ++x.window;
    x.stub = assemble(insn, op, x.window, x.window + x.push - pops(m));
    return x;
}

}  // namespace mimic::x86
