// Optimizer passes: each in isolation (IR text before/after) and all of them
// preserving semantics on random blocks.
#include <random>

#include "harness.h"
#include "mimic/tcg/printer.h"

namespace mimic::tcg::test {
namespace {

uint64_t helper_id(uint64_t a) { return a; }
const Helper kPureHelper{reinterpret_cast<const void*>(&helper_id), "pure", kHelperPure};
const Helper kEffectHelper{reinterpret_cast<const void*>(&helper_id), "effect", 0};

class OptTest : public ::testing::Test {
protected:
    Harness h;
    Block block{h.g};
    Builder b{block};
};

TEST_F(OptTest, ConstantFolding) {
    I64 t = b.add(b.const_i64(2), b.const_i64(3));
    b.add(h.r[0], h.r[1], t);             // t is known: becomes an immediate
    b.mul(h.r[2], h.r[1], uint64_t{1});    // x * 1
    b.xor_(h.r[3], h.r[1], h.r[1]);        // x ^ x
    b.and_(h.e[0], h.e[1], 0u);            // x & 0
    b.shl(h.e[1], h.e[2], 32u);            // shift counts are modulo the width
    I32 c = b.setcond(Cond::Ltu, b.const_i32(1), b.const_i32(2));
    Label l = b.new_label();
    b.brcond(Cond::Eq, c, 1u, l);          // always taken
    b.div(h.r[4], h.r[1], uint64_t{0});    // undefined: must not be folded away
    b.set_label(l);
    b.exit_tb(0);
    fold_constants(block);
    EXPECT_EQ(print_block(block),
              " mov_i64 tmp0,$0x5\n"
              " add_i64 r0,r1,$0x5\n"
              " mov_i64 r2,r1\n"
              " mov_i64 r3,$0x0\n"
              " mov_i32 e0,$0x0\n"
              " mov_i32 e1,e2\n"
              " mov_i32 tmp1,$0x1\n"
              " br $L0\n"
              " div_i64 r4,r1,$0x0\n"
              " set_label $L0\n"
              " exit_tb $0x0\n");
    EXPECT_EQ(verify(block), std::vector<std::string>{});
}

TEST_F(OptTest, ConstantKnowledgeEndsAtLabels) {
    Label l = b.new_label();
    I64 t = b.temp_i64();
    b.movi(t, 7);
    b.brcond(Cond::Eq, h.r[0], uint64_t{0}, l);
    b.movi(t, 8);
    b.set_label(l);
    b.add(h.r[1], t, uint64_t{1});
    b.exit_tb(0);
    fold_constants(block);
    EXPECT_NE(print_block(block).find(" add_i64 r1,tmp0,$0x1\n"), std::string::npos) << print_block(block);
}

// Zero-extensions of values known to be below 2^32 become moves; the
// knowledge ends at labels and is not assumed for 64-bit loads.
TEST_F(OptTest, ZeroExtensionsOfSmallValuesAreMoves) {
    I64 w = b.temp_i64(), q = b.temp_i64();
    b.qemu_ld(w, h.r[1], kMoUL, 0);
    b.ext32u(h.r[2], w);                       // a 32-bit load: a move
    b.and_(h.r[3], b.xor_(w, b.const_i64(7)), uint64_t{0xffffffff});   // both small: a move
    b.qemu_ld(q, h.r[1], kMoUQ, 0);
    b.ext32u(h.r[4], q);                       // a 64-bit load: kept
    Label l = b.new_label();
    b.set_label(l);
    b.ext32u(h.r[5], w);                       // after a label: kept
    b.exit_tb(0);
    fold_constants(block);
    EXPECT_EQ(print_block(block),
              " qemu_ld_i64 tmp0,r1,ul,0\n"
              " mov_i64 r2,tmp0\n"
              " xor_i64 r3,tmp0,$0x7\n"   // computed where the mask's result goes
              " mov_i64 tmp2,r3\n"
              " qemu_ld_i64 tmp1,r1,uq,0\n"
              " ext32u_i64 r4,tmp1\n"
              " set_label $L0\n"
              " ext32u_i64 r5,tmp0\n"
              " exit_tb $0x0\n");
}

// The same for bytes and words: a byte load, a flag or a mask is already as
// narrow as the extension; a wider value or a signed load is not.
TEST_F(OptTest, ByteAndWordExtensionsOfNarrowValuesAreMoves) {
    I64 byte = b.temp_i64(), sbyte = b.temp_i64();
    b.qemu_ld(byte, h.r[1], kMoUB, 0);
    b.ext8u(h.r[2], byte);                                   // a byte load: a move
    b.ext16u(h.r[3], b.shr(b.and_(h.r[0], uint64_t{0xfff0}), uint64_t{4}));   // 12 bits: a move
    b.ext8u(h.r[4], b.shr(b.and_(h.r[0], uint64_t{0xfff0}), uint64_t{4}));    // 12 bits: kept
    b.qemu_ld(sbyte, h.r[1], kMoSB, 0);
    b.ext8u(h.r[5], sbyte);                                  // sign-extended: kept
    I32 flag = b.setcond(Cond::Ltu, h.e[0], h.e[1]);
    b.ext8u(h.e[2], flag);                                   // 0 or 1: a move
    b.and_(h.e[3], flag, 0xffu);                             // the same as a mask
    b.exit_tb(0);
    fold_constants(block);
    const std::string text = print_block(block);
    EXPECT_NE(text.find(" mov_i64 r2,tmp0\n"), std::string::npos) << text;
    EXPECT_NE(text.find(" shr_i64 r3,"), std::string::npos) << text;   // the extension went: computed in r3
    EXPECT_NE(text.find(" ext8u_i64 r4,"), std::string::npos) << text;
    EXPECT_NE(text.find(" ext8u_i64 r5,tmp1\n"), std::string::npos) << text;
    EXPECT_NE(text.find(" setcond_i32 e2,"), std::string::npos) << text;
    EXPECT_NE(text.find(" mov_i32 e3,"), std::string::npos) << text;
    EXPECT_EQ(text.find("ext16u"), std::string::npos) << text;
    EXPECT_EQ(verify(block), std::vector<std::string>{});
}

TEST_F(OptTest, CopyPropagation) {
    I64 t = b.temp_i64();
    b.mov(t, h.r[0]);
    b.add(h.r[1], t, t);
    b.movi(h.r[0], 1);          // t's source changes: the copy is over
    b.add(h.r[2], t, h.r[0]);
    b.call(kEffectHelper, h.r[3], {t});
    b.exit_tb(0);
    propagate_copies(block);
    EXPECT_EQ(print_block(block),
              " mov_i64 tmp0,r0\n"
              " add_i64 r1,r0,r0\n"
              " mov_i64 r0,$0x1\n"
              " add_i64 r2,tmp0,r0\n"
              " call effect,$0x0,$1,r3,tmp0\n"
              " exit_tb $0x0\n");
}

TEST_F(OptTest, ResultsCopiedToGlobalsAreComputedThere) {
    // x86's ADD: the sum goes to the register and to the flags' source.
    I64 sum = b.add(h.r[0], h.r[1]);
    b.mov(h.r[0], sum);
    I64 diff = b.sub(sum, uint64_t{7});
    b.mov(diff, diff);   // what folding leaves of a mask to the full width
    b.mov(h.r[2], diff);
    b.mov(h.r[3], sum);
    b.exit_tb(0);
    fold_constants(block);
    EXPECT_EQ(print_block(block),
              " add_i64 r0,r0,r1\n"
              " mov_i64 tmp0,r0\n"
              " sub_i64 r2,r0,$0x7\n"
              " mov_i64 r2,r2\n"
              " mov_i64 tmp1,r2\n"
              " mov_i64 r3,r0\n"
              " exit_tb $0x0\n");
    EXPECT_EQ(verify(block), std::vector<std::string>{});
}

// A discarded global's last value is not needed: its computation goes,
// unless a memory access (which may fault and then needs env current)
// comes between; the discard itself stays, to keep ending liveness.
TEST_F(OptTest, DiscardedValuesAreNotComputed) {
    b.add(h.r[1], h.r[0], uint64_t{1});
    b.discard(h.r[1]);
    b.sub(h.r[2], h.r[0], uint64_t{1});
    b.qemu_ld(h.r[3], h.r[0], kMo32, 0);
    b.discard(h.r[2]);
    b.exit_tb(0);
    eliminate_dead_code(block);
    EXPECT_EQ(print_block(block),
              " discard_i64 r1\n"
              " sub_i64 r2,r0,$0x1\n"
              " qemu_ld_i64 r3,r0,ul,0\n"
              " discard_i64 r2\n"
              " exit_tb $0x0\n");
    EXPECT_EQ(verify(block), std::vector<std::string>{});
}

// A branch to a label that only jumps on goes straight to the jump's target.
TEST_F(OptTest, BranchesToJumpsAreThreaded) {
    Label head = b.new_label(), back = b.new_label();
    b.set_label(head);
    b.add(h.r[0], h.r[0], uint64_t{1});
    b.brcond(Cond::Ne, h.r[0], h.r[1], back);
    b.exit_tb(0);
    b.set_label(back);
    b.br(head);
    eliminate_dead_code(block);
    EXPECT_NE(print_block(block).find(" brcond_i64 r0,r1,ne,$L0\n"), std::string::npos) << print_block(block);
    EXPECT_EQ(verify(block), std::vector<std::string>{});
}

TEST_F(OptTest, DeadCodeElimination) {
    b.add(h.r[0], h.r[1]);                       // unused temp
    b.mov(h.r[2], h.r[0]);                       // overwritten before anyone reads r2
    b.mov(h.r[2], h.r[1]);
    I64 unused = b.temp_i64();
    b.call(kPureHelper, unused, {h.r[0]});       // pure helper, result unused
    b.call(kEffectHelper, unused, {h.r[0]});     // side effects: stays
    b.mov(h.r[3], h.r[0]);
    b.qemu_ld(h.r[4], h.r[0], kMo32, 0);         // may fault: stays although r4 is overwritten
    b.movi(h.r[4], 0);
    b.exit_tb(0);
    b.add(h.r[5], h.r[5], 1);                    // unreachable
    b.exit_tb(1);
    eliminate_dead_code(block);
    EXPECT_EQ(print_block(block),
              " mov_i64 r2,r1\n"
              " call effect,$0x0,$1,tmp1,r0\n"
              " mov_i64 r3,r0\n"
              " qemu_ld_i64 r4,r0,ul,0\n"
              " mov_i64 r4,$0x0\n"
              " exit_tb $0x0\n");
}

TEST_F(OptTest, GlobalsStayLiveAcrossSyncPoints) {
    b.movi(h.r[2], 5);                  // read by the helper through env
    b.call(kEffectHelper, {h.r[0]});
    b.movi(h.r[2], 6);
    b.movi(h.r[3], 5);                  // guest memory access may fault: r3 must be in env
    b.qemu_st(h.r[0], h.r[1], kMo8, 0);
    b.movi(h.r[3], 6);
    b.exit_tb(0);
    std::string before = print_block(block);
    eliminate_dead_code(block);
    EXPECT_EQ(print_block(block), before);
}

// A global the target restores at faults from insn_start data need not be
// in env at a memory access where that data knows it: a write to it that a
// later one overwrites is dead there, but not where the data says unknown,
// nor before a helper or an exit.
TEST_F(OptTest, GlobalsRestoredAtFaultsNeedNotBeInEnvAtMemoryAccesses) {
    constexpr uint64_t kUnknown = 0;
    h.g.restore_at_faults(h.e[7], 1, kUnknown);
    b.insn_start(0x10, 3);
    b.movi(h.e[7], 4);                       // dead: restored at a fault in the next instruction
    b.insn_start(0x11, 4);
    b.qemu_st(h.r[0], h.r[1], kMo8, 0);
    b.movi(h.e[7], 5);                       // live: the next instruction does not know it
    b.insn_start(0x12, kUnknown);
    b.qemu_st(h.r[0], h.r[1], kMo8, 0);
    b.movi(h.e[7], 6);                       // live: the helper reads env
    b.call(kEffectHelper, {h.r[0]});
    b.movi(h.e[7], 7);                       // live: the exit
    b.exit_tb(0);
    eliminate_dead_code(block);
    const std::string text = print_block(block);
    EXPECT_EQ(text.find("e7,$0x4"), std::string::npos) << text;
    for (const char* kept : {"e7,$0x5", "e7,$0x6", "e7,$0x7"}) EXPECT_NE(text.find(kept), std::string::npos) << text;
}

// The same extension of an unchanged value is a move of the first result.
TEST_F(OptTest, RepeatedExtensionsAreMoves) {
    b.ext32u(h.r[2], h.r[0]);
    b.ext32u(h.r[3], h.r[0]);                  // the same: a move from r2
    b.ext8u(h.r[4], h.r[0]);                   // another extension: kept
    b.add(h.r[0], h.r[0], uint64_t{1});
    b.ext32u(h.r[5], h.r[0]);                  // r0 changed: kept
    b.exit_tb(0);
    fold_constants(block);
    const std::string text = print_block(block);
    EXPECT_NE(text.find(" mov_i64 r3,r2\n"), std::string::npos) << text;
    EXPECT_NE(text.find(" ext8u_i64 r4,r0\n"), std::string::npos) << text;
    EXPECT_NE(text.find(" ext32u_i64 r5,r0\n"), std::string::npos) << text;
}

// A bit field at bit 0 as wide as a byte, word or doubleword is an
// extension (one movsx/movzx on the host); other fields stay fields.
TEST_F(OptTest, LowFieldsOfExtensionWidthAreExtensions) {
    b.sextract(h.r[1], h.r[0], 0, 32);
    b.sextract(h.r[2], h.r[0], 0, 16);
    b.extract(h.r[3], h.r[0], 0, 8);
    b.sextract(h.r[4], h.r[0], 0, 12);   // no such extension: kept
    b.extract(h.r[5], h.r[0], 8, 8);     // not at bit 0: kept
    b.exit_tb(0);
    fold_constants(block);
    const std::string text = print_block(block);
    EXPECT_NE(text.find(" ext32s_i64 r1,r0\n"), std::string::npos) << text;
    EXPECT_NE(text.find(" ext16s_i64 r2,r0\n"), std::string::npos) << text;
    EXPECT_NE(text.find(" ext8u_i64 r3,r0\n"), std::string::npos) << text;
    EXPECT_NE(text.find(" sextract_i64 r4,r0"), std::string::npos) << text;
    EXPECT_NE(text.find(" extract_i64 r5,r0"), std::string::npos) << text;
    EXPECT_EQ(verify(block), std::vector<std::string>{});
}

// x86's SETcc writes the low byte (a deposit): with a zero underneath, or
// read back through a byte extension, that is the 0/1 flag itself.
TEST_F(OptTest, FlagsDepositedIntoALowByteReadBackAsTheFlag) {
    I64 flag = b.setcond(Cond::Ltu, h.r[0], h.r[1]);
    b.deposit(h.r[2], b.const_i64(0), flag, 0, 8);   // xor eax, eax; setb al
    b.deposit(h.r[3], h.r[3], flag, 0, 8);           // setb bl; movzx ebx, bl
    b.ext8u(h.r[4], h.r[3]);
    b.deposit(h.r[5], h.r[5], h.r[11], 0, 8);
    b.movi(h.r[11], 0);
    b.ext8u(h.r[7], h.r[5]);                         // kept: r11 changed since
    b.deposit(h.r[8], h.r[8], h.r[9], 0, 16);
    b.ext8u(h.r[10], h.r[8]);                        // the low byte of r9: r9 unchanged
    b.exit_tb(0);
    fold_constants(block);
    const std::string text = print_block(block);
    EXPECT_EQ(text.find(" deposit_i64 r2"), std::string::npos) << text;
    EXPECT_NE(text.find(" mov_i64 r4,"), std::string::npos) << text;
    EXPECT_NE(text.find(" ext8u_i64 r7,r5\n"), std::string::npos) << text;
    EXPECT_NE(text.find(" ext8u_i64 r10,r9\n"), std::string::npos) << text;
    EXPECT_EQ(verify(block), std::vector<std::string>{});
}

// A movcond or brcond testing a comparison's 0/1 result against zero tests
// the comparison, unless an operand of it changed in between.
TEST_F(OptTest, TestsOfAComparisonResultTestTheComparison) {
    I64 flag = b.setcond(Cond::Ltu, h.r[0], h.r[1]);
    I32 low = b.temp_i32();
    b.emit(Opcode::extrl_i64_i32, {low.idx, flag.idx});
    I64 wide = b.temp_i64();
    b.emit(Opcode::extu_i32_i64, {wide.idx, low.idx});
    b.movcond(Cond::Ne, h.r[2], wide, b.const_i64(0), h.r[3], h.r[4]);
    b.movcond(Cond::Eq, h.r[5], flag, b.const_i64(0), h.r[3], h.r[4]);
    I64 stale = b.setcond(Cond::Eq, h.r[6], h.r[7]);
    b.add(h.r[6], h.r[6], uint64_t{1});
    b.movcond(Cond::Ne, h.r[2], stale, b.const_i64(0), h.r[3], h.r[4]);
    Label l = b.new_label();
    b.brcond(Cond::Ne, flag, uint64_t{0}, l);
    b.set_label(l);
    b.exit_tb(0);
    fold_constants(block);
    const std::string text = print_block(block);
    EXPECT_NE(text.find(" movcond_i64 r2,r0,r1,r3,r4,ltu\n"), std::string::npos) << text;
    EXPECT_NE(text.find(" movcond_i64 r5,r0,r1,r3,r4,geu\n"), std::string::npos) << text;
    EXPECT_NE(text.find(" movcond_i64 r2,tmp"), std::string::npos) << text;   // r6 changed: kept
    EXPECT_NE(text.find(" brcond_i64 r0,r1,ltu,$L0\n"), std::string::npos) << text;
    EXPECT_EQ(verify(block), std::vector<std::string>{});
}

// Random straight-line code with forward branches over globals, temps and
// constants: optimized and unoptimized blocks agree on both back ends.
TEST_F(OptTest, RandomBlocksKeepTheirMeaning) {
    static const Opcode kOps[] = {Opcode::add_i64, Opcode::sub_i64, Opcode::mul_i64,  Opcode::and_i64,
                                  Opcode::or_i64,  Opcode::xor_i64, Opcode::shl_i64,  Opcode::shr_i64,
                                  Opcode::sar_i64, Opcode::rotl_i64, Opcode::andc_i64, Opcode::mulsh_i64};
    std::mt19937_64 gen(2024);
    BothBackends be;
    for (int round = 0; round < 300; ++round) {
        Block blk(h.g);
        Builder bb(blk);
        std::vector<uint32_t> pool;
        for (int i = 0; i < 8; ++i) pool.push_back(h.r[i].idx);
        for (int i = 0; i < 6; ++i) {
            I64 t = bb.temp_i64();
            bb.mov(t, h.r[i]);   // every temp is defined on every path
            pool.push_back(t.idx);
        }
        const uint64_t consts[] = {0, 1, 2, 3, 63, 64, ~0ull, 0x8000000000000000ull};
        std::vector<std::pair<int, Label>> pending;   // labels to set after N more ops
        int n = 10 + int(gen() % 40);
        for (int i = 0; i < n; ++i) {
            auto pick = [&]() -> uint32_t {
                if (gen() % 4 == 0) return blk.new_const(Type::I64, consts[gen() % std::size(consts)]);
                return pool[gen() % pool.size()];
            };
            uint32_t dst = pool[gen() % pool.size()];
            switch (gen() % 12) {
            case 10:
            case 11: {
                // Extensions, often of the same source twice.
                static const Opcode kExt[] = {Opcode::ext8s_i64, Opcode::ext8u_i64, Opcode::ext16u_i64,
                                              Opcode::ext32s_i64, Opcode::ext32u_i64};
                const Opcode op = kExt[gen() % std::size(kExt)];
                const uint32_t src = pool[gen() % 4];
                bb.emit(op, {dst, src});
                if (gen() % 2) bb.emit(kOps[gen() % std::size(kOps)], {pool[gen() % pool.size()], pick(), pick()});
                bb.emit(op, {pool[gen() % pool.size()], src});
                break;
            }
            case 8:
            case 9: {
                // A flag tested against zero, maybe after its comparison's
                // operands change.
                const uint32_t flag = pool[gen() % pool.size()];
                const uint32_t a = pick(), c = pick();
                bb.emit(Opcode::setcond_i64, {flag, a, c, gen() % kNumConds});
                if (gen() % 2) bb.emit(kOps[gen() % std::size(kOps)], {pool[gen() % pool.size()], pick(), pick()});
                const uint64_t test = gen() % 2 ? uint64_t(Cond::Eq) : uint64_t(Cond::Ne);
                const uint32_t zero = blk.new_const(Type::I64, 0);
                if (gen() % 8 == 0) {   // through 32 bits and back
                    I32 low = bb.temp_i32();
                    bb.emit(Opcode::extrl_i64_i32, {low.idx, flag});
                    bb.emit(Opcode::extu_i32_i64, {flag, low.idx});
                }
                if (gen() % 2) {
                    bb.emit(Opcode::movcond_i64, {dst, flag, zero, pick(), pick(), test});
                } else {
                    Label l = bb.new_label();
                    bb.emit(Opcode::brcond_i64, {flag, zero, test, l.id});
                    pending.emplace_back(i + 1 + int(gen() % 5), l);
                }
                break;
            }
            case 0: bb.emit(Opcode::mov_i64, {dst, pick()}); break;
            case 1: bb.emit(Opcode::setcond_i64, {dst, pick(), pick(), gen() % kNumConds}); break;
            case 2: bb.emit(Opcode::movcond_i64, {dst, pick(), pick(), pick(), pick(), gen() % kNumConds}); break;
            case 3: {
                Label l = bb.new_label();
                bb.emit(Opcode::brcond_i64, {pick(), pick(), gen() % kNumConds, l.id});
                pending.emplace_back(i + 1 + int(gen() % 5), l);
                break;
            }
            default: bb.emit(kOps[gen() % std::size(kOps)], {dst, pick(), pick()}); break;
            }
            for (auto it = pending.begin(); it != pending.end();) {
                if (it->first == i) {
                    bb.set_label(it->second);
                    it = pending.erase(it);
                } else {
                    ++it;
                }
            }
        }
        for (auto& p : pending) bb.set_label(p.second);
        bb.exit_tb(0);
        ASSERT_EQ(verify(blk), std::vector<std::string>{});
        Block opt = blk;
        optimize(opt);
        ASSERT_EQ(verify(opt), std::vector<std::string>{}) << print_block(opt);

        CompiledPair plain(be, blk), optimized(be, opt);
        FakeCpu start;
        for (int i = 0; i < 8; ++i) start.r[i] = gen() % 3 == 0 ? gen() % 5 : gen();
        FakeCpu ref = start;
        be.be[1]->exec(&ref, plain.tb[1]);
        for (int k = 0; k < 2; ++k) {
            for (auto* pair : {&plain, &optimized}) {
                FakeCpu cpu = start;
                be.be[k]->exec(&cpu, pair->tb[k]);
                ASSERT_EQ(0, std::memcmp(cpu.r, ref.r, sizeof(ref.r)))
                    << backend_name(k) << (pair == &plain ? " plain" : " optimized") << " round " << round << "\n"
                    << print_block(blk) << "optimized:\n" << print_block(opt);
            }
        }
    }
}

}  // namespace
}  // namespace mimic::tcg::test
