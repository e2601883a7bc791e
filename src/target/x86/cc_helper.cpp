// Lazy condition codes: the arithmetic flags are computed only when
// something reads them, from the last flag-setting operation recorded in
// cc_op and its operands (cc_dst, cc_src, cc_src2).
#include "helpers.h"

namespace mimic::x86 {
namespace {

constexpr unsigned kSizes[4] = {1, 2, 4, 8};

inline uint64_t size_mask(unsigned size) { return size == 8 ? ~0ull : (1ull << (size * 8)) - 1; }
inline uint64_t sign_bit(unsigned size) { return 1ull << (size * 8 - 1); }
inline uint32_t parity(uint64_t v) { return __builtin_parity(static_cast<uint8_t>(v)) ? 0 : kFlagPF; }

inline uint32_t zsp(uint64_t dst, unsigned size) {
    uint64_t m = dst & size_mask(size);
    return (m == 0 ? kFlagZF : 0) | ((m & sign_bit(size)) ? kFlagSF : 0) | parity(m);
}

}  // namespace

uint32_t compute_arith_flags(const CpuState* env) {
    uint32_t op = env->cc_op;
    if (op == kCcOpEflags) return static_cast<uint32_t>(env->cc_src) & kFlagsArith;
    unsigned group = (op - kCcOpAddB) / 4;
    unsigned size = kSizes[(op - kCcOpAddB) % 4];
    uint64_t m = size_mask(size), sb = sign_bit(size);
    uint64_t dst = env->cc_dst & m, src = env->cc_src & m;
    uint32_t f = zsp(dst, size);
    switch (group) {
    case 0:    // ADD
    case 1: {  // ADC
        uint64_t cin = group == 1 ? (env->cc_src2 & 1) : 0;
        uint64_t src1 = (dst - src - cin) & m;
        bool cf = cin ? dst <= src1 : dst < src1;
        if (cf) f |= kFlagCF;
        if ((dst ^ src1 ^ src) & 0x10) f |= kFlagAF;
        if (((src1 ^ dst) & (src ^ dst)) & sb) f |= kFlagOF;
        return f;
    }
    case 2:    // SUB
    case 3: {  // SBB
        uint64_t bin = group == 3 ? (env->cc_src2 & 1) : 0;
        uint64_t src1 = (dst + src + bin) & m;
        bool cf = bin ? src1 <= src : src1 < src;
        if (cf) f |= kFlagCF;
        if ((dst ^ src1 ^ src) & 0x10) f |= kFlagAF;
        if (((src1 ^ src) & (src1 ^ dst)) & sb) f |= kFlagOF;
        return f;
    }
    case 4:   // logic
        return f;
    case 5:   // INC: src = old CF
        f |= env->cc_src & kFlagCF;
        if (dst == sb) f |= kFlagOF;
        if ((dst & 0xf) == 0) f |= kFlagAF;
        return f;
    case 6:   // DEC
        f |= env->cc_src & kFlagCF;
        if (dst == sb - 1) f |= kFlagOF;
        if ((dst & 0xf) == 0xf) f |= kFlagAF;
        return f;
    case 7:   // SHL: src = value << (count - 1)
        if (src & sb) f |= kFlagCF;
        if (((dst ^ src) & sb)) f |= kFlagOF;   // OF = MSB(result) ^ CF
        return f;
    case 8:   // SAR: src = value >> (count - 1)
        f |= src & 1;
        return f;
    case 9:   // SHR: OF = MSB of the original operand, kept in cc_src2
        f |= src & 1;
        if (env->cc_src2 & sb) f |= kFlagOF;
        return f;
    case 10:  // MUL/IMUL
        if (env->cc_src) f |= kFlagCF | kFlagOF;
        return f;
    }
    return f;
}

uint32_t compute_cf(const CpuState* env) { return compute_arith_flags(env) & kFlagCF; }

uint32_t get_eflags(const CpuState* env) {
    return (env->eflags & ~(kFlagsArith | kFlagDF)) | compute_arith_flags(env) |
           (static_cast<int32_t>(env->df) < 0 ? kFlagDF : 0) | kFlagFixed1;
}

void set_eflags(CpuState* env, uint32_t value, uint32_t mask) {
    uint32_t cur = get_eflags(env);
    uint32_t v = (cur & ~mask) | (value & mask);
    env->cc_op = kCcOpEflags;
    env->cc_src = v & kFlagsArith;
    env->df = (v & kFlagDF) ? ~0u : 1u;
    env->eflags = (v & ~(kFlagsArith | kFlagDF)) | kFlagFixed1;
    update_hflags(env);
}

}  // namespace mimic::x86
