/* x87 and SSE system behaviour: arithmetic through memory, FXSAVE/FXRSTOR
 * round trip, lazy FPU switching with CR0.TS (#NM), an unmasked x87
 * exception delivered as #MF at the next waiting instruction, an unmasked
 * SSE exception delivered as #XM, CR0.EM (#NM for x87, #UD for SSE) and
 * XSAVE/XRSTOR with XGETBV/XSETBV. */
#include "lib.S"

        .set NM_COUNT, VARS + 0x00
        .set MF_COUNT, VARS + 0x04
        .set XM_COUNT, VARS + 0x08
        .set UD_COUNT, VARS + 0x0c
        .set TMP, VARS + 0x10
        .set ENV, VARS + 0x100
        .set FXAREA, VARS + 0x200      /* 16-byte aligned */
        .set XAREA, VARS + 0x400       /* 64-byte aligned */

        .code16
start16:
        call enter_pm

        .code32
start32:
        SET_GATE 6, ud_handler
        SET_GATE 7, nm_handler
        SET_GATE 16, mf_handler
        SET_GATE 19, xm_handler
        movl $0, NM_COUNT
        movl $0, MF_COUNT
        movl $0, XM_COUNT
        movl $0, UD_COUNT
        /* CR0: EM off, MP and NE on; CR4: OSFXSR | OSXMMEXCPT. */
        mov %cr0, %eax
        and $~0xc, %eax
        or $0x22, %eax
        mov %eax, %cr0
        mov %cr4, %eax
        or $0x600, %eax
        mov %eax, %cr4
        fninit

        /* 1: x87 arithmetic through memory: 1.5 + 1.5 = 3.0 (m32 round trip). */
        flds f_one_half
        fadd %st(0), %st(0)
        fstps TMP
        CHECK TMP, 0x40400000, 0x01
        fnstsw %ax
        and $0x3800, %eax            /* TOP back to 0 */
        CHECK %eax, 0, 0x02
        /* FSQRT(2.0) rounded to double. */
        fldl d_two
        fsqrt
        fstpl TMP
        CHECK TMP, 0x667f3bcd, 0x03
        CHECK TMP+4, 0x3ff6a09e, 0x04

        /* Fences and CLFLUSH (SSE/SSE2, in every model). */
        mfence
        lfence
        sfence
        clflush TMP

        /* 2: SSE: 1.5 + 1.5 in xmm0, and a packed integer add. */
        movss f_one_half, %xmm0
        addss %xmm0, %xmm0
        movd %xmm0, %eax
        CHECK %eax, 0x40400000, 0x10
        movdqu pattern, %xmm1
        paddd %xmm1, %xmm1
        movdqu %xmm1, TMP
        CHECK TMP, 0x02020202, 0x11
        CHECK TMP+12, 0x08080808, 0x12

        /* 3: FXSAVE/FXRSTOR round trip. */
        fninit
        fldl d_two                   /* ST0 = 2.0 */
        movdqu pattern, %xmm2
        fxsave FXAREA
        CHECK FXAREA+160+32, 0x01010101, 0x20      /* XMM2 in the image */
        fninit
        pxor %xmm2, %xmm2
        fxrstor FXAREA
        fstpl TMP
        CHECK TMP+4, 0x40000000, 0x21
        movdqu %xmm2, TMP
        CHECK TMP+4, 0x02020202, 0x22
        /* FXSAVE to a misaligned address: #GP(0). */
        SET_GATE 13, gp_expected
        fxsave FXAREA+8
        CHECK %eax, 0xbad, 0x23         /* not reached */
gp_back:
        SET_GATE 13, unexpected

        /* 3b: FNSTENV/FNSAVE/FRSTOR, 32-bit protected-mode format: FCW, FSW
         * (TOP), the full tag word (valid, zero, empty), FIP/FCS/FOP of the
         * last x87 instruction, reserved halves as ones. */
        fninit
        fld1
