// Differential fuzzing: random blocks mixing every kind of op (both widths,
// conversions, bit fields, double-word ops, helper calls, env and guest
// memory, branches) run on the JIT and the interpreter, optimized and not;
// all four must end in the same state. Fixed seed, bounded count.
#include <csetjmp>
#include <cstdlib>
#include <random>

#include "harness.h"
#include "mimic/tcg/printer.h"

namespace mimic::tcg::test {
namespace {

constexpr uint64_t kRam = 0x40000;
alignas(4096) uint8_t g_ram[2][4096];   // one RAM image per run (reset each time)
uint8_t* g_cur_ram = nullptr;

uint64_t fuzz_load_slow(void*, uint64_t vaddr, MemOp m, unsigned, uintptr_t) {
    uint64_t v = 0;
    for (unsigned i = 0; i < memop_size(m); ++i) {
        uint64_t a = vaddr + i;
        uint8_t byte = (a >= kRam && a < kRam + 4096) ? g_cur_ram[a - kRam] : uint8_t(a * 7);
        v |= uint64_t(byte) << (8 * i);
    }
    return memop_bswap(m, v);
}
void fuzz_store_slow(void*, uint64_t vaddr, uint64_t value, MemOp m, unsigned, uintptr_t) {
    value = memop_bswap(m, value);
    for (unsigned i = 0; i < memop_size(m); ++i) {
        uint64_t a = vaddr + i;
        if (a >= kRam && a < kRam + 4096) g_cur_ram[a - kRam] = uint8_t(value >> (8 * i));
    }
}

uint64_t helper_mix(uint64_t a, uint32_t b, uint64_t c) { return a * 3 + b - (c >> 3); }
const Helper kMix{reinterpret_cast<const void*>(&helper_mix), "mix", kHelperPure};
uint64_t helper_env(FakeCpu* env, uint64_t v) {
    uint64_t old = env->r[3];
    env->r[3] = v ^ env->r[4];
    env->e[2] += 1;
    return old;
}
const Helper kEnv{reinterpret_cast<const void*>(&helper_env), "env", 0};

class Generator {
public:
    Generator(Harness& h, Block& block, std::mt19937_64& gen) : h_(h), blk_(block), b_(block), gen_(gen) {
        for (int i = 0; i < 8; ++i) {
            p64_.push_back(h.r[i].idx);
            p32_.push_back(h.e[i].idx);
        }
        for (int i = 0; i < 5; ++i) {
            I64 t = b_.temp_i64();
            b_.mov(t, h.r[i]);
            p64_.push_back(t.idx);
            I32 u = b_.temp_i32();
            b_.mov(u, h.e[i]);
            p32_.push_back(u.idx);
        }
    }

    void generate(int n) {
        for (int i = 0; i < n; ++i) {
            one();
            for (auto it = pending_.begin(); it != pending_.end();) {
                if (it->first <= i) {
                    b_.set_label(it->second);
                    it = pending_.erase(it);
                } else {
                    ++it;
                }
            }
        }
        for (auto& p : pending_) b_.set_label(p.second);
        b_.exit_tb(0);
    }

private:
    uint64_t rnd(uint64_t n) { return gen_() % n; }
    uint32_t src(bool wide) {
        if (rnd(5) == 0) {
            static const uint64_t kConsts[] = {0, 1, 7, 31, 32, 63, 0xff, 0x80000000, ~0ull, 0x123456789abcdefull};
            return blk_.new_const(wide ? Type::I64 : Type::I32, kConsts[rnd(std::size(kConsts))]);
        }
        auto& p = wide ? p64_ : p32_;
        return p[rnd(p.size())];
    }
    uint32_t dst(bool wide) {
        auto& p = wide ? p64_ : p32_;
        return p[rnd(p.size())];
    }

