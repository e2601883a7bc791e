// Descriptor-table access shared by the segment, interrupt and task helpers.
#pragma once

#include "helpers.h"

namespace mimic::x86 {

struct Descriptor {
    uint32_t lo = 0, hi = 0;
    uint64_t base() const { return (lo >> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000); }
    uint32_t limit() const {
        uint32_t l = (lo & 0xffff) | (hi & 0x000f0000);
        return (hi & kDescG) ? (l << 12) | 0xfff : l;
    }
    uint32_t flags() const { return hi & 0x00ffff00; }
    unsigned dpl() const { return (hi >> kDescDplShift) & 3; }
    unsigned type() const { return (hi >> 8) & 0x1f; }   // S bit included: 0x10 | type for code/data
    bool present() const { return hi & kDescP; }
    bool is_code() const { return (hi & (kDescS | kDescCode)) == (kDescS | kDescCode); }
    bool is_data() const { return (hi & (kDescS | kDescCode)) == kDescS; }
    bool is_system() const { return !(hi & kDescS); }
    // Gates
    uint16_t gate_selector() const { return lo >> 16; }
    uint32_t gate_offset() const { return (lo & 0xffff) | (hi & 0xffff0000); }
};

// Reads the descriptor `selector` names from the GDT or LDT; false when it is
// beyond the table limit.
bool read_descriptor(CpuState* env, uint16_t selector, Descriptor& d, uintptr_t retaddr);
// Sets the accessed bit of a code/data descriptor in memory.
void set_accessed(CpuState* env, uint16_t selector, Descriptor& d, uintptr_t retaddr);
void set_seg_cache(CpuState* env, int seg, uint16_t selector, const Descriptor& d);
// The inner stack for privilege level `dpl` from the current TSS.
void tss_stack(CpuState* env, unsigned dpl, uint16_t& ss, uint32_t& esp, uintptr_t retaddr);

// Task switch (task_switch.cpp). `source` says how it was entered.
enum class TaskSwitchSource { kJmp, kCall, kIret, kInt };
void task_switch(CpuState* env, uint16_t selector, const Descriptor& tss_desc, TaskSwitchSource source,
                 uint64_t next_eip, uintptr_t retaddr);

// A stack being built or unwound from C++: SS:ESP with the right width and
// wrap; mask ~0 is a 64-bit mode stack (no base, no wrap).
struct StackPtr {
    CpuState* env;
    uint64_t base;
    uint64_t sp;
    uint64_t mask;      // 0xffff, 0xffffffff (SS.B) or ~0 (64-bit mode)
    unsigned mmu_idx;
    uintptr_t retaddr;
    uint64_t addr() const { return mask == ~0ull ? sp : (base + (sp & mask)) & 0xffffffffull; }
    void push(uint64_t v, unsigned size) {
        sp -= size;
        if (mask == ~0ull && !is_canonical(sp)) raise_exception_err(env, kExcSS, 0, retaddr);
        cpu_st(env, addr(), v, size, mmu_idx, retaddr);
    }
    uint64_t pop(unsigned size) {
        if (mask == ~0ull && !is_canonical(sp)) raise_exception_err(env, kExcSS, 0, retaddr);
        uint64_t v = cpu_ld(env, addr(), size, mmu_idx, retaddr);
        sp += size;
        return v;
    }
};

inline void set_esp(CpuState* env, uint64_t sp, uint64_t mask) {
    env->regs[4] = (env->regs[4] & ~mask) | (sp & mask);
}

// The current stack's width as a StackPtr mask.
inline uint64_t stack_mask(const CpuState* env) {
    if (env->hflags & kHfCs64) return ~0ull;
    return (env->hflags & kHfSs32) ? 0xffffffffull : 0xffffull;
}

// Long mode: RSPn (n 0..2) or ISTn (n 1..7, passed as 3 + n) from the 64-bit TSS.
uint64_t tss_stack64(CpuState* env, unsigned slot, uint32_t ext, uintptr_t retaddr);
// Reads the second half of a 16-byte system descriptor (long mode LDT/TSS/gates).
bool read_descriptor_high(CpuState* env, uint16_t selector, uint32_t& base_hi, uint32_t& high_hi,
                          uintptr_t retaddr);

}  // namespace mimic::x86