fldz_insn:
        fldz
        fnstenv ENV
        CHECK ENV+0, 0xffff037f, 0x24
        CHECK ENV+4, 0xffff3000, 0x25
        CHECK ENV+8, 0xffff1fff, 0x26
        CHECK ENV+12, fldz_insn, 0x27
        CHECK ENV+16, 0x01ee0008, 0x28
        CHECK ENV+0, 0xffff037f, 0x29       /* FNSTENV masks exceptions afterwards: already all masked */
        fnsave ENV
        CHECK ENV+28, 0, 0x2a                /* ST0 = 0.0: mantissa low */
        CHECK ENV+38+4, 0x80000000, 0x2b     /* ST1 = 1.0: mantissa high */
        xor %eax, %eax
        fnstsw %ax
        CHECK %eax, 0, 0x2c                  /* FNSAVE reinitialises */
        frstor ENV
        fstpl TMP                            /* 0.0 */
        fstpl TMP+8                          /* 1.0 */
        CHECK TMP+12, 0x3ff00000, 0x2d
        /* The 16-bit format (operand-size prefix): 14 bytes. */
        fninit
        fld1
        data16 fnstenv ENV
        CHECK ENV+0, 0x3800037f, 0x2e        /* FCW, FSW */
        movzwl ENV+4, %eax
        CHECK %eax, 0x3fff, 0x2f
        fninit

        /* 3c: pushes and pops move TOP and a tag, not the registers. After
         * FNINIT (TOP 0) FLD1 loads R7 and FLDZ R6; FXCH swaps them; FSTP
         * ST(0) empties R6 but keeps its 1.0, which FXSAVE shows as ST(7)
         * and MM6 reads. */
        fld1
        fldz
        fxch %st(1)
        fstp %st(0)
        fxsave FXAREA
        CHECK FXAREA+0, 0x3800037f, 0x38       /* FCW; FSW: TOP 7 */
        CHECK FXAREA+4, 0x05d80080, 0x39       /* tags: R7 only; FOP DD D8 */
        CHECK FXAREA+32+4, 0, 0x3a             /* ST0 = R7 = 0.0 */
        CHECK FXAREA+32+8, 0, 0x3b
        CHECK FXAREA+32+7*16+4, 0x80000000, 0x3c   /* ST7 = R6 = 1.0 */
        CHECK FXAREA+32+7*16+8, 0x3fff, 0x3d
        movq %mm6, TMP
        CHECK TMP+4, 0x80000000, 0x3e
        xor %eax, %eax
        fnstsw %ax
        CHECK %eax, 0x0000, 0x3f               /* MMX: TOP 0 */
        emms
        fninit

        /* 4: lazy FPU switching: with CR0.TS the first x87 and the first SSE
         * instruction raise #NM; the handler clears TS and they re-execute. */
        mov %cr0, %eax
        or $8, %eax
        mov %eax, %cr0
        fld1
        CHECK NM_COUNT, 1, 0x30
        fstps TMP
        CHECK TMP, 0x3f800000, 0x31
        mov %cr0, %eax
        or $8, %eax
        mov %eax, %cr0
        addss %xmm0, %xmm0
        CHECK NM_COUNT, 2, 0x32
        /* WAIT only faults with MP and TS both set. */
        mov %cr0, %eax
        or $8, %eax
        mov %eax, %cr0
        fwait
        CHECK NM_COUNT, 3, 0x33

        /* 5: unmasked zero divide: FDIV sets ES, the next waiting x87
         * instruction takes #MF (the handler clears the exception). */
        fninit
        fldcw cw_zm_unmasked
        fld1
        fldz
        fdivrp                       /* 1 / 0: ZE, pending */
        CHECK MF_COUNT, 0, 0x40
        fnstsw %ax
        and $0x0084, %eax            /* ES, ZE */
        CHECK %eax, 0x0084, 0x41
        fwait                        /* #MF here */
        CHECK MF_COUNT, 1, 0x42
        /* With CR0.NE=0 the error goes to FERR# (not wired: ignored, as
         * with IGNNE#): no #MF, the exception stays pending. */
        mov %cr0, %eax
        and $~0x20, %eax
        mov %eax, %cr0
        fld1
        fldz
        fdivrp
        fwait
        fld1                          /* a waiting instruction: still no #MF, ES stays */
        fstp %st(0)
        CHECK MF_COUNT, 1, 0x43
        xor %eax, %eax
        fnstsw %ax
        and $0x0084, %eax
        CHECK %eax, 0x0084, 0x44
        mov %cr0, %eax
        or $0x20, %eax
        mov %eax, %cr0
        fninit
        /* FLDENV of an unmasked flag without ES: still pending (#MF at the
         * next waiting instruction). */
        fnstenv ENV
        movw $0x037b, ENV+0
        movw $0x0004, ENV+4
        fldenv ENV
        fld1
        CHECK MF_COUNT, 2, 0x45
        fninit

        /* 6: unmasked SSE divide by zero: #XM at the instruction; the
         * handler masks it and the retry completes with ZE set. */
        ldmxcsr mxcsr_zm_unmasked
        movss f_one_half, %xmm3
        xorps %xmm4, %xmm4
        divss %xmm4, %xmm3
        CHECK XM_COUNT, 1, 0x50
        stmxcsr TMP
        CHECK TMP, 0x1f84, 0x51
        movd %xmm3, %eax
        CHECK %eax, 0x7f800000, 0x52     /* +inf after the masked retry */
        /* Without CR4.OSXMMEXCPT the same is #UD. */
        ldmxcsr mxcsr_zm_unmasked
        mov %cr4, %eax
        and $~0x400, %eax
        mov %eax, %cr4
        movl $0, UD_COUNT
        movss f_one_half, %xmm3
        divss %xmm4, %xmm3
        CHECK UD_COUNT, 1, 0x53
        mov %cr4, %eax
        or $0x400, %eax
        mov %eax, %cr4
        ldmxcsr mxcsr_default

        /* 7: CR0.EM: x87 raises #NM, SSE raises #UD. */
        movl $0, NM_COUNT
        movl $0, UD_COUNT
        mov %cr0, %eax
        or $4, %eax
        mov %eax, %cr0
        movss f_one_half, %xmm0       /* #UD; the handler clears EM */
        CHECK UD_COUNT, 1, 0x60
        mov %cr0, %eax
        or $4, %eax
        mov %eax, %cr0
        fld1                          /* #NM; the handler clears TS and EM */
        CHECK NM_COUNT, 1, 0x61
        fninit

        /* 7b: an extension the model does not report is #UD (SSSE3 PSHUFB:
         * not in qemu64, in max). */
        movl $0, UD_COUNT
        mov $1, %eax
        cpuid
        shr $9, %ecx
        and $1, %ecx
        xor $1, %ecx                  /* expected #UD count */
        mov %ecx, TMP
