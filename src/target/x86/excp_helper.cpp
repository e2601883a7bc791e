// Raising exceptions and delivering exceptions and interrupts: the IVT in
// real mode, the IDT (interrupt, trap and task gates, privilege changes,
// virtual-8086 exits) in protected mode, and the #DF / triple-fault rules.
#include <csetjmp>

#include "cpu_impl.h"
#include "helpers.h"
#include "mimic/util/log.h"
#include "seg_util.h"

namespace mimic::x86 {

// The state at the start of the instruction at retaddr: its eip, and its
// cc_op when the translator knew it (generated code does not keep cc_op in
// env at memory accesses then).
void restore_state(CpuState* env, uintptr_t retaddr) {
    if (!retaddr) return;
    uint64_t data[2];
    if (!cpu_of(env).backend_->restore_state(retaddr, data)) return;
    env->eip = data[0];
    if (data[1] != kCcOpDynamic) env->cc_op = static_cast<uint32_t>(data[1]);
}

void cpu_loop_exit(CpuState* env) {
    env->current_tb = nullptr;
    siglongjmp(env->jmp_env, 1);
}

void cpu_loop_exit_restore(CpuState* env, uintptr_t retaddr) {
    restore_state(env, retaddr);
    cpu_loop_exit(env);
}

void raise_exception_err(CpuState* env, int vector, uint32_t error_code, uintptr_t retaddr) {
    restore_state(env, retaddr);
    env->exception_index = vector;
    env->error_code = error_code;
    env->exception_is_int = false;
    env->exception_next_eip = env->eip;
    cpu_loop_exit(env);
}

void raise_exception(CpuState* env, int vector, uintptr_t retaddr) { raise_exception_err(env, vector, 0, retaddr); }

void raise_interrupt(CpuState* env, int vector, uint64_t next_eip) {
    env->exception_index = vector;
    env->error_code = 0;
    env->exception_is_int = true;
    env->exception_next_eip = next_eip;
    cpu_loop_exit(env);
}

namespace {

bool is_contributory(int v) { return v == kExcDE || (v >= kExcTS && v <= kExcGP); }
bool has_error_code(int v) {
    return v == kExcDF || (v >= kExcTS && v <= kExcPF) || v == kExcAC;
}

void deliver_real(CpuState* env, int vector, uint64_t next_eip) {
    if (static_cast<uint32_t>(vector) * 4 + 3 > env->idtr.limit) raise_exception_err(env, kExcGP, vector * 8 + 2, 0);
    uint32_t entry = static_cast<uint32_t>(phys_ld(env, env->idtr.base + vector * 4, 4));
    StackPtr sp{env, env->seg[kSS].base, static_cast<uint32_t>(env->regs[4]), 0xffff, kMmuKernel, 0};
    sp.push(get_eflags(env), 2);
    sp.push(env->seg[kCS].selector, 2);
    sp.push(static_cast<uint32_t>(next_eip), 2);
    set_esp(env, sp.sp, 0xffff);
    set_eflags(env, 0, kFlagIF | kFlagTF | kFlagAC | kFlagRF);
    load_seg_real(env, kCS, entry >> 16);
    env->eip = entry & 0xffff;
    update_hflags(env);
}

void deliver_protected(CpuState* env, int vector, bool is_int, bool is_hw, uint32_t error_code, bool push_error,
                       uint64_t next_eip) {
    const uint32_t ext = is_int ? 0 : 1;
    const uint32_t idt_err = vector * 8 + 2 + ext;
    if (static_cast<uint32_t>(vector) * 8 + 7 > env->idtr.limit) raise_exception_err(env, kExcGP, idt_err, 0);
    Descriptor gate;
    gate.lo = static_cast<uint32_t>(sys_ld(env, env->idtr.base + vector * 8, 4, 0));
    gate.hi = static_cast<uint32_t>(sys_ld(env, env->idtr.base + vector * 8 + 4, 4, 0));
    unsigned type = gate.type();
    if (type != 5 && type != 6 && type != 7 && type != 14 && type != 15) raise_exception_err(env, kExcGP, idt_err, 0);
    // Software interrupts may only use gates the current privilege reaches.
    if (is_int && gate.dpl() < env->cpl()) raise_exception_err(env, kExcGP, idt_err, 0);
    if (!gate.present()) raise_exception_err(env, kExcNP, idt_err, 0);

    if (type == 5) {   // task gate
        Descriptor tss;
        uint16_t sel = gate.gate_selector();
        if ((sel & 4) || !read_descriptor(env, sel, tss, 0)) raise_exception_err(env, kExcGP, (sel & 0xfffc) + ext, 0);
        task_switch(env, sel, tss, TaskSwitchSource::kInt, next_eip, 0);
        if (push_error) {
            uint32_t mask = (env->hflags & kHfSs32) ? 0xffffffff : 0xffff;
            StackPtr sp{env, env->seg[kSS].base, static_cast<uint32_t>(env->regs[4]), mask, cpu_mmu_index(env), 0};
            sp.push(error_code, (env->seg[kCS].flags & kDescB) ? 4 : 2);
            set_esp(env, sp.sp, mask);
        }
        return;
    }

    const bool gate32 = type & 8;
    const unsigned psize = gate32 ? 4 : 2;
    uint16_t sel = gate.gate_selector();
    uint32_t offset = gate32 ? gate.gate_offset() : gate.gate_offset() & 0xffff;
    if ((sel & 0xfffc) == 0) raise_exception_err(env, kExcGP, ext, 0);
    Descriptor cs;
    if (!read_descriptor(env, sel, cs, 0)) raise_exception_err(env, kExcGP, (sel & 0xfffc) + ext, 0);
    if (!cs.is_code() || cs.dpl() > env->cpl()) raise_exception_err(env, kExcGP, (sel & 0xfffc) + ext, 0);
    if (!cs.present()) raise_exception_err(env, kExcNP, (sel & 0xfffc) + ext, 0);

    const bool vm86 = env->eflags & kFlagVM;
    const unsigned dpl = (cs.hi & kDescConforming) ? env->cpl() : cs.dpl();
    uint32_t old_eflags = get_eflags(env);
    uint16_t old_ss = env->seg[kSS].selector;
    uint32_t old_esp = static_cast<uint32_t>(env->regs[4]);
    uint16_t old_cs = env->seg[kCS].selector;

    StackPtr sp{};
    sp.env = env;
    sp.retaddr = 0;
    sp.mmu_idx = kMmuKernel;
    Descriptor ss;
    uint16_t new_ss = 0;
    bool inner = dpl < env->cpl();
    if (inner) {
        uint32_t esp;
        tss_stack(env, dpl, new_ss, esp, 0);
        if ((new_ss & 0xfffc) == 0) raise_exception_err(env, kExcTS, ext, 0);
        if ((new_ss & 3) != dpl || !read_descriptor(env, new_ss, ss, 0)) raise_exception_err(env, kExcTS, (new_ss & 0xfffc) + ext, 0);
        if (ss.dpl() != dpl || !ss.is_data() || !(ss.hi & kDescRW)) raise_exception_err(env, kExcTS, (new_ss & 0xfffc) + ext, 0);
        if (!ss.present()) raise_exception_err(env, kExcSS, (new_ss & 0xfffc) + ext, 0);
        sp.base = ss.base();
        sp.sp = esp;
        sp.mask = (ss.hi & kDescB) ? 0xffffffff : 0xffff;
    } else {
        if (vm86) raise_exception_err(env, kExcGP, (sel & 0xfffc) + ext, 0);
        sp.base = env->seg[kSS].base;
        sp.sp = old_esp;
        sp.mask = (env->hflags & kHfSs32) ? 0xffffffff : 0xffff;
        sp.mmu_idx = cpu_mmu_index(env);
    }
    if (vm86) {
        if (dpl != 0) raise_exception_err(env, kExcGP, (sel & 0xfffc) + ext, 0);
        sp.push(env->seg[kGS].selector, psize);
        sp.push(env->seg[kFS].selector, psize);
        sp.push(env->seg[kDS].selector, psize);
        sp.push(env->seg[kES].selector, psize);
    }
    if (inner) {
        sp.push(old_ss, psize);
        sp.push(old_esp, psize);
    }
    sp.push(old_eflags, psize);
    sp.push(old_cs, psize);
    sp.push(static_cast<uint32_t>(next_eip), psize);
    if (push_error) sp.push(error_code, psize);

    // Commit: nothing below can fault.
    if (vm86) {
        for (int s : {kES, kDS, kFS, kGS}) env->seg[s] = SegmentCache{};
    }
    if (inner) {
        set_seg_cache(env, kSS, (new_ss & ~3) | dpl, ss);
        set_accessed(env, new_ss, ss, 0);
    }
    set_esp(env, sp.sp, sp.mask);
    set_accessed(env, sel, cs, 0);
    set_seg_cache(env, kCS, (sel & ~3) | dpl, cs);
    env->hflags = (env->hflags & ~kHfCplMask) | dpl;
    env->eip = offset;
    uint32_t clear = kFlagTF | kFlagVM | kFlagRF | kFlagNT;
    if (!(type & 1)) clear |= kFlagIF;   // interrupt gate (trap gates keep IF)
    set_eflags(env, 0, clear);
    (void)is_hw;
}

// IA-32e mode: 16-byte gates, 64-bit target code, an 8-byte frame that
// always includes SS:RSP, the stack aligned to 16 bytes, and the IST.
void deliver_long(CpuState* env, int vector, bool is_int, uint32_t error_code, bool push_error, uint64_t next_eip) {
    const uint32_t ext = is_int ? 0 : 1;
    const uint32_t idt_err = vector * 8 + 2 + ext;
    if (static_cast<uint32_t>(vector) * 16 + 15 > env->idtr.limit) raise_exception_err(env, kExcGP, idt_err, 0);
    const uint64_t at = env->idtr.base + vector * 16;
    Descriptor gate;
    gate.lo = static_cast<uint32_t>(sys_ld(env, at, 4, 0));
    gate.hi = static_cast<uint32_t>(sys_ld(env, at + 4, 4, 0));
    const uint32_t off_hi = static_cast<uint32_t>(sys_ld(env, at + 8, 4, 0));
    const unsigned type = gate.type();
    if (type != 14 && type != 15) raise_exception_err(env, kExcGP, idt_err, 0);
    if (is_int && gate.dpl() < env->cpl()) raise_exception_err(env, kExcGP, idt_err, 0);
    if (!gate.present()) raise_exception_err(env, kExcNP, idt_err, 0);

    const uint16_t sel = gate.gate_selector();
    const uint64_t offset = gate.gate_offset() | (uint64_t{off_hi} << 32);
    const unsigned ist_index = gate.hi & 7;   // bits 2..0 of the gate's second dword
    if ((sel & 0xfffc) == 0) raise_exception_err(env, kExcGP, ext, 0);
    Descriptor cs;
    if (!read_descriptor(env, sel, cs, 0)) raise_exception_err(env, kExcGP, (sel & 0xfffc) + ext, 0);
    if (!cs.is_code() || cs.dpl() > env->cpl() || !(cs.hi & kDescL) || (cs.hi & kDescB))
        raise_exception_err(env, kExcGP, (sel & 0xfffc) + ext, 0);
    if (!cs.present()) raise_exception_err(env, kExcNP, (sel & 0xfffc) + ext, 0);
    if (!is_canonical(offset)) raise_exception_err(env, kExcGP, ext, 0);

    const unsigned dpl = (cs.hi & kDescConforming) ? env->cpl() : cs.dpl();
    const bool inner = dpl < env->cpl();
    uint64_t rsp;
    if (ist_index) rsp = tss_stack64(env, 3 + ist_index, ext, 0);
    else if (inner) rsp = tss_stack64(env, dpl, ext, 0);
    else rsp = env->regs[4];
    if (!(env->hflags & kHfCs64) && !inner && !ist_index) rsp &= stack_mask(env);
    rsp &= ~0xfull;

    StackPtr sp{env, 0, rsp, ~0ull, kMmuKernel, 0};
    if (!inner) sp.mmu_idx = cpu_mmu_index(env);
    sp.push(env->seg[kSS].selector, 8);
    sp.push(env->regs[4], 8);
    sp.push(get_eflags(env), 8);
    sp.push(env->seg[kCS].selector, 8);
    sp.push(next_eip, 8);
    if (push_error) sp.push(error_code, 8);

    // Commit: nothing below can fault.
    if (inner) env->seg[kSS] = SegmentCache{static_cast<uint16_t>(dpl), 0, 0, 0};   // null SS, RPL = new CPL
    env->regs[4] = sp.sp;
    set_accessed(env, sel, cs, 0);
    set_seg_cache(env, kCS, (sel & ~3) | dpl, cs);
    env->hflags = (env->hflags & ~kHfCplMask) | dpl;
    env->eip = offset;
    uint32_t clear = kFlagTF | kFlagVM | kFlagRF | kFlagNT;
    if (!(type & 1)) clear |= kFlagIF;
    set_eflags(env, 0, clear);
}

}  // namespace

void check_double_fault(CpuState* env, int& vector, uint32_t& error_code) {
    int old = env->old_exception;
    if (old < 0) return;
    if (old == kExcDF) {
        // A fault while delivering #DF: the processor shuts down.
        MIMIC_LOG(log::kInt, "triple fault\n");
        vector = -2;
        return;
    }
    bool df = (is_contributory(old) && is_contributory(vector)) ||
              (old == kExcPF && (vector == kExcPF || is_contributory(vector)));
    if (df) {
        vector = kExcDF;
        error_code = 0;
    }
}

void do_interrupt(CpuState* env, int vector, bool is_int, uint32_t error_code, uint64_t next_eip, bool is_hw) {
    // An event before a data-breakpoint replay finished: the instruction will
    // run (and hit) again later.
    env->hflags &= ~kHfDbArmed;
    env->pending_db_hits = 0;
    if (log::enabled(log::kInt)) {
        MIMIC_LOG(log::kInt, "interrupt v={:02x} e={:04x} int={} hw={} cpl={} cs:eip={:04x}:{:08x} next={:08x}\n",
                  vector, error_code, is_int, is_hw, env->cpl(), env->seg[kCS].selector, env->eip, next_eip);
    }
    if (!is_int && !is_hw) {
        env->old_exception = vector;
    }
    env->halted = false;
    // The image of a fault-class exception has RF set, so the instruction
    // restarts without hitting its instruction breakpoint again; a #DB (an
    // instruction-breakpoint fault or a trap), interrupts and aborts push
    // RF as it is (SDM 17.3.1.1).
    if (!is_int && !is_hw && vector != kExcDB && vector != kExcDF && vector != kExcMC) env->eflags |= kFlagRF;
    if (env->cr[0] & kCr0PE) {
        bool push_error = !is_int && !is_hw && has_error_code(vector);
        if (env->efer & kEferLMA) deliver_long(env, vector, is_int, error_code, push_error, next_eip);
        else deliver_protected(env, vector, is_int, is_hw, error_code, push_error, next_eip);
    } else {
        deliver_real(env, vector, next_eip);
    }
    env->old_exception = -1;
}

}  // namespace mimic::x86
