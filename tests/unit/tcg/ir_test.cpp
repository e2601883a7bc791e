// Builder and printer.
#include "harness.h"
#include "mimic/tcg/printer.h"

namespace mimic::tcg::test {
namespace {

uint64_t helper_nop(uint64_t a) { return a; }
const Helper kNop{reinterpret_cast<const void*>(&helper_nop), "nop", kHelperPure};

TEST(IrPrinter, PrintsOneLinePerOp) {
    Harness h;
    Block block(h.g);
    Builder b(block);
    b.insn_start(0x1000);
    b.add(h.e[0], h.e[0], h.e[1]);
    I32 t = b.setcond(Cond::Ltu, h.e[0], h.e[1]);
    Label l = b.new_label();
    b.brcond(Cond::Eq, t, 0u, l);
    b.qemu_ld(h.r[1], h.r[0], kMoSL | kMoBigEndian, 2);
    b.qemu_st(h.e[2], h.r[0], kMoUW | kMoAlignNatural, 1);
    b.call(kNop, h.r[2], {h.r[1]});
    b.deposit(h.e[3], h.e[3], t, 8, 8);
    b.set_label(l);
    b.goto_tb(0);
    b.exit_tb(0x10);
    EXPECT_EQ(print_block(block),
              " ---- 0x1000 0x0\n"
              " add_i32 e0,e0,e1\n"
              " setcond_i32 tmp0,e0,e1,ltu\n"
              " brcond_i32 tmp0,$0x0,eq,$L0\n"
              " qemu_ld_i64 r1,r0,besl,2\n"
              " qemu_st_i32 e2,r0,al2+uw,1\n"
              " call nop,$0x7,$1,r2,r1\n"
              " deposit_i32 e3,e3,tmp0,$0x8,$0x8\n"
              " set_label $L0\n"
              " goto_tb $0x0\n"
              " exit_tb $0x10\n");
}

TEST(IrPrinter, LivenessAnnotations) {
    Harness h;
    Block block(h.g);
    Builder b(block);
    I64 t = b.add(h.r[0], h.r[1]);
    b.mov(h.r[2], t);
    b.exit_tb(0);
    compute_liveness(block);
    std::string text = print_block(block, true);
    EXPECT_NE(text.find(" mov_i64 r2,tmp0  dead: 1\n"), std::string::npos) << text;
}

TEST(IrBuilder, ConstantsAreShared) {
    Harness h;
    Block block(h.g);
    Builder b(block);
    EXPECT_EQ(b.const_i32(5).idx, b.const_i32(5).idx);
    EXPECT_NE(b.const_i32(5).idx, b.const_i64(5).idx);
    EXPECT_EQ(b.const_i32(0xffffffffu).idx, block.new_const(Type::I32, ~0ull));
}

TEST(IrTypes, MemOpHelpers) {
    EXPECT_EQ(memop_size(kMo64), 8u);
    EXPECT_EQ(memop_align(kMo32 | kMoAlignNatural), 4u);
    EXPECT_EQ(memop_align(kMo64 | mo_align(1)), 2u);
    EXPECT_EQ(memop_align(kMo16), 1u);
    EXPECT_EQ(memop_extend(kMoSB, 0x80), 0xffffffffffffff80ull);
    EXPECT_EQ(memop_extend(kMoUW, 0x12348000), 0x8000u);
    EXPECT_EQ(memop_bswap(kMo32 | kMoBigEndian, 0x11223344), 0x44332211u);
    EXPECT_FALSE(memop_valid(kMo64 | kMoSign));
    // Page-crossing accesses compare against the next page.
    EXPECT_EQ(tlb_compare_value(0x1ffe, kMo32), 0x2000u);
    EXPECT_EQ(tlb_compare_value(0x1ffc, kMo32), 0x1000u);
    EXPECT_EQ(tlb_compare_value(0x1ffd, kMo32 | kMoAlignNatural), 0x1001u);
}

TEST(IrTypes, Conditions) {
    for (unsigned i = 0; i < kNumConds; ++i) {
        Cond c = static_cast<Cond>(i);
        for (uint64_t a : {0ull, 1ull, ~0ull, 0x80000000ull}) {
            for (uint64_t bv : {0ull, 1ull, ~0ull, 0x80000000ull}) {
                for (Type t : {Type::I32, Type::I64}) {
                    EXPECT_EQ(cond_eval(cond_invert(c), t, a, bv), !cond_eval(c, t, a, bv));
                    EXPECT_EQ(cond_eval(cond_swap(c), t, bv, a), cond_eval(c, t, a, bv));
                }
            }
        }
    }
}

}  // namespace
}  // namespace mimic::tcg::test
