// Random-operand property tests: every arithmetic, logic, shift, bit-field,
// conversion and compare op, at both widths, on both back ends, against C++
// reference semantics written independently of the IR's evaluator.
#include <functional>
#include <random>

#include "harness.h"

namespace mimic::tcg::test {
namespace {

constexpr int kCases = 1500;

struct Rng {
    std::mt19937_64 gen{0x5eed1234};
    uint64_t operand(unsigned bits) {
        static const uint64_t kSpecial[] = {0, 1, 2, ~0ull, 0x7fffffffffffffffull, 0x8000000000000000ull,
                                            0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ull, 31, 32, 63, 64};
        uint64_t v;
        switch (gen() % 4) {
        case 0: v = kSpecial[gen() % std::size(kSpecial)]; break;
        case 1: v = gen() % 80; break;
        default: v = gen(); break;
        }
        return bits == 32 ? v & 0xffffffff : v;
    }
};

uint64_t mask(unsigned bits) { return bits == 32 ? 0xffffffffull : ~0ull; }
int64_t sx(uint64_t v, unsigned bits) { return bits == 32 ? int64_t(int32_t(uint32_t(v))) : int64_t(v); }

using Ref2 = std::function<uint64_t(uint64_t, uint64_t, unsigned)>;

struct BinOp {
    const char* name;
    Opcode op32, op64;
    Ref2 ref;
    bool division = false;
};

uint64_t rotl_ref(uint64_t a, unsigned n, unsigned bits) {
    n %= bits;
    if (n == 0) return a;
    return ((a << n) | (a >> (bits - n))) & mask(bits);
}

const BinOp kBinOps[] = {
    {"add", Opcode::add_i32, Opcode::add_i64, [](uint64_t a, uint64_t b, unsigned) { return a + b; }},
    {"sub", Opcode::sub_i32, Opcode::sub_i64, [](uint64_t a, uint64_t b, unsigned) { return a - b; }},
    {"mul", Opcode::mul_i32, Opcode::mul_i64, [](uint64_t a, uint64_t b, unsigned) { return a * b; }},
    {"and", Opcode::and_i32, Opcode::and_i64, [](uint64_t a, uint64_t b, unsigned) { return a & b; }},
    {"or", Opcode::or_i32, Opcode::or_i64, [](uint64_t a, uint64_t b, unsigned) { return a | b; }},
    {"xor", Opcode::xor_i32, Opcode::xor_i64, [](uint64_t a, uint64_t b, unsigned) { return a ^ b; }},
    {"andc", Opcode::andc_i32, Opcode::andc_i64, [](uint64_t a, uint64_t b, unsigned) { return a & ~b; }},
    {"shl", Opcode::shl_i32, Opcode::shl_i64, [](uint64_t a, uint64_t b, unsigned w) { return a << (b % w); }},
    {"shr", Opcode::shr_i32, Opcode::shr_i64, [](uint64_t a, uint64_t b, unsigned w) { return a >> (b % w); }},
    {"sar", Opcode::sar_i32, Opcode::sar_i64,
     [](uint64_t a, uint64_t b, unsigned w) { return uint64_t(sx(a, w) >> (b % w)); }},
    {"rotl", Opcode::rotl_i32, Opcode::rotl_i64,
     [](uint64_t a, uint64_t b, unsigned w) { return rotl_ref(a, unsigned(b % w), w); }},
    {"rotr", Opcode::rotr_i32, Opcode::rotr_i64,
     [](uint64_t a, uint64_t b, unsigned w) { return rotl_ref(a, unsigned((w - b % w) % w), w); }},
    {"div", Opcode::div_i32, Opcode::div_i64,
     [](uint64_t a, uint64_t b, unsigned w) { return uint64_t(sx(a, w) / sx(b, w)); }, true},
    {"divu", Opcode::divu_i32, Opcode::divu_i64, [](uint64_t a, uint64_t b, unsigned) { return a / b; }, true},
    {"rem", Opcode::rem_i32, Opcode::rem_i64,
     [](uint64_t a, uint64_t b, unsigned w) { return uint64_t(sx(a, w) % sx(b, w)); }, true},
    {"remu", Opcode::remu_i32, Opcode::remu_i64, [](uint64_t a, uint64_t b, unsigned) { return a % b; }, true},
    {"muluh", Opcode::muluh_i32, Opcode::muluh_i64,
     [](uint64_t a, uint64_t b, unsigned w) {
         return uint64_t((static_cast<unsigned __int128>(a) * b) >> w);
     }},
    {"mulsh", Opcode::mulsh_i32, Opcode::mulsh_i64,
     [](uint64_t a, uint64_t b, unsigned w) {
         return uint64_t(static_cast<unsigned __int128>(static_cast<__int128>(sx(a, w)) * sx(b, w)) >> w);
     }},
    {"clz", Opcode::clz_i32, Opcode::clz_i64,
     [](uint64_t a, uint64_t b, unsigned w) {
         if (a == 0) return b;
         unsigned n = 0;
         for (int i = int(w) - 1; i >= 0 && !((a >> i) & 1); --i) ++n;
         return uint64_t(n);
     }},
    {"ctz", Opcode::ctz_i32, Opcode::ctz_i64,
     [](uint64_t a, uint64_t b, unsigned) {
         if (a == 0) return b;
         unsigned n = 0;
         while (!((a >> n) & 1)) ++n;
         return uint64_t(n);
     }},
};

bool division_invalid(uint64_t a, uint64_t b, unsigned w) {
    if (b == 0) return true;
    int64_t smin = w == 32 ? INT32_MIN : INT64_MIN;
    return sx(a, w) == smin && sx(b, w) == -1;
}

// Globals used as operands: width 32 -> e0, e1 -> e2; width 64 -> r0, r1 -> r2.
struct Operands {
    uint32_t a, b, d;
};
Operands operands(const Harness& h, unsigned w) {
    return w == 32 ? Operands{h.e[0].idx, h.e[1].idx, h.e[2].idx} : Operands{h.r[0].idx, h.r[1].idx, h.r[2].idx};
}

void set_in(FakeCpu& cpu, unsigned w, int i, uint64_t v) {
    if (w == 32) {
        cpu.e[i] = uint32_t(v);
    } else {
        cpu.r[i] = v;
    }
}
uint64_t get_out(const FakeCpu& cpu, unsigned w, int i) { return w == 32 ? cpu.e[i] : cpu.r[i]; }

class OpsTest : public ::testing::Test {
protected:
    Harness h;
    BothBackends be;
    Rng rng;
};

TEST_F(OpsTest, BinaryOpsRegisterOperands) {
    for (const BinOp& op : kBinOps) {
        for (unsigned w : {32u, 64u}) {
            Block block(h.g);
            Builder b(block);
            Operands o = operands(h, w);
            b.emit(w == 32 ? op.op32 : op.op64, {o.d, o.a, o.b});
            b.exit_tb(0);
            CompiledPair pair(be, block);
            for (int i = 0; i < kCases; ++i) {
                uint64_t x = rng.operand(w), y = rng.operand(w);
                if (op.division && division_invalid(x, y, w)) continue;
                uint64_t want = op.ref(x, y, w) & mask(w);
                for (int k = 0; k < 2; ++k) {
                    FakeCpu cpu;
                    set_in(cpu, w, 0, x);
                    set_in(cpu, w, 1, y);
                    be.be[k]->exec(&cpu, pair.tb[k]);
                    ASSERT_EQ(get_out(cpu, w, 2), want) << op.name << w << " " << backend_name(k) << std::hex
                                                        << " a=0x" << x << " b=0x" << y;
                }
            }
        }
    }
}

TEST_F(OpsTest, BinaryOpsConstantOperands) {
    // Constants exercise the immediate forms; a shared input checks aliasing.
    for (const BinOp& op : kBinOps) {
        for (unsigned w : {32u, 64u}) {
            for (int c = 0; c < 40; ++c) {
                uint64_t y = rng.operand(w);
                if (op.division && y == 0) y = 3;
                Block block(h.g);
                Builder b(block);
                Operands o = operands(h, w);
                uint32_t cy = block.new_const(w == 32 ? Type::I32 : Type::I64, y);
                b.emit(w == 32 ? op.op32 : op.op64, {o.d, o.a, cy});
                // Also d' = a op a into the fourth global.
                uint32_t d2 = w == 32 ? h.e[3].idx : h.r[3].idx;
                b.emit(w == 32 ? op.op32 : op.op64, {d2, o.a, o.a});
                b.exit_tb(0);
                CompiledPair pair(be, block);
                for (int i = 0; i < 30; ++i) {
                    uint64_t x = rng.operand(w);
                    bool ok1 = !(op.division && division_invalid(x, y, w));
                    bool ok2 = !(op.division && division_invalid(x, x, w));
                    if (!ok1 || !ok2) continue;
                    for (int k = 0; k < 2; ++k) {
                        FakeCpu cpu;
                        set_in(cpu, w, 0, x);
                        be.be[k]->exec(&cpu, pair.tb[k]);
                        ASSERT_EQ(get_out(cpu, w, 2), op.ref(x, y, w) & mask(w))
                            << op.name << w << " " << backend_name(k) << std::hex << " a=0x" << x << " imm=0x" << y;
                        ASSERT_EQ(get_out(cpu, w, 3), op.ref(x, x, w) & mask(w))
                            << op.name << w << " (a,a) " << backend_name(k) << std::hex << " a=0x" << x;
                    }
                }
            }
        }
    }
}

struct UnOp {
    const char* name;
    Opcode op;
    unsigned in_bits, out_bits;
    std::function<uint64_t(uint64_t)> ref;
};

const UnOp kUnOps[] = {
    {"neg32", Opcode::neg_i32, 32, 32, [](uint64_t a) { return -a; }},
    {"neg64", Opcode::neg_i64, 64, 64, [](uint64_t a) { return -a; }},
    {"not32", Opcode::not_i32, 32, 32, [](uint64_t a) { return ~a; }},
    {"not64", Opcode::not_i64, 64, 64, [](uint64_t a) { return ~a; }},
    {"ctpop32", Opcode::ctpop_i32, 32, 32, [](uint64_t a) { return uint64_t(__builtin_popcountll(a)); }},
    {"ctpop64", Opcode::ctpop_i64, 64, 64, [](uint64_t a) { return uint64_t(__builtin_popcountll(a)); }},
    {"bswap16_32", Opcode::bswap16_i32, 32, 32, [](uint64_t a) { return ((a & 0xff) << 8) | ((a >> 8) & 0xff); }},
    {"bswap16_64", Opcode::bswap16_i64, 64, 64, [](uint64_t a) { return ((a & 0xff) << 8) | ((a >> 8) & 0xff); }},
    {"bswap32_32", Opcode::bswap32_i32, 32, 32,
     [](uint64_t a) {
         uint64_t r = 0;
         for (int i = 0; i < 4; ++i) r |= ((a >> (8 * i)) & 0xff) << (8 * (3 - i));
         return r;
     }},
    {"bswap32_64", Opcode::bswap32_i64, 64, 64,
     [](uint64_t a) {
         uint64_t r = 0;
         for (int i = 0; i < 4; ++i) r |= ((a >> (8 * i)) & 0xff) << (8 * (3 - i));
         return r;
     }},
    {"bswap64", Opcode::bswap64_i64, 64, 64,
     [](uint64_t a) {
         uint64_t r = 0;
         for (int i = 0; i < 8; ++i) r |= ((a >> (8 * i)) & 0xff) << (8 * (7 - i));
         return r;
     }},
    {"ext8s_32", Opcode::ext8s_i32, 32, 32, [](uint64_t a) { return uint64_t(int64_t(int8_t(a))); }},
    {"ext8s_64", Opcode::ext8s_i64, 64, 64, [](uint64_t a) { return uint64_t(int64_t(int8_t(a))); }},
    {"ext8u_32", Opcode::ext8u_i32, 32, 32, [](uint64_t a) { return a & 0xff; }},
    {"ext8u_64", Opcode::ext8u_i64, 64, 64, [](uint64_t a) { return a & 0xff; }},
    {"ext16s_32", Opcode::ext16s_i32, 32, 32, [](uint64_t a) { return uint64_t(int64_t(int16_t(a))); }},
    {"ext16s_64", Opcode::ext16s_i64, 64, 64, [](uint64_t a) { return uint64_t(int64_t(int16_t(a))); }},
    {"ext16u_32", Opcode::ext16u_i32, 32, 32, [](uint64_t a) { return a & 0xffff; }},
    {"ext16u_64", Opcode::ext16u_i64, 64, 64, [](uint64_t a) { return a & 0xffff; }},
    {"ext32s_64", Opcode::ext32s_i64, 64, 64, [](uint64_t a) { return uint64_t(int64_t(int32_t(a))); }},
    {"ext32u_64", Opcode::ext32u_i64, 64, 64, [](uint64_t a) { return a & 0xffffffff; }},
    {"ext_i32_i64", Opcode::ext_i32_i64, 32, 64, [](uint64_t a) { return uint64_t(int64_t(int32_t(a))); }},
    {"extu_i32_i64", Opcode::extu_i32_i64, 32, 64, [](uint64_t a) { return a; }},
    {"extrl_i64_i32", Opcode::extrl_i64_i32, 64, 32, [](uint64_t a) { return a & 0xffffffff; }},
    {"extrh_i64_i32", Opcode::extrh_i64_i32, 64, 32, [](uint64_t a) { return a >> 32; }},
    {"mov32", Opcode::mov_i32, 32, 32, [](uint64_t a) { return a; }},
    {"mov64", Opcode::mov_i64, 64, 64, [](uint64_t a) { return a; }},
};

TEST_F(OpsTest, UnaryOps) {
    for (const UnOp& op : kUnOps) {
        Block block(h.g);
        Builder b(block);
        uint32_t a = op.in_bits == 32 ? h.e[0].idx : h.r[0].idx;
        uint32_t d = op.out_bits == 32 ? h.e[2].idx : h.r[2].idx;
        b.emit(op.op, {d, a});
        b.exit_tb(0);
        CompiledPair pair(be, block);
        for (int i = 0; i < kCases; ++i) {
            uint64_t x = rng.operand(op.in_bits);
            for (int k = 0; k < 2; ++k) {
                FakeCpu cpu;
                set_in(cpu, op.in_bits, 0, x);
                // Garbage in the destination must not leak into the result.
                set_in(cpu, op.out_bits, 2, 0xdeadbeefcafef00dull);
                be.be[k]->exec(&cpu, pair.tb[k]);
                ASSERT_EQ(get_out(cpu, op.out_bits, 2), op.ref(x) & mask(op.out_bits))
                    << op.name << " " << backend_name(k) << std::hex << " a=0x" << x;
            }
        }
    }
}

TEST_F(OpsTest, DoubleWordOps) {
    for (unsigned w : {32u, 64u}) {
        bool wide = w == 64;
        Block block(h.g);
        Builder b(block);
        if (wide) {
            b.mulu2(h.r[4], h.r[5], h.r[0], h.r[1]);
            b.muls2(h.r[6], h.r[7], h.r[0], h.r[1]);
            b.add2(h.r[8], h.r[9], h.r[0], h.r[1], h.r[2], h.r[3]);
            b.sub2(h.r[10], h.r[11], h.r[0], h.r[1], h.r[2], h.r[3]);
        } else {
            // Only eight I32 globals: products to r4..r7 via extensions.
            I32 lo = b.temp_i32(), hi = b.temp_i32();
            b.mulu2(lo, hi, h.e[0], h.e[1]);
            b.extu_i32_i64(h.r[4], lo);
            b.extu_i32_i64(h.r[5], hi);
            b.muls2(lo, hi, h.e[0], h.e[1]);
            b.extu_i32_i64(h.r[6], lo);
            b.extu_i32_i64(h.r[7], hi);
            b.add2(h.e[4], h.e[5], h.e[0], h.e[1], h.e[2], h.e[3]);
            b.sub2(h.e[6], h.e[7], h.e[0], h.e[1], h.e[2], h.e[3]);
        }
        b.exit_tb(0);
        CompiledPair pair(be, block);
        for (int i = 0; i < kCases; ++i) {
            uint64_t v[4];
            for (auto& x : v) x = rng.operand(w);
            using u128 = unsigned __int128;
            u128 pu = u128(v[0]) * v[1];
            u128 ps = u128(static_cast<__int128>(sx(v[0], w)) * sx(v[1], w));
            u128 A = (u128(v[1]) << w) | v[0], B = (u128(v[3]) << w) | v[2];
            u128 sum = A + B, diff = A - B;
            for (int k = 0; k < 2; ++k) {
                FakeCpu cpu;
                for (int j = 0; j < 4; ++j) set_in(cpu, w, j, v[j]);
                be.be[k]->exec(&cpu, pair.tb[k]);
                const char* n = backend_name(k);
                ASSERT_EQ(cpu.r[4], uint64_t(pu) & mask(w)) << n;
                ASSERT_EQ(cpu.r[5], uint64_t(pu >> w) & mask(w)) << n;
                ASSERT_EQ(cpu.r[6], uint64_t(ps) & mask(w)) << n;
                ASSERT_EQ(cpu.r[7], uint64_t(ps >> w) & mask(w)) << n;
                if (wide) {
                    ASSERT_EQ(cpu.r[8], uint64_t(sum)) << n;
                    ASSERT_EQ(cpu.r[9], uint64_t(sum >> 64)) << n;
                    ASSERT_EQ(cpu.r[10], uint64_t(diff)) << n;
                    ASSERT_EQ(cpu.r[11], uint64_t(diff >> 64)) << n;
                } else {
                    ASSERT_EQ(cpu.e[4], uint32_t(sum)) << n;
                    ASSERT_EQ(cpu.e[5], uint32_t(sum >> 32)) << n;
                    ASSERT_EQ(cpu.e[6], uint32_t(diff)) << n;
                    ASSERT_EQ(cpu.e[7], uint32_t(diff >> 32)) << n;
                }
            }
        }
    }
}

TEST_F(OpsTest, BitFields) {
    for (unsigned w : {32u, 64u}) {
        for (int c = 0; c < 60; ++c) {
            unsigned len = 1 + unsigned(rng.gen() % w);
            unsigned pos = unsigned(rng.gen() % (w - len + 1));
            Operands o = operands(h, w);
            Block block(h.g);
            Builder b(block);
            uint32_t d2 = w == 32 ? h.e[3].idx : h.r[3].idx, d3 = w == 32 ? h.e[4].idx : h.r[4].idx;
            b.emit(w == 32 ? Opcode::deposit_i32 : Opcode::deposit_i64, {o.d, o.a, o.b, pos, len});
            b.emit(w == 32 ? Opcode::extract_i32 : Opcode::extract_i64, {d2, o.a, pos, len});
            b.emit(w == 32 ? Opcode::sextract_i32 : Opcode::sextract_i64, {d3, o.a, pos, len});
            b.exit_tb(0);
            CompiledPair pair(be, block);
            uint64_t field = len == 64 ? ~0ull : (1ull << len) - 1;
            for (int i = 0; i < 40; ++i) {
                uint64_t x = rng.operand(w), y = rng.operand(w);
                uint64_t dep = ((x & ~(field << pos)) | ((y & field) << pos)) & mask(w);
                uint64_t ext = (x >> pos) & field;
                uint64_t sext = ((ext >> (len - 1)) & 1) ? (ext | ~field) & mask(w) : ext;
                for (int k = 0; k < 2; ++k) {
                    FakeCpu cpu;
                    set_in(cpu, w, 0, x);
                    set_in(cpu, w, 1, y);
                    be.be[k]->exec(&cpu, pair.tb[k]);
                    ASSERT_EQ(get_out(cpu, w, 2), dep) << backend_name(k) << " deposit pos " << pos << " len " << len;
                    ASSERT_EQ(get_out(cpu, w, 3), ext) << backend_name(k) << " extract pos " << pos << " len " << len;
                    ASSERT_EQ(get_out(cpu, w, 4), sext) << backend_name(k) << " sextract pos " << pos << " len " << len;
                }
            }
        }
    }
}

bool cond_ref(Cond c, uint64_t a, uint64_t b, unsigned w) {
    int64_t sa = sx(a, w), sb = sx(b, w);
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

TEST_F(OpsTest, Comparisons) {
    // setcond, movcond and brcond for every condition, register and immediate.
    for (unsigned w : {32u, 64u}) {
        for (unsigned ci = 0; ci < kNumConds; ++ci) {
            Cond c = static_cast<Cond>(ci);
            for (bool imm : {false, true}) {
                uint64_t y_imm = rng.operand(w);
                Block block(h.g);
                Builder b(block);
                Operands o = operands(h, w);
                Type t = w == 32 ? Type::I32 : Type::I64;
                uint32_t bop = imm ? block.new_const(t, y_imm) : o.b;
                uint32_t d3 = w == 32 ? h.e[3].idx : h.r[3].idx, tv = w == 32 ? h.e[4].idx : h.r[4].idx,
                         fv = w == 32 ? h.e[5].idx : h.r[5].idx;
                b.emit(w == 32 ? Opcode::setcond_i32 : Opcode::setcond_i64, {o.d, o.a, bop, ci});
                b.emit(w == 32 ? Opcode::movcond_i32 : Opcode::movcond_i64, {d3, o.a, bop, tv, fv, ci});
                Label taken = b.new_label();
                b.emit(w == 32 ? Opcode::brcond_i32 : Opcode::brcond_i64, {o.a, bop, ci, taken.id});
                b.exit_tb(1);
                b.set_label(taken);
                b.exit_tb(2);
                CompiledPair pair(be, block);
                for (int i = 0; i < 300; ++i) {
                    uint64_t x = rng.operand(w), y = imm ? y_imm : rng.operand(w);
                    if (rng.gen() % 4 == 0) x = y;   // equality matters for every condition
                    bool want = cond_ref(c, x, y, w);
                    for (int k = 0; k < 2; ++k) {
                        FakeCpu cpu;
                        set_in(cpu, w, 0, x);
                        set_in(cpu, w, 1, y);
                        set_in(cpu, w, 4, 0x1111);
                        set_in(cpu, w, 5, 0x2222);
                        uintptr_t ret = be.be[k]->exec(&cpu, pair.tb[k]);
                        ASSERT_EQ(get_out(cpu, w, 2), want ? 1u : 0u)
                            << "setcond " << cond_name(c) << w << " " << backend_name(k) << std::hex << " " << x << " " << y;
                        ASSERT_EQ(get_out(cpu, w, 3), want ? 0x1111u : 0x2222u)
                            << "movcond " << cond_name(c) << w << " " << backend_name(k);
                        ASSERT_EQ(ret, want ? 2u : 1u) << "brcond " << cond_name(c) << w << " " << backend_name(k);
                    }
                }
            }
        }
    }
}

// Many values alive at once force the allocator to spill and reload.
TEST_F(OpsTest, RegisterPressure) {
    Block block(h.g);
    Builder b(block);
    std::vector<I64> t;
    for (int i = 0; i < 40; ++i) t.push_back(b.add(h.r[i % 8], uint64_t(i * 0x1234567)));
    I64 acc = b.temp_i64();
    b.movi(acc, 0);
    for (int i = 0; i < 40; ++i) {
        b.mul(acc, acc, uint64_t(31));
        b.xor_(acc, acc, t[i]);
        b.divu(h.r[9], acc, t[(i + 3) % 40]);   // touches rax/rdx
        b.shl(h.r[10], acc, h.r[(i % 8)]);      // touches rcx
    }
    b.mov(h.r[15], acc);
    b.exit_tb(0);
    CompiledPair pair(be, block);
    for (int i = 0; i < 200; ++i) {
        FakeCpu cpu[2];
        for (int j = 0; j < 8; ++j) cpu[0].r[j] = cpu[1].r[j] = rng.operand(64) | 1;
        for (int k = 0; k < 2; ++k) be.be[k]->exec(&cpu[k], pair.tb[k]);
        uint64_t ref_t[40], acc_ref = 0;
        for (int j = 0; j < 40; ++j) ref_t[j] = cpu[1].r[j % 8] + uint64_t(j * 0x1234567);
        for (int j = 0; j < 40; ++j) acc_ref = (acc_ref * 31) ^ ref_t[j];
        ASSERT_EQ(cpu[1].r[15], acc_ref);
        ASSERT_EQ(0, std::memcmp(cpu[0].r, cpu[1].r, sizeof(cpu[0].r)));
    }
}

}  // namespace
}  // namespace mimic::tcg::test
