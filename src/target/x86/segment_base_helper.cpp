// RDFSBASE, RDGSBASE, WRFSBASE and WRGSBASE: the FS and GS bases of 64-bit
// mode, reachable at any CPL once the OS sets CR4.FSGSBASE. Translated code
// reads the bases from env at every FS/GS access, so a write needs no new
// block (as for WRMSR to IA32_FS_BASE and SWAPGS).
#include "cpu_impl.h"
#include "helper_decls.h"
#include "helpers.h"

namespace mimic::x86 {

uint64_t helper_read_segment_base(CpuState* env, uint32_t seg) {
    if (!(env->cr[4] & kCr4FSGSBASE)) raise_exception(env, kExcUD, MIMIC_GETPC());
    return env->seg[seg].base;
}

void helper_write_segment_base(CpuState* env, uint32_t seg, uint64_t base) {
    const uintptr_t ra = MIMIC_GETPC();
    if (!(env->cr[4] & kCr4FSGSBASE)) raise_exception(env, kExcUD, ra);
    if (!is_canonical(base)) raise_exception_err(env, kExcGP, 0, ra);
    env->seg[seg].base = base;
}

}  // namespace mimic::x86
