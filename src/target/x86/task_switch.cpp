// Hardware task switches (JMP/CALL to a TSS or task gate, interrupts through
// task gates, IRET with NT set), for 32-bit and 16-bit TSSs.
#include "cpu_impl.h"
#include "helpers.h"
#include "mimic/util/log.h"
#include "seg_util.h"

namespace mimic::x86 {

void task_switch(CpuState* env, uint16_t selector, const Descriptor& tss_desc, TaskSwitchSource source,
                 uint64_t next_eip, uintptr_t ra) {
    Descriptor nd = tss_desc;
    unsigned type = nd.type();
    const uint32_t err = selector & 0xfffc;
    if (!nd.is_system() || ((type & 7) != 1 && (type & 7) != 3)) raise_exception_err(env, kExcGP, err, ra);
    if (!nd.present()) raise_exception_err(env, kExcNP, err, ra);
    const bool new32 = type & 8;
    const bool busy = type & 2;
    if (source == TaskSwitchSource::kIret ? !busy : busy) raise_exception_err(env, kExcGP, err, ra);
    uint32_t new_limit = nd.limit();
    if (new_limit < (new32 ? 0x67u : 0x2bu)) raise_exception_err(env, kExcTS, err, ra);
    MIMIC_LOG(log::kInt, "task switch to {:#x} ({})\n", selector, static_cast<int>(source));

    // Read the whole new state first: a fault here leaves the old task intact.
    uint64_t nb = nd.base();
    uint32_t eip, eflags, regs[8], cr3 = 0;
    uint16_t segs[6], ldt;
    if (new32) {
        cr3 = static_cast<uint32_t>(sys_ld(env, nb + 0x1c, 4, ra));
        eip = static_cast<uint32_t>(sys_ld(env, nb + 0x20, 4, ra));
        eflags = static_cast<uint32_t>(sys_ld(env, nb + 0x24, 4, ra));
        for (int i = 0; i < 8; ++i) regs[i] = static_cast<uint32_t>(sys_ld(env, nb + 0x28 + 4 * i, 4, ra));
        for (int i = 0; i < 6; ++i) segs[i] = static_cast<uint16_t>(sys_ld(env, nb + 0x48 + 4 * i, 2, ra));
        ldt = static_cast<uint16_t>(sys_ld(env, nb + 0x60, 2, ra));
    } else {
        eip = static_cast<uint32_t>(sys_ld(env, nb + 0x0e, 2, ra));
        eflags = static_cast<uint32_t>(sys_ld(env, nb + 0x10, 2, ra));
        for (int i = 0; i < 8; ++i) regs[i] = 0xffff0000 | static_cast<uint32_t>(sys_ld(env, nb + 0x12 + 2 * i, 2, ra));
        for (int i = 0; i < 4; ++i) segs[i] = static_cast<uint16_t>(sys_ld(env, nb + 0x22 + 2 * i, 2, ra));
        segs[kFS] = segs[kGS] = 0;
        ldt = static_cast<uint16_t>(sys_ld(env, nb + 0x2a, 2, ra));
    }

    // Save the outgoing task.
    const SegmentCache old_tr = env->tr;
    const bool old32 = ((old_tr.flags >> kDescTypeShift) & 8) != 0;
    uint64_t ob = old_tr.base;
    uint32_t old_eflags = get_eflags(env);
    if (source == TaskSwitchSource::kIret) old_eflags &= ~kFlagNT;
    if (old32) {
        sys_st(env, ob + 0x20, next_eip, 4, ra);
        sys_st(env, ob + 0x24, old_eflags, 4, ra);
        for (int i = 0; i < 8; ++i) sys_st(env, ob + 0x28 + 4 * i, static_cast<uint32_t>(env->regs[i]), 4, ra);
        for (int i = 0; i < 6; ++i) sys_st(env, ob + 0x48 + 4 * i, env->seg[i].selector, 2, ra);
    } else {
        sys_st(env, ob + 0x0e, next_eip, 2, ra);
        sys_st(env, ob + 0x10, old_eflags, 2, ra);
        for (int i = 0; i < 8; ++i) sys_st(env, ob + 0x12 + 2 * i, env->regs[i], 2, ra);
        for (int i = 0; i < 4; ++i) sys_st(env, ob + 0x22 + 2 * i, env->seg[i].selector, 2, ra);
    }
    // Busy bits: the old task stays busy for CALL/INT (it is nested).
    if (source == TaskSwitchSource::kJmp || source == TaskSwitchSource::kIret) {
        uint64_t a = env->gdtr.base + (old_tr.selector & 0xfff8) + 4;
        uint32_t hi = static_cast<uint32_t>(sys_ld(env, a, 4, ra));
        sys_st(env, a, hi & ~(2u << 8), 4, ra);
    }
    if (source == TaskSwitchSource::kCall || source == TaskSwitchSource::kInt) {
        sys_st(env, nb, old_tr.selector, 2, ra);   // back link
        eflags |= kFlagNT;
    }
    if (source != TaskSwitchSource::kIret) {
        nd.hi |= 2u << 8;
        sys_st(env, env->gdtr.base + (selector & 0xfff8) + 4, nd.hi, 4, ra);
    }

    // Load the new task. From here on faults happen in the new task's context.
    env->tr = SegmentCache{selector, nd.base(), new_limit, nd.hi & 0x00ffff00};
    env->cr[0] |= kCr0TS;
    if (new32 && (env->cr[0] & kCr0PG)) write_cr3(env, cr3);
    for (int i = 0; i < 8; ++i) env->regs[i] = new32 ? regs[i] : (env->regs[i] & ~0xffffull) | (regs[i] & 0xffff);
    env->eip = eip;
    set_eflags(env, eflags | kFlagFixed1, 0x3f7fd5 | kFlagsArith);
    // Selectors first, without checks, so a fault below reports in the new task.
    for (int i = 0; i < 6; ++i) env->seg[i].selector = segs[i];
    env->ldtr.selector = ldt;
    if (eflags & kFlagVM) {
        env->hflags |= 3;
        for (int i = 0; i < 6; ++i) load_seg_real(env, i, segs[i]);
        update_hflags(env);
        return;
    }
    env->hflags = (env->hflags & ~kHfCplMask) | (segs[kCS] & 3);
    // LDT
    if ((ldt & 0xfffc) == 0) {
        env->ldtr = SegmentCache{ldt, 0, 0, 0};
    } else {
        Descriptor ld;
        if ((ldt & 4) || !read_descriptor(env, ldt, ld, ra) || !ld.is_system() || ld.type() != 2)
            raise_exception_err(env, kExcTS, ldt & 0xfffc, ra);
        if (!ld.present()) raise_exception_err(env, kExcTS, ldt & 0xfffc, ra);
        env->ldtr = SegmentCache{ldt, ld.base(), ld.limit(), ld.flags()};
    }
    // CS
    Descriptor cd;
    uint16_t cs = segs[kCS];
    if ((cs & 0xfffc) == 0 || !read_descriptor(env, cs, cd, ra) || !cd.is_code())
        raise_exception_err(env, kExcTS, cs & 0xfffc, ra);
    if (!cd.present()) raise_exception_err(env, kExcNP, cs & 0xfffc, ra);
    set_seg_cache(env, kCS, cs, cd);
    // SS and the data segments with the normal rules, reported as #TS.
    for (int s : {kSS, kES, kDS, kFS, kGS}) {
        uint16_t sel = segs[s];
        if ((sel & 0xfffc) == 0) {
            if (s == kSS) raise_exception_err(env, kExcTS, 0, ra);
            env->seg[s] = SegmentCache{sel, 0, 0, 0};
            continue;
        }
        Descriptor d;
        if (!read_descriptor(env, sel, d, ra)) raise_exception_err(env, kExcTS, sel & 0xfffc, ra);
        if (s == kSS) {
            if (!d.is_data() || !(d.hi & kDescRW) || d.dpl() != (cs & 3u) || (sel & 3u) != (cs & 3u))
                raise_exception_err(env, kExcTS, sel & 0xfffc, ra);
            if (!d.present()) raise_exception_err(env, kExcSS, sel & 0xfffc, ra);
        } else {
            if (!d.is_data() && !(d.is_code() && (d.hi & kDescRW))) raise_exception_err(env, kExcTS, sel & 0xfffc, ra);
            if (!d.present()) raise_exception_err(env, kExcNP, sel & 0xfffc, ra);
        }
        set_seg_cache(env, s, sel, d);
    }
    update_hflags(env);
}

}  // namespace mimic::x86
