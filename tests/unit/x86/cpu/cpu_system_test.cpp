// External interrupts (IF, the STI shadow, HLT wake-up), the triple fault
// hook, #UD and #GP verdicts, and segment limit checks.
#include <thread>

#include "cpu_harness.h"

namespace mimic::x86::test {
namespace {

class FakePic : public InterruptController {
public:
    bool has_interrupt() override { return pending >= 0; }
    uint8_t acknowledge() override {
        int v = pending;
        pending = -1;
        ++acks;
        return static_cast<uint8_t>(v);
    }
    int pending = -1;
    int acks = 0;
};

class Sys : public CpuFixture {
protected:
    // An IDT at 0x600 whose vectors 0..0x3f all go to `handler_addr`.
    void idt_all(uint32_t handler_addr) {
        for (uint32_t v = 0; v < 0x40; ++v) {
            wr32(0x600 + v * 8, (0x08 << 16) | (handler_addr & 0xffff));
            wr32(0x604 + v * 8, (handler_addr & 0xffff0000) | 0x8e00);
        }
        st().idtr = TableRegister{0x600, 0x40 * 8 - 1};
    }
    FakePic pic_;
};

TEST_P(Sys, InterruptWaitsForTheStiShadowAndWakesHlt) {
    // The handler counts in EBX and records where it interrupted in ESI.
    protected_mode(R"(
        sti
        mov $1, %eax       # the STI shadow covers this instruction
        mov $2, %eax
        hlt
        mov $3, %eax
        hlt
        .org 0x100
        inc %ebx
        mov (%esp), %esi
        iret
    )");
    idt_all(0x10100);
    cpu_->set_interrupt_controller(&pic_);
    st().regs[kRBX] = 0;
    pic_.pending = 0x20;
    cpu_->set_irq_line(true);
    ASSERT_TRUE(run());
    // Delivered after `mov $1` (shadow), before `mov $2`.
    EXPECT_EQ(reg(kRBX), 1u);
    EXPECT_EQ(reg(kRSI), 0x10000u + 1 + 5);
    EXPECT_EQ(reg(kRAX), 2u);
    // Halted: an interrupt (from another thread) wakes it and execution goes on after HLT.
    pic_.pending = 0x21;
    std::thread irq([this] { cpu_->set_irq_line(true); });
    cpu_->wait_for_work(std::chrono::seconds(10));
    irq.join();
    ASSERT_TRUE(run());
    EXPECT_EQ(reg(kRBX), 2u);
    EXPECT_EQ(reg(kRAX), 3u);
    EXPECT_EQ(pic_.acks, 2);
}

TEST_P(Sys, MaskedInterruptIsNotTaken) {
    protected_mode(R"(
        cli
        mov $7, %eax
        hlt
    )");
    cpu_->set_interrupt_controller(&pic_);
    pic_.pending = 0x20;
    cpu_->set_irq_line(true);
    ASSERT_TRUE(run());
    EXPECT_EQ(reg(kRAX), 7u);
    EXPECT_EQ(pic_.acks, 0);
}

TEST_P(Sys, TripleFaultRequestsAReset) {
    // No IDT at all: #UD -> #GP on the IDT limit -> #DF -> shutdown.
    protected_mode("ud2\n");
    st().idtr = TableRegister{0, 0};
    EXPECT_FALSE(run());
    EXPECT_EQ(resets_, 1);
}

TEST_P(Sys, InvalidOpcodeAndOverlongInstruction) {
    // #UD for UD2 and for LOCK on an instruction that does not allow it; #GP(0) for a
    // 16-byte instruction. The handler stores the vector-specific marker.
    protected_mode(R"(
        ud2
        .byte 0xf0, 0x90         # lock nop: #UD
        .byte 0x66,0x66,0x66,0x66,0x66,0x66,0x66,0x66,0x66,0x66,0x66,0x66,0x66,0x66,0x66,0x90
        hlt
        .org 0x100
        inc %edi
        addl $2, (%esp)
        iret
        .org 0x200
        inc %esi
        pop %edx
        addl $16, (%esp)
        iret
    )");
    idt_all(0x10100);
    wr32(0x600 + 13 * 8, (0x08 << 16) | 0x0200);
    wr32(0x604 + 13 * 8, 0x00018e00);
    st().regs[kRDI] = 0;
    st().regs[kRSI] = 0;
    ASSERT_TRUE(run());
    EXPECT_EQ(reg(kRDI), 2u);   // two #UD
    EXPECT_EQ(reg(kRSI), 1u);   // one #GP
    EXPECT_EQ(reg(kRDX), 0u);   // error code 0
}

TEST_P(Sys, SegmentLimitChecks) {
    // DS limited to 0xfff: [0xffe] dword -> #GP(0); SS limited: push below -> #SS.
    protected_mode(R"(
        mov $0x18, %ax
        mov %ax, %ds
        movl 0xffc, %eax     # fits
        movl 0xffe, %eax     # crosses the limit: #GP
        mov $0x10, %ax
        mov %ax, %ds
        hlt
        .org 0x100
        inc %edi
        pop %edx
        addl $6, (%esp)
        iret
    )");
    // GDT 0x18: data, base 0, limit 0xfff (byte granular).
    wr32(0x518, 0x00000fff);
    wr32(0x51c, 0x00409300);
    st().gdtr.limit = 0x1f;
    idt_all(0x10100);
    st().regs[kRDI] = 0;
    ASSERT_TRUE(run());
    EXPECT_EQ(reg(kRDI), 1u);
    EXPECT_EQ(reg(kRDX), 0u);
}

TEST_P(Sys, ArplWritesOnlyWhenItRaisesTheRpl) {
    // ES 0x18 is read-only: ARPL that leaves the selector alone does not
    // write (no #GP); one that must raise its RPL writes, and faults.
    protected_mode(R"(
        mov $0x18, %ax
        mov %ax, %es
        movw $0x0013, 0x2000
        mov $0x0001, %bx
        arpl %bx, %es:0x2000     # RPL 3 >= 1: ZF = 0, nothing written
        setz %cl
        mov $0x0003, %bx
        movw $0x0010, 0x2004
        arpl %bx, 0x2004         # writable DS: RPL 0 -> 3, ZF = 1
        setz %ch
        arpl %bx, %es:0x2000     # RPL 3 already: still no write
        movw $0x0010, 0x2008
        arpl %bx, %es:0x2008     # must write through read-only ES: #GP
        hlt
        .org 0x100
        inc %edi
        pop %edx
        addl $7, (%esp)
        iret
    )");
    // GDT 0x18: read-only data, flat.
    wr32(0x518, 0x0000ffff);
    wr32(0x51c, 0x00cf9100);
    st().gdtr.limit = 0x1f;
    idt_all(0x10100);
    st().regs[kRDI] = 0;
    ASSERT_TRUE(run());
    EXPECT_EQ(reg(kRCX) & 0xffff, 0x0100u);
    EXPECT_EQ(rd32(0x2000) & 0xffff, 0x0013u);
    EXPECT_EQ(rd32(0x2004) & 0xffff, 0x0013u);
    EXPECT_EQ(rd32(0x2008) & 0xffff, 0x0010u);
    EXPECT_EQ(reg(kRDI), 1u);   // the one #GP
}

TEST_P(Sys, DebugRegisterFixedBitsAndRfInExceptionImages) {
    // DR6 reads its reserved bits as ones (0xffff0ff0) and DR7 bit 10 as
    // one. An instruction breakpoint (#DB fault) pushes RF as it is (clear);
    // any other fault pushes RF set (SDM 17.3.1.1).
    protected_mode(R"(
        xor %eax, %eax
        mov %eax, %dr6
        mov %dr6, %ebx
        mov %eax, %dr7
        mov %dr7, %ecx
        mov $bp, %eax
        mov %eax, %dr0
        mov $1, %eax             # L0: break on executing `bp`
        mov %eax, %dr7
    bp: nop
        ud2
        hlt
        .org 0x100
        hlt                      # any other vector stops here
        .org 0x200
        mov 8(%esp), %edx        # #DB: its EFLAGS image
        mov %dr6, %ebp
        orl $0x10000, 8(%esp)    # resume past the breakpoint
        iret
        .org 0x300
        mov 8(%esp), %esi        # #UD: its EFLAGS image
        addl $2, (%esp)
        iret
    )");
    idt_all(0x10100);
    for (auto [vector, handler] : {std::pair{1u, 0x10200u}, std::pair{6u, 0x10300u}}) {
        wr32(0x600 + vector * 8, (0x08 << 16) | (handler & 0xffff));
        wr32(0x604 + vector * 8, (handler & 0xffff0000) | 0x8e00);
    }
    ASSERT_TRUE(run());
    EXPECT_EQ(reg(kRBX), 0xffff0ff0u);
    EXPECT_EQ(reg(kRCX), 0x400u);
    EXPECT_EQ(reg(kRDX) & kFlagRF, 0u);
    EXPECT_EQ(reg(kRBP) & 0xf, 1u);
    EXPECT_EQ(reg(kRSI) & kFlagRF, kFlagRF);
    EXPECT_LT(st().eip, 0x10100u);   // the program's own HLT
}

TEST_P(Sys, MisalignedMovapsIsGeneralProtection) {
    // The 16-byte alignment of MOVAPS is #GP(0), not alignment checking's #AC.
    protected_mode(R"(
        mov %cr4, %eax
        or $0x600, %eax          # OSFXSR, OSXMMEXCPT
        mov %eax, %cr4
        mov %cr0, %eax
        and $~0xc, %eax          # EM, TS clear
        mov %eax, %cr0
        movaps %xmm0, 0x2008
        movaps 0x2018, %xmm1
        hlt
        .org 0x100
        hlt                      # any other vector stops here
        .org 0x200
        inc %esi                 # #GP
        pop %edx
        addl $7, (%esp)
        iret
    )");
    idt_all(0x10100);
    wr32(0x600 + 13 * 8, (0x08 << 16) | 0x0200);
    wr32(0x604 + 13 * 8, 0x00010000 | 0x8e00);
    st().regs[kRSI] = 0;
    ASSERT_TRUE(run());
    EXPECT_EQ(reg(kRSI), 2u);
    EXPECT_LT(st().eip, 0x10100u);   // the program's own HLT
}

TEST_P(Sys, SingleStepTrapsAfterEachInstruction) {
    // TF set by POPF: #DB after each following instruction until the
    // handler (which runs with TF clear) has counted three and clears it.
    protected_mode(R"(
        pushf
        orl $0x100, (%esp)
        popf
        nop
        nop
        nop
        nop
        hlt
        .org 0x100
        inc %edi
        cmp $3, %edi
        jne 1f
        andl $~0x100, 8(%esp)
    1:  iret
    )");
    idt_all(0x10100);
    st().regs[kRDI] = 0;
    ASSERT_TRUE(run());
    EXPECT_EQ(reg(kRDI), 3u);
    EXPECT_EQ(st().eip, 0x10000u + 1 + 7 + 1 + 4 + 1);   // halted after the HLT
}

TEST_P(Sys, Int3AndIntoAreTraps) {
    protected_mode(R"(
        int3
        mov $0x7fffffff, %eax
        add $1, %eax
        into
        hlt
        .org 0x100
        inc %edi
        mov (%esp), %esi
        iret
    )");
    idt_all(0x10100);
    st().regs[kRDI] = 0;
    ASSERT_TRUE(run());
    EXPECT_EQ(reg(kRDI), 2u);
    EXPECT_EQ(reg(kRSI), 0x10000u + 1 + 5 + 3 + 1);   // INTO returns after itself
}

TEST_P(Sys, A20GateWrapsAtOneMegabyte) {
    // FFFF:0010 is linear 0x100000: with A20 closed it is physical 0.
    real_mode(R"(
        mov $0xffff, %ax
        mov %ax, %es
        movw $0x1234, %es:0x10
        hlt
        movw $0x5678, %es:0x10
        hlt
    )");
    cpu_->set_a20(false);
    ASSERT_TRUE(run());
    EXPECT_EQ(rd32(0) & 0xffff, 0x1234u);
    EXPECT_EQ(rd32(0x100000) & 0xffff, 0u);
    cpu_->set_a20(true);
    st().halted = false;   // nothing else would wake it
    ASSERT_TRUE(run());
    EXPECT_EQ(rd32(0x100000) & 0xffff, 0x5678u);
    EXPECT_EQ(rd32(0) & 0xffff, 0x1234u);
}

TEST_P(Sys, BranchBeyondTheCodeSegmentLimitFaults) {
    // CS limited to 0x100ff: JMP to 0x10200 raises #GP(0) at the JMP.
    protected_mode(R"(
        mov $1, %eax
        jmp 1f
        .org 0x80
        inc %edi
        mov 4(%esp), %esi
        hlt
        .org 0x200
    1:  mov $2, %eax
        hlt
    )");
    idt_all(0x10080);
    st().seg[kCS].limit = 0x100ff;
    update();
    st().regs[kRDI] = 0;
    ASSERT_TRUE(run());
    EXPECT_EQ(reg(kRDI), 1u);
    EXPECT_EQ(reg(kRAX), 1u);
    EXPECT_EQ(reg(kRSI), 0x10005u);   // the faulting JMP
}

INSTANTIATE_TEST_SUITE_P(Backends, Sys, kBackends, backend_name);

}  // namespace
}  // namespace mimic::x86::test
