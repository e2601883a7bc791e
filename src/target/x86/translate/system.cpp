// System instructions: software interrupts and IRET, HLT, CPUID, RDTSC,
// RDPID, RDRAND/RDSEED, MSRs, control/debug registers, descriptor tables,
// INVLPG, CMPXCHG8B and the cache/serialising no-ops. Privilege checks that
// depend only on the mode happen here at translation time; the rest in
// helpers.
#include "dc.h"

namespace mimic::x86 {

using tcg::I32;
using tcg::I64;

namespace {

// CPL 0 required (and not V86): #GP(0) otherwise. Returns false if it raised.
bool require_cpl0(Dc& dc) {
    if (dc.pe && (dc.cpl != 0 || dc.vm)) {
        dc.raise(kExcGP, 0);
        return false;
    }
    return true;
}

// CR4.UMIP keeps the descriptor-table and MSW reads from CPL > 0: #GP(0).
// Returns false if it raised.
bool umip_allows(Dc& dc) { return !(dc.flags & kHfUmip) || require_cpl0(dc); }

}  // namespace

bool translate_system(Dc& dc) {
    auto& b = dc.b;
    const DecodedInsn& in = *dc.insn;
    const uint64_t next = dc.next_pc;
    switch (in.mnemonic) {
    case Mnemonic::kInt: {
        // INT n in V86 mode with IOPL < 3 goes to the monitor as #GP(0).
        if (dc.vm && dc.iopl < 3) {
            dc.raise(kExcGP, 0);
            return true;
        }
        dc.sync_eip(dc.pc);
        b.call(MIMIC_HELPER(helper_raise_interrupt),
               {b.env(), b.const_i32(static_cast<uint32_t>(in.imm) & 0xff), b.const_i32(in.length)});
        dc.end = BlockEnd::kJumped;
        return true;
    }
    case Mnemonic::kInt3:
        dc.sync_eip(dc.pc);
        b.call(MIMIC_HELPER(helper_raise_interrupt), {b.env(), b.const_i32(kExcBP), b.const_i32(in.length)});
        dc.end = BlockEnd::kJumped;
        return true;
    case Mnemonic::kInto:
        dc.sync_eip(dc.pc);
        b.call(MIMIC_HELPER(helper_into), {b.env(), b.const_i32(in.length)});
        return true;
    case Mnemonic::kInt1:
        // ICEBP: a #DB like a debug trap, not a software interrupt, so no
        // gate DPL check; it returns after the instruction.
        dc.sync_eip(dc.next_pc);
        b.call(MIMIC_HELPER(helper_raise_trap), {b.env(), b.const_i32(kExcDB)});
        dc.end = BlockEnd::kJumped;
        return true;
    case Mnemonic::kIret: case Mnemonic::kIretd: case Mnemonic::kIretq:
        dc.sync_eip(dc.pc);
        b.call(MIMIC_HELPER(helper_iret), {b.env(), b.const_i32(in.op_size), b.const_i64(next)});
        dc.exit_to_loop();
        return true;
    case Mnemonic::kHlt:
        if (!require_cpl0(dc)) return true;
        dc.sync_eip(dc.pc);
        b.call(MIMIC_HELPER(helper_hlt), {b.env(), b.const_i64(next)});
        dc.end = BlockEnd::kJumped;
        return true;
    case Mnemonic::kPause:
        // A spin-wait hint: with other vCPUs on this thread, give them the
        // turn (the lock holder cannot release it while we spin).
        b.call(MIMIC_HELPER(helper_pause), {b.env(), b.const_i64(next)});
        dc.stop_after();
        return true;
    case Mnemonic::kCpuid:
        b.call(MIMIC_HELPER(helper_cpuid), {b.env()});
        return true;
    case Mnemonic::kRdtsc:
        dc.sync_eip(dc.pc);
        b.call(MIMIC_HELPER(helper_rdtsc), {b.env()});
        return true;
    case Mnemonic::kRdmsr:
        if (!require_cpl0(dc)) return true;
        dc.sync_eip(dc.pc);
        b.call(MIMIC_HELPER(helper_rdmsr), {b.env()});
        return true;
    case Mnemonic::kWrmsr:
        if (!require_cpl0(dc)) return true;
        dc.sync_eip(dc.pc);
        b.call(MIMIC_HELPER(helper_wrmsr), {b.env()});
        dc.stop_after();
        return true;
    case Mnemonic::kMov: {   // MOV to/from CRn/DRn
        if (!require_cpl0(dc)) return true;
        const Operand& d = in.ops[0];
        const Operand& s = in.ops[1];
        dc.sync_eip(dc.pc);
        if (d.reg.cls == RegClass::kCr || d.reg.cls == RegClass::kDr) {
            I64 v = dc.load_reg(s.reg);
            if (d.reg.cls == RegClass::kCr)
                b.call(MIMIC_HELPER(helper_write_cr), {b.env(), b.const_i32(d.reg.num), v});
            else
                b.call(MIMIC_HELPER(helper_write_dr), {b.env(), b.const_i32(d.reg.num), v});
            dc.sync_eip(dc.next_pc);
            dc.exit_to_loop();   // paging, protection and flags may all have changed
        } else {
            I64 v = b.temp_i64();
            if (s.reg.cls == RegClass::kCr) b.call(MIMIC_HELPER(helper_read_cr), v, {b.env(), b.const_i32(s.reg.num)});
            else b.call(MIMIC_HELPER(helper_read_dr), v, {b.env(), b.const_i32(s.reg.num)});
            dc.store_reg(d.reg, v);
        }
        return true;
    }
    case Mnemonic::kClts:
        if (!require_cpl0(dc)) return true;
        b.call(MIMIC_HELPER(helper_clts), {b.env()});
        dc.stop_after();   // SSE may now run inline (kHfSseInline)
        return true;
    case Mnemonic::kLmsw: {
        if (!require_cpl0(dc)) return true;
        I64 v = dc.operand(0);
        I32 v32 = b.temp_i32();
        b.extrl_i64_i32(v32, v);
        b.call(MIMIC_HELPER(helper_lmsw), {b.env(), v32});
        dc.sync_eip(dc.next_pc);
        dc.exit_to_loop();
        return true;
    }
    case Mnemonic::kSmsw: {
        if (!umip_allows(dc)) return true;
        I64 v = b.temp_i64();
        b.ld(v, ENV_OFF(cr[0]), tcg::kMo64);
        Loc l = dc.loc(0, true);
        if (!l.is_mem && l.size > 2) dc.store_reg(l.reg, v);
        else { b.ext16u(v, v); dc.write(l, v); }
        return true;
    }
    case Mnemonic::kLgdt: case Mnemonic::kLidt: {
        if (!require_cpl0(dc)) return true;
        I64 a = dc.linear(in.mem.seg, dc.effective_offset(in.mem), dc.code64 ? 10 : 6, false);
        // In 64-bit mode the base is 8 bytes whatever the operand size.
        uint32_t which = (in.mnemonic == Mnemonic::kLidt ? 1u : 0u) | (in.op_size == 4 ? 2u : 0u) |
                         (dc.code64 ? 4u : 0u);
        b.call(MIMIC_HELPER(helper_lgdt_lidt), {b.env(), a, b.const_i32(which)});
        return true;
    }
    case Mnemonic::kSgdt: case Mnemonic::kSidt: {
        if (!umip_allows(dc)) return true;
        I64 a = dc.linear(in.mem.seg, dc.effective_offset(in.mem), dc.code64 ? 10 : 6, true);
        b.call(MIMIC_HELPER(helper_sgdt_sidt),
               {b.env(), a, b.const_i32((in.mnemonic == Mnemonic::kSidt ? 1u : 0u) | (dc.code64 ? 4u : 0u))});
        return true;
    }
    case Mnemonic::kSldt: case Mnemonic::kStr: {
        if (!dc.pe || dc.vm) { dc.raise(kExcUD); return true; }
        if (!umip_allows(dc)) return true;
        I64 v = b.temp_i64();
        b.ld(v, in.mnemonic == Mnemonic::kSldt ? ENV_OFF(ldtr.selector) : ENV_OFF(tr.selector), tcg::kMoUW);
        dc.write(dc.loc(0, true), v);
        return true;
    }
    case Mnemonic::kLldt: case Mnemonic::kLtr: {
        if (!dc.pe || dc.vm) { dc.raise(kExcUD); return true; }
        if (!require_cpl0(dc)) return true;
        I64 v = dc.operand(0);
        I32 v32 = b.temp_i32();
        b.extrl_i64_i32(v32, v);
        dc.sync_eip(dc.pc);
        if (in.mnemonic == Mnemonic::kLldt) b.call(MIMIC_HELPER(helper_lldt), {b.env(), v32});
        else b.call(MIMIC_HELPER(helper_ltr), {b.env(), v32});
        return true;
    }
    case Mnemonic::kLar: case Mnemonic::kLsl: case Mnemonic::kVerr: case Mnemonic::kVerw: {
        if (!dc.pe || dc.vm) { dc.raise(kExcUD); return true; }
        const bool loads = in.mnemonic == Mnemonic::kLar || in.mnemonic == Mnemonic::kLsl;
        I64 v = dc.operand(loads ? 1 : 0);
        I32 v32 = b.temp_i32();
        b.extrl_i64_i32(v32, v);
        dc.sync_eip(dc.pc);
        if (!loads) {
            if (in.mnemonic == Mnemonic::kVerr) b.call(MIMIC_HELPER(helper_verr), {b.env(), v32});
            else b.call(MIMIC_HELPER(helper_verw), {b.env(), v32});
        } else {
            I64 r = b.temp_i64();
            if (in.mnemonic == Mnemonic::kLar) b.call(MIMIC_HELPER(helper_lar), r, {b.env(), v32});
            else b.call(MIMIC_HELPER(helper_lsl), r, {b.env(), v32});
            // The destination changes only when ZF is set (r != ~0).
            I64 cur = dc.load_reg(in.ops[0].reg);
            I64 nv = b.temp_i64();
            b.movcond(tcg::Cond::Eq, nv, r, b.const_i64(~0ull), cur, r);
            dc.store_reg(in.ops[0].reg, nv);
        }
        dc.cc_op = kCcOpDynamic;
        return true;
    }
    case Mnemonic::kInvlpg: {
        if (!require_cpl0(dc)) return true;
        I64 a = dc.linear(in.mem.seg, dc.effective_offset(in.mem), 1, false);
        b.call(MIMIC_HELPER(helper_invlpg), {b.env(), a});
        dc.sync_eip(dc.next_pc);
        dc.exit_to_loop();
        return true;
    }
    case Mnemonic::kInvd: case Mnemonic::kWbinvd:
        require_cpl0(dc);
        return true;
    case Mnemonic::kCmpxchg8b: {
        I64 a = dc.linear(in.mem.seg, dc.effective_offset(in.mem), 8, true);
        b.call(MIMIC_HELPER(helper_cmpxchg8b), {b.env(), a});
        dc.cc_op = kCcOpDynamic;
        return true;
    }
    case Mnemonic::kCmpxchg16b: {
        if (!(cpu_features(dc.env).f1_ecx & cpuid::kCx16)) {
            dc.raise(kExcUD);
            return true;
        }
        I64 a = dc.linear(in.mem.seg, dc.effective_offset(in.mem), 16, true);
        dc.sync_eip(dc.pc);
        b.call(MIMIC_HELPER(helper_cmpxchg16b), {b.env(), a});
        dc.cc_op = kCcOpDynamic;
        return true;
    }
    case Mnemonic::kSyscall:
        dc.sync_eip(dc.pc);
        b.call(MIMIC_HELPER(helper_syscall), {b.env(), b.const_i64(next)});
        dc.exit_to_loop(false);   // the helper traps as the new flags say
        return true;
    case Mnemonic::kSysret:
        dc.sync_eip(dc.pc);
        b.call(MIMIC_HELPER(helper_sysret), {b.env(), b.const_i32(in.rex_w() ? 8 : 4)});
        dc.exit_to_loop(false);   // the helper traps as the new flags say
        return true;
    case Mnemonic::kSysenter:
        dc.sync_eip(dc.pc);
        b.call(MIMIC_HELPER(helper_sysenter), {b.env()});
        dc.exit_to_loop(false);   // the helper traps as the new flags say
        return true;
    case Mnemonic::kSysexit:
        dc.sync_eip(dc.pc);
        b.call(MIMIC_HELPER(helper_sysexit), {b.env(), b.const_i32(in.rex_w() ? 8 : 4)});
        dc.exit_to_loop(false);   // the helper traps as the new flags say
        return true;
    case Mnemonic::kSwapgs:
        if (!require_cpl0(dc)) return true;
        b.call(MIMIC_HELPER(helper_swapgs), {b.env()});
        return true;
    case Mnemonic::kRdtscp:
        if (!(cpu_features(dc.env).e1_edx & cpuid::kExtRdtscp)) {
            dc.raise(kExcUD);
            return true;
        }
        dc.sync_eip(dc.pc);
        b.call(MIMIC_HELPER(helper_rdtscp), {b.env()});
        return true;
    case Mnemonic::kRdpid: {
        if (!(cpu_features(dc.env).f7_ecx & cpuid::kRdpid)) {
            dc.raise(kExcUD);
            return true;
        }
        // IA32_TSC_AUX, at any CPL and whatever CR4.TSD says.
        I64 aux = b.temp_i64();
        b.ld(aux, ENV_OFF(msr.tsc_aux), tcg::kMo64);
        dc.store_reg(in.ops[0].reg, aux);
        return true;
    }
    case Mnemonic::kRdrand: case Mnemonic::kRdseed: {
        const CpuFeatures& f = cpu_features(dc.env);
        if (in.mnemonic == Mnemonic::kRdrand ? !(f.f1_ecx & cpuid::kRdrand) : !(f.f7_ebx & cpuid::kRdseed)) {
            dc.raise(kExcUD);
            return true;
        }
        I64 v = b.temp_i64();
        b.call(MIMIC_HELPER(helper_random), v, {b.env()});
        dc.store_reg(in.ops[0].reg, v);
        dc.commit_pending_flags();   // CF as the helper says; OF SF ZF AF PF clear
        return true;
    }
    case Mnemonic::kRdpkru:
    case Mnemonic::kWrpkru:
        if (!(cpu_features(dc.env).f7_ecx & cpuid::kPku)) {
            dc.raise(kExcUD);
            return true;
        }
        dc.sync_eip(dc.pc);
        b.call(dc.insn->mnemonic == Mnemonic::kRdpkru ? MIMIC_HELPER(helper_rdpkru) : MIMIC_HELPER(helper_wrpkru),
               {b.env()});
        if (dc.insn->mnemonic == Mnemonic::kWrpkru) dc.stop_after();   // the TLB was flushed
        return true;
    case Mnemonic::kUd2: case Mnemonic::kUd0: case Mnemonic::kUd1: case Mnemonic::kRsm:
        dc.raise(kExcUD);
        return true;
    case Mnemonic::kPrefetch: case Mnemonic::kPrefetchw: case Mnemonic::kPrefetchnta:
    case Mnemonic::kPrefetcht0: case Mnemonic::kPrefetcht1: case Mnemonic::kPrefetcht2:
    case Mnemonic::kFwait:
        return true;
    default: return false;
    }
}

}  // namespace mimic::x86
