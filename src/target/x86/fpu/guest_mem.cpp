// Guest memory operands of the FPU helpers (see guest_mem.h).
#include "guest_mem.h"

#include <cstring>

#include "../helpers.h"

namespace mimic::x86 {

uint64_t addr_mask(const CpuState* env) { return (env->hflags & kHfCs64) ? ~0ull : 0xffffffffull; }

namespace {

// The widest access (8, 4, 2 or 1 bytes) for the `left` bytes at `a` that
// does not wrap around the address size.
unsigned chunk(uint64_t a, uint64_t mask, unsigned left) {
    unsigned s = 8;
    while (s > left || a + s - 1 > mask) s >>= 1;
    return s;
}

}  // namespace

void guest_read(CpuState* env, uint64_t addr, uint8_t* buf, unsigned n, uintptr_t ra) {
    const unsigned mmu = cpu_mmu_index(env);
    const uint64_t mask = addr_mask(env);
    for (unsigned i = 0, s; i < n; i += s) {
        const uint64_t a = (addr + i) & mask;
        s = chunk(a, mask, n - i);
        const uint64_t v = cpu_ld(env, a, s, mmu, ra);
        std::memcpy(buf + i, &v, s);
    }
}

void guest_write(CpuState* env, uint64_t addr, const uint8_t* buf, unsigned n, uintptr_t ra) {
    const unsigned mmu = cpu_mmu_index(env);
    const uint64_t mask = addr_mask(env);
    // The last byte first: a store crossing into a page that faults then
    // faults before anything is written, as the instruction would.
    if (n > 1) cpu_st(env, (addr + n - 1) & mask, buf[n - 1], 1, mmu, ra);
    for (unsigned i = 0, s; i < n; i += s) {
        const uint64_t a = (addr + i) & mask;
        s = chunk(a, mask, n - i);
        uint64_t v = 0;
        std::memcpy(&v, buf + i, s);
        cpu_st(env, a, v, s, mmu, ra);
    }
}

}  // namespace mimic::x86
