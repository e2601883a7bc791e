/* AES-NI and PCLMULQDQ (-cpu max): each instruction on the state and round
 * key of Intel's AES-NI white paper, against what the host CPU computed for
 * the same operands. new_insns_absent checks their #UD under qemu64. */
#include "lib.S"

        .set result, VARS + 0x10        /* 16 bytes */

/* OP: run `insn` on xmm0 = state, xmm1 = key; the result in xmm0 must be
 * `expected` (four dwords, lowest first). */
        .macro EXPECT_XMM0 d0, d1, d2, d3, tag
        movdqu %xmm0, result
        CHECK result, \d0, \tag
        CHECK result + 4, \d1, (\tag + 1)
        CHECK result + 8, \d2, (\tag + 2)
        CHECK result + 12, \d3, (\tag + 3)
        .endm
        .macro LOAD
        movdqu state, %xmm0
        movdqu key, %xmm1
        .endm

        .code16
start16:
        call enter_pm

        .code32
start32:
        SET_GATE 6, ud_handler
        /* CR0: EM off, MP on; CR4: OSFXSR | OSXMMEXCPT. */
        mov %cr0, %eax
        and $~0xc, %eax
        or $0x22, %eax
        mov %eax, %cr0
        mov %cr4, %eax
        or $0x600, %eax
        mov %eax, %cr4

        mov $1, %eax
        cpuid
        and $0x02000002, %ecx           /* AES (25), PCLMULQDQ (1) */
        CHECK %ecx, 0x02000002, 0x01

        LOAD
        aesenc %xmm1, %xmm0
        EXPECT_XMM0 0xded7e595, 0x8b104b58, 0x9fdba3c5, 0xa8311c2f, 0x10
        LOAD
        aesenclast %xmm1, %xmm0
        EXPECT_XMM0 0x53fdc611, 0x177ec425, 0x938c5964, 0xc7fb881e, 0x14
        LOAD
        aesdec %xmm1, %xmm0
        EXPECT_XMM0 0xb730392a, 0xb58eb95e, 0xfaea2787, 0x138ac342, 0x18
        LOAD
        aesdeclast key, %xmm0           /* a memory operand too */
        EXPECT_XMM0 0x72a593d0, 0xd410637b, 0x6b317f95, 0xc5a391ef, 0x1c
        LOAD
        aesimc %xmm0, %xmm0
        EXPECT_XMM0 0x81c3b3e5, 0x2b18330a, 0x44b109c8, 0x627a6f66, 0x20
        LOAD
        aeskeygenassist $0x1b, %xmm0, %xmm0
        EXPECT_XMM0 0xfb92a840, 0x40fb92b3, 0x2139204d, 0x4d21393b, 0x24
        LOAD
        pclmulqdq $0x00, %xmm1, %xmm0
        EXPECT_XMM0 0xd36f0451, 0x929633d5, 0x5c3440c0, 0x1d4d84c8, 0x28
        LOAD
        pclmulqdq $0x11, key, %xmm0
        EXPECT_XMM0 0x410fd4ed, 0xd66ee03e, 0x592e7c45, 0x1d1e1f2c, 0x2c
        jmp pass

/* #UD: the CPU refused one of them. */
ud_handler:
        mov $0x30, %eax
        jmp fail

        .p2align 4
state:  .long 0x5d53475d, 0x63746f72, 0x73745665, 0x7b5b5465
key:    .long 0x726f6e5d, 0x5b477565, 0x68617929, 0x48692853

#include "reset.S"
