/* SSE and x87 in 64-bit mode: REX.W MOVQ between GPRs and XMM8-15, GPRs
 * r8-r15 as operands (MOVQ, CVTSI2SD/CVTTSD2SI), RIP-relative memory
 * operands, and an FXSAVE64/FXRSTOR64 round trip of XMM15. */
#include "lib.S"
#include "lib64.S"

        .set FXAREA, VARS + 0x200

        .code16
start16:
        call enter_pm

        .code32
start32:
        jmp enter_long

        .code64
start64:
        mov %cr4, %rax
        or $0x600, %rax                    /* OSFXSR | OSXMMEXCPT */
        mov %rax, %cr4
        mov %cr0, %rax
        and $~0xc, %rax                    /* EM, TS off */
        mov %rax, %cr0
        fninit

        /* REX.W MOVQ both ways with XMM9 and R10. */
        movabs $0x1122334455667788, %rax
        movq %rax, %xmm9
        paddq %xmm9, %xmm9
        movq %xmm9, %r10
        CHECK64 %r10, 0x22446688aaccef10, 0x01
        /* The high quadword through r11/r12 (SSE2 only: every model). */
        movabs $0x0102030405060708, %r11
        movq %r11, %xmm8
        punpcklqdq %xmm8, %xmm9
        pshufd $0xee, %xmm9, %xmm10
        movq %xmm10, %r12
        CHECK64 %r12, 0x0102030405060708, 0x02
        /* 64-bit integer conversions with r13/r14. */
        movabs $-1234567890123, %r13
        cvtsi2sdq %r13, %xmm14
        cvttsd2si %xmm14, %r14
        CHECK64 %r14, -1234567890123, 0x03
        /* RIP-relative operands: SSE and x87. */
        movsd two(%rip), %xmm12
        addsd %xmm12, %xmm12
        movq %xmm12, %rax
        CHECK64 %rax, 0x4010000000000000, 0x04      /* 4.0 */
        fldl two(%rip)
        fmull two(%rip)
        fstpl FXAREA
        mov FXAREA, %rax
        CHECK64 %rax, 0x4010000000000000, 0x05
        /* FXSAVE64/FXRSTOR64 keep XMM8-15. */
        movabs $0x5555aaaa5555aaaa, %rax
        movq %rax, %xmm15
        fxsave64 FXAREA
        pxor %xmm15, %xmm15
        fxrstor64 FXAREA
        movq %xmm15, %rbx
        CHECK64 %rbx, 0x5555aaaa5555aaaa, 0x06
        jmp pass64

        .p2align 3
two:    .quad 0x4000000000000000

#include "reset.S"
