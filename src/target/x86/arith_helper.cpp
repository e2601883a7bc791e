// Arithmetic helpers whose flags or faults are awkward in IR: shifts and
// rotates, multiply and divide, decimal adjust, bit tests and scans. Each
// leaves the arithmetic flags materialised (cc_op = EFLAGS), except the
// read-modify-write ones (shifts, rotates, BTS/BTR/BTC), which leave them in
// pending_flags for the translator to commit after its store.
#include "helper_decls.h"
#include "helpers.h"

namespace mimic::x86 {
namespace {

uint64_t mask_of(unsigned size) { return size == 8 ? ~0ull : (1ull << (size * 8)) - 1; }
uint64_t msb_of(unsigned size) { return 1ull << (size * 8 - 1); }
uint32_t parity(uint64_t v) { return __builtin_parity(static_cast<uint8_t>(v)) ? 0 : kFlagPF; }
uint32_t szp(uint64_t v, unsigned size) {
    v &= mask_of(size);
    return (v == 0 ? kFlagZF : 0) | ((v & msb_of(size)) ? kFlagSF : 0) | parity(v);
}
void set_flags(CpuState* env, uint32_t f) {
    env->cc_src = f & kFlagsArith;
    env->cc_op = kCcOpEflags;
}
// For helpers whose result the translator stores to memory afterwards.
void set_pending_flags(CpuState* env, uint32_t f) { env->pending_flags = f & kFlagsArith; }
int64_t sext(uint64_t v, unsigned size) {
    unsigned sh = 64 - size * 8;
    return static_cast<int64_t>(v << sh) >> sh;
}

}  // namespace

uint64_t helper_shift(CpuState* env, uint32_t op_size, uint64_t value, uint32_t count) {
    const unsigned op = op_size & 0xff, size = op_size >> 8;
    const unsigned bits = size * 8;
    const uint64_t m = mask_of(size), msb = msb_of(size);
    value &= m;
    count &= (size == 8) ? 63 : 31;
    uint32_t f = compute_arith_flags(env);
    set_pending_flags(env, f);
    if (count == 0) return value;
    uint64_t r = value;
    switch (op) {
    case 0: {   // ROL: count mod width, CF = LSB of result, OF = MSB ^ CF
        unsigned c = count % bits;
        r = c ? ((value << c) | (value >> (bits - c))) & m : value;
        f = (f & ~(kFlagCF | kFlagOF)) | (r & 1 ? kFlagCF : 0);
        if (((r & msb) != 0) != ((r & 1) != 0)) f |= kFlagOF;
        break;
    }
    case 1: {   // ROR: CF = MSB of result, OF = two top bits differ
        unsigned c = count % bits;
        r = c ? ((value >> c) | (value << (bits - c))) & m : value;
        f = (f & ~(kFlagCF | kFlagOF)) | ((r & msb) ? kFlagCF : 0);
        if (((r & msb) != 0) != ((r & (msb >> 1)) != 0)) f |= kFlagOF;
        break;
    }
    case 2:     // RCL: through carry, count mod (width + 1)
    case 3: {   // RCR
        unsigned c = count % (bits + 1);
        uint64_t cf = f & kFlagCF;
        for (unsigned i = 0; i < c; ++i) {
            if (op == 2) {
                uint64_t out = (r & msb) != 0;
                r = ((r << 1) | cf) & m;
                cf = out;
            } else {
                uint64_t out = r & 1;
                r = (r >> 1) | (cf ? msb : 0);
                cf = out;
            }
        }
        f = (f & ~(kFlagCF | kFlagOF)) | (cf ? kFlagCF : 0);
        if (op == 2) {
            if (((r & msb) != 0) != (cf != 0)) f |= kFlagOF;
        } else if (((r & msb) != 0) != ((r & (msb >> 1)) != 0)) {
            f |= kFlagOF;
        }
        break;
    }
    case 4: {   // SHL
        uint64_t cf = count <= bits ? (value >> (bits - count)) & 1 : 0;
        r = count < bits ? (value << count) & m : 0;
        f = szp(r, size) | (cf ? kFlagCF : 0);
        if (((r & msb) != 0) != (cf != 0)) f |= kFlagOF;
        break;
    }
    case 5: {   // SHR
        uint64_t cf = count <= bits ? (value >> (count - 1)) & 1 : 0;
        r = count < bits ? value >> count : 0;
        f = szp(r, size) | (cf ? kFlagCF : 0);
        if (value & msb) f |= kFlagOF;
        break;
    }
    case 7: {   // SAR
        int64_t sv = sext(value, size);
        unsigned c = count < bits ? count : bits - 1;
        uint64_t cf = (static_cast<uint64_t>(sv >> (c - (count < bits ? 1 : 0))) & 1);
        if (count >= bits) cf = (value & msb) != 0;
        r = static_cast<uint64_t>(sv >> c) & m;
        f = szp(r, size) | (cf ? kFlagCF : 0);
        break;
    }
    }
    // AF is undefined for shifts (clear, like current processors); rotates keep it.
    set_pending_flags(env, op >= 4 ? f & ~kFlagAF : f);
    return r;
}

uint64_t helper_shld(CpuState* env, uint32_t size_right, uint64_t dst, uint64_t src, uint32_t count) {
    const unsigned size = size_right & 0xff;
    const bool right = size_right & 0x100;
    const unsigned bits = size * 8;
    const uint64_t m = mask_of(size), msb = msb_of(size);
    dst &= m;
    src &= m;
    count &= size == 8 ? 63 : 31;
    uint32_t f = compute_arith_flags(env);
    set_pending_flags(env, f);
    if (count == 0) return dst;
    uint64_t r, cf;
    if (count > bits) {
        // Undefined result; produce what a 16-bit shift of the concatenation gives on Intel.
        count %= bits;
        if (count == 0) return dst;
    }
    if (!right) {
        r = ((dst << count) | (count == bits ? src : (src >> (bits - count)))) & m;
        if (count == bits) r = src;
        cf = (dst >> (bits - count)) & 1;
    } else {
        r = ((dst >> count) | (count == bits ? src : (src << (bits - count)))) & m;
        if (count == bits) r = src;
        cf = (dst >> (count - 1)) & 1;
    }
    f = szp(r, size) | (cf ? kFlagCF : 0);
    if (((r ^ dst) & msb) != 0) f |= kFlagOF;
    set_pending_flags(env, f);
    return r;
}

void helper_div(CpuState* env, uint32_t size_signed, uint64_t src) {
    const uintptr_t ra = MIMIC_GETPC();
    const unsigned size = size_signed & 0xff;
    const bool sgn = size_signed & 0x100;
    const uint64_t m = mask_of(size);
    const unsigned bits = size * 8;
    src &= m;
    if (src == 0) raise_exception(env, kExcDE, ra);
    if (size == 8) {
        unsigned __int128 n = (static_cast<unsigned __int128>(env->regs[2]) << 64) | env->regs[0];
        if (sgn) {
            __int128 sn = static_cast<__int128>(n), d = static_cast<int64_t>(src);
            if (static_cast<int64_t>(src) == -1 && n == (static_cast<unsigned __int128>(1) << 127)) raise_exception(env, kExcDE, ra);
            __int128 q = sn / d, r = sn % d;
            if (q != static_cast<int64_t>(q)) raise_exception(env, kExcDE, ra);
            env->regs[0] = static_cast<uint64_t>(q);
            env->regs[2] = static_cast<uint64_t>(r);
        } else {
            unsigned __int128 q = n / src, r = n % src;
            if (q >> 64) raise_exception(env, kExcDE, ra);
            env->regs[0] = static_cast<uint64_t>(q);
            env->regs[2] = static_cast<uint64_t>(r);
        }
        return;
    }
    uint64_t n;
    if (size == 1) n = env->regs[0] & 0xffff;
    else n = ((env->regs[2] & m) << bits) | (env->regs[0] & m);
    uint64_t q, r;
    if (sgn) {
        int64_t sn = sext(n, size * 2), d = sext(src, size);
        int64_t sq = sn / d, sr = sn % d;
        if (sq != sext(static_cast<uint64_t>(sq) & m, size)) raise_exception(env, kExcDE, ra);
        q = static_cast<uint64_t>(sq) & m;
        r = static_cast<uint64_t>(sr) & m;
    } else {
        q = n / src;
        r = n % src;
        if (q > m) raise_exception(env, kExcDE, ra);
    }
    switch (size) {
    case 1: env->regs[0] = (env->regs[0] & ~0xffffull) | q | (r << 8); break;
    case 2:
        env->regs[0] = (env->regs[0] & ~0xffffull) | q;
        env->regs[2] = (env->regs[2] & ~0xffffull) | r;
        break;
    default: env->regs[0] = q; env->regs[2] = r; break;
    }
}

void helper_bcd(CpuState* env, uint32_t op, uint32_t imm) {
    const uintptr_t ra = MIMIC_GETPC();
    uint32_t f = compute_arith_flags(env);
    uint64_t& rax = env->regs[0];
    uint32_t al = rax & 0xff, ah = (rax >> 8) & 0xff;
    bool cf = f & kFlagCF, af = f & kFlagAF;
    switch (op) {
    case 0:     // DAA
    case 1: {   // DAS
        uint32_t old_al = al;
        bool old_cf = cf;
        cf = false;
        if ((al & 0xf) > 9 || af) {
            if (op == 0) { cf = old_cf || al + 6 > 0xff; al = (al + 6) & 0xff; }
            else { cf = old_cf || al < 6; al = (al - 6) & 0xff; }
            af = true;
        } else {
            af = false;
        }
        if (old_al > 0x99 || old_cf) {
            al = op == 0 ? (al + 0x60) & 0xff : (al - 0x60) & 0xff;
            cf = true;
        }
        rax = (rax & ~0xffull) | al;
        f = szp(al, 1) | (cf ? kFlagCF : 0) | (af ? kFlagAF : 0);
        // OF is undefined; processors compute it like an add/sub of the adjustment.
        if (op == 0 && !(old_al & 0x80) && (al & 0x80)) f |= kFlagOF;
        if (op == 1 && (old_al & 0x80) && !(al & 0x80)) f |= kFlagOF;
        break;
    }
    case 2:     // AAA
    case 3: {   // AAS
        if ((al & 0xf) > 9 || af) {
            if (op == 2) { rax = (rax & ~0xffffull) | (((rax & 0xffff) + 0x106) & 0xffff); }
            else { rax = (rax & ~0xffffull) | (((rax & 0xffff) - 6) & 0xffff); rax = (rax & ~0xff00ull) | ((((rax >> 8) - 1) & 0xff) << 8); }
            af = cf = true;
        } else {
            af = cf = false;
        }
        rax = (rax & ~0xffull) | (rax & 0x0f);
        f = (f & ~(kFlagCF | kFlagAF)) | (cf ? kFlagCF : 0) | (af ? kFlagAF : 0);
        break;
    }
    case 4: {   // AAM
        if (imm == 0) raise_exception(env, kExcDE, ra);
        ah = al / imm;
        al = al % imm;
        rax = (rax & ~0xffffull) | al | (ah << 8);
        f = szp(al, 1);
        break;
    }
    case 5: {   // AAD
        al = (al + ah * imm) & 0xff;
        rax = (rax & ~0xffffull) | al;
        f = szp(al, 1);
        break;
    }
    }
    set_flags(env, f);
}

// op: 0 BT, 1 BTS, 2 BTR, 3 BTC. CF = the bit before; other flags kept.
uint64_t helper_bitop(CpuState* env, uint32_t op_size, uint64_t value, uint64_t bit) {
    unsigned op = op_size & 0xff;
    uint32_t f = compute_arith_flags(env) & ~kFlagCF;
    uint64_t mask = 1ull << bit;
    if (value & mask) f |= kFlagCF;
    switch (op) {
    case 1: value |= mask; break;
    case 2: value &= ~mask; break;
    case 3: value ^= mask; break;
    default: break;
    }
    set_pending_flags(env, f);
    return value;
}

// op 0: POPCNT (ZF = source zero, the other flags clear); op 1: LZCNT
// (CF = source zero, ZF = result zero; OF SF AF PF undefined, left clear).
uint64_t helper_popcnt_lzcnt(CpuState* env, uint32_t op_size, uint64_t value) {
    const unsigned size = op_size & 0xff;
    const unsigned bits = size * 8;
    value &= mask_of(size);
    if (!(op_size & 0x100)) {
        set_flags(env, value == 0 ? kFlagZF : 0);
        return static_cast<uint64_t>(__builtin_popcountll(value));
    }
    uint64_t r = value == 0 ? bits : static_cast<uint64_t>(__builtin_clzll(value)) - (64 - bits);
    set_flags(env, (value == 0 ? kFlagCF : 0) | (r == 0 ? kFlagZF : 0));
    return r;
}

uint64_t helper_bsf_bsr(CpuState* env, uint32_t op_size, uint64_t value, uint64_t old) {
    unsigned size = op_size & 0xff;
    bool reverse = op_size & 0x100;
    value &= mask_of(size);
    uint32_t f = compute_arith_flags(env);
    if (value == 0) {
        set_flags(env, f | kFlagZF);
        return old;
    }
    set_flags(env, f & ~kFlagZF);
    return reverse ? 63 - __builtin_clzll(value) : __builtin_ctzll(value);
}

}  // namespace mimic::x86