pshufb_insn:
        pshufb %xmm1, %xmm0
        mov UD_COUNT, %eax
        cmp TMP, %eax
        je 1f
        mov $0x62, %eax
        jmp fail
1:
        /* 8: XSAVE: #UD until CR4.OSXSAVE; XCR0 = x87|SSE; round trip. */
        movl $0, UD_COUNT
        xor %ecx, %ecx
xgetbv_insn:
        xgetbv
        CHECK UD_COUNT, 1, 0x70
        mov $1, %eax
        cpuid
        bt $27, %ecx                  /* OSXSAVE clear */
        jnc 1f
        mov $0x71, %eax
        jmp fail
1:      bt $26, %ecx                  /* XSAVE supported? */
        jc 1f
        /* Not in this model: CR4.OSXSAVE is reserved (#GP). */
        SET_GATE 13, gp_expected3
        mov %cr4, %eax
        or $0x40000, %eax
        mov %eax, %cr4
        mov $0x72, %eax
        jmp fail
1:      mov %cr4, %eax
        or $0x40000, %eax
        mov %eax, %cr4
        mov $1, %eax
        cpuid
        bt $27, %ecx
        jc 1f
        mov $0x73, %eax
        jmp fail
1:      xor %ecx, %ecx
        mov $3, %eax
        xor %edx, %edx
        xsetbv
        xor %ecx, %ecx
        xgetbv
        CHECK %eax, 3, 0x74
        /* Clear the header, save, clobber, restore. */
        mov $XAREA, %edi
        xor %eax, %eax
        mov $(576 / 4), %ecx
        rep stosl
        movdqu pattern, %xmm5
        fldl d_two
        mov $3, %eax
        xor %edx, %edx
        xsave XAREA
        CHECK XAREA+512, 3, 0x75          /* XSTATE_BV */
        fninit
        pxor %xmm5, %xmm5
        mov $3, %eax
        xor %edx, %edx
        xrstor XAREA
        movdqu %xmm5, TMP
        CHECK TMP, 0x01010101, 0x76
        fstpl TMP
        CHECK TMP+4, 0x40000000, 0x77
        /* XSETBV with SSE but without x87 is #GP. */
        SET_GATE 13, gp_expected2
        xor %ecx, %ecx
        mov $2, %eax
        xor %edx, %edx
        xsetbv
        CHECK %eax, 0xbad, 0x78
gp_back2:
        jmp pass

nm_handler:
        incl NM_COUNT
        push %eax
        mov %cr0, %eax
        and $~0xc, %eax              /* CLTS, and EM off */
        mov %eax, %cr0
        pop %eax
        iret

mf_handler:
        incl MF_COUNT
        fnclex
        iret

xm_handler:
        incl XM_COUNT
        ldmxcsr mxcsr_default_zf
        iret

ud_handler:
        incl UD_COUNT
        push %eax
        mov %cr0, %eax
        and $~4, %eax
        mov %eax, %cr0
        pop %eax
        /* #UD of an SSE instruction with OSXMMEXCPT clear: mask for the retry;
         * #UD of XGETBV without OSXSAVE: skip its three bytes. */
        cmpl $xgetbv_insn, (%esp)
        jne 1f
        addl $3, (%esp)
1:      cmpl $pshufb_insn, (%esp)
        jne 1f
        addl $5, (%esp)
1:      ldmxcsr mxcsr_default
        iret

gp_expected:
        add $8, %esp                  /* error code, eip */
        add $4, %esp                  /* cs */
        popf
        jmp gp_back
gp_expected2:
        add $12, %esp
        popf
        jmp gp_back2
gp_expected3:
        add $12, %esp
        popf
        jmp pass

        .p2align 4
pattern: .long 0x01010101, 0x02020202, 0x03030303, 0x04040404
f_one_half: .long 0x3fc00000
d_two: .quad 0x4000000000000000
cw_zm_unmasked: .word 0x037b
mxcsr_zm_unmasked: .long 0x1d80
mxcsr_default: .long 0x1f80
mxcsr_default_zf: .long 0x1f80

#include "reset.S"
