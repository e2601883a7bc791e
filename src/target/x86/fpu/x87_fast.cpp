// The x87 fast path (see x87_fast.h).
#include "x87_fast.h"

#include <cstring>

#include "../cpu_impl.h"
#include "../helpers.h"
#include "guest_mem.h"
#include "x87_stack.h"

namespace mimic::x86 {

namespace {

constexpr uint16_t kFswC1 = 1u << 9, kFswFlags = 0x7f;   // IE DE ZE OE UE PE SF

void clear_c1(FpuState& f) { f.fsw &= static_cast<uint16_t>(~kFswC1); }

bool is_nan(const uint8_t* r) {
    uint64_t mant;
    uint16_t se;
    std::memcpy(&mant, r, 8);
    std::memcpy(&se, r + 8, 2);
    return (se & 0x7fff) == 0x7fff && (mant << 1) != 0;
}

// The host computes, on the physical registers; the C++ side moves TOP and
// the tags and merges the flags.
void run_on_host(CpuState* env, const HostOp& op, const X87Op& x, uint64_t addr, uintptr_t ra) {
    FpuState& f = env->fpu;
    X87HostCtx c;
    c.st = f.st;
    c.top = f.top();
    c.fcw = f.fcw;
    c.fsw = f.fsw;
    if (op.mem_load) guest_read(env, addr, c.mem, op.mem_size, ra);
    if (op.reads_flags) c.rflags = 2 | (compute_arith_flags(env) & kFlagsArith);
    x.stub(&c);
    if (op.mem_store) guest_write(env, addr, c.mem, op.mem_size, ra);

    const int delta = static_cast<int>(c.depth) - x.window;   // pushes minus pops
    for (int k = 0; k < -delta; ++k) x87_set_empty(f, static_cast<unsigned>(k));
    x87_set_top(f, f.top() - static_cast<unsigned>(delta));
    for (int k = 0; k < delta; ++k) x87_set_valid(f, static_cast<unsigned>(k));
    // (Only when it matters: reading what the stub's 80-bit store just wrote is slow.)
    const uint16_t cc = x.cc_nan != x.cc && c.depth > 0 && is_nan(f.st_reg(0)) ? x.cc_nan : x.cc;
    f.fsw = static_cast<uint16_t>((f.fsw & ~cc) | (c.fsw & cc) | (c.fsw & kFswFlags));
    if (op.writes_flags) {
        env->cc_src = c.rflags & kFlagsArith;
        env->cc_op = kCcOpEflags;
    }
}

uint16_t load16(CpuState* env, uint64_t addr, uintptr_t ra) {
    uint8_t b[2];
    guest_read(env, addr, b, 2, ra);
    return static_cast<uint16_t>(b[0] | b[1] << 8);
}

void store16(CpuState* env, uint64_t addr, uint16_t v, uintptr_t ra) {
    const uint8_t b[2] = {static_cast<uint8_t>(v), static_cast<uint8_t>(v >> 8)};
    guest_write(env, addr, b, 2, ra);
}

}  // namespace

bool x87_fast(CpuState* env, const HostOp& op, uint64_t addr, uint64_t data_offset, uint64_t ip, uintptr_t ra) {
    const X87Op& x = op.x87;
    FpuState& f = env->fpu;
    if (x.kind == X87Kind::kNone || (f.fcw & 0x3f) != 0x3f || (f.fsw & (kFswES | kFswB))) return false;
    const unsigned tags = x87_stack_tags(f);
    if ((tags & x.need) != x.need || (x.push && (tags & 0x80))) return false;

    uint8_t v[10];
    switch (x.kind) {
    case X87Kind::kNone: return false;
    case X87Kind::kHost: run_on_host(env, op, x, addr, ra); break;
    case X87Kind::kLoadReg:
        std::memcpy(v, f.st_reg(x.sti), 10);
        x87_push(f);
        std::memcpy(f.st_reg(0), v, 10);
        clear_c1(f);
        break;
    case X87Kind::kStoreReg:
        std::memcpy(f.st_reg(x.sti), f.st_reg(0), 10);
        x87_set_valid(f, x.sti);
        if (x.pop) x87_pop(f);
        clear_c1(f);
        break;
    case X87Kind::kXchg:
        std::memcpy(v, f.st_reg(x.sti), 10);
        std::memcpy(f.st_reg(x.sti), f.st_reg(0), 10);
        std::memcpy(f.st_reg(0), v, 10);
        clear_c1(f);
        break;
    case X87Kind::kFree:
        x87_set_empty(f, x.sti);
        clear_c1(f);
        break;
    case X87Kind::kIncStp:
        x87_set_top(f, f.top() + 1);
        clear_c1(f);
        break;
    case X87Kind::kDecStp:
        x87_set_top(f, f.top() - 1);
        clear_c1(f);
        break;
    case X87Kind::kChs:
        f.st_reg(0)[9] ^= 0x80;
        clear_c1(f);
        break;
    case X87Kind::kAbs:
        f.st_reg(0)[9] &= 0x7f;
        clear_c1(f);
        break;
    case X87Kind::kNop: break;
    case X87Kind::kLoad80:
        guest_read(env, addr, v, 10, ra);
        x87_push(f);
        std::memcpy(f.st_reg(0), v, 10);
        clear_c1(f);
        break;
    case X87Kind::kStore80:
        guest_write(env, addr, f.st_reg(0), 10, ra);
        x87_pop(f);
        clear_c1(f);
        break;
    case X87Kind::kStoreSw:
        if (op.writes_ax) env->regs[0] = (env->regs[0] & ~0xffffull) | f.fsw;
        else store16(env, addr, f.fsw, ra);
        break;
    case X87Kind::kStoreCw: store16(env, addr, f.fcw, ra); break;
    case X87Kind::kLoadCw: {
        const uint16_t cw = load16(env, addr, ra);
        // Unmasking a raised exception makes it pending: the image path.
        if (f.fsw & ~cw & 0x3f) return false;
        f.fcw = static_cast<uint16_t>((cw & 0x1f3f) | 0x40);   // the reserved bits as the processor keeps them
        break;
    }
    case X87Kind::kClearEx: f.fsw &= 0x7f00; break;
    }

    x87_note_last_instruction(env, op, ip, data_offset);
    return true;
}

void x87_note_last_instruction(CpuState* env, const HostOp& op, uint64_t ip, uint64_t data_offset) {
    if (op.x87_control) return;
    FpuState& f = env->fpu;
    f.fop = op.fop;
    f.fip = ip;
    f.fcs = env->seg[kCS].selector;
    if (op.mem_size) {
        f.fdp = data_offset;
        f.fds = env->seg[op.mem_seg].selector;
    }
}

}  // namespace mimic::x86
