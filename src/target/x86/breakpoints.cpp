// The debug registers' breakpoints (DR0-DR3, enabled and typed by DR7).
//
// Instruction breakpoints are compiled into the blocks at their addresses
// (the translator asks insn_breakpoint_hits). Data breakpoints keep the
// pages they watch out of the TLB, so every access there reaches the slow
// path, which asks data_breakpoint_hits. A data breakpoint is a trap: the
// hit instruction is replayed alone in a block of its own (kHfDbArmed) and
// the cpu loop raises #DB after it. Writes to DR0-3/DR7 that change the
// instruction breakpoints flush the blocks, the data breakpoints the TLB.
#include "helpers.h"

namespace mimic::x86 {
namespace {

bool enabled(uint64_t dr7, unsigned i) { return (dr7 >> (i * 2)) & 3; }
unsigned rw_bits(uint64_t dr7, unsigned i) { return (dr7 >> (16 + i * 4)) & 3; }
// LEN: 00 = 1, 01 = 2, 10 = 8 (long mode; undefined before), 11 = 4 bytes.
uint64_t length(uint64_t dr7, unsigned i) {
    static constexpr uint64_t kLen[4] = {1, 2, 8, 4};
    return kLen[(dr7 >> (18 + i * 4)) & 3];
}
// R/W 01 breaks on writes, 11 on reads and writes; 10 (I/O) is not modelled.
bool is_data(unsigned rw) { return rw == 1 || rw == 3; }

}  // namespace

BreakpointConfig breakpoint_config(const CpuState* env, bool data) {
    const uint64_t dr7 = env->dr[7];
    BreakpointConfig c;
    for (unsigned i = 0; i < 4; ++i) {
        const unsigned rw = rw_bits(dr7, i);
        if (!enabled(dr7, i) || (data ? !is_data(rw) : rw != 0)) continue;
        c.addr[i] = env->dr[i];
        c.type[i] = static_cast<uint8_t>((1 + rw) | (data ? ((dr7 >> (18 + i * 4)) & 3) << 4 : 0));
    }
    return c;
}

uint32_t insn_breakpoint_hits(const CpuState* env, uint64_t linear) {
    const uint64_t dr7 = env->dr[7];
    uint32_t hits = 0;
    for (unsigned i = 0; i < 4; ++i)
        if (enabled(dr7, i) && rw_bits(dr7, i) == 0 && env->dr[i] == linear) hits |= 1u << i;
    return hits;
}

uint32_t data_breakpoint_hits(const CpuState* env, uint64_t vaddr, uint64_t size, bool write) {
    const uint64_t dr7 = env->dr[7];
    uint32_t hits = 0;
    for (unsigned i = 0; i < 4; ++i) {
        const unsigned rw = rw_bits(dr7, i);
        if (!enabled(dr7, i) || !is_data(rw) || (rw == 1 && !write)) continue;
        const uint64_t len = length(dr7, i), start = env->dr[i] & ~(len - 1);
        if (vaddr < start + len && start < vaddr + size) hits |= 1u << i;
    }
    return hits;
}

bool page_has_data_breakpoint(const CpuState* env, uint64_t vaddr) {
    const uint64_t page = vaddr & tcg::kPageMask;
    return data_breakpoint_hits(env, page, tcg::kPageSize, true) != 0;
}

void data_breakpoint_access(CpuState* env, uint64_t vaddr, uint64_t size, bool write, uintptr_t retaddr) {
    const uint32_t hits = data_breakpoint_hits(env, vaddr, size, write);
    if (!hits) return;
    if (env->hflags & kHfDbArmed) {   // the replay: let the access happen, trap after it
        env->pending_db_hits |= hits;
        return;
    }
    restore_state(env, retaddr);
    env->hflags |= kHfDbArmed;
    cpu_loop_exit(env);
}

bool take_data_breakpoint_trap(CpuState* env) {
    env->hflags &= ~kHfDbArmed;
    const uint32_t hits = env->pending_db_hits;
    env->pending_db_hits = 0;
    if (!hits) return false;
    env->dr[6] = (env->dr[6] & ~0xfull) | hits;
    env->exception_index = kExcDB;
    env->error_code = 0;
    env->exception_is_int = false;
    env->exception_next_eip = env->eip;   // a trap: after the instruction
    return true;
}

}  // namespace mimic::x86
