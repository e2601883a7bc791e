// Guest memory operands of the FPU helpers (see guest_mem.h).
#include "guest_mem.h"

#include <cstring>

#include "../helpers.h"

namespace mimic::x86 {

uint64_t addr_mask(const CpuState* env) { return (env->hflags & kHfCs64) ? ~0ull : 0xffffffffull; }

void guest_read(CpuState* env, uint64_t addr, uint8_t* buf, unsigned n, uintptr_t ra) {
    const unsigned mmu = cpu_mmu_index(env);
    const uint64_t mask = addr_mask(env);
    unsigned i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t v = cpu_ld(env, (addr + i) & mask, 8, mmu, ra);
        std::memcpy(buf + i, &v, 8);
    }
    for (; i < n; ++i) buf[i] = static_cast<uint8_t>(cpu_ld(env, (addr + i) & mask, 1, mmu, ra));
}

void guest_write(CpuState* env, uint64_t addr, const uint8_t* buf, unsigned n, uintptr_t ra) {
    const unsigned mmu = cpu_mmu_index(env);
    const uint64_t mask = addr_mask(env);
    // The last byte first: a store crossing into a page that faults then
    // faults before anything is written, as the instruction would.
    if (n > 1) cpu_st(env, (addr + n - 1) & mask, buf[n - 1], 1, mmu, ra);
    unsigned i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t v;
        std::memcpy(&v, buf + i, 8);
        cpu_st(env, (addr + i) & mask, v, 8, mmu, ra);
    }
    for (; i < n; ++i) cpu_st(env, (addr + i) & mask, buf[i], 1, mmu, ra);
}

}  // namespace mimic::x86
