// The verifier rejects ill-typed and ill-formed IR.
#include "harness.h"

namespace mimic::tcg::test {
namespace {

class VerifierTest : public ::testing::Test {
protected:
    Harness h;
    Block block{h.g};
    Builder b{block};

    std::string first_error() {
        auto errors = verify(block);
        return errors.empty() ? "" : errors.front();
    }
};

TEST_F(VerifierTest, AcceptsWellFormedBlock) {
    Label l = b.new_label();
    b.add(h.e[0], h.e[0], 1u);
    b.brcond(Cond::Lt, h.r[0], h.r[1], l);
    b.ext_i32_i64(h.r[2], h.e[0]);
    b.set_label(l);
    b.exit_tb(0);
    EXPECT_EQ(verify(block), std::vector<std::string>{});
}

TEST_F(VerifierTest, RejectsWrongOperandType) {
    b.emit(Opcode::add_i32, {h.e[0].idx, h.r[0].idx, h.e[1].idx});
    b.exit_tb(0);
    EXPECT_EQ(first_error(), "op 0 (add_i32): input 0 (r0) is I64, expected I32");
    EXPECT_THROW(verify_or_throw(block), Error);
}

TEST_F(VerifierTest, RejectsWriteToConstantOrEnv) {
    b.emit(Opcode::mov_i32, {b.const_i32(1).idx, h.e[0].idx});
    b.emit(Opcode::mov_i64, {b.env().idx, h.r[0].idx});
    b.exit_tb(0);
    auto errors = verify(block);
    ASSERT_EQ(errors.size(), 2u);
    EXPECT_EQ(errors[0], "op 0 (mov_i32): output 0 ($0x1) is read-only");
    EXPECT_EQ(errors[1], "op 1 (mov_i64): output 0 (env) is read-only");
}

TEST_F(VerifierTest, RejectsUnsetAndDoubleLabels) {
    Label l = b.new_label(), m = b.new_label();
    b.br(l);
    b.set_label(m);
    b.set_label(m);
    b.exit_tb(0);
    auto errors = verify(block);
    ASSERT_EQ(errors.size(), 2u);
    EXPECT_EQ(errors[0], "op 2 (set_label): label L1 set twice");
    EXPECT_EQ(errors[1], "label L0 is never set");
}

TEST_F(VerifierTest, RejectsFallingOffTheEnd) {
    b.add(h.e[0], h.e[0], 1u);
    EXPECT_EQ(first_error(), "block falls off its end after add_i32");
}

TEST_F(VerifierTest, RejectsBadConstants) {
    b.emit(Opcode::setcond_i32, {h.e[0].idx, h.e[1].idx, h.e[2].idx, 99});
    b.extract(h.e[0], h.e[1], 30, 4);
    b.qemu_ld(h.e[0], h.r[0], kMo64, 0);
    b.goto_tb(2);
    b.ld(h.e[0], static_cast<int32_t>(offsetof(FakeCpu, r)), kMo32);   // overlaps r0
    b.exit_tb(0);
    auto errors = verify(block);
    ASSERT_EQ(errors.size(), 5u);
    EXPECT_EQ(errors[0], "op 0 (setcond_i32): bad condition 99");
    EXPECT_EQ(errors[1], "op 1 (extract_i32): bit field pos 30 len 4 outside 32 bits");
    EXPECT_EQ(errors[2], "op 2 (qemu_ld_i32): 64-bit access with an I32 value");
    EXPECT_EQ(errors[3], "op 3 (goto_tb): slot 2 (only 0 and 1 exist)");
    EXPECT_EQ(errors[4], "op 4 (ld_i32): env offset 0 overlaps global r0");
}

// Every MMU index names a table of the softmmu TLB.
TEST_F(VerifierTest, RejectsMmuIndexWithoutTlb) {
    b.qemu_ld(h.r[0], h.r[1], kMo64, kNumMmuModes - 1);
    b.qemu_ld(h.r[0], h.r[1], kMo64, kNumMmuModes);
    b.exit_tb(0);
    auto errors = verify(block);
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0], fmt::format("op 1 (qemu_ld_i64): bad mmu index {}", kNumMmuModes));
}

TEST_F(VerifierTest, RejectsBadCall) {
    static const Helper kNull{nullptr, "null", 0};
    b.call(kNull, {h.r[0]});
    b.exit_tb(0);
    EXPECT_EQ(first_error(), "op 0 (call): no helper function");
}

}  // namespace
}  // namespace mimic::tcg::test
