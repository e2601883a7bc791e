// The x87 register stack over FpuState's physical registers: TOP in FSW,
// one abridged tag bit per physical register. Pushes and pops move TOP and
// a tag bit; no register moves.
#pragma once

#include <cstdint>

#include "fpu_state.h"

namespace mimic::x86 {

// The tags in stack order: bit i set = ST(i) is not empty.
inline unsigned x87_stack_tags(const FpuState& f) {
    const unsigned t = f.ftw & 0xff;
    return ((t | t << 8) >> f.top()) & 0xff;
}

inline void x87_set_top(FpuState& f, unsigned top) {
    f.fsw = static_cast<uint16_t>((f.fsw & ~(7u << kFswTopShift)) | (top & 7) << kFswTopShift);
}

inline void x87_set_valid(FpuState& f, unsigned i) { f.ftw |= static_cast<uint16_t>(1u << ((f.top() + i) & 7)); }
inline void x87_set_empty(FpuState& f, unsigned i) { f.ftw &= static_cast<uint16_t>(~(1u << ((f.top() + i) & 7))); }

// TOP - 1, the new ST(0) marked valid.
inline void x87_push(FpuState& f) {
    x87_set_top(f, f.top() - 1);
    x87_set_valid(f, 0);
}

// ST(0) marked empty, TOP + 1.
inline void x87_pop(FpuState& f) {
    x87_set_empty(f, 0);
    x87_set_top(f, f.top() + 1);
}

}  // namespace mimic::x86
