// XSAVE/XSAVEOPT/XRSTOR and XGETBV/XSETBV for the state components Mimic
// implements (xsave_layout.h), standard (non-compacted) form.
#include <cstring>

#include "../helper_decls.h"
#include "../helpers.h"
#include "fpu_state.h"
#include "xsave_layout.h"

namespace mimic::x86 {

namespace {

inline constexpr unsigned kXsaveHeader = 512;

uint64_t addr_mask(const CpuState* env) { return (env->hflags & kHfCs64) ? ~0ull : 0xffffffffull; }

void check_xsave_usable(CpuState* env, uintptr_t ra) {
    if (!(env->cr[4] & kCr4OSXSAVE)) raise_exception(env, kExcUD, ra);
}

uint64_t ld8(CpuState* env, uint64_t a, uintptr_t ra) { return cpu_ld(env, a & addr_mask(env), 8, cpu_mmu_index(env), ra); }

void write_bytes(CpuState* env, uint64_t a, const uint8_t* p, unsigned n, uintptr_t ra) {
    for (unsigned i = 0; i < n; i += 8) {
        uint64_t v;
        std::memcpy(&v, p + i, 8);
        cpu_st(env, (a + i) & addr_mask(env), v, 8, cpu_mmu_index(env), ra);
    }
}

void read_bytes(CpuState* env, uint64_t a, uint8_t* p, unsigned n, uintptr_t ra) {
    for (unsigned i = 0; i < n; i += 8) {
        uint64_t v = ld8(env, a + i, ra);
        std::memcpy(p + i, &v, 8);
    }
}

}  // namespace

// desc: bit 0 = 64-bit format (REX.W).
void helper_xsave(CpuState* env, uint64_t addr, uint32_t desc) {
    const uintptr_t ra = MIMIC_GETPC();
    check_xsave_usable(env, ra);
    if (env->cr[0] & kCr0TS) raise_exception(env, kExcNM, ra);
    if (addr & 63) raise_exception_err(env, kExcGP, 0, ra);
    const uint64_t rfbm = env->fpu.xcr0 & ((env->regs[2] << 32) | (env->regs[0] & 0xffffffffull));
    alignas(16) uint8_t image[512];
    fpu_to_fxsave(env->fpu, image, desc & 1);
    // The header is read first: a fault leaves the area untouched.
    const uint64_t xstate_bv = ld8(env, addr + kXsaveHeader, ra);
    if (rfbm & 1) {
        write_bytes(env, addr, image, 24, ra);
        write_bytes(env, addr + 32, image + 32, 128, ra);
    }
    if (rfbm & 2) {
        write_bytes(env, addr + 24, image + 24, 8, ra);   // MXCSR, MXCSR_MASK
        write_bytes(env, addr + 160, image + 160, (env->hflags & kHfCs64) ? 256 : 128, ra);
    }
    if (rfbm & kXstatePkru) cpu_st(env, (addr + kXsavePkruOffset) & addr_mask(env), env->pkru, 8, cpu_mmu_index(env), ra);
    // Every saved component is reported in use (XINUSE may read as 1).
    cpu_st(env, (addr + kXsaveHeader) & addr_mask(env), (xstate_bv & ~rfbm) | (rfbm & xcr0_supported(env)), 8,
           cpu_mmu_index(env), ra);
}

void helper_xrstor(CpuState* env, uint64_t addr, uint32_t desc) {
    const uintptr_t ra = MIMIC_GETPC();
    check_xsave_usable(env, ra);
    if (env->cr[0] & kCr0TS) raise_exception(env, kExcNM, ra);
    if (addr & 63) raise_exception_err(env, kExcGP, 0, ra);
    const uint64_t rfbm = env->fpu.xcr0 & ((env->regs[2] << 32) | (env->regs[0] & 0xffffffffull));
    uint64_t header[8];
    for (int i = 0; i < 8; ++i) header[i] = ld8(env, addr + kXsaveHeader + 8 * i, ra);
    const uint64_t xstate_bv = header[0];
    // Compacted form (XCOMP_BV) is not supported, the rest of the header is reserved.
    for (int i = 1; i < 8; ++i)
        if (header[i]) raise_exception_err(env, kExcGP, 0, ra);
    if (xstate_bv & ~env->fpu.xcr0) raise_exception_err(env, kExcGP, 0, ra);
    alignas(16) uint8_t image[512];
    read_bytes(env, addr, image, 416, ra);
    const uint64_t pkru = (rfbm & xstate_bv & kXstatePkru) ? ld8(env, addr + kXsavePkruOffset, ra) : 0;
    uint32_t mxcsr;
    std::memcpy(&mxcsr, image + 24, 4);
    if ((rfbm & 2) && (mxcsr & ~kMxcsrMask)) raise_exception_err(env, kExcGP, 0, ra);

    FpuState loaded = env->fpu;
    fpu_from_fxsave(loaded, image, desc & 1);
    FpuState& f = env->fpu;
    if (rfbm & 1) {
        if (xstate_bv & 1) {
            f.fcw = loaded.fcw; f.fsw = loaded.fsw; f.ftw = loaded.ftw; f.fop = loaded.fop;
            f.fip = loaded.fip; f.fdp = loaded.fdp; f.fcs = loaded.fcs; f.fds = loaded.fds;
            std::memcpy(f.st, loaded.st, sizeof f.st);
        } else {
            fpu_init_x87(f);
            std::memset(f.st, 0, sizeof f.st);
        }
    }
    if (rfbm & 2) {
        f.mxcsr = mxcsr;
        update_hflags(env);
        const unsigned n = (env->hflags & kHfCs64) ? 16 : 8;
        if (xstate_bv & 2) std::memcpy(f.xmm, loaded.xmm, 16 * n);
        else std::memset(f.xmm, 0, 16 * n);
    }
    if (rfbm & kXstatePkru) set_pkru(env, static_cast<uint32_t>(pkru));
}

void helper_xgetbv(CpuState* env) {
    const uintptr_t ra = MIMIC_GETPC();
    check_xsave_usable(env, ra);
    if (static_cast<uint32_t>(env->regs[1]) != 0) raise_exception_err(env, kExcGP, 0, ra);
    env->regs[0] = env->fpu.xcr0 & 0xffffffffull;
    env->regs[2] = env->fpu.xcr0 >> 32;
}

void helper_xsetbv(CpuState* env) {
    const uintptr_t ra = MIMIC_GETPC();
    check_xsave_usable(env, ra);
    if (env->cpl() != 0 || (env->eflags & kFlagVM)) raise_exception_err(env, kExcGP, 0, ra);
    if (static_cast<uint32_t>(env->regs[1]) != 0) raise_exception_err(env, kExcGP, 0, ra);
    const uint64_t v = (env->regs[2] << 32) | (env->regs[0] & 0xffffffffull);
    if (!(v & 1) || (v & ~xcr0_supported(env))) raise_exception_err(env, kExcGP, 0, ra);
    env->fpu.xcr0 = v;
}

}  // namespace mimic::x86
