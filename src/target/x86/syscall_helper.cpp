// Fast system calls and the other long-mode system instructions:
// SYSCALL/SYSRET (STAR, LSTAR, CSTAR, FMASK), SYSENTER/SYSEXIT
// (IA32_SYSENTER_*) and SWAPGS. The segments these load are not read
// from the GDT: the processor loads fixed flat descriptors, which is what
// the caches below hold.
#include "cpu_impl.h"
#include "helper_decls.h"
#include "helpers.h"

#include <utility>

namespace mimic::x86 {
namespace {

constexpr uint32_t kFlat = kDescP | kDescS | kDescAccessed | kDescG;
constexpr uint32_t kCodeType = kDescCode | kDescRW;   // execute/read

SegmentCache flat_code(uint16_t sel, unsigned dpl, bool long64) {
    uint32_t f = kFlat | kCodeType | (dpl << kDescDplShift) | (long64 ? kDescL : kDescB);
    return SegmentCache{sel, 0, 0xffffffff, f};
}

SegmentCache flat_stack(uint16_t sel, unsigned dpl) {
    return SegmentCache{sel, 0, 0xffffffff, kFlat | kDescRW | kDescB | (dpl << kDescDplShift)};
}

void set_cpl(CpuState* env, unsigned cpl) {
    env->hflags = (env->hflags & ~kHfCplMask) | cpl;
    update_hflags(env);
}

// SYSCALL and SYSRET check TF when they complete, not when they start: a
// SYSRET that loads TF traps at once, a SYSCALL whose FMASK clears TF does
// not trap in the kernel (as QEMU and hardware do).
void single_step_if_tf(CpuState* env) {
    if (env->eflags & kFlagTF) helper_single_step(env);
}

}  // namespace

void helper_syscall(CpuState* env, uint64_t next_eip) {
    const uintptr_t ra = MIMIC_GETPC();
    if (!(env->efer & kEferSCE)) raise_exception(env, kExcUD, ra);
    const uint16_t sel = static_cast<uint16_t>(env->msr.star >> 32) & 0xfffc;
    if (env->efer & kEferLMA) {
        const bool from64 = env->hflags & kHfCs64;
        env->regs[kRCX] = next_eip;
        env->regs[kR11] = get_eflags(env) & ~kFlagRF;
        env->seg[kCS] = flat_code(sel, 0, true);
        env->seg[kSS] = flat_stack(static_cast<uint16_t>(sel + 8), 0);
        set_eflags(env, 0, (static_cast<uint32_t>(env->msr.fmask) | kFlagRF) & 0x3f7fd5);
        env->eip = from64 ? env->msr.lstar : env->msr.cstar;
    } else {
        // Legacy mode: EIP from STAR[31:0]; VM, IF and RF cleared.
        env->regs[kRCX] = static_cast<uint32_t>(next_eip);
        env->seg[kCS] = flat_code(sel, 0, false);
        env->seg[kSS] = flat_stack(static_cast<uint16_t>(sel + 8), 0);
        set_eflags(env, 0, kFlagVM | kFlagIF | kFlagRF);
        env->eip = static_cast<uint32_t>(env->msr.star);
    }
    set_cpl(env, 0);
    single_step_if_tf(env);
}

// size: 8 with REX.W (return to 64-bit code), 4 otherwise (compatibility or legacy).
void helper_sysret(CpuState* env, uint32_t size) {
    const uintptr_t ra = MIMIC_GETPC();
    if (!(env->efer & kEferSCE)) raise_exception(env, kExcUD, ra);
    if (!(env->cr[0] & kCr0PE) || env->cpl() != 0) raise_exception(env, kExcGP, ra);
    const uint16_t base = static_cast<uint16_t>(env->msr.star >> 48);
    if (env->efer & kEferLMA) {
        if (size == 8 && !is_canonical(env->regs[kRCX])) raise_exception(env, kExcGP, ra);
        if (size == 8) {
            env->seg[kCS] = flat_code(static_cast<uint16_t>((base + 16) | 3), 3, true);
            env->eip = env->regs[kRCX];
        } else {
            env->seg[kCS] = flat_code(static_cast<uint16_t>(base | 3), 3, false);
            env->eip = static_cast<uint32_t>(env->regs[kRCX]);
        }
        env->seg[kSS] = flat_stack(static_cast<uint16_t>((base + 8) | 3), 3);
        set_cpl(env, 3);
        set_eflags(env, static_cast<uint32_t>(env->regs[kR11]), 0x3c7fd7 & ~kFlagVM);
    } else {
        env->seg[kCS] = flat_code(static_cast<uint16_t>(base | 3), 3, false);
        env->seg[kSS] = flat_stack(static_cast<uint16_t>((base + 8) | 3), 3);
        env->eip = static_cast<uint32_t>(env->regs[kRCX]);
        set_cpl(env, 3);
        set_eflags(env, kFlagIF, kFlagIF);
    }
    single_step_if_tf(env);
}

void helper_sysenter(CpuState* env) {
    const uintptr_t ra = MIMIC_GETPC();
    const uint16_t cs = static_cast<uint16_t>(env->msr.sysenter_cs) & 0xfffc;
    if (!(env->cr[0] & kCr0PE) || cs == 0) raise_exception(env, kExcGP, ra);
    const bool lma = env->efer & kEferLMA;
    set_eflags(env, 0, kFlagVM | kFlagIF | kFlagRF);
    env->seg[kCS] = flat_code(cs, 0, lma);
    env->seg[kSS] = flat_stack(static_cast<uint16_t>(cs + 8), 0);
    env->regs[kRSP] = lma ? env->msr.sysenter_esp : static_cast<uint32_t>(env->msr.sysenter_esp);
    env->eip = lma ? env->msr.sysenter_eip : static_cast<uint32_t>(env->msr.sysenter_eip);
    set_cpl(env, 0);
}

// size: 8 with REX.W (return to 64-bit code), 4 otherwise.
void helper_sysexit(CpuState* env, uint32_t size) {
    const uintptr_t ra = MIMIC_GETPC();
    const uint16_t cs = static_cast<uint16_t>(env->msr.sysenter_cs) & 0xfffc;
    if (!(env->cr[0] & kCr0PE) || cs == 0 || env->cpl() != 0) raise_exception(env, kExcGP, ra);
    if (size == 8) {
        if (!is_canonical(env->regs[kRDX]) || !is_canonical(env->regs[kRCX])) raise_exception(env, kExcGP, ra);
        env->seg[kCS] = flat_code(static_cast<uint16_t>((cs + 32) | 3), 3, true);
        env->seg[kSS] = flat_stack(static_cast<uint16_t>((cs + 40) | 3), 3);
        env->regs[kRSP] = env->regs[kRCX];
        env->eip = env->regs[kRDX];
    } else {
        env->seg[kCS] = flat_code(static_cast<uint16_t>((cs + 16) | 3), 3, false);
        env->seg[kSS] = flat_stack(static_cast<uint16_t>((cs + 24) | 3), 3);
        env->regs[kRSP] = static_cast<uint32_t>(env->regs[kRCX]);
        env->eip = static_cast<uint32_t>(env->regs[kRDX]);
    }
    set_cpl(env, 3);
}

void helper_swapgs(CpuState* env) {
    std::swap(env->seg[kGS].base, env->msr.kernel_gs_base);
}

}  // namespace mimic::x86
