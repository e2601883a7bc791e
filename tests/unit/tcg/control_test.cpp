// Labels, loops, helper calls, exits, env loads/stores, restore_state and
// indirect jumps, on both back ends.
#include <csetjmp>
#include <random>
#include <tuple>
#include <utility>

#include "harness.h"
#include "mimic/tcg/jump_table.h"

namespace mimic::tcg::test {
namespace {

class ControlTest : public ::testing::Test {
protected:
    Harness h;
    BothBackends be;

    // Runs block on both back ends from copies of `start`; checks that both
    // end in the same state and returns the JIT's state.
    FakeCpu run_both(const Block& block, const FakeCpu& start, uintptr_t* ret = nullptr) {
        CompiledPair pair(be, block);
        FakeCpu cpu[2] = {start, start};
        uintptr_t r[2];
        for (int k = 0; k < 2; ++k) r[k] = be.be[k]->exec(&cpu[k], pair.tb[k]);
        EXPECT_EQ(r[0], r[1]);
        EXPECT_EQ(0, std::memcmp(cpu[0].r, cpu[1].r, sizeof(cpu[0].r)));
        EXPECT_EQ(0, std::memcmp(cpu[0].e, cpu[1].e, sizeof(cpu[0].e)));
        EXPECT_EQ(0, std::memcmp(cpu[0].scratch, cpu[1].scratch, sizeof(cpu[0].scratch)));
        if (ret) *ret = r[0];
        return cpu[0];
    }
};

TEST_F(ControlTest, ExitValue) {
    Block block(h.g);
    Builder b(block);
    b.exit_tb(0x123456789abcull);
    uintptr_t ret;
    run_both(block, FakeCpu{}, &ret);
    EXPECT_EQ(ret, 0x123456789abcull);
}

TEST_F(ControlTest, LoopWithBackwardBranch) {
    // r1 = r0 + (r0-1) + ... + 1, with a temp alive around the loop.
    Block block(h.g);
    Builder b(block);
    I64 sum = b.temp_i64(), i = b.temp_i64();
    b.movi(sum, 0);
    b.mov(i, h.r[0]);
    Label top = b.new_label();
    b.set_label(top);
    b.add(sum, sum, i);
    b.sub(i, i, 1);
    b.brcond(Cond::Ne, i, uint64_t{0}, top);
    b.mov(h.r[1], sum);
    b.exit_tb(0);
    for (uint64_t n : {1, 2, 10, 1000}) {
        FakeCpu cpu;
        cpu.r[0] = n;
        FakeCpu out = run_both(block, cpu);
        EXPECT_EQ(out.r[1], n * (n + 1) / 2);
    }
}

// An addition of a value shifted left by 1 to 3 (a scaled index) becomes
// one lea on the JIT: the same results whichever registers coincide.
TEST_F(ControlTest, ScaledIndexAdditions) {
    Block block(h.g);
    Builder b(block);
    b.add(h.r[0], h.r[2], b.shl(h.r[1], uint64_t{2}));        // r0 = r2 + r1 * 4
    b.add(h.r[1], b.shl(h.r[1], uint64_t{3}), h.r[1]);        // r1 = r1 * 9
    b.add(h.r[3], h.r[4], b.shl(h.r[3], uint64_t{1}));        // r3 = r4 + r3 * 2
    b.add(h.e[0], h.e[0], b.shl(h.e[1], 2u));                 // 32 bits, wrapping
    // With a displacement: r9 + r10 * 8 + 0x10, r12 - 8 + r11 * 2, and in 32 bits.
    I64 base = b.add(h.r[9], uint64_t{0x10});
    I64 index = b.shl(h.r[10], uint64_t{3});
    b.add(h.r[8], base, index);
    I64 base2 = b.add(h.r[12], ~uint64_t{7});
    I64 index2 = b.shl(h.r[11], uint64_t{1});
    b.add(h.r[11], index2, base2);
    I32 base3 = b.add(h.e[3], 0x7ffffff0u);
    I32 index3 = b.shl(h.e[4], 3u);
    b.add(h.e[2], base3, index3);
    I64 kept = b.shl(h.r[5], uint64_t{2});                    // read again later: no fusion
    b.add(h.r[6], h.r[7], kept);
    b.add(h.r[7], kept, uint64_t{1});
    b.exit_tb(0);
    FakeCpu cpu;
    for (int i = 0; i < 16; ++i) cpu.r[i] = 0x0123456789abcdefull * (i + 1);
    cpu.e[0] = 0xfffffff0u;
    cpu.e[1] = 0x40000005u;
    cpu.e[3] = 0x90000000u;
    cpu.e[4] = 0x12345678u;
    FakeCpu out = run_both(block, cpu);
    EXPECT_EQ(out.r[0], cpu.r[2] + cpu.r[1] * 4);
    EXPECT_EQ(out.r[1], cpu.r[1] * 9);
    EXPECT_EQ(out.r[3], cpu.r[4] + cpu.r[3] * 2);
    EXPECT_EQ(out.e[0], static_cast<uint32_t>(cpu.e[0] + cpu.e[1] * 4));
    EXPECT_EQ(out.r[8], cpu.r[9] + cpu.r[10] * 8 + 0x10);
    EXPECT_EQ(out.r[11], cpu.r[11] * 2 + cpu.r[12] - 8);
    EXPECT_EQ(out.e[2], static_cast<uint32_t>(cpu.e[3] + 0x7ffffff0u + cpu.e[4] * 8));
    EXPECT_EQ(out.r[6], cpu.r[7] + cpu.r[5] * 4);
    EXPECT_EQ(out.r[7], cpu.r[5] * 4 + 1);
}

TEST_F(ControlTest, ForwardBranchesAndGlobalsAcrossLabels) {
    // if (e0 < e1) e2 = e0 else e2 = e1; e3 = e2 + 1, with globals modified
    // in registers before the branch.
    Block block(h.g);
    Builder b(block);
    Label else_ = b.new_label(), done = b.new_label();
    b.add(h.r[7], h.r[7], 5);
    b.brcond(Cond::Ge, h.e[0], h.e[1], else_);
    b.mov(h.e[2], h.e[0]);
    b.br(done);
    b.set_label(else_);
    b.mov(h.e[2], h.e[1]);
    b.set_label(done);
    b.add(h.e[3], h.e[2], 1);
    b.exit_tb(0);
    FakeCpu cpu;
    cpu.e[0] = uint32_t(-5);
    cpu.e[1] = 3;
    cpu.r[7] = 10;
    FakeCpu out = run_both(block, cpu);
    EXPECT_EQ(out.e[2], uint32_t(-5));
    EXPECT_EQ(out.e[3], uint32_t(-4));
    EXPECT_EQ(out.r[7], 15u);
}

// Values computed before a conditional branch stay in host registers on its
// fall-through path, and reach the branch target through env and spill slots.
TEST_F(ControlTest, ValuesCrossConditionalBranchesOnBothPaths) {
    Block block(h.g);
    Builder b(block);
    Label skip = b.new_label(), late = b.new_label();
    I64 t = b.temp_i64(), u = b.temp_i64();
    b.mul(t, h.r[0], 3);
    b.add(h.r[2], h.r[0], 5);
    b.brcond(Cond::Eq, h.r[0], uint64_t{7}, skip);
    b.add(h.r[3], t, h.r[2]);
    b.xor_(u, t, h.r[3]);
    b.brcond(Cond::Ltu, h.r[3], uint64_t{100}, late);
    b.add(h.r[4], u, t);
    b.set_label(skip);
    b.add(h.r[5], t, 1);
    b.set_label(late);
    b.add(h.r[6], h.r[2], t);
    b.exit_tb(0);
    for (uint64_t n : {0ull, 7ull, 20ull, 50ull, 1000ull}) {
        FakeCpu cpu;
        cpu.r[0] = n;
        for (int i = 3; i < 7; ++i) cpu.r[i] = 0x1111 * i;
        const FakeCpu out = run_both(block, cpu);
        const uint64_t t_ = 3 * n, r2 = n + 5, r3 = n == 7 ? 0x3333 : t_ + r2;
        EXPECT_EQ(out.r[2], r2);
        EXPECT_EQ(out.r[3], r3);
        EXPECT_EQ(out.r[4], n != 7 && r3 >= 100 ? (t_ ^ r3) + t_ : 0x4444u) << n;
        EXPECT_EQ(out.r[5], n == 7 || r3 >= 100 ? t_ + 1 : 0x5555u) << n;
        EXPECT_EQ(out.r[6], r2 + t_);
    }
}

uint64_t helper_combine(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e, uint64_t f) {
    return a + 2 * b + 3 * c + 4 * d + 5 * e + 6 * f;
}
const Helper kCombine{reinterpret_cast<const void*>(&helper_combine), "combine", kHelperPure};

// Reads r0 and writes r5/e0 through env: needs globals synced and reloaded.
uint64_t helper_touch(FakeCpu* env, uint32_t x) {
    env->r[5] += x;
    env->e[0] = 77;
    return env->r[0];
}
const Helper kTouch{reinterpret_cast<const void*>(&helper_touch), "touch", 0};

// Returns garbage in the upper half: an I32 result must ignore it.
uint64_t helper_dirty32(uint32_t x) { return 0xffffffff00000000ull | (x + 1); }
const Helper kDirty32{reinterpret_cast<const void*>(&helper_dirty32), "dirty32", kHelperPure};

int g_side_effects = 0;
void helper_count() { ++g_side_effects; }
const Helper kCount{reinterpret_cast<const void*>(&helper_count), "count",
                    kHelperNoReadGlobals | kHelperNoWriteGlobals};

TEST_F(ControlTest, HelperCalls) {
    Block block(h.g);
    Builder b(block);
    // Values alive in registers across the calls.
    I64 keep = b.mul(h.r[1], uint64_t{3});
    I32 keep32 = b.add(h.e[1], 7u);
    b.add(h.r[0], h.r[0], 1);   // dirty global the helper reads
    b.call(kTouch, h.r[6], {b.env(), h.e[2]});
    b.add(h.r[7], h.r[5], 0);   // reads what the helper wrote
    b.call(kCombine, h.r[8], {h.r[0], h.r[1], keep, h.r[2], b.const_i64(100), h.r[3]});
    b.call(kDirty32, h.e[4], {keep32});
    b.call(kCount, {});
    b.add(h.r[9], keep, h.r[9]);
    b.mov(h.e[5], keep32);
    b.exit_tb(0);
    FakeCpu cpu;
    for (int i = 0; i < 8; ++i) cpu.r[i] = 1000 + i;
    cpu.e[1] = 40;
    cpu.e[2] = 9;
    g_side_effects = 0;
    FakeCpu out = run_both(block, cpu);
    EXPECT_EQ(g_side_effects, 2);
    EXPECT_EQ(out.r[0], 1001u);
    EXPECT_EQ(out.r[6], 1001u);
    EXPECT_EQ(out.r[5], 1005u + 9);
    EXPECT_EQ(out.r[7], 1005u + 9);
    EXPECT_EQ(out.e[0], 77u);
    EXPECT_EQ(out.r[8], helper_combine(1001, 1001, 3003, 1002, 100, 1003));
    EXPECT_EQ(out.e[4], 48u);
    EXPECT_EQ(out.r[9], 3003u);
    EXPECT_EQ(out.e[5], 47u);
}

// lea rax, [rax + rcx*2]; mov rcx, [r14 + scratch]; add [r14 + scratch + 8], rdx
// (outputs rax, rcx; inputs rax, rcx, rdx).
HostCode make_host_code() {
    HostCode c;
    c.name = "lea_ld_add";
    const uint32_t disp = offsetof(FakeCpu, scratch);
    auto d32 = [&c](uint32_t v) {
        for (int i = 0; i < 4; ++i) c.bytes.push_back(static_cast<uint8_t>(v >> (8 * i)));
    };
    c.bytes = {0x48, 0x8d, 0x04, 0x48};   // lea rax, [rax + rcx*2]
    c.bytes.insert(c.bytes.end(), {0x49, 0x8b, 0x8e});   // mov rcx, [r14 + disp32]
    d32(disp);
    c.bytes.insert(c.bytes.end(), {0x49, 0x01, 0x96});   // add [r14 + disp32], rdx
    d32(disp + 8);
    c.n_in = 3;
    c.in_regs[0] = 0, c.in_regs[1] = 1, c.in_regs[2] = 2;
    c.n_out = 2;
    c.out_regs[0] = 0, c.out_regs[1] = 1;
    c.clobbers = 0x7;
    return c;
}

// Host code: values live in the registers it uses survive, inputs may be
// globals, constants or temps in any register, outputs land in globals.
TEST_F(ControlTest, GlobalsInRegistersAcrossALoopWithHelpers) {
    // More globals than the JIT keeps in registers, changed on every turn,
    // with a helper that reads one and writes others, and an exit from the
    // middle of the loop: env must be right at the helper and at both exits.
    Block block(h.g);
    Builder b(block);
    Label top = b.new_label(), out = b.new_label();
    b.set_label(top);
    for (int i = 0; i < 7; ++i) b.add(h.r[i], h.r[i], static_cast<uint64_t>(i + 1));
    b.movi(h.e[3], 0x55u);                                   // a constant on every turn
    b.call(kTouch, h.r[6], {b.env(), h.e[2]});               // r5 += e2, e0 = 77, r6 = r0
    b.add(h.r[8], h.r[8], h.r[5]);
    b.brcond(Cond::Geu, h.r[8], uint64_t{1000000}, out);     // the middle exit
    b.sub(h.r[9], h.r[9], 1);
    b.brcond(Cond::Ne, h.r[9], uint64_t{0}, top);
    b.exit_tb(1);
    b.set_label(out);
    b.exit_tb(2);
    for (uint64_t turns : {1, 3, 50}) {
        FakeCpu cpu;
        cpu.r[9] = turns;
        cpu.e[2] = 4;
        uintptr_t ret;
        FakeCpu got = run_both(block, cpu, &ret);
        EXPECT_EQ(ret, 1u);
        EXPECT_EQ(got.r[0], turns);
        EXPECT_EQ(got.r[5], turns * (6 + 4));
        EXPECT_EQ(got.r[6], turns);   // the helper's result: r0 as it read it
        EXPECT_EQ(got.e[0], 77u);
        EXPECT_EQ(got.e[3], 0x55u);
        EXPECT_EQ(got.r[8], 10 * turns * (turns + 1) / 2);
    }
    FakeCpu cpu;
    cpu.r[9] = 1000;
    cpu.e[2] = 100000;
    uintptr_t ret;
    FakeCpu got = run_both(block, cpu, &ret);
    EXPECT_EQ(ret, 2u);
    EXPECT_EQ(got.r[9], 997u);   // left on the fourth turn, before its decrement
    EXPECT_EQ(got.r[0], 4u);
}

TEST_F(ControlTest, HostCodeOnTheJit) {
    ASSERT_TRUE(be.be[0]->runs_host_code());
    ASSERT_FALSE(be.be[1]->runs_host_code());
    static const HostCode code = make_host_code();
    Block block(h.g);
    Builder b(block);
    // Enough live temps that some sit in rax/rcx/rdx when the code runs.
    I64 keep[12];
    for (int i = 0; i < 12; ++i) keep[i] = b.add(h.r[i], uint64_t(i * 100));
    b.host_code(code, {h.r[13], h.r[14]}, {h.r[1], keep[3], b.const_i64(5)});
    I64 sum = b.const_i64(0);
    for (int i = 0; i < 12; ++i) sum = b.add(sum, keep[i]);
    b.mov(h.r[15], sum);
    b.exit_tb(0);
    verify_or_throw(block);
    TranslationBlock tb;
    ASSERT_TRUE(be.be[0]->translate(tb, std::move(block)));
    FakeCpu cpu;
    for (int i = 0; i < 16; ++i) cpu.r[i] = 1000 + i;
    cpu.scratch[0] = 0x1234;
    cpu.scratch[1] = 10;
    be.be[0]->exec(&cpu, tb);
    EXPECT_EQ(cpu.r[13], 1001u + 2 * (1003u + 300));
    EXPECT_EQ(cpu.r[14], 0x1234u);
    EXPECT_EQ(cpu.scratch[1], 15u);
    uint64_t want = 0;
    for (int i = 0; i < 12; ++i) want += 1000 + i + i * 100;
    EXPECT_EQ(cpu.r[15], want);
    EXPECT_EQ(cpu.r[1], 1001u);
}

// inc qword [r14 + disp32]
std::vector<uint8_t> inc_env(uint32_t disp) {
    std::vector<uint8_t> v = {0x49, 0xff, 0x86};
    for (int i = 0; i < 4; ++i) v.push_back(static_cast<uint8_t>(disp >> (8 * i)));
    return v;
}

// A group's enter and leave run once around a run of its host codes, which
// goes on across pure ops and group-0 codes and ends at a helper call.
TEST_F(ControlTest, HostCodeGroupsShareEnterAndLeave) {
    const uint32_t s = offsetof(FakeCpu, scratch);
    static HostCode grouped, neutral;
    grouped.name = "grouped";
    grouped.bytes = inc_env(s);   // scratch[0]: bodies run
    grouped.group = 1;
    grouped.enter = inc_env(s + 8);   // scratch[1]: enters
    grouped.leave = inc_env(s + 16);  // scratch[2]: leaves
    neutral.name = "neutral";
    neutral.bytes = inc_env(s + 24);
    Block block(h.g);
    Builder b(block);
    b.host_code(grouped, {}, {});
    b.add(h.r[0], h.r[0], uint64_t{1});
    b.host_code(neutral, {}, {});
    b.host_code(grouped, {}, {});
    b.call(kCount, {});
    b.host_code(grouped, {}, {});
    b.exit_tb(0);
    verify_or_throw(block);
    TranslationBlock tb;
    ASSERT_TRUE(be.be[0]->translate(tb, std::move(block)));
    FakeCpu cpu;
    g_side_effects = 0;
    be.be[0]->exec(&cpu, tb);
    EXPECT_EQ(cpu.scratch[0], 3u);
    EXPECT_EQ(cpu.scratch[1], 2u);
    EXPECT_EQ(cpu.scratch[2], 2u);
    EXPECT_EQ(cpu.scratch[3], 1u);
    EXPECT_EQ(cpu.r[0], 1u);
    EXPECT_EQ(g_side_effects, 1);
}

// The exit after an unchained goto_tb finds env up to date: the goto_tb
// stored the globals, and the exit stores only what may have changed since
// or what a path joining at a label may not have stored.
TEST_F(ControlTest, ExitAfterGotoTbStoresGlobalsOnEveryPath) {
    for (bool join : {false, true}) {
        Block block(h.g);
        Builder b(block);
        Label skip = b.new_label();
        b.add(h.r[1], h.r[1], uint64_t{1});   // read and written: pinned globals
        b.add(h.r[3], h.r[3], uint64_t{1});
        if (join) b.brcond(Cond::Ne, h.r[2], uint64_t{0}, skip);   // around the goto_tb's stores
        b.goto_tb(0);
        if (!join) b.add(h.r[3], h.r[3], uint64_t{2});   // changed after them
        if (join) b.set_label(skip);
        b.movi(h.pc, 0x40);
        b.exit_tb(0);
        for (uint64_t r2 : {0, 1}) {
            FakeCpu cpu;
            cpu.r[1] = 10;
            cpu.r[2] = r2;
            cpu.r[3] = 20;
            FakeCpu out = run_both(block, cpu);
            EXPECT_EQ(out.r[1], 11u) << join << r2;
            EXPECT_EQ(out.r[3], join ? 21u : 23u) << join << r2;
            EXPECT_EQ(out.pc, 0x40u) << join << r2;
        }
    }
}

// A compare with 0 of what add/sub/and/or/xor just computed uses the flags
// that instruction left, when only moves and stores came in between; these
// blocks put between them what must keep the compare.
TEST_F(ControlTest, CompareWithZeroReusesFlagsOnlyWhenValid) {
    enum Between { kMovesAndStores, kOtherAlu, kZeroedRegister, kRedefined, kShift };
    for (Between between : {kMovesAndStores, kOtherAlu, kZeroedRegister, kRedefined, kShift}) {
        Block block(h.g);
        Builder b(block);
        Label taken = b.new_label(), done = b.new_label();
        I64 x = b.sub(h.r[0], h.r[1]);
        I64 zero = b.temp_i64();
        switch (between) {
        case kMovesAndStores: {
            I64 copy = b.temp_i64();
            b.mov(copy, x);
            b.st(h.r[2], offsetof(FakeCpu, scratch));
            b.movi(h.e[0], 0xdu);
            b.mov(x, copy);
            break;
        }
        case kOtherAlu: b.xor_(h.r[3], h.r[3], h.r[4]); break;
        case kZeroedRegister: b.movi(zero, 0); break;   // xor reg, reg
        case kRedefined: b.mov(x, h.r[5]); break;
        case kShift: b.shl(h.r[6], h.r[6], uint64_t{3}); break;
        }
        b.setcond(Cond::Eq, h.r[8], x, b.const_i64(0));
        b.movcond(Cond::Ne, h.r[9], x, b.const_i64(0), h.r[10], h.r[11]);
        b.brcond(Cond::Eq, x, uint64_t{0}, taken);
        b.movi(h.r[7], 1);
        b.br(done);
        b.set_label(taken);
        b.movi(h.r[7], 2);
        b.set_label(done);
        if (between == kZeroedRegister) b.add(h.r[12], h.r[12], zero);
        b.exit_tb(0);
        // Each pair makes x zero where the clobbering result is not, or the other way round.
        for (auto [r0, r1, other] : {std::tuple{5, 5, 1}, std::tuple{5, 4, 0}, std::tuple{7, 7, 0}, std::tuple{9, 2, 3}}) {
            FakeCpu cpu;
            cpu.r[0] = r0;
            cpu.r[1] = r1;
            cpu.r[3] = 0x40;
            cpu.r[4] = other ? 0x41 : 0x40;   // r3 ^ r4 is zero when `other` is
            cpu.r[5] = other;
            cpu.r[6] = other;
            cpu.r[10] = 100;
            cpu.r[11] = 200;
            FakeCpu out = run_both(block, cpu);
            const uint64_t want_x = between == kRedefined ? uint64_t(other) : uint64_t(r0 - r1);
            EXPECT_EQ(out.r[7], want_x == 0 ? 2u : 1u) << between << " " << r0 << " " << r1;
            EXPECT_EQ(out.r[8], want_x == 0 ? 1u : 0u) << between << " " << r0 << " " << r1;
            EXPECT_EQ(out.r[9], want_x != 0 ? 100u : 200u) << between << " " << r0 << " " << r1;
        }
    }
}

// Signed and unsigned conditions against 0 may use the flags of and/or/xor
// (carry and overflow clear, as cmp x, 0 leaves them) but not those of add
// or sub, whose overflow is the operation's: INT64_MIN - 1 is positive.
TEST_F(ControlTest, CompareWithZeroOrderingAfterAluOps) {
    const Cond conds[] = {Cond::Lt, Cond::Le, Cond::Gt, Cond::Ge, Cond::Ltu, Cond::Leu, Cond::Gtu, Cond::Geu, Cond::Ne};
    for (Cond c : conds) {
        Block block(h.g);
        Builder b(block);
        I64 diff = b.sub(h.r[0], h.r[1]);
        b.setcond(c, h.r[2], diff, b.const_i64(0));
        I64 sum = b.add(h.r[0], h.r[1]);
        b.setcond(c, h.r[3], sum, b.const_i64(0));
        I64 both = b.and_(h.r[0], h.r[1]);
        b.setcond(c, h.r[4], both, b.const_i64(0));
        I32 diff32 = b.sub(h.e[0], h.e[1]);
        b.setcond(c, h.e[2], diff32, b.const_i32(0));
        I32 either32 = b.or_(h.e[0], h.e[1]);
        b.setcond(c, h.e[3], either32, b.const_i32(0));
        b.exit_tb(0);
        const uint64_t min = uint64_t{1} << 63;
        for (auto [a, bb] : {std::pair{min, uint64_t{1}}, std::pair{min - 1, ~uint64_t{0}}, std::pair{uint64_t{3}, uint64_t{3}},
                             std::pair{~uint64_t{0}, ~uint64_t{0}}, std::pair{min, min}, std::pair{uint64_t{1}, uint64_t{2}}}) {
            FakeCpu cpu;
            cpu.r[0] = a;
            cpu.r[1] = bb;
            cpu.e[0] = static_cast<uint32_t>(a >> 32);
            cpu.e[1] = static_cast<uint32_t>(bb >> 32);
            FakeCpu out = run_both(block, cpu);
            EXPECT_EQ(out.r[2], cond_eval(c, Type::I64, a - bb, 0)) << cond_name(c) << std::hex << " " << a << " " << bb;
            EXPECT_EQ(out.r[3], cond_eval(c, Type::I64, a + bb, 0)) << cond_name(c) << std::hex << " " << a << " " << bb;
            EXPECT_EQ(out.r[4], cond_eval(c, Type::I64, a & bb, 0)) << cond_name(c) << std::hex << " " << a << " " << bb;
            EXPECT_EQ(out.e[2], cond_eval(c, Type::I32, cpu.e[0] - cpu.e[1], 0)) << cond_name(c);
            EXPECT_EQ(out.e[3], cond_eval(c, Type::I32, cpu.e[0] | cpu.e[1], 0)) << cond_name(c);
        }
    }
}

// 32-bit guest arithmetic as x86 front ends emit it: 64-bit operations
// between zero-extensions, which the JIT does as one 32-bit operation.
// Inputs carry garbage in their upper halves.
TEST_F(ControlTest, ZeroExtendedArithmeticAs32BitOperations) {
    Block block(h.g);
    Builder b(block);
    // add ecx, ecx (r1 in place, through an extension that dies)
    I64 c = b.temp_i64();
    b.ext32u(c, h.r[1]);
    b.ext32u(h.r[1], b.add(c, c));
    // cmp eax, esi: the extension of rax stays live for the branch
    I64 a = b.temp_i64();
    b.ext32u(a, h.r[0]);
    b.ext32u(h.r[2], b.sub(a, h.r[6]));
    // and with an immediate beyond the sign-extended imm32 range
    b.ext32u(h.r[3], b.and_(h.r[3], uint64_t{0xfffffffe}));
    b.ext32u(h.r[4], b.shl(h.r[4], uint64_t{5}));
    I64 m = b.temp_i64();
    b.ext32u(m, h.r[5]);
    b.ext32u(h.r[5], b.mul(m, h.r[7]));
    b.ext32u(h.r[8], b.sub(h.r[9], b.const_i64(0xffffffff80000000ull)));
    b.setcond(Cond::Eq, h.r[10], h.r[2], b.const_i64(0));
    b.setcond(Cond::Ltu, h.r[11], a, h.r[6]);
    b.exit_tb(0);
    for (uint64_t hi : {0ull, 0xdeadbeef00000000ull, 0xffffffff00000000ull}) {
        FakeCpu cpu;
        cpu.r[0] = hi | 5;
        cpu.r[1] = hi | 0x80000001u;
        cpu.r[3] = hi | 0xffffffffu;
        cpu.r[4] = hi | 0x0c000003u;
        cpu.r[5] = hi | 0x12345678u;
        cpu.r[6] = hi | 5;
        cpu.r[7] = hi | 0x9abcdef1u;
        cpu.r[9] = hi | 3;
        FakeCpu out = run_both(block, cpu);
        EXPECT_EQ(out.r[1], 2u);
        EXPECT_EQ(out.r[2], 0u);
        EXPECT_EQ(out.r[3], 0xfffffffeu);
        EXPECT_EQ(out.r[4], static_cast<uint32_t>(0x0c000003u << 5));
        EXPECT_EQ(out.r[5], static_cast<uint32_t>(0x12345678u * 0x9abcdef1u));
        EXPECT_EQ(out.r[8], 0x80000003u);
        EXPECT_EQ(out.r[10], 1u);
        EXPECT_EQ(out.r[11], hi != 0 ? 1u : 0u);   // a is zero-extended, r6 is not
    }
}

// Random sequences of [ext32u y, x;] op t, a, b; ext32u d, t over globals
// (some pinned in registers, some not), with d aliasing the inputs or
// not, extensions that stay live, constants, and compares of the results
// with 0 (whose flags the 32-bit operation may give, for == and != only).
TEST_F(ControlTest, ZeroExtendedArithmeticRandomMatchesInterpreter) {
    std::mt19937_64 rng(12345);
    auto pick = [&](unsigned n) { return static_cast<unsigned>(rng() % n); };
    const Cond conds[] = {Cond::Eq, Cond::Ne, Cond::Lt, Cond::Ge, Cond::Gtu, Cond::Leu};
    const uint64_t consts[] = {1, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff, 0xffffffff00000005ull, 31};
    for (int round = 0; round < 60; ++round) {
        Block block(h.g);
        Builder b(block);
        std::vector<I64> later;   // extensions read again after their operation
        for (int n = 0; n < 12; ++n) {
            // Few registers make aliasing and pinning likely.
            I64 ra = h.r[pick(8)], rb = h.r[pick(8)], rd = h.r[pick(3) == 0 ? pick(16) : pick(8)];
            I64 x = ra, y = rb;
            if (pick(2)) { x = b.temp_i64(); b.ext32u(x, ra); }
            if (pick(3) == 0) { y = b.temp_i64(); b.ext32u(y, rb); }
            if (pick(4) == 0) y = b.const_i64(consts[pick(std::size(consts))]);
            if (pick(6) == 0) x = y;
            const unsigned op = pick(7);
            I64 t = b.temp_i64();
            switch (op) {
            case 0: b.add(t, x, y); break;
            case 1: b.sub(t, x, y); break;
            case 2: b.and_(t, x, y); break;
            case 3: b.or_(t, x, y); break;
            case 4: b.xor_(t, x, y); break;
            case 5: b.mul(t, x, y); break;
            default: b.shl(t, x, b.const_i64(pick(32))); break;
            }
            b.ext32u(rd, t);
            if (pick(4) == 0 && x.idx != ra.idx) later.push_back(x);
            if (pick(2)) b.setcond(conds[pick(std::size(conds))], h.r[8 + pick(8)], rd, b.const_i64(0));
        }
        for (I64 v : later) b.add(h.r[15], h.r[15], v);
        b.exit_tb(0);
        for (int k = 0; k < 4; ++k) {
            FakeCpu cpu;
            for (uint64_t& r : cpu.r) {
                r = rng();
                if (k == 1) r &= 0xffffffffu;                     // clean upper halves
                if (k == 2) r = (r & 0xffffffff00000000ull) | (r & 1 ? 0 : 0x80000000u);   // zero / sign-bit results
            }
            run_both(block, cpu);
        }
    }
}

// A HostCode group's leave code runs where the group ends, which may be
// right before the branch: its flags are not the sub's.
TEST_F(ControlTest, CompareWithZeroAfterAGroupEnds) {
    const uint32_t s = offsetof(FakeCpu, scratch);
    static HostCode grouped;
    grouped.name = "grouped";
    grouped.bytes = inc_env(s);
    grouped.group = 1;
    grouped.enter = inc_env(s + 8);
    grouped.leave = inc_env(s + 16);   // inc: ZF clear
    Block block(h.g);
    Builder b(block);
    Label taken = b.new_label();
    b.host_code(grouped, {}, {});
    I64 x = b.sub(h.r[0], h.r[1]);
    b.movi(h.r[2], 1);
    b.brcond(Cond::Eq, x, uint64_t{0}, taken);
    b.movi(h.r[2], 2);
    b.set_label(taken);
    b.exit_tb(0);
    verify_or_throw(block);
    TranslationBlock tb;
    ASSERT_TRUE(be.be[0]->translate(tb, std::move(block)));
    FakeCpu cpu;
    cpu.r[0] = cpu.r[1] = 6;
    be.be[0]->exec(&cpu, tb);
    EXPECT_EQ(cpu.r[2], 1u);
    EXPECT_EQ(cpu.scratch[2], 1u);
}

// An env load that only feeds a branch on a constant becomes one compare
// with memory: both widths, signed conditions, negative immediates.
TEST_F(ControlTest, BranchOnEnvLoad) {
    const int32_t s = offsetof(FakeCpu, scratch);
    for (uint64_t v : {uint64_t{5}, uint64_t{7}, ~uint64_t{0}, uint64_t{0x100000005}, uint64_t{1} << 63}) {
        Block block(h.g);
        Builder b(block);
        Label l32 = b.new_label(), l64 = b.new_label(), done = b.new_label();
        I32 w = b.temp_i32();
        b.ld(w, s, kMo32);
        b.brcond(Cond::Ne, w, 5u, l32);
        b.movi(h.r[0], 1);
        b.set_label(l32);
        I64 q = b.temp_i64();
        b.ld(q, s, kMo64);
        b.brcond(Cond::Lt, q, ~uint64_t{0}, l64);   // signed: below -1
        b.movi(h.r[1], 1);
        b.br(done);
        b.set_label(l64);
        b.movi(h.r[1], 2);
        b.set_label(done);
        b.exit_tb(0);
        FakeCpu cpu;
        cpu.scratch[0] = v;
        FakeCpu out = run_both(block, cpu);
        EXPECT_EQ(out.r[0], static_cast<uint32_t>(v) == 5 ? 1u : 0u) << v;
        EXPECT_EQ(out.r[1], static_cast<int64_t>(v) < -1 ? 2u : 1u) << v;
    }
}

TEST_F(ControlTest, EnvLoadsAndStores) {
    Block block(h.g);
    Builder b(block);
    const int32_t s = offsetof(FakeCpu, scratch);
    I64 v = b.temp_i64();
    b.ld(v, s, kMoSB);
    b.mov(h.r[0], v);
    b.ld(v, s, kMoUW);
    b.mov(h.r[1], v);
    b.ld(v, s, kMoSL);
    b.mov(h.r[2], v);
    b.ld(v, s, kMoUQ);
    b.mov(h.r[3], v);
    I32 w = b.temp_i32();
    b.ld(w, s, kMoSW);
    b.mov(h.e[0], w);
    b.st(h.r[4], s + 8, kMo16);
    b.st(h.e[1], s + 16, kMo32);
    b.st(b.const_i64(0x1122334455667788ull), s + 24, kMo64);
    b.st(b.const_i32(0xabcd), s + 32, kMo8);
    b.exit_tb(0);
    FakeCpu cpu;
    cpu.scratch[0] = 0x00000000f0e0d0c0ull | (0x80ull << 56);
    cpu.r[4] = 0x123456789;
    cpu.e[1] = 0xfedcba98;
    cpu.scratch[1] = cpu.scratch[2] = cpu.scratch[4] = ~0ull;
    FakeCpu out = run_both(block, cpu);
    EXPECT_EQ(out.r[0], 0xffffffffffffffc0ull);
    EXPECT_EQ(out.r[1], 0xd0c0u);
    EXPECT_EQ(out.r[2], 0xfffffffff0e0d0c0ull);
    EXPECT_EQ(out.r[3], cpu.scratch[0]);
    EXPECT_EQ(out.e[0], 0xffffd0c0u);
    EXPECT_EQ(out.scratch[1], 0xffffffffffff6789ull);
    EXPECT_EQ(out.scratch[2], 0xfffffffffedcba98ull);
    EXPECT_EQ(out.scratch[3], 0x1122334455667788ull);
    EXPECT_EQ(out.scratch[4], 0xffffffffffffffcdull);
}

// restore_state from inside a helper, the way a faulting helper would.
Backend* g_backend = nullptr;
void helper_where(FakeCpu* env) {
    uint64_t data[2] = {0, 0};
    if (g_backend->restore_state(reinterpret_cast<uintptr_t>(__builtin_return_address(0)), data)) {
        env->r[10 + env->r[15]] = data[0];
        env->r[12 + env->r[15]] = data[1];
    }
    env->r[15]++;
}
const Helper kWhere{reinterpret_cast<const void*>(&helper_where), "where", 0};

TEST_F(ControlTest, RestoreStateFromHelper) {
    Block block(h.g);
    Builder b(block);
    b.insn_start(0x1000, 1);
    b.add(h.r[0], h.r[0], 1);
    b.call(kWhere, {b.env()});
    b.insn_start(0x1003, 2);
    b.add(h.r[0], h.r[0], 1);
    b.insn_start(0x1005, 3);
    b.call(kWhere, {b.env()});
    b.exit_tb(0);
    CompiledPair pair(be, block);
    for (int k = 0; k < 2; ++k) {
        g_backend = be.be[k].get();
        FakeCpu cpu;
        be.be[k]->exec(&cpu, pair.tb[k]);
        EXPECT_EQ(cpu.r[10], 0x1000u) << backend_name(k);
        EXPECT_EQ(cpu.r[12], 1u) << backend_name(k);
        EXPECT_EQ(cpu.r[11], 0x1005u) << backend_name(k);
        EXPECT_EQ(cpu.r[13], 3u) << backend_name(k);
    }
}

// guard_sext_i64's raise: records where (restore_state) and with which
// globals in env, then leaves the block as a faulting helper does.
sigjmp_buf g_guard_exit;
void helper_guard_raise(FakeCpu* env, uintptr_t retaddr) {
    uint64_t data[2] = {0, 0};
    g_backend->restore_state(retaddr, data);
    env->r[14] = data[0];
    siglongjmp(g_guard_exit, 1);
}
const Helper kGuardRaise{reinterpret_cast<const void*>(&helper_guard_raise), "guard_raise", 0};

// Runs tb; false when its guard raised. Alone in a function of its own, so
// that nothing the longjmp skips over is live across it.
[[gnu::noinline]] bool run_guarded(Backend* backend, FakeCpu* cpu, const TranslationBlock* tb) {
    if (sigsetjmp(g_guard_exit, 0) != 0) return false;
    backend->exec(cpu, *tb);
    return true;
}

TEST_F(ControlTest, GuardSextRaisesOutOfLineWithGlobalsInEnv) {
    Block block(h.g);
    Builder b(block);
    b.insn_start(0x2000, 0);
    b.add(h.r[1], h.r[1], 5);              // dirty in a register: must reach env before the raise
    b.insn_start(0x2004, 0);
    b.guard_sext(h.r[0], 48, kGuardRaise);
    b.add(h.r[2], h.r[2], 1);              // after the guard: only when it passed
    b.exit_tb(0);
    CompiledPair pair(be, block);
    for (int k = 0; k < 2; ++k) {
        g_backend = be.be[k].get();
        for (uint64_t v : {0x00007fffffffffffull, 0xffff800000000000ull, 0x0000800000000000ull, 0x8000000000000000ull}) {
            FakeCpu cpu;
            cpu.r[0] = v;
            const bool canonical = static_cast<uint64_t>(static_cast<int64_t>(v << 16) >> 16) == v;
            EXPECT_EQ(run_guarded(be.be[k].get(), &cpu, &pair.tb[k]), canonical) << backend_name(k);
            EXPECT_EQ(cpu.r[1], 5u) << backend_name(k);
            EXPECT_EQ(cpu.r[2], canonical ? 1u : 0u) << backend_name(k) << std::hex << " 0x" << v;
            EXPECT_EQ(cpu.r[14], canonical ? 0u : 0x2004u) << backend_name(k) << std::hex << " 0x" << v;
        }
    }
}

TranslationBlock* g_lookup_result = nullptr;
TranslationBlock* test_lookup(void*) { return g_lookup_result; }

TEST_F(ControlTest, LookupAndGotoPtr) {
    BackendConfig cfg = default_config();
    cfg.lookup_tb = &test_lookup;
    BothBackends bb(cfg);
    Block a(h.g), c(h.g);
    {
        Builder b(a);
        b.add(h.r[0], h.r[0], 1);
        b.lookup_and_goto_ptr();
    }
    {
        Builder b(c);
        b.mul(h.r[1], h.r[0], 2);
        b.exit_tb(7);
    }
    CompiledPair pa(bb, a), pc(bb, c);
    for (int k = 0; k < 2; ++k) {
        FakeCpu cpu;
        cpu.r[0] = 20;
        g_lookup_result = &pc.tb[k];
        EXPECT_EQ(bb.be[k]->exec(&cpu, pa.tb[k]), 7u) << backend_name(k);
        EXPECT_EQ(cpu.r[1], 42u) << backend_name(k);
        g_lookup_result = nullptr;
        EXPECT_EQ(bb.be[k]->exec(&cpu, pa.tb[k]), 0u) << backend_name(k);
        EXPECT_EQ(cpu.r[0], 22u) << backend_name(k);
    }
}

int g_lookups = 0;
TranslationBlock* counting_lookup(void* env) {
    ++g_lookups;
    return test_lookup(env);
}

TEST_F(ControlTest, IndirectJumpsProbeTheJumpTable) {
    // env's scratch[0] points at the table; the target pc is r0 + 1.
    BackendConfig cfg = default_config();
    cfg.lookup_tb = &counting_lookup;
    cfg.jump_table_offset = static_cast<int32_t>(offsetof(FakeCpu, scratch));
    BothBackends bb(cfg);
    const uint64_t key = JumpTable::key(0x1234, 0xffffffff);
    Block a(h.g), c(h.g);
    {
        Builder b(a);
        b.add(h.r[0], h.r[0], 1);
        b.lookup_and_goto_ptr(h.r[0], 0, key);
    }
    {
        Builder b(c);
        b.mul(h.r[1], h.r[0], 2);
        b.exit_tb(7);
    }
    CompiledPair pa(bb, a), pc(bb, c);
    for (int k = 0; k < 2; ++k) {
        JumpTable table;
        FakeCpu cpu;
        cpu.scratch[0] = reinterpret_cast<uint64_t>(table.entries());
        cpu.r[0] = 20;
        TranslationBlock& target = pc.tb[k];
        target.pc = 21;
        target.cs_base = 0;
        target.flags = 0x1234;
        target.cs_limit = 0xffffffff;
        // Empty table: the lookup answers.
        g_lookups = 0;
        g_lookup_result = &target;
        EXPECT_EQ(bb.be[k]->exec(&cpu, pa.tb[k]), 7u) << backend_name(k);
        EXPECT_EQ(cpu.r[1], 42u) << backend_name(k);
        EXPECT_EQ(g_lookups, 1) << backend_name(k);
        g_lookup_result = nullptr;
        if (!bb.be[k]->runs_host_code()) continue;   // the interpreter always asks
        // An entry for pc 21 with this key: the JIT goes there alone.
        table.set(target, false);
        cpu.r[0] = 20;
        EXPECT_EQ(bb.be[k]->exec(&cpu, pa.tb[k]), 7u);
        EXPECT_EQ(g_lookups, 1);
        // Another pc, or the same pc in another mode: a miss.
        cpu.r[0] = 21;
        EXPECT_EQ(bb.be[k]->exec(&cpu, pa.tb[k]), 0u);
        EXPECT_EQ(g_lookups, 2);
        target.flags = 0x1235;
        table.set(target, false);
        cpu.r[0] = 20;
        EXPECT_EQ(bb.be[k]->exec(&cpu, pa.tb[k]), 0u);
        EXPECT_EQ(g_lookups, 3);
        target.flags = 0x1234;
        target.cs_base = 0x10;
        table.set(target, false);
        cpu.r[0] = 20;
        EXPECT_EQ(bb.be[k]->exec(&cpu, pa.tb[k]), 0u);
        EXPECT_EQ(g_lookups, 4);
        // Dropped: a miss again.
        target.cs_base = 0;
        table.set(target, false);
        table.drop(target);
        cpu.r[0] = 20;
        EXPECT_EQ(bb.be[k]->exec(&cpu, pa.tb[k]), 0u);
        EXPECT_EQ(g_lookups, 5);
    }
}

TEST_F(ControlTest, ReturnsFollowTheReturnStack) {
    // Block `call` predicts a return to pc 21; block `ret` returns to r0 + 1
    // (a return in mode `key`, or in another mode); block `after` is what
    // the continuation gets linked to.
    BackendConfig cfg = default_config();
    cfg.lookup_tb = &counting_lookup;
    cfg.return_stack_offset = static_cast<int32_t>(offsetof(FakeCpu, return_stack));
    BothBackends bb(cfg);
    const uint64_t key = JumpTable::key(0x1234, 0xffffffff), other_key = JumpTable::key(0x1235, 0xffffffff);
    Block call(h.g), ret(h.g), ret_other_mode(h.g), ret_other_base(h.g), after(h.g);
    {
        Builder b(call);
        b.push_return(21, 0, key);
        b.exit_tb(5);
    }
    for (auto [block, k, base] : {std::tuple{&ret, key, 0}, std::tuple{&ret_other_mode, other_key, 0},
                                  std::tuple{&ret_other_base, key, 0x10}}) {
        Builder b(*block);
        b.add(h.r[0], h.r[0], 1);
        b.lookup_and_goto_ptr(h.r[0], base, k, true);
    }
    {
        Builder b(after);
        b.mul(h.r[1], h.r[0], 2);
        b.exit_tb(7);
    }
    CompiledPair pcall(bb, call), pret(bb, ret), pmode(bb, ret_other_mode), pbase(bb, ret_other_base),
        pafter(bb, after);
    for (int k = 0; k < 2; ++k) {
        Backend& be = *bb.be[k];
        FakeCpu cpu;
        const uintptr_t continuation_exit = reinterpret_cast<uintptr_t>(&pcall.tb[k]) | kReturnSlot;
        auto run_call = [&] { EXPECT_EQ(be.exec(&cpu, pcall.tb[k]), 5u) << backend_name(k); };
        auto run = [&](TranslationBlock& tb, uint64_t r0) {
            cpu.r[0] = r0;
            return be.exec(&cpu, tb);
        };
        g_lookups = 0;
        g_lookup_result = nullptr;
        if (!be.runs_host_code()) {
            // The interpreter has no return stack: every return is looked up.
            run_call();
            EXPECT_EQ(run(pret.tb[k], 20), 0u);
            EXPECT_EQ(g_lookups, 1);
            continue;
        }
        // A predicted return leaves through the continuation, unlinked...
        run_call();
        EXPECT_EQ(run(pret.tb[k], 20), continuation_exit);
        EXPECT_EQ(g_lookups, 0);
        // ... and once linked, goes straight to the block after the call.
        be.patch_jump(pcall.tb[k], kReturnSlot, &pafter.tb[k]);
        run_call();
        EXPECT_EQ(run(pret.tb[k], 20), 7u);
        EXPECT_EQ(cpu.r[1], 42u);
        EXPECT_EQ(g_lookups, 0);
        // The stack holds the last 16 calls.
        for (unsigned i = 0; i < ReturnStack::kDepth + 1; ++i) run_call();
        for (unsigned i = 0; i < ReturnStack::kDepth; ++i) EXPECT_EQ(run(pret.tb[k], 20), 7u);
        EXPECT_EQ(g_lookups, 0);
        // Another return address: a miss, which pops the record (as a CPU's
        // predictor does), so the next return misses too.
        cpu.return_stack.clear();
        run_call();
        EXPECT_EQ(run(pret.tb[k], 30), 0u);
        EXPECT_EQ(g_lookups, 1);
        EXPECT_EQ(run(pret.tb[k], 20), 0u);
        EXPECT_EQ(g_lookups, 2);
        // A return in another mode or with another code segment base.
        run_call();
        EXPECT_EQ(run(pmode.tb[k], 20), 0u);
        EXPECT_EQ(g_lookups, 3);
        run_call();
        EXPECT_EQ(run(pbase.tb[k], 20), 0u);
        EXPECT_EQ(g_lookups, 4);
        // Emptied (as the executor does when the code or mappings change).
        run_call();
        cpu.return_stack.clear();
        EXPECT_EQ(run(pret.tb[k], 20), 0u);
        EXPECT_EQ(g_lookups, 5);
        // A page's entries dropped (INVLPG): only returns to that page miss.
        run_call();
        cpu.return_stack.drop_page(0x5000, kPageMask);
        EXPECT_EQ(run(pret.tb[k], 20), 7u);
        run_call();
        cpu.return_stack.drop_page(0x10, kPageMask);
        EXPECT_EQ(run(pret.tb[k], 20), 0u);
        EXPECT_EQ(g_lookups, 6);
        // Unlinked again: the continuation exits for the executor to relink.
        be.patch_jump(pcall.tb[k], kReturnSlot, nullptr);
        run_call();
        EXPECT_EQ(run(pret.tb[k], 20), continuation_exit);
    }
}

TEST(BackendFactory, Names) {
    BackendConfig cfg = default_config();
    EXPECT_STREQ(make_backend("jit", cfg)->name(), "jit");
    EXPECT_STREQ(make_backend("interp", cfg)->name(), "interp");
    EXPECT_THROW(make_backend("llvm", cfg), Error);
}

}  // namespace
}  // namespace mimic::tcg::test