    void one() {
        static const Opcode kBin32[] = {Opcode::add_i32, Opcode::sub_i32, Opcode::mul_i32,   Opcode::and_i32,
                                        Opcode::or_i32,  Opcode::xor_i32, Opcode::andc_i32,  Opcode::shl_i32,
                                        Opcode::shr_i32, Opcode::sar_i32, Opcode::rotl_i32,  Opcode::rotr_i32,
                                        Opcode::muluh_i32, Opcode::mulsh_i32, Opcode::clz_i32, Opcode::ctz_i32};
        static const Opcode kUn32[] = {Opcode::neg_i32,   Opcode::not_i32,    Opcode::ctpop_i32,  Opcode::bswap16_i32,
                                       Opcode::bswap32_i32, Opcode::ext8s_i32, Opcode::ext8u_i32, Opcode::ext16s_i32,
                                       Opcode::ext16u_i32, Opcode::mov_i32};
        const bool wide = rnd(2);
        // The 64-bit twin of a 32-bit op, by name ("add_i32" -> "add_i64").
        auto w64 = [](Opcode op) {
            std::string name = op_name(op);
            name.replace(name.size() - 2, 2, "64");
            for (unsigned i = 0; i < static_cast<unsigned>(Opcode::kCount); ++i) {
                if (name == op_name(static_cast<Opcode>(i))) return static_cast<Opcode>(i);
            }
            return op;
        };
        switch (rnd(16)) {
        case 0: case 1: case 2: case 3: {
            Opcode op = kBin32[rnd(std::size(kBin32))];
            b_.emit(wide ? w64(op) : op, {dst(wide), src(wide), src(wide)});
            break;
        }
        case 4: case 5: {
            Opcode op = kUn32[rnd(std::size(kUn32))];
            b_.emit(wide ? w64(op) : op, {dst(wide), src(wide)});
            break;
        }
        case 6: {
            // Division by a value forced into [1, 0xffff]: always valid.
            uint32_t t = wide ? b_.temp_i64().idx : b_.temp_i32().idx;
            b_.emit(wide ? Opcode::or_i64 : Opcode::or_i32, {t, src(wide), blk_.new_const(wide ? Type::I64 : Type::I32, 1)});
            b_.emit(wide ? Opcode::and_i64 : Opcode::and_i32, {t, t, blk_.new_const(wide ? Type::I64 : Type::I32, 0xffff)});
            static const Opcode kDiv[] = {Opcode::div_i32, Opcode::divu_i32, Opcode::rem_i32, Opcode::remu_i32};
            Opcode op = kDiv[rnd(4)];
            b_.emit(wide ? w64(op) : op, {dst(wide), src(wide), t});
            break;
        }
        case 7: {
            unsigned bits = wide ? 64 : 32;
            unsigned len = 1 + unsigned(rnd(bits)), pos = unsigned(rnd(bits - len + 1));
            switch (rnd(3)) {
            case 0: b_.emit(wide ? Opcode::deposit_i64 : Opcode::deposit_i32, {dst(wide), src(wide), src(wide), pos, len}); break;
            case 1: b_.emit(wide ? Opcode::extract_i64 : Opcode::extract_i32, {dst(wide), src(wide), pos, len}); break;
            default: b_.emit(wide ? Opcode::sextract_i64 : Opcode::sextract_i32, {dst(wide), src(wide), pos, len}); break;
            }
            break;
        }
        case 8: {
            uint32_t lo = dst(wide), hi = dst(wide);
            if (lo == hi) break;
            static const Opcode k2[] = {Opcode::mulu2_i32, Opcode::muls2_i32};
            if (rnd(2)) {
                Opcode op = k2[rnd(2)];
                b_.emit(wide ? w64(op) : op, {lo, hi, src(wide), src(wide)});
            } else {
                Opcode op = rnd(2) ? Opcode::add2_i32 : Opcode::sub2_i32;
                b_.emit(wide ? w64(op) : op, {lo, hi, src(wide), src(wide), src(wide), src(wide)});
            }
            break;
        }
        case 9: {
            Cond c = static_cast<Cond>(rnd(kNumConds));
            if (rnd(2)) {
                b_.emit(wide ? Opcode::setcond_i64 : Opcode::setcond_i32, {dst(wide), src(wide), src(wide), unsigned(c)});
            } else {
                b_.emit(wide ? Opcode::movcond_i64 : Opcode::movcond_i32,
                        {dst(wide), src(wide), src(wide), src(wide), src(wide), unsigned(c)});
            }
            break;
        }
        case 10:
            switch (rnd(4)) {
            case 0: b_.emit(Opcode::ext_i32_i64, {dst(true), src(false)}); break;
            case 1: b_.emit(Opcode::extu_i32_i64, {dst(true), src(false)}); break;
            case 2: b_.emit(Opcode::extrl_i64_i32, {dst(false), src(true)}); break;
            default: b_.emit(Opcode::extrh_i64_i32, {dst(false), src(true)}); break;
            }
            break;
        case 11: {
            Label l = b_.new_label();
            b_.emit(wide ? Opcode::brcond_i64 : Opcode::brcond_i32, {src(wide), src(wide), rnd(kNumConds), l.id});
            pending_.emplace_back(rnd(6), l);
            for (auto& p : pending_) p.first += 0;   // positions are relative to the op counter
            break;
        }
        case 12:
            if (rnd(2)) {
                b_.call(kMix, I64{dst(true)}, {I64{src(true)}, I32{src(false)}, I64{src(true)}});
            } else {
                b_.call(kEnv, I64{dst(true)}, {b_.env(), I64{src(true)}});
            }
            break;
        case 13: {
            const int32_t off = int32_t(offsetof(FakeCpu, scratch) + 8 * rnd(4));
            MemOp m = MemOp(rnd(wide ? 4 : 3)) | (rnd(2) ? kMoSign : 0);
            if ((m & kMoSizeMask) == (wide ? kMo64 : kMo32)) m &= ~kMoSign;
            if (rnd(2)) {
                b_.emit(wide ? Opcode::ld_i64 : Opcode::ld_i32, {dst(wide), uint64_t(off), m});
            } else {
                b_.emit(wide ? Opcode::st_i64 : Opcode::st_i32, {src(wide), uint64_t(off), m & kMoSizeMask});
            }
            break;
        }
        default: {
            // Guest memory: an address inside (or just past) the RAM page.
            I64 addr = b_.temp_i64();
            b_.and_(addr, I64{src(true)}, uint64_t{0xfff});
            b_.add(addr, addr, kRam + rnd(2) * 8);
            MemOp m = MemOp(rnd(wide ? 4 : 3)) | (rnd(3) == 0 ? kMoBigEndian : 0);
            bool load = rnd(2);
            if (load && rnd(2) && (m & kMoSizeMask) != kMo64) m |= kMoSign;
            if (load) {
                b_.emit(wide ? Opcode::qemu_ld_i64 : Opcode::qemu_ld_i32, {dst(wide), addr.idx, make_memop_idx(m, 0)});
            } else {
                b_.emit(wide ? Opcode::qemu_st_i64 : Opcode::qemu_st_i32, {src(wide), addr.idx, make_memop_idx(m, 0)});
            }
            break;
        }
        }
    }

