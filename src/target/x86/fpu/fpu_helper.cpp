// The helper behind every x87, MMX and SSE instruction: CR0/CR4 checks,
// pending x87 exceptions (#MF), the x87 fast path (x87_fast.h), guest
// memory, running the host stub,
// SIMD exceptions (#XM), and the state instructions whose layout depends on
// the guest's mode (FNSTENV/FLDENV, FNSAVE/FRSTOR, FXSAVE/FXRSTOR).
#include <cstring>

#include "../cpu_impl.h"
#include "../helper_decls.h"
#include "../helpers.h"
#include "fpu_state.h"
#include "guest_mem.h"
#include "host_op.h"
#include "x87_fast.h"
#include "mimic/util/log.h"

namespace mimic::x86 {

namespace {

using M = Mnemonic;

// An unmasked x87 exception is pending: ES, or an exception flag whose mask
// is clear (FLDENV/FRSTOR/FXRSTOR can load FSW without ES; the processor
// still takes the exception, and the host would trap on it).
bool x87_pending(const FpuState& f) { return (f.fsw & kFswES) || (f.fsw & ~f.fcw & 0x3f); }

// A waiting x87 instruction found an unmasked exception pending: #MF with
// CR0.NE; otherwise the legacy FERR#/IGNNE# path, which Mimic does not wire.
// Returns when the instruction should go on (legacy path).
void fpu_pending_exception(CpuState* env, uintptr_t ra) {
    if (env->cr[0] & kCr0NE) raise_exception(env, kExcMF, ra);
    static bool logged = false;
    if (!logged) {
        logged = true;
        MIMIC_LOG(log::kUnimp, "x87: unmasked exception with CR0.NE=0 (FERR#/IRQ13) is not implemented; ignored\n");
    }
}

// CR0/CR4 checks before an instruction of `kind` (#UD before #NM).
void check_fpu_usable(CpuState* env, const HostOp& op, uintptr_t ra) {
    const uint64_t cr0 = env->cr[0];
    switch (op.kind) {
    case HostOpKind::kX87:
    case HostOpKind::kX87Ctrl:
        if (op.mnemonic == M::kFwait) {
            if ((cr0 & (kCr0TS | kCr0MP)) == (kCr0TS | kCr0MP)) raise_exception(env, kExcNM, ra);
        } else if (cr0 & (kCr0EM | kCr0TS)) {
            raise_exception(env, kExcNM, ra);
        }
        if (!op.x87_nowait && x87_pending(env->fpu)) fpu_pending_exception(env, ra);
        break;
    case HostOpKind::kMmx:
        if (cr0 & kCr0EM) raise_exception(env, kExcUD, ra);
        if (cr0 & kCr0TS) raise_exception(env, kExcNM, ra);
        if (x87_pending(env->fpu)) fpu_pending_exception(env, ra);
        break;
    case HostOpKind::kSse:
    case HostOpKind::kSseCtrl:
        if ((cr0 & kCr0EM) || !(env->cr[4] & kCr4OSFXSR)) raise_exception(env, kExcUD, ra);
        if (cr0 & kCr0TS) raise_exception(env, kExcNM, ra);
        break;
    case HostOpKind::kInteger: break;
    }
}

void store_gpr(CpuState* env, int num, unsigned size, uint64_t v) {
    uint64_t& r = env->regs[num];
    if (size == 2) r = (r & ~0xffffull) | (v & 0xffff);
    else if (size == 4) r = v & 0xffffffffull;
    else r = v;
}

// ---- x87 environment (FNSTENV/FLDENV and the head of FNSAVE/FRSTOR) ----

bool real_or_v86(const CpuState* env) { return !(env->cr[0] & kCr0PE) || (env->eflags & kFlagVM); }

unsigned env_size(unsigned op_size) { return op_size == 2 ? 14 : 28; }

void put16(uint8_t* p, uint16_t v) { std::memcpy(p, &v, 2); }
void put32(uint8_t* p, uint32_t v) { std::memcpy(p, &v, 4); }
uint16_t get16(const uint8_t* p) { uint16_t v; std::memcpy(&v, p, 2); return v; }
uint32_t get32(const uint8_t* p) { uint32_t v; std::memcpy(&v, p, 4); return v; }

void store_env(const CpuState* env, uint8_t* out, unsigned op_size) {
    const FpuState& f = env->fpu;
    const uint16_t tags = fpu_full_tag_word(f);
    const bool real = real_or_v86(env);
    // Real mode keeps 20-bit linear pointers.
    const uint32_t fip_lin = static_cast<uint32_t>(f.fip + (uint32_t{f.fcs} << 4));
    const uint32_t fdp_lin = static_cast<uint32_t>(f.fdp + (uint32_t{f.fds} << 4));
    if (op_size == 2) {
        std::memset(out, 0, 14);
        put16(out + 0, f.fcw);
        put16(out + 2, f.fsw);
        put16(out + 4, tags);
        if (real) {
            put16(out + 6, static_cast<uint16_t>(fip_lin));
            put16(out + 8, static_cast<uint16_t>(((fip_lin >> 16) << 12) | (f.fop & 0x7ff)));
            put16(out + 10, static_cast<uint16_t>(fdp_lin));
            put16(out + 12, static_cast<uint16_t>((fdp_lin >> 16) << 12));
        } else {
            put16(out + 6, static_cast<uint16_t>(f.fip));
            put16(out + 8, f.fcs);
            put16(out + 10, static_cast<uint16_t>(f.fdp));
            put16(out + 12, f.fds);
        }
        return;
    }
    // Reserved upper halves read as ones, as on the processors Mimic models.
    put32(out + 0, 0xffff0000u | f.fcw);
    put32(out + 4, 0xffff0000u | f.fsw);
    put32(out + 8, 0xffff0000u | tags);
    if (real) {
        put32(out + 12, 0xffff0000u | (fip_lin & 0xffff));
        put32(out + 16, ((fip_lin >> 16) << 12) | (f.fop & 0x7ffu));
        put32(out + 20, 0xffff0000u | (fdp_lin & 0xffff));
        put32(out + 24, (fdp_lin >> 16) << 12);
    } else {
        put32(out + 12, static_cast<uint32_t>(f.fip));
        put32(out + 16, (uint32_t{f.fop & 0x7ffu} << 16) | f.fcs);
        put32(out + 20, static_cast<uint32_t>(f.fdp));
        put32(out + 24, 0xffff0000u | f.fds);
    }
}

void load_env(CpuState* env, const uint8_t* in, unsigned op_size) {
    FpuState& f = env->fpu;
    const bool real = real_or_v86(env);
    uint16_t tags;
    if (op_size == 2) {
        f.fcw = get16(in + 0);
        f.fsw = get16(in + 2);
        tags = get16(in + 4);
        if (real) {
            f.fip = get16(in + 6) | (uint32_t{static_cast<uint16_t>(get16(in + 8) >> 12)} << 16);
            f.fop = get16(in + 8) & 0x7ff;
            f.fdp = get16(in + 10) | (uint32_t{static_cast<uint16_t>(get16(in + 12) >> 12)} << 16);
            f.fcs = f.fds = 0;
        } else {
            f.fip = get16(in + 6);
            f.fcs = get16(in + 8);
            f.fdp = get16(in + 10);
            f.fds = get16(in + 12);
        }
    } else {
        f.fcw = get16(in + 0);
        f.fsw = get16(in + 4);
        tags = get16(in + 8);
        if (real) {
            f.fip = (get32(in + 12) & 0xffff) | (((get32(in + 16) >> 12) & 0xffff) << 16);
            f.fop = get32(in + 16) & 0x7ff;
            f.fdp = (get32(in + 20) & 0xffff) | (((get32(in + 24) >> 12) & 0xffff) << 16);
            f.fcs = f.fds = 0;
        } else {
            f.fip = get32(in + 12);
            f.fcs = get16(in + 16);
            f.fop = (get32(in + 16) >> 16) & 0x7ff;
            f.fdp = get32(in + 20);
            f.fds = get16(in + 24);
        }
    }
    f.ftw = fpu_abridged_tags(tags);
}

// ---- the C++-only x87 instructions ----

void x87_state_op(CpuState* env, const HostOp& op, uint64_t addr, uintptr_t ra) {
    FpuState& f = env->fpu;
    const unsigned es = env_size(op.op_size);
    uint8_t buf[512];
    switch (op.mnemonic) {
    case M::kFnstenv:
        store_env(env, buf, op.op_size);
        guest_write(env, addr, buf, es, ra);
        f.fcw |= 0x3f;   // all exceptions masked afterwards
        break;
    case M::kFldenv:
        guest_read(env, addr, buf, es, ra);
        load_env(env, buf, op.op_size);
        break;
    case M::kFnsave:
        store_env(env, buf, op.op_size);
        for (unsigned i = 0; i < 8; ++i) std::memcpy(buf + es + 10 * i, f.st_reg(i), 10);
        guest_write(env, addr, buf, es + 80, ra);
        fpu_init_x87(f);
        break;
    case M::kFrstor:
        guest_read(env, addr, buf, es + 80, ra);
        load_env(env, buf, op.op_size);
        for (unsigned i = 0; i < 8; ++i) {   // after FSW: ST(i) follows its TOP
            std::memcpy(f.st_reg(i), buf + es + 10 * i, 10);
            std::memset(f.st_reg(i) + 10, 0, 6);
        }
        break;
    case M::kFxsave:
    case M::kFxsave64: {
        fpu_to_fxsave(f, buf, op.mnemonic == M::kFxsave64);
        // Bytes 464..511 are the software's: FXSAVE leaves them alone, so
        // only the architectural 416 bytes are written... and the reserved
        // 416..463 as zeros, as the processor does.
        guest_write(env, addr, buf, 464, ra);
        break;
    }
    case M::kFxrstor:
    case M::kFxrstor64: {
        guest_read(env, addr, buf, 416, ra);
        uint32_t mxcsr = get32(buf + 24);
        if (mxcsr & ~kMxcsrMask) raise_exception_err(env, kExcGP, 0, ra);
        fpu_from_fxsave(f, buf, op.mnemonic == M::kFxrstor64);
        update_hflags(env);
        break;
    }
    case M::kFwait:
    case M::kFeni8087Nop:
    case M::kFdisi8087Nop:
    case M::kFsetpm287Nop:
    default: break;
    }
}

// Everything but the x87 fast path: the instruction on the host with the
// whole state as an FXSAVE image. Out of line, so the fast path does not
// pay for this frame.
[[gnu::noinline]] void run_with_image(CpuState* env, const HostOp& op, uint64_t addr, uint64_t data_offset,
                                      uint64_t ip, uintptr_t ra) {
    FpuState& f = env->fpu;
    if (op.kind == HostOpKind::kX87Ctrl) {
        x87_state_op(env, op, addr, ra);
        return;
    }
    if (op.kind == HostOpKind::kSseCtrl) {
        if (op.mnemonic == M::kLdmxcsr) {
            uint32_t v = static_cast<uint32_t>(cpu_ld(env, addr, 4, cpu_mmu_index(env), ra));
            if (v & ~kMxcsrMask) raise_exception_err(env, kExcGP, 0, ra);
            f.mxcsr = v;
            update_hflags(env);
        } else {
            cpu_st(env, addr, f.mxcsr, 4, cpu_mmu_index(env), ra);
        }
        return;
    }

    alignas(64) HostFpuCtx ctx;
    const bool sse = op.kind == HostOpKind::kSse;
    FpuState run = f;
    // The host runs with every SIMD exception masked and the flags clear, so
    // it never traps and the flags afterwards are this instruction's own.
    run.mxcsr = (f.mxcsr & ~0x3fu) | 0x1f80u;
    // CR0.NE=0 with an exception pending: the instruction goes on (IGNNE#);
    // the host must not see ES or it would trap.
    // It stays pending (FNCLEX clears it), so the flags go back afterwards.
    uint16_t kept_pending = 0;
    if (op.kind != HostOpKind::kSse && op.kind != HostOpKind::kInteger && !op.x87_nowait && x87_pending(f)) {
        kept_pending = f.fsw & (kFswES | kFswB | 0x3f);
        run.fsw &= static_cast<uint16_t>(~kept_pending);
    }
    fpu_to_fxsave(run, ctx.guest, true);
    if (op.mem_load && op.mem_size) guest_read(env, addr, ctx.mem, op.mem_size, ra);
    ctx.rax = env->regs[0];
    ctx.rcx = env->regs[1];
    ctx.rdx = env->regs[2];
    if (op.reg_gpr >= 0) ctx.rax = env->regs[op.reg_gpr];
    if (op.rm_gpr >= 0) ctx.rcx = op.rm_gpr_high ? env->regs[op.rm_gpr] >> 8 : env->regs[op.rm_gpr];
    ctx.rflags = 2 | (op.reads_flags ? (compute_arith_flags(env) & kFlagsArith) : 0);

    op.stub(&ctx);

    if (sse || op.kind == HostOpKind::kMmx) {
        const uint32_t raised = *reinterpret_cast<const uint32_t*>(ctx.guest + 24) & 0x3f;
        const uint32_t unmasked = raised & ~(f.mxcsr >> 7) & 0x3f;
        if (unmasked) {
            // The destination is left alone; pre-computation exceptions
            // (invalid, denormal, divide) hide the later ones.
            const uint32_t pre = raised & 0x7;
            f.mxcsr |= (unmasked & 0x7) ? pre : raised;
            // An instruction on MMX registers has switched the x87 to MMX
            // mode (TOP 0, every register valid) before it faults.
            if (op.kind == HostOpKind::kMmx) {
                f.fsw &= static_cast<uint16_t>(~(7u << kFswTopShift));
                f.ftw = 0xff;
            }
            raise_exception(env, (env->cr[4] & kCr4OSXMMEXCPT) ? kExcXM : kExcUD, ra);
        }
    }
    if (op.mem_store && op.mem_size) {
        if (op.mask_reg >= 0) {
            // MASKMOVQ/MASKMOVDQU: only the bytes whose mask has bit 7 set.
            const uint8_t* mask = op.mnemonic == M::kMaskmovdqu ? ctx.guest + 160 + 16 * op.mask_reg
                                                                 : ctx.guest + 32 + 16 * op.mask_reg;
            const unsigned mmu = cpu_mmu_index(env);
            for (unsigned i = 0; i < op.mem_size; ++i)
                if (mask[i] & 0x80) cpu_st(env, (addr + i) & addr_mask(env), ctx.mem[i], 1, mmu, ra);
        } else {
            guest_write(env, addr, ctx.mem, op.mem_size, ra);
        }
    }

    const uint32_t mxcsr = f.mxcsr;
    const uint16_t fsw_before = f.fsw;
    fpu_regs_from_image(f, ctx.guest);
    if (sse || op.kind == HostOpKind::kMmx) f.mxcsr = mxcsr | (*reinterpret_cast<const uint32_t*>(ctx.guest + 24) & 0x3f);
    else f.mxcsr = mxcsr;
    if (op.kind == HostOpKind::kInteger || sse) f.fsw = fsw_before;   // (the host's x87 state is the guest's anyway)
    else if (op.mnemonic != M::kFninit && op.mnemonic != M::kFnclex) f.fsw |= kept_pending;

    if (op.reg_gpr >= 0 && op.reg_gpr_write) store_gpr(env, op.reg_gpr, op.reg_gpr_size, ctx.rax);
    if (op.rm_gpr >= 0 && op.rm_gpr_write) store_gpr(env, op.rm_gpr, op.rm_gpr_size, ctx.rcx);
    if (op.writes_ecx) env->regs[1] = ctx.rcx;
    if (op.writes_ax) store_gpr(env, 0, 2, ctx.rax);
    if (op.writes_flags) {
        env->cc_src = ctx.rflags & kFlagsArith;
        env->cc_op = kCcOpEflags;
    }

    if (op.kind == HostOpKind::kX87) {
        if (op.mnemonic == M::kFninit) fpu_init_x87(f);
        else x87_note_last_instruction(env, op, ip, data_offset);
    }
}

}  // namespace

void helper_fpu(CpuState* env, uint64_t op_ptr, uint64_t addr, uint64_t data_offset, uint64_t ip) {
    const uintptr_t ra = MIMIC_GETPC();
    const HostOp& op = *reinterpret_cast<const HostOp*>(op_ptr);
    check_fpu_usable(env, op, ra);
    if (op.aligned && (addr & 15)) raise_exception_err(env, kExcGP, 0, ra);
    if (op.kind == HostOpKind::kX87 && x87_fast(env, op, addr, data_offset, ip, ra)) return;
    run_with_image(env, op, addr, data_offset, ip, ra);
}

}  // namespace mimic::x86
