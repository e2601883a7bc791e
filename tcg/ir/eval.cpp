#include "eval.h"

namespace mimic::tcg {

namespace {

inline uint64_t rotl(uint64_t v, unsigned n, unsigned bits) {
    n &= bits - 1;
    uint64_t mask = bits == 64 ? ~0ull : (1ull << bits) - 1;
    v &= mask;
    return n == 0 ? v : ((v << n) | (v >> (bits - n))) & mask;
}

inline int64_t sext(uint64_t v, unsigned bits) {
    return bits == 64 ? static_cast<int64_t>(v) : static_cast<int64_t>(v << (64 - bits)) >> (64 - bits);
}

inline uint64_t field_mask(unsigned len) { return len >= 64 ? ~0ull : (1ull << len) - 1; }

}  // namespace

bool eval_pure(const Inst& inst, const uint64_t* in, uint64_t* out) {
    const OpInfo& info = op_info(inst.op);
    if (!(info.flags & kPure)) return false;
    // Width of the result (conversions are handled explicitly below).
    const unsigned bits = info.outputs[0] == 'i' ? 32 : 64;
    const uint64_t mask = bits == 32 ? 0xffffffffull : ~0ull;
    const uint64_t a = in[0] & (info.inputs[0] == 'i' ? 0xffffffffull : ~0ull);
    const uint64_t b = info.inputs.size() > 1 ? in[1] & mask : 0;
    const int64_t sa = sext(a, bits), sb = sext(b, bits);
    const int64_t smin = bits == 32 ? INT32_MIN : INT64_MIN;
    uint64_t r = 0;

    switch (inst.op) {
#define BOTH(name) case Opcode::name##_i32: case Opcode::name##_i64
    BOTH(mov): r = a; break;
    BOTH(add): r = a + b; break;
    BOTH(sub): r = a - b; break;
    BOTH(mul): r = a * b; break;
    BOTH(and): r = a & b; break;
    BOTH(or): r = a | b; break;
    BOTH(xor): r = a ^ b; break;
    BOTH(andc): r = a & ~b; break;
    BOTH(shl): r = a << (b & (bits - 1)); break;
    BOTH(shr): r = a >> (b & (bits - 1)); break;
    BOTH(sar): r = static_cast<uint64_t>(sa >> (b & (bits - 1))); break;
    BOTH(rotl): r = rotl(a, static_cast<unsigned>(b), bits); break;
    BOTH(rotr): r = rotl(a, bits - static_cast<unsigned>(b & (bits - 1)), bits); break;
    BOTH(neg): r = 0 - a; break;
    BOTH(not): r = ~a; break;
    BOTH(div):
        if (b == 0 || (sa == smin && sb == -1)) return false;
        r = static_cast<uint64_t>(sa / sb);
        break;
    BOTH(rem):
        if (b == 0 || (sa == smin && sb == -1)) return false;
        r = static_cast<uint64_t>(sa % sb);
        break;
    BOTH(divu):
        if (b == 0) return false;
        r = a / b;
        break;
    BOTH(remu):
        if (b == 0) return false;
        r = a % b;
        break;
    case Opcode::muluh_i32: r = (a * b) >> 32; break;
    case Opcode::mulsh_i32: r = static_cast<uint64_t>(sa * sb) >> 32; break;
    case Opcode::muluh_i64: r = static_cast<uint64_t>((static_cast<unsigned __int128>(a) * b) >> 64); break;
    case Opcode::mulsh_i64: r = static_cast<uint64_t>((static_cast<__int128>(sa) * sb) >> 64); break;
    case Opcode::mulu2_i32: out[0] = (a * b) & mask; out[1] = (a * b) >> 32; return true;
    case Opcode::muls2_i32: {
        uint64_t p = static_cast<uint64_t>(sa * sb);
        out[0] = p & mask;
        out[1] = p >> 32;
        return true;
    }
    case Opcode::mulu2_i64: {
        unsigned __int128 p = static_cast<unsigned __int128>(a) * b;
        out[0] = static_cast<uint64_t>(p);
        out[1] = static_cast<uint64_t>(p >> 64);
        return true;
    }
    case Opcode::muls2_i64: {
        __int128 p = static_cast<__int128>(sa) * sb;
        out[0] = static_cast<uint64_t>(p);
        out[1] = static_cast<uint64_t>(static_cast<unsigned __int128>(p) >> 64);
        return true;
    }
    BOTH(add2):
    BOTH(sub2): {
        // Double-word arithmetic on (hi:lo) pairs of `bits` each.
        uint64_t al = in[0] & mask, ah = in[1] & mask, bl = in[2] & mask, bh = in[3] & mask;
        bool add = inst.op == Opcode::add2_i32 || inst.op == Opcode::add2_i64;
        uint64_t lo = (add ? al + bl : al - bl) & mask;
        uint64_t carry = add ? (lo < al) : (al < bl);
        uint64_t hi = add ? ah + bh + carry : ah - bh - carry;
        out[0] = lo;
        out[1] = hi & mask;
        return true;
    }
    BOTH(clz): r = a == 0 ? b : static_cast<uint64_t>(__builtin_clzll(a) - (64 - bits)); break;
    BOTH(ctz): r = a == 0 ? b : static_cast<uint64_t>(__builtin_ctzll(a)); break;
    BOTH(ctpop): r = static_cast<uint64_t>(__builtin_popcountll(a)); break;
    BOTH(bswap16): r = __builtin_bswap16(static_cast<uint16_t>(a)); break;
    BOTH(bswap32): r = __builtin_bswap32(static_cast<uint32_t>(a)); break;
    case Opcode::bswap64_i64: r = __builtin_bswap64(a); break;
    BOTH(ext8s): r = static_cast<uint64_t>(sext(a, 8)); break;
    BOTH(ext8u): r = a & 0xff; break;
    BOTH(ext16s): r = static_cast<uint64_t>(sext(a, 16)); break;
    BOTH(ext16u): r = a & 0xffff; break;
    case Opcode::ext32s_i64: r = static_cast<uint64_t>(sext(a, 32)); break;
    case Opcode::ext32u_i64: r = a & 0xffffffff; break;
    BOTH(deposit): {
        unsigned pos = static_cast<unsigned>(inst.cst(0)), len = static_cast<unsigned>(inst.cst(1));
        uint64_t fm = field_mask(len) << pos;
        r = (a & ~fm) | ((b << pos) & fm);
        break;
    }
    BOTH(extract): {
        unsigned pos = static_cast<unsigned>(inst.cst(0)), len = static_cast<unsigned>(inst.cst(1));
        r = (a >> pos) & field_mask(len);
        break;
    }
    BOTH(sextract): {
        unsigned pos = static_cast<unsigned>(inst.cst(0)), len = static_cast<unsigned>(inst.cst(1));
        r = static_cast<uint64_t>(sext((a >> pos) & field_mask(len), len));
        break;
    }
    BOTH(setcond):
        r = cond_eval(static_cast<Cond>(inst.cst(0)), bits == 32 ? Type::I32 : Type::I64, a, b);
        break;
    BOTH(movcond):
        r = cond_eval(static_cast<Cond>(inst.cst(0)), bits == 32 ? Type::I32 : Type::I64, a, b) ? in[2] : in[3];
        break;
    case Opcode::ext_i32_i64: r = static_cast<uint64_t>(sext(a, 32)); break;
    case Opcode::extu_i32_i64: r = a; break;
    case Opcode::extrl_i64_i32: r = a; break;
    case Opcode::extrh_i64_i32: r = a >> 32; break;
#undef BOTH
    default: return false;
    }
    out[0] = r & mask;
    return true;
}

}  // namespace mimic::tcg
