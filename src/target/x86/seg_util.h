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

// A stack being built or unwound from C++: SS:ESP with the right width and wrap.
struct StackPtr {
    CpuState* env;
    uint64_t base;
    uint32_t sp;
    uint32_t mask;      // 0xffff or 0xffffffff (SS.B)
    unsigned mmu_idx;
    uintptr_t retaddr;
    void push(uint32_t v, unsigned size) {
        sp -= size;
        cpu_st(env, (base + (sp & mask)) & 0xffffffffull, v, size, mmu_idx, retaddr);
    }
    uint32_t pop(unsigned size) {
        uint32_t v = static_cast<uint32_t>(cpu_ld(env, (base + (sp & mask)) & 0xffffffffull, size, mmu_idx, retaddr));
        sp += size;
        return v;
    }
};

inline void set_esp(CpuState* env, uint32_t sp, uint32_t mask) {
    env->regs[4] = (env->regs[4] & ~uint64_t{mask}) | (sp & mask);
}

}  // namespace mimic::x86
