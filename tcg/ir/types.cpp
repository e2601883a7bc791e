#include "mimic/tcg/types.h"

namespace mimic::tcg {

const char* cond_name(Cond c) {
    static const char* const kNames[] = {"eq",  "ne",  "lt",  "le",  "gt",    "ge",
                                         "ltu", "leu", "gtu", "geu", "tsteq", "tstne"};
    return kNames[static_cast<unsigned>(c)];
}

Cond cond_invert(Cond c) {
    switch (c) {
    case Cond::Eq: return Cond::Ne;
    case Cond::Ne: return Cond::Eq;
    case Cond::Lt: return Cond::Ge;
    case Cond::Ge: return Cond::Lt;
    case Cond::Le: return Cond::Gt;
    case Cond::Gt: return Cond::Le;
    case Cond::Ltu: return Cond::Geu;
    case Cond::Geu: return Cond::Ltu;
    case Cond::Leu: return Cond::Gtu;
    case Cond::Gtu: return Cond::Leu;
    case Cond::TstEq: return Cond::TstNe;
    case Cond::TstNe: return Cond::TstEq;
    }
    return c;
}

Cond cond_swap(Cond c) {
    switch (c) {
    case Cond::Lt: return Cond::Gt;
    case Cond::Gt: return Cond::Lt;
    case Cond::Le: return Cond::Ge;
    case Cond::Ge: return Cond::Le;
    case Cond::Ltu: return Cond::Gtu;
    case Cond::Gtu: return Cond::Ltu;
    case Cond::Leu: return Cond::Geu;
    case Cond::Geu: return Cond::Leu;
    default: return c;   // symmetric
    }
}

bool cond_eval(Cond c, Type t, uint64_t a, uint64_t b) {
    a &= type_mask(t);
    b &= type_mask(t);
    // Signed comparisons on the sign-extended values.
    int64_t sa = t == Type::I32 ? static_cast<int32_t>(a) : static_cast<int64_t>(a);
    int64_t sb = t == Type::I32 ? static_cast<int32_t>(b) : static_cast<int64_t>(b);
    switch (c) {
    case Cond::Eq: return a == b;
    case Cond::Ne: return a != b;
    case Cond::Lt: return sa < sb;
    case Cond::Le: return sa <= sb;
    case Cond::Gt: return sa > sb;
    case Cond::Ge: return sa >= sb;
    case Cond::Ltu: return a < b;
    case Cond::Leu: return a <= b;
    case Cond::Gtu: return a > b;
    case Cond::Geu: return a >= b;
    case Cond::TstEq: return (a & b) == 0;
    case Cond::TstNe: return (a & b) != 0;
    }
    return false;
}

uint64_t memop_bswap(MemOp m, uint64_t raw) {
    if (!(m & kMoBigEndian)) return raw;
    switch (m & kMoSizeMask) {
    case kMo16: return __builtin_bswap16(static_cast<uint16_t>(raw));
    case kMo32: return __builtin_bswap32(static_cast<uint32_t>(raw));
    case kMo64: return __builtin_bswap64(raw);
    default: return raw & 0xff;
    }
}

uint64_t memop_extend(MemOp m, uint64_t value) {
    unsigned bits = memop_size(m) * 8;
    if (bits == 64) return value;
    uint64_t mask = (1ull << bits) - 1;
    value &= mask;
    if ((m & kMoSign) && (value >> (bits - 1)) & 1) value |= ~mask;
    return value;
}

}  // namespace mimic::tcg
