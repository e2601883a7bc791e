// First checks of the CPU: reset state, real-mode and protected-mode
// integer code, lazy flags, memory operands and exceptions, through both
// tcg back ends.
#include "cpu_harness.h"

namespace mimic::x86::test {
namespace {

using Cpu = CpuFixture;

TEST_P(Cpu, ResetStateMatchesTheSdm) {
    cpu_->reset();
    EXPECT_EQ(st().seg[kCS].selector, 0xf000);
    EXPECT_EQ(st().seg[kCS].base, 0xffff0000u);
    EXPECT_EQ(st().eip, 0xfff0u);
    EXPECT_EQ(st().cr[0], 0x60000010u);
    EXPECT_EQ(reg(kRDX), default_cpu_model().version);   // family/model/stepping (qemu64: 0x60fb1)
    EXPECT_EQ(eflags(), 0x2u);
    EXPECT_EQ(st().idtr.limit, 0xffffu);
}

TEST_P(Cpu, RealModeArithmetic) {
    real_mode(R"(
        mov $0x1234, %ax
        mov $0x1111, %bx
        add %bx, %ax
        mov %ax, %cx
        sub $0x2345, %cx
        mov $0x10, %dx
        dec %dx
        hlt
    )");
    ASSERT_TRUE(run());
    EXPECT_EQ(reg(kRAX) & 0xffff, 0x2345u);
    EXPECT_EQ(reg(kRCX) & 0xffff, 0u);
    EXPECT_EQ(reg(kRDX) & 0xffff, 0xfu);
    EXPECT_EQ(eflags() & (kFlagZF | kFlagCF), 0u);
}

// On a 16-bit stack ENTER sets BP and SP only, whatever its operand size:
// the high halves of EBP and ESP stay (SDM ENTER: "StackSize = 16").
TEST_P(Cpu, Enter32On16BitStackKeepsTheHighHalves) {
    real_mode(R"(
        movl $0x1234abcd, %ebp
        movl $0x5a5a8000, %esp
        enterl $8, $0
        hlt
    )");
    ASSERT_TRUE(run());
    EXPECT_EQ(reg(kRBP), 0x12347ffcu);
    EXPECT_EQ(reg(kRSP), 0x5a5a7ff4u);
    EXPECT_EQ(rd32(0x7ffc), 0x1234abcdu);
}

TEST_P(Cpu, ProtectedModeLoopAndMemory) {
    protected_mode(R"(
        mov $100, %ecx
        xor %eax, %eax
    1:  add %ecx, %eax
        loop 1b
        mov %eax, 0x2000
        movl $0x11223344, 0x2004
        movzbl 0x2005, %ebx
        movswl 0x2006, %edx
        push %eax
        pop %esi
        hlt
    )");
    ASSERT_TRUE(run());
    EXPECT_EQ(reg(kRAX), 5050u);
    EXPECT_EQ(rd32(0x2000), 5050u);
    EXPECT_EQ(reg(kRBX), 0x33u);
    EXPECT_EQ(reg(kRDX), 0x1122u);
    EXPECT_EQ(reg(kRSI), 5050u);
}

TEST_P(Cpu, ConditionalBranchesAndFlags) {
    protected_mode(R"(
        xor %edi, %edi
        xor %edx, %edx
        mov $5, %eax
        cmp $7, %eax
        jb 1f
        or $1, %edi
    1:  jl 2f
        or $2, %edi
    2:  cmp $-1, %eax
        jg 3f
        or $4, %edi
    3:  ja 4f
        or $8, %edi
    4:  mov $0x7fffffff, %ebx
        add $1, %ebx
        jo 5f
        or $16, %edi
    5:  setc %cl
        sets %ch
        stc
        adc $0, %edx
        hlt
    )");
    ASSERT_TRUE(run());
    EXPECT_EQ(reg(kRDI), 8u);
    EXPECT_EQ(reg(kRCX) & 0xffff, 0x0100u);
    EXPECT_EQ(reg(kRDX), 1u);
}

TEST_P(Cpu, MulDivShiftsAndStrings) {
    protected_mode(R"(
        mov $1000, %eax
        mov $3000, %ecx
        mul %ecx
        mov $7, %ecx
        div %ecx
        mov %eax, %esi
        mov %edx, %edi
        mov $0x80000001, %ebx
        rol $1, %ebx
        shr $1, %ebx
        cld
        push %esi
        push %edi
        mov $0x3000, %edi
        mov $0xab, %al
        mov $16, %ecx
        rep stosb
        mov $0x3000, %esi
        mov $0x3100, %edi
        mov $4, %ecx
        rep movsl
        pop %edi
        pop %esi
        hlt
    )");
    ASSERT_TRUE(run());
    EXPECT_EQ(reg(kRSI), 3000000u / 7);
    EXPECT_EQ(reg(kRDI), 3000000u % 7);
    EXPECT_EQ(reg(kRBX), 0x1u);
    EXPECT_EQ(rd32(0x3100), 0xababababu);
    EXPECT_EQ(rd32(0x310c), 0xababababu);
}

TEST_P(Cpu, DebugPortOutput) {
    protected_mode(R"(
        mov $msg, %esi
        mov $0xe9, %dx
    1:  lodsb
        test %al, %al
        jz 2f
        out %al, %dx
        jmp 1b
    2:  hlt
    msg: .asciz "hello"
    )");
    ASSERT_TRUE(run());
    EXPECT_EQ(out_, "hello");
}

TEST_P(Cpu, DivideErrorGoesThroughTheIdt) {
    // IDT at 0x600 with #DE -> handler that sets EBX and skips the div.
    protected_mode(R"(
        xor %ecx, %ecx
        mov $1, %eax
        div %ecx
        hlt
        .org 0x100
        mov $0xdead, %ebx
        addl $2, (%esp)
        iret
    )");
    uint32_t handler = 0x10100;
    wr32(0x600, (0x08 << 16) | (handler & 0xffff));
    wr32(0x604, (handler & 0xffff0000) | 0x8e00);
    st().idtr = TableRegister{0x600, 0xff};
    ASSERT_TRUE(run());
    EXPECT_EQ(reg(kRBX), 0xdeadu);
}

INSTANTIATE_TEST_SUITE_P(Backends, Cpu, kBackends, backend_name);

}  // namespace
}  // namespace mimic::x86::test
