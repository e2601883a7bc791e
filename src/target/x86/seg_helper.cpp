// Segmentation: descriptor loads with every protected-mode check, data
// access limit checks, far control transfers (including call gates and the
// stack switch), IRET in all modes, and the descriptor-inspecting
// instructions (LAR, LSL, VERR, VERW, LLDT, LTR).
#include "cpu_impl.h"
#include "helper_decls.h"
#include "helpers.h"
#include "mimic/util/log.h"
#include "seg_util.h"

namespace mimic::x86 {

bool read_descriptor(CpuState* env, uint16_t selector, Descriptor& d, uintptr_t retaddr) {
    const bool ldt = selector & 4;
    uint64_t base = ldt ? env->ldtr.base : env->gdtr.base;
    uint32_t limit = ldt ? env->ldtr.limit : env->gdtr.limit;
    if (ldt && (env->ldtr.selector & 0xfffc) == 0) return false;
    uint32_t off = selector & 0xfff8;
    if (off + 7 > limit) return false;
    d.lo = static_cast<uint32_t>(sys_ld(env, base + off, 4, retaddr));
    d.hi = static_cast<uint32_t>(sys_ld(env, base + off + 4, 4, retaddr));
    return true;
}

void set_accessed(CpuState* env, uint16_t selector, Descriptor& d, uintptr_t retaddr) {
    if (d.hi & kDescAccessed) return;
    d.hi |= kDescAccessed;
    uint64_t base = (selector & 4) ? env->ldtr.base : env->gdtr.base;
    sys_st(env, base + (selector & 0xfff8) + 4, d.hi, 4, retaddr);
}

void set_seg_cache(CpuState* env, int seg, uint16_t selector, const Descriptor& d) {
    env->seg[seg] = SegmentCache{selector, d.base(), d.limit(), d.flags()};
    update_hflags(env);
}

void tss_stack(CpuState* env, unsigned dpl, uint16_t& ss, uint32_t& esp, uintptr_t retaddr) {
    unsigned type = (env->tr.flags >> kDescTypeShift) & 0xf;
    bool tss32 = type & 8;
    unsigned off = tss32 ? 4 + dpl * 8 : 2 + dpl * 4;
    unsigned width = tss32 ? 4 : 2;
    if (off + 2 * width - 1 > env->tr.limit) raise_exception_err(env, kExcTS, env->tr.selector & 0xfffc, retaddr);
    esp = static_cast<uint32_t>(sys_ld(env, env->tr.base + off, width, retaddr));
    ss = static_cast<uint16_t>(sys_ld(env, env->tr.base + off + width, 2, retaddr));
}

uint64_t tss_stack64(CpuState* env, unsigned slot, uint32_t ext, uintptr_t retaddr) {
    // RSP0..2 at 4, 12, 20; IST1..7 at 36..84 (slot 3 + n lands there too).
    unsigned off = 4 + slot * 8;
    if (off + 7 > env->tr.limit) raise_exception_err(env, kExcTS, (env->tr.selector & 0xfffc) + ext, retaddr);
    return sys_ld(env, env->tr.base + off, 8, retaddr);
}

bool read_descriptor_high(CpuState* env, uint16_t selector, uint32_t& base_hi, uint32_t& high_hi,
                          uintptr_t retaddr) {
    const bool ldt = selector & 4;
    uint64_t base = ldt ? env->ldtr.base : env->gdtr.base;
    uint32_t limit = ldt ? env->ldtr.limit : env->gdtr.limit;
    uint32_t off = (selector & 0xfff8) + 8;
    if (off + 7 > limit) return false;
    base_hi = static_cast<uint32_t>(sys_ld(env, base + off, 4, retaddr));
    high_hi = static_cast<uint32_t>(sys_ld(env, base + off + 4, 4, retaddr));
    return true;
}

void load_seg_real(CpuState* env, int seg, uint16_t selector) {
    SegmentCache& s = env->seg[seg];
    s.selector = selector;
    s.base = uint64_t{selector} << 4;
    // Real mode keeps the limit and attributes (unreal mode); V86 forces them.
    if (env->eflags & kFlagVM) {
        s.limit = 0xffff;
        s.flags = kDescP | kDescS | kDescRW | kDescAccessed | (3u << kDescDplShift) | (seg == kCS ? kDescCode : 0);
    }
    update_hflags(env);
}

void load_seg(CpuState* env, int seg, uint16_t selector, uintptr_t retaddr) {
    if (!(env->cr[0] & kCr0PE) || (env->eflags & kFlagVM)) {
        load_seg_real(env, seg, selector);
        return;
    }
    const unsigned cpl = env->cpl(), rpl = selector & 3;
    const uint32_t err = selector & 0xfffc;
    if ((selector & 0xfffc) == 0) {
        // 64-bit mode allows a null SS below CPL 3 (with RPL = CPL).
        if (seg == kSS && !((env->hflags & kHfCs64) && cpl != 3 && rpl == cpl))
            raise_exception_err(env, kExcGP, 0, retaddr);
        // A null selector loads fine; using it faults (seg_check).
        env->seg[seg] = SegmentCache{selector, 0, 0, 0};
        update_hflags(env);
        return;
    }
    Descriptor d;
    if (!read_descriptor(env, selector, d, retaddr)) raise_exception_err(env, kExcGP, err, retaddr);
    if (seg == kSS) {
        if (rpl != cpl || d.dpl() != cpl || !d.is_data() || !(d.hi & kDescRW))
            raise_exception_err(env, kExcGP, err, retaddr);
        if (!d.present()) raise_exception_err(env, kExcSS, err, retaddr);
    } else {
        bool readable_code = d.is_code() && (d.hi & kDescRW);
        if (!d.is_data() && !readable_code) raise_exception_err(env, kExcGP, err, retaddr);
        bool conforming_code = d.is_code() && (d.hi & kDescConforming);
        if (!conforming_code && (d.dpl() < cpl || d.dpl() < rpl)) raise_exception_err(env, kExcGP, err, retaddr);
        if (!d.present()) raise_exception_err(env, kExcNP, err, retaddr);
    }
    set_accessed(env, selector, d, retaddr);
    set_seg_cache(env, seg, selector, d);
}

uint64_t seg_check(CpuState* env, int seg, uint64_t offset, unsigned size, bool write, uintptr_t retaddr) {
    const SegmentCache& s = env->seg[seg];
    const int vector = seg == kSS ? kExcSS : kExcGP;
    if ((env->cr[0] & kCr0PE) && !(env->eflags & kFlagVM)) {
        if (!(s.flags & kDescP)) raise_exception_err(env, vector, 0, retaddr);   // null or unusable
        bool code = s.flags & kDescCode;
        if (write && (code || !(s.flags & kDescRW))) raise_exception_err(env, vector, 0, retaddr);
        if (!write && code && !(s.flags & kDescRW)) raise_exception_err(env, vector, 0, retaddr);
        if (!code && (s.flags & kDescExpandDown)) {
            uint64_t upper = (s.flags & kDescB) ? 0xffffffffull : 0xffffull;
            if (offset <= s.limit || offset + size - 1 > upper) raise_exception_err(env, vector, 0, retaddr);
            return (s.base + offset) & 0xffffffffull;
        }
    }
    if (offset + size - 1 > s.limit) raise_exception_err(env, vector, 0, retaddr);
    return (s.base + offset) & 0xffffffffull;
}

// ---- helpers called from generated code ----

void helper_load_seg(CpuState* env, uint32_t seg, uint32_t selector) {
    load_seg(env, seg, static_cast<uint16_t>(selector), MIMIC_GETPC());
}

uint64_t helper_seg_check(CpuState* env, uint32_t seg_write_size, uint64_t offset) {
    unsigned seg = seg_write_size & 7, size = seg_write_size >> 4;
    bool write = seg_write_size & 8;
    return seg_check(env, seg, offset, size, write, MIMIC_GETPC());
}

namespace {

// Checks a code segment descriptor as the target of a far JMP/CALL without a
// gate. Returns the CPL the code will run at.
unsigned check_code_target(CpuState* env, uint16_t sel, const Descriptor& d, uintptr_t ra) {
    const unsigned cpl = env->cpl(), rpl = sel & 3;
    uint32_t err = sel & 0xfffc;
    if (d.hi & kDescConforming) {
        if (d.dpl() > cpl) raise_exception_err(env, kExcGP, err, ra);
    } else {
        if (rpl > cpl || d.dpl() != cpl) raise_exception_err(env, kExcGP, err, ra);
    }
    if (!d.present()) raise_exception_err(env, kExcNP, err, ra);
    return cpl;
}

void check_eip(CpuState* env, uint64_t eip, uint32_t limit, uintptr_t ra) {
    if (eip > limit) raise_exception_err(env, kExcGP, 0, ra);
}

// The target offset of a far transfer to code segment d: canonical for a
// 64-bit code segment in long mode, within the limit otherwise.
void check_target(CpuState* env, uint64_t eip, const Descriptor& d, uintptr_t ra) {
    if ((env->efer & kEferLMA) && (d.hi & kDescL)) {
        if (!is_canonical(eip)) raise_exception_err(env, kExcGP, 0, ra);
    } else {
        check_eip(env, eip, d.limit(), ra);
    }
}

// A 16-byte call gate in long mode: the 64-bit offset and the selector, or
// #GP(selector) when its upper half is not a valid one.
uint64_t call_gate64_offset(CpuState* env, uint16_t sel, const Descriptor& d, uintptr_t ra) {
    uint32_t hi_lo, hi_hi;
    if (!read_descriptor_high(env, sel, hi_lo, hi_hi, ra) || ((hi_hi >> 8) & 0x1f) != 0)
        raise_exception_err(env, kExcGP, sel & 0xfffc, ra);
    return d.gate_offset() | (uint64_t{hi_lo} << 32);
}

// The code segment a long-mode call gate names must be 64-bit.
void check_gate64_target(CpuState* env, uint16_t csel, const Descriptor& cd, uintptr_t ra) {
    if (!(cd.hi & kDescL) || (cd.hi & kDescB)) raise_exception_err(env, kExcGP, csel & 0xfffc, ra);
}

// A far JMP or CALL whose selector names an available TSS (type 1/9) or a
// task gate (type 5): the same checks for both, then a task switch.
void far_transfer_to_task(CpuState* env, uint16_t sel, const Descriptor& d,
                          TaskSwitchSource source, uint32_t next_eip, uintptr_t ra) {
    const uint32_t err = sel & 0xfffc;
    // No task switches in IA-32e mode.
    if (env->efer & kEferLMA) raise_exception_err(env, kExcGP, err, ra);
    const unsigned cpl = env->cpl();
    if (d.dpl() < cpl || d.dpl() < (sel & 3u)) raise_exception_err(env, kExcGP, err, ra);
    if (!d.present()) raise_exception_err(env, kExcNP, err, ra);
    if (d.type() == 5) {
        uint16_t tsel = d.gate_selector();
        Descriptor tss;
        if ((tsel & 4) || !read_descriptor(env, tsel, tss, ra)) raise_exception_err(env, kExcGP, tsel & 0xfffc, ra);
        task_switch(env, tsel, tss, source, next_eip, ra);
    } else {
        task_switch(env, sel, d, source, next_eip, ra);
    }
}

void far_jump_real(CpuState* env, uint16_t sel, uint32_t eip) {
    load_seg_real(env, kCS, sel);
    env->eip = eip;
}

}  // namespace

// JMP ptr16:16/32 and JMP m16:16/32/64.
void helper_ljmp(CpuState* env, uint32_t sel32, uint64_t eip, uint64_t next_eip) {
    const uintptr_t ra = MIMIC_GETPC();
    uint16_t sel = static_cast<uint16_t>(sel32);
    if (!(env->cr[0] & kCr0PE) || (env->eflags & kFlagVM)) {
        far_jump_real(env, sel, static_cast<uint32_t>(eip));
        return;
    }
    uint32_t err = sel & 0xfffc;
    if (err == 0) raise_exception_err(env, kExcGP, 0, ra);
    Descriptor d;
    if (!read_descriptor(env, sel, d, ra)) raise_exception_err(env, kExcGP, err, ra);
    if (d.is_code()) {
        unsigned cpl = check_code_target(env, sel, d, ra);
        check_target(env, eip, d, ra);
        set_accessed(env, sel, d, ra);
        set_seg_cache(env, kCS, (sel & ~3) | cpl, d);
        env->eip = eip;
        return;
    }
    if (d.is_data()) raise_exception_err(env, kExcGP, err, ra);
    unsigned type = d.type();
    const unsigned cpl = env->cpl();
    switch (type) {
    case 1: case 9:   // available TSS
    case 5:           // task gate
        far_transfer_to_task(env, sel, d, TaskSwitchSource::kJmp, next_eip, ra);
        return;
    case 4: case 12: {   // call gate
        if (d.dpl() < cpl || d.dpl() < (sel & 3u)) raise_exception_err(env, kExcGP, err, ra);
        const bool lma = env->efer & kEferLMA;
        if (lma && type != 12) raise_exception_err(env, kExcGP, err, ra);   // only 64-bit call gates
        if (!d.present()) raise_exception_err(env, kExcNP, err, ra);
        uint16_t csel = d.gate_selector();
        uint64_t off = lma ? call_gate64_offset(env, sel, d, ra) : type == 12 ? d.gate_offset() : d.gate_offset() & 0xffff;
        Descriptor cd;
        if ((csel & 0xfffc) == 0) raise_exception_err(env, kExcGP, 0, ra);
        if (!read_descriptor(env, csel, cd, ra) || !cd.is_code()) raise_exception_err(env, kExcGP, csel & 0xfffc, ra);
        bool conforming = cd.hi & kDescConforming;
        if ((conforming && cd.dpl() > cpl) || (!conforming && cd.dpl() != cpl))
            raise_exception_err(env, kExcGP, csel & 0xfffc, ra);
        if (lma) check_gate64_target(env, csel, cd, ra);
        if (!cd.present()) raise_exception_err(env, kExcNP, csel & 0xfffc, ra);
        check_target(env, off, cd, ra);
        set_accessed(env, csel, cd, ra);
        set_seg_cache(env, kCS, (csel & ~3) | cpl, cd);
        env->eip = off;
        return;
    }
    default:
        raise_exception_err(env, kExcGP, err, ra);
    }
}

// CALL ptr16:16/32 and CALL m16:16/32/64; `psize` is the operand size in bytes.
void helper_lcall(CpuState* env, uint32_t sel32, uint64_t eip, uint64_t next_eip, uint32_t psize) {
    const uintptr_t ra = MIMIC_GETPC();
    uint16_t sel = static_cast<uint16_t>(sel32);
    const uint64_t ss_mask = stack_mask(env);
    StackPtr sp{env, env->seg[kSS].base, env->regs[4], ss_mask, cpu_mmu_index(env), ra};
    if (!(env->cr[0] & kCr0PE) || (env->eflags & kFlagVM)) {
        sp.push(env->seg[kCS].selector, psize);
        sp.push(next_eip, psize);
        set_esp(env, sp.sp, ss_mask);
        far_jump_real(env, sel, static_cast<uint32_t>(eip));
        return;
    }
    uint32_t err = sel & 0xfffc;
    if (err == 0) raise_exception_err(env, kExcGP, 0, ra);
    Descriptor d;
    if (!read_descriptor(env, sel, d, ra)) raise_exception_err(env, kExcGP, err, ra);
    const unsigned cpl = env->cpl();
    if (d.is_code()) {
        check_code_target(env, sel, d, ra);
        sp.push(env->seg[kCS].selector, psize);
        sp.push(next_eip, psize);
        check_target(env, eip, d, ra);
        set_accessed(env, sel, d, ra);
        set_esp(env, sp.sp, ss_mask);
        set_seg_cache(env, kCS, (sel & ~3) | cpl, d);
        env->eip = eip;
        return;
    }
    if (d.is_data()) raise_exception_err(env, kExcGP, err, ra);
    unsigned type = d.type();
    if (type == 1 || type == 9 || type == 5) {
        far_transfer_to_task(env, sel, d, TaskSwitchSource::kCall, static_cast<uint32_t>(next_eip), ra);
        return;
    }
    const bool lma = env->efer & kEferLMA;
    if (type != 4 && type != 12) raise_exception_err(env, kExcGP, err, ra);
    if (lma && type != 12) raise_exception_err(env, kExcGP, err, ra);   // only 64-bit call gates in long mode
    // Call gate.
    if (d.dpl() < cpl || d.dpl() < (sel & 3u)) raise_exception_err(env, kExcGP, err, ra);
    if (!d.present()) raise_exception_err(env, kExcNP, err, ra);
    const bool gate32 = type == 12;
    // A long-mode gate pushes 8-byte values and copies no parameters.
    const unsigned gsize = lma ? 8 : gate32 ? 4 : 2;
    uint16_t csel = d.gate_selector();
    uint64_t off = lma ? call_gate64_offset(env, sel, d, ra) : gate32 ? d.gate_offset() : d.gate_offset() & 0xffff;
    unsigned param_count = lma ? 0 : d.hi & 0x1f;
    if ((csel & 0xfffc) == 0) raise_exception_err(env, kExcGP, 0, ra);
    Descriptor cd;
    if (!read_descriptor(env, csel, cd, ra) || !cd.is_code() || cd.dpl() > cpl)
        raise_exception_err(env, kExcGP, csel & 0xfffc, ra);
    if (lma) check_gate64_target(env, csel, cd, ra);
    if (!cd.present()) raise_exception_err(env, kExcNP, csel & 0xfffc, ra);
    unsigned dpl = cd.dpl();
    if (!(cd.hi & kDescConforming) && dpl < cpl) {
        // More privileged: switch to the inner stack from the TSS and copy the parameters.
        uint16_t new_ss;
        uint64_t new_esp;
        Descriptor ssd;
        uint64_t new_mask;
        uint64_t new_base = 0;
        if (lma) {
            // The new SS is a null selector with RPL = the new CPL.
            new_esp = tss_stack64(env, dpl, 0, ra);
            new_ss = static_cast<uint16_t>(dpl);
            new_mask = ~0ull;
        } else {
            uint32_t esp32;
            tss_stack(env, dpl, new_ss, esp32, ra);
            new_esp = esp32;
            if ((new_ss & 0xfffc) == 0) raise_exception_err(env, kExcTS, 0, ra);
            if ((new_ss & 3) != dpl || !read_descriptor(env, new_ss, ssd, ra)) raise_exception_err(env, kExcTS, new_ss & 0xfffc, ra);
            if (ssd.dpl() != dpl || !ssd.is_data() || !(ssd.hi & kDescRW)) raise_exception_err(env, kExcTS, new_ss & 0xfffc, ra);
            if (!ssd.present()) raise_exception_err(env, kExcSS, new_ss & 0xfffc, ra);
            new_mask = (ssd.hi & kDescB) ? 0xffffffff : 0xffff;
            new_base = ssd.base();
        }
        StackPtr nsp{env, new_base, new_esp, new_mask, kMmuKernel, ra};
        uint64_t old_esp = env->regs[4];
        nsp.push(env->seg[kSS].selector, gsize);
        nsp.push(old_esp & ss_mask, gsize);
        for (int i = static_cast<int>(param_count) - 1; i >= 0; --i) {
            uint32_t v = static_cast<uint32_t>(cpu_ld(env, (sp.base + ((old_esp + i * gsize) & ss_mask)) & 0xffffffff,
                                                      gsize, cpu_mmu_index(env), ra));
            nsp.push(v, gsize);
        }
        nsp.push(env->seg[kCS].selector, gsize);
        nsp.push(next_eip, gsize);
        check_target(env, off, cd, ra);
        if (lma) env->seg[kSS] = SegmentCache{new_ss, 0, 0, 0};
        else set_seg_cache(env, kSS, (new_ss & ~3) | dpl, ssd);
        env->regs[4] = lma ? nsp.sp : (env->regs[4] & ~new_mask) | (nsp.sp & new_mask);
        set_accessed(env, csel, cd, ra);
        set_seg_cache(env, kCS, (csel & ~3) | dpl, cd);
        env->hflags = (env->hflags & ~kHfCplMask) | dpl;
        update_hflags(env);
    } else {
        sp.push(env->seg[kCS].selector, gsize);
        sp.push(next_eip, gsize);
        check_target(env, off, cd, ra);
        set_esp(env, sp.sp, ss_mask);
        set_accessed(env, csel, cd, ra);
        set_seg_cache(env, kCS, (csel & ~3) | cpl, cd);
    }
    env->eip = off;
}

namespace {

// After a return to an outer level, data segments the new CPL may not use
// become null: selector 0 and not present, so outside 64-bit mode using
// them faults. The hidden base stays, as on hardware, where 64-bit code
// still addresses through FS and GS bases after such a return.
void validate_seg_after_return(CpuState* env, int seg) {
    SegmentCache& s = env->seg[seg];
    bool conforming_code = (s.flags & kDescCode) && (s.flags & kDescConforming);
    if ((s.selector & 0xfffc) == 0) return;
    if (!conforming_code && s.dpl() < env->cpl()) {
        s.selector = 0;
        s.flags &= ~kDescP;
    }
}

// The common part of RETF and IRET in protected mode: pops CS:EIP (and
// EFLAGS for IRET), and SS:ESP when returning to an outer level (and
// always for IRET in 64-bit mode).
void protected_return(CpuState* env, unsigned psize, bool is_iret, uint32_t imm, uintptr_t ra) {
    const bool op32 = psize >= 4;
    const bool lma = env->efer & kEferLMA;
    const bool mode64 = env->hflags & kHfCs64;
    const uint64_t ss_mask = stack_mask(env);
    StackPtr sp{env, env->seg[kSS].base, env->regs[4], ss_mask, cpu_mmu_index(env), ra};
    uint64_t new_eip = sp.pop(psize);
    uint16_t new_cs = static_cast<uint16_t>(sp.pop(psize));
    uint32_t new_eflags = 0;
    if (is_iret) {
        new_eflags = static_cast<uint32_t>(sp.pop(psize));
        if (op32 && !lma && (new_eflags & kFlagVM) && env->cpl() == 0) {
            // Return to virtual-8086 mode.
            uint32_t new_esp = static_cast<uint32_t>(sp.pop(4));
            uint16_t new_ss = static_cast<uint16_t>(sp.pop(4));
            uint16_t es = static_cast<uint16_t>(sp.pop(4)), ds = static_cast<uint16_t>(sp.pop(4));
            uint16_t fs = static_cast<uint16_t>(sp.pop(4)), gs = static_cast<uint16_t>(sp.pop(4));
            set_eflags(env, new_eflags, kFlagsArith | kFlagTF | kFlagIF | kFlagDF | kFlagIOPL | kFlagNT | kFlagRF |
                                             kFlagVM | kFlagAC | kFlagVIF | kFlagVIP | kFlagID);
            env->hflags |= 3;
            load_seg_real(env, kCS, new_cs);
            load_seg_real(env, kSS, new_ss);
            load_seg_real(env, kES, es);
            load_seg_real(env, kDS, ds);
            load_seg_real(env, kFS, fs);
            load_seg_real(env, kGS, gs);
            env->regs[4] = new_esp;
            env->eip = new_eip & 0xffff;
            update_hflags(env);
            return;
        }
    }
    const unsigned cpl = env->cpl(), rpl = new_cs & 3;
    uint32_t err = new_cs & 0xfffc;
    if (err == 0) raise_exception_err(env, kExcGP, 0, ra);
    Descriptor cd;
    if (!read_descriptor(env, new_cs, cd, ra) || !cd.is_code() || rpl < cpl) raise_exception_err(env, kExcGP, err, ra);
    if (lma && (cd.hi & kDescL) && (cd.hi & kDescB)) raise_exception_err(env, kExcGP, err, ra);
    if (cd.hi & kDescConforming) {
        if (cd.dpl() > rpl) raise_exception_err(env, kExcGP, err, ra);
    } else if (cd.dpl() != rpl) {
        raise_exception_err(env, kExcGP, err, ra);
    }
    if (!cd.present()) raise_exception_err(env, kExcNP, err, ra);
    sp.sp += imm;
    if (rpl == cpl && !(mode64 && is_iret)) {
        check_target(env, new_eip, cd, ra);
        set_accessed(env, new_cs, cd, ra);
        set_seg_cache(env, kCS, new_cs, cd);
        set_esp(env, sp.sp, ss_mask);
    } else {
        uint64_t new_esp = sp.pop(psize);
        uint16_t new_ss = static_cast<uint16_t>(sp.pop(psize));
        Descriptor sd;
        // Long mode: a null SS is allowed when returning to 64-bit code below CPL 3.
        const bool null_ss_ok = lma && (cd.hi & kDescL) && rpl != 3;
        const bool null_ss = (new_ss & 0xfffc) == 0;
        if (null_ss && !null_ss_ok) raise_exception_err(env, kExcGP, 0, ra);
        if (!null_ss) {
            if ((new_ss & 3) != rpl || !read_descriptor(env, new_ss, sd, ra) || !sd.is_data() ||
                !(sd.hi & kDescRW) || sd.dpl() != rpl)
                raise_exception_err(env, kExcGP, new_ss & 0xfffc, ra);
            if (!sd.present()) raise_exception_err(env, kExcSS, new_ss & 0xfffc, ra);
        }
        check_target(env, new_eip, cd, ra);
        set_accessed(env, new_cs, cd, ra);
        if (!null_ss) set_accessed(env, new_ss, sd, ra);
        set_seg_cache(env, kCS, new_cs, cd);
        env->hflags = (env->hflags & ~kHfCplMask) | rpl;
        if (null_ss) env->seg[kSS] = SegmentCache{new_ss, 0, 0, 0};
        else set_seg_cache(env, kSS, new_ss, sd);
        update_hflags(env);
        uint64_t new_mask = stack_mask(env);
        if (psize == 8 || (lma && (cd.hi & kDescL))) new_mask = ~0ull;
        set_esp(env, new_esp + imm, new_mask);
        if (rpl != cpl)
            for (int s : {kES, kDS, kFS, kGS}) validate_seg_after_return(env, s);
    }
    env->eip = new_eip;
    if (is_iret) {
        // What IRET may change depends on the privilege it ran at.
        uint32_t mask = kFlagsArith | kFlagTF | kFlagDF | kFlagNT | kFlagRF | kFlagAC | kFlagID;
        if (cpl == 0) mask |= kFlagIOPL | kFlagVIF | kFlagVIP;
        if (cpl <= ((env->eflags & kFlagIOPL) >> kIoplShift)) mask |= kFlagIF;
        if (!op32) mask &= 0xffff;
        set_eflags(env, new_eflags, mask);
    }
    update_hflags(env);
}

}  // namespace

void helper_lret(CpuState* env, uint32_t psize, uint32_t imm) {
    const uintptr_t ra = MIMIC_GETPC();
    if (!(env->cr[0] & kCr0PE) || (env->eflags & kFlagVM)) {
        const uint64_t ss_mask = stack_mask(env);
        StackPtr sp{env, env->seg[kSS].base, env->regs[4], ss_mask, cpu_mmu_index(env), ra};
        uint32_t eip = static_cast<uint32_t>(sp.pop(psize));
        uint16_t cs = static_cast<uint16_t>(sp.pop(psize));
        set_esp(env, sp.sp + imm, ss_mask);
        far_jump_real(env, cs, eip);
        return;
    }
    protected_return(env, psize, false, imm, ra);
}

namespace {

void do_iret(CpuState* env, uint32_t psize, uint64_t next_eip, uintptr_t ra) {
    const bool op32 = psize >= 4;
    const uint64_t ss_mask = stack_mask(env);
    if (!(env->cr[0] & kCr0PE)) {
        StackPtr sp{env, env->seg[kSS].base, env->regs[4], ss_mask, kMmuKernel, ra};
        uint32_t eip = static_cast<uint32_t>(sp.pop(psize));
        uint16_t cs = static_cast<uint16_t>(sp.pop(psize));
        uint32_t fl = static_cast<uint32_t>(sp.pop(psize));
        set_esp(env, sp.sp, ss_mask);
        uint32_t mask = kFlagsArith | kFlagTF | kFlagIF | kFlagDF | kFlagIOPL | kFlagNT;
        if (op32) mask |= kFlagAC | kFlagID | kFlagRF;
        load_seg_real(env, kCS, cs);
        env->eip = eip;
        set_eflags(env, fl, mask);
        return;
    }
    if (env->eflags & kFlagVM) {
        // IRET in V86 mode is IOPL-sensitive.
        if (((env->eflags & kFlagIOPL) >> kIoplShift) != 3) raise_exception_err(env, kExcGP, 0, ra);
        StackPtr sp{env, env->seg[kSS].base, env->regs[4], 0xffff, kMmuUser, ra};
        uint32_t eip = static_cast<uint32_t>(sp.pop(psize));
        uint16_t cs = static_cast<uint16_t>(sp.pop(psize));
        uint32_t fl = static_cast<uint32_t>(sp.pop(psize));
        set_esp(env, sp.sp, 0xffff);
        uint32_t mask = kFlagsArith | kFlagTF | kFlagIF | kFlagDF | kFlagNT;
        if (op32) mask |= kFlagAC | kFlagID | kFlagRF;
        load_seg_real(env, kCS, cs);
        env->eip = eip;
        set_eflags(env, fl, mask);
        return;
    }
    if (env->eflags & kFlagNT) {
        // IA-32e mode has no task switches: IRET with NT set is #GP(0).
        if (env->efer & kEferLMA) raise_exception_err(env, kExcGP, 0, ra);
        // Return from a nested task: back to the TSS's back link.
        uint16_t link = static_cast<uint16_t>(sys_ld(env, env->tr.base, 2, ra));
        Descriptor tss;
        if ((link & 4) || !read_descriptor(env, link, tss, ra)) raise_exception_err(env, kExcTS, link & 0xfffc, ra);
        task_switch(env, link, tss, TaskSwitchSource::kIret, next_eip, ra);
        return;
    }
    protected_return(env, psize, true, 0, ra);
}

}  // namespace

void helper_iret(CpuState* env, uint32_t psize, uint64_t next_eip) {
    do_iret(env, psize, next_eip, MIMIC_GETPC());
    // A completed IRET ends NMI blocking (one that faulted keeps it).
    env->nmi_blocked = false;
}

// ---- LAR, LSL, VERR, VERW: ZF says whether the selector passed ----

namespace {

bool visible_descriptor(CpuState* env, uint16_t sel, Descriptor& d, uintptr_t ra) {
    if ((sel & 0xfffc) == 0 || !read_descriptor(env, sel, d, ra)) return false;
    if (d.is_code() && (d.hi & kDescConforming)) return true;
    unsigned cpl = env->cpl(), rpl = sel & 3;
    return d.dpl() >= cpl && d.dpl() >= rpl;
}

void set_zf(CpuState* env, bool z) {
    uint32_t f = compute_arith_flags(env);
    env->cc_src = z ? (f | kFlagZF) : (f & ~kFlagZF);
    env->cc_op = kCcOpEflags;
}

// LAR and LSL: whether they may read `sel`'s descriptor (system descriptors
// only of the types `system_ok` marks), also into ZF.
bool readable_descriptor(CpuState* env, uint32_t sel, const bool (&system_ok)[16], Descriptor& d, uintptr_t ra) {
    bool ok = visible_descriptor(env, static_cast<uint16_t>(sel), d, ra);
    if (ok && d.is_system()) ok = system_ok[d.type() & 0xf];
    set_zf(env, ok);
    return ok;
}

}  // namespace

// Returns the value to load, or (uint64_t)-1 with ZF clear.
uint64_t helper_lar(CpuState* env, uint32_t sel) {
    static constexpr bool kSystemOk[16] = {0, 1, 1, 1, 1, 1, 0, 0, 0, 1, 0, 1, 1, 0, 0, 0};
    Descriptor d;
    return readable_descriptor(env, sel, kSystemOk, d, MIMIC_GETPC()) ? (d.hi & 0x00f0ff00) : ~0ull;
}

uint64_t helper_lsl(CpuState* env, uint32_t sel) {
    static constexpr bool kSystemOk[16] = {0, 1, 1, 1, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0};
    Descriptor d;
    return readable_descriptor(env, sel, kSystemOk, d, MIMIC_GETPC()) ? d.limit() : ~0ull;
}

void helper_verr(CpuState* env, uint32_t sel) {
    Descriptor d;
    bool ok = visible_descriptor(env, static_cast<uint16_t>(sel), d, MIMIC_GETPC()) && !d.is_system();
    if (ok && d.is_code()) ok = d.hi & kDescRW;
    set_zf(env, ok);
}

void helper_verw(CpuState* env, uint32_t sel) {
    Descriptor d;
    bool ok = visible_descriptor(env, static_cast<uint16_t>(sel), d, MIMIC_GETPC()) && d.is_data() &&
              (d.hi & kDescRW);
    if (ok && d.is_code()) ok = false;
    set_zf(env, ok);
}

namespace {

// In long mode LDT and TSS descriptors are 16 bytes: base bits 63..32 in the
// upper half, whose type field must be 0; the whole base must be canonical.
uint64_t system_descriptor_base(CpuState* env, const Descriptor& d, uint16_t sel, uintptr_t ra) {
    if (!(env->efer & kEferLMA)) return d.base();
    uint32_t base_hi, high_hi;
    if (!read_descriptor_high(env, sel, base_hi, high_hi, ra) || ((high_hi >> 8) & 0x1f) != 0)
        raise_exception_err(env, kExcGP, sel & 0xfffc, ra);
    const uint64_t base = d.base() | uint64_t{base_hi} << 32;
    if (!is_canonical(base)) raise_exception_err(env, kExcGP, sel & 0xfffc, ra);
    return base;
}

}  // namespace

void helper_lldt(CpuState* env, uint32_t sel32) {
    const uintptr_t ra = MIMIC_GETPC();
    uint16_t sel = static_cast<uint16_t>(sel32);
    if ((sel & 0xfffc) == 0) {
        env->ldtr = SegmentCache{sel, 0, 0, 0};
        return;
    }
    Descriptor d;
    if ((sel & 4) || !read_descriptor(env, sel, d, ra) || !d.is_system() || d.type() != 2)
        raise_exception_err(env, kExcGP, sel & 0xfffc, ra);
    if (!d.present()) raise_exception_err(env, kExcNP, sel & 0xfffc, ra);
    env->ldtr = SegmentCache{sel, system_descriptor_base(env, d, sel, ra), d.limit(), d.flags()};
}

void helper_ltr(CpuState* env, uint32_t sel32) {
    const uintptr_t ra = MIMIC_GETPC();
    uint16_t sel = static_cast<uint16_t>(sel32);
    Descriptor d;
    if ((sel & 0xfffc) == 0) raise_exception_err(env, kExcGP, 0, ra);
    if ((sel & 4) || !read_descriptor(env, sel, d, ra) || !d.is_system() || (d.type() != 1 && d.type() != 9))
        raise_exception_err(env, kExcGP, sel & 0xfffc, ra);
    // Long mode has only the 64-bit TSS (type 9); type 1 is reserved there.
    if ((env->efer & kEferLMA) && d.type() != 9) raise_exception_err(env, kExcGP, sel & 0xfffc, ra);
    if (!d.present()) raise_exception_err(env, kExcNP, sel & 0xfffc, ra);
    uint64_t base = system_descriptor_base(env, d, sel, ra);
    d.hi |= 2u << 8;   // busy
    sys_st(env, env->gdtr.base + (sel & 0xfff8) + 4, d.hi, 4, ra);
    env->tr = SegmentCache{sel, base, d.limit(), d.flags()};
}

}  // namespace mimic::x86