    Harness& h_;
    Block& blk_;
    Builder b_;
    std::mt19937_64& gen_;
    std::vector<uint32_t> p64_, p32_;
    std::vector<std::pair<int, Label>> pending_;
};

TEST(Fuzz, JitMatchesInterpreterOnRandomBlocks) {
    Harness h;
    BothBackends be(default_config(&fuzz_load_slow, &fuzz_store_slow));
    // CI runs a fixed seed and count; MIMIC_FUZZ_ROUNDS / MIMIC_FUZZ_SEED
    // make a longer or different run one command away.
    const char* rounds_env = std::getenv("MIMIC_FUZZ_ROUNDS");
    const char* seed_env = std::getenv("MIMIC_FUZZ_SEED");
    const int rounds = rounds_env ? std::atoi(rounds_env) : 400;
    std::mt19937_64 gen(seed_env ? std::strtoull(seed_env, nullptr, 0) : 0xf00d);
    for (int round = 0; round < rounds; ++round) {
        Block block(h.g);
        Generator(h, block, gen).generate(20 + int(gen() % 80));
        ASSERT_EQ(verify(block), std::vector<std::string>{}) << print_block(block);
        Block opt = block;
        optimize(opt);
        ASSERT_EQ(verify(opt), std::vector<std::string>{}) << print_block(opt);
        CompiledPair plain(be, block), optimized(be, opt);

        FakeCpu start;
        for (int i = 0; i < 8; ++i) {
            start.r[i] = gen();
            start.e[i] = uint32_t(gen());
        }
        for (auto& s : start.scratch) s = gen();
        uint8_t ram0[4096];
        for (auto& byte : ram0) byte = uint8_t(gen());
        start.tlb.set(0, kRam, nullptr, true, true, true);

        FakeCpu ref;
        bool have_ref = false;
        for (int k = 1; k >= 0; --k) {   // interpreter first: it is the reference
            for (auto* pair : {&plain, &optimized}) {
                FakeCpu cpu = start;
                std::memcpy(g_ram[0], ram0, sizeof(ram0));
                g_cur_ram = g_ram[0];
                cpu.tlb.set(0, kRam, g_ram[0], true, true, true);
                be.be[k]->exec(&cpu, pair->tb[k]);
                if (!have_ref) {
                    ref = cpu;
                    std::memcpy(g_ram[1], g_ram[0], sizeof(ram0));
                    have_ref = true;
                    continue;
                }
                std::string where = std::string(backend_name(k)) + (pair == &plain ? " plain" : " optimized") +
                                    " round " + std::to_string(round);
                ASSERT_EQ(0, std::memcmp(cpu.r, ref.r, sizeof(ref.r))) << where << "\n" << print_block(block);
                ASSERT_EQ(0, std::memcmp(cpu.e, ref.e, sizeof(ref.e))) << where << "\n" << print_block(block);
                ASSERT_EQ(0, std::memcmp(cpu.scratch, ref.scratch, sizeof(ref.scratch))) << where << "\n"
                                                                                          << print_block(block);
                ASSERT_EQ(0, std::memcmp(g_ram[0], g_ram[1], sizeof(ram0))) << where << "\n" << print_block(block);
            }
        }
    }
}

// A helper or slow path raising a guest exception leaves generated code with
// siglongjmp; globals modified before it are in env, and the back end keeps
// working afterwards.
sigjmp_buf g_jmp;
void helper_raise(FakeCpu* env) {
    env->r[9] = 99;
    siglongjmp(g_jmp, 1);
}
const Helper kRaise{reinterpret_cast<const void*>(&helper_raise), "raise", 0};
uint64_t raising_load(void*, uint64_t, MemOp, unsigned, uintptr_t) { siglongjmp(g_jmp, 2); }

struct RaiseBlocks {
    Harness h;
    BothBackends be{default_config(&raising_load, &fuzz_store_slow)};
    Block raise{h.g}, fault{h.g}, normal{h.g};
    RaiseBlocks() {
        Builder r(raise);
        r.add(h.r[0], h.r[0], uint64_t{1});
        r.call(kRaise, {r.env()});
        r.add(h.r[0], h.r[0], uint64_t{100});
        r.exit_tb(0);
        Builder f(fault);
        f.add(h.r[1], h.r[1], uint64_t{1});
        f.qemu_ld(h.r[2], h.r[0], kMo32, 0);   // nothing mapped: slow path
        f.exit_tb(0);
        Builder n(normal);
        n.mul(h.r[3], h.r[0], h.r[1]);
        n.exit_tb(5);
    }
};

FakeCpu g_cpu;   // global: not clobbered by siglongjmp

void check_unwinding(RaiseBlocks& rb, CompiledPair& pr, CompiledPair& pf, CompiledPair& pn, int k) {
    g_cpu.clear();
    g_cpu.r[0] = 10;
    if (sigsetjmp(g_jmp, 1) == 0) {
        rb.be.be[k]->exec(&g_cpu, pr.tb[k]);
        ADD_FAILURE() << "helper did not raise";
    }
    EXPECT_EQ(g_cpu.r[0], 11u) << backend_name(k);
    EXPECT_EQ(g_cpu.r[9], 99u) << backend_name(k);
    if (sigsetjmp(g_jmp, 1) == 0) {
        rb.be.be[k]->exec(&g_cpu, pf.tb[k]);
        ADD_FAILURE() << "load did not fault";
    }
    EXPECT_EQ(g_cpu.r[1], 1u) << backend_name(k);
    EXPECT_EQ(rb.be.be[k]->exec(&g_cpu, pn.tb[k]), 5u) << backend_name(k);
    EXPECT_EQ(g_cpu.r[3], 11u) << backend_name(k);
}

TEST(Fuzz, ExceptionsUnwindWithSiglongjmp) {
    RaiseBlocks rb;
    CompiledPair pr(rb.be, rb.raise), pf(rb.be, rb.fault), pn(rb.be, rb.normal);
    check_unwinding(rb, pr, pf, pn, 0);
    check_unwinding(rb, pr, pf, pn, 1);
}

}  // namespace
}  // namespace mimic::tcg::test
