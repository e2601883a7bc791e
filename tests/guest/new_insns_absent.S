/* The default model (qemu64) lacks MOVBE, RDRAND, RDSEED, RDPID, FSGSBASE,
 * CLFLUSHOPT, CLWB, AES-NI and PCLMULQDQ: CPUID says so, each instruction is #UD, and
 * CR4.FSGSBASE is reserved (#GP). new_insns checks them under -cpu max. */
#include "lib.S"

        .set ud_count, VARS
        .set gp_count, VARS + 4
        .set resume, VARS + 8
        .set word, VARS + 16

/* EXPECT_UD tag, insn: `insn` must raise #UD (and changes nothing). */
        .macro EXPECT_UD tag, insn:vararg
        movl $8f, resume
        mov ud_count, %ebx
        inc %ebx
        \insn
8:      cmp ud_count, %ebx
        je 9f
        mov $\tag, %eax
        jmp fail
9:
        .endm

        .code16
start16:
        call enter_pm

        .code32
start32:
        SET_GATE 6, ud_handler
        SET_GATE 13, gp_handler
        movl $0, ud_count
        movl $0, gp_count

        mov $1, %eax
        cpuid
        and $((1 << 22) | (1 << 30)), %ecx
        CHECK %ecx, 0, 0x01
        mov $7, %eax
        xor %ecx, %ecx
        cpuid
        and $((1 << 0) | (1 << 18) | (1 << 23) | (1 << 24)), %ebx
        CHECK %ebx, 0, 0x02
        and $(1 << 22), %ecx
        CHECK %ecx, 0, 0x03

        EXPECT_UD 0x10, rdpid %eax
        EXPECT_UD 0x11, rdrand %eax
        EXPECT_UD 0x12, rdseed %eax
        EXPECT_UD 0x13, movbe word, %eax
        EXPECT_UD 0x14, movbe %eax, word
        EXPECT_UD 0x15, clflushopt word
        EXPECT_UD 0x16, clwb word
        clflush word                    /* which qemu64 has */
        CHECK ud_count, 7, 0x17

        /* AES-NI and PCLMULQDQ: #UD, where SSE2 itself runs. */
        mov %cr0, %eax
        and $~0xc, %eax
        or $0x22, %eax
        mov %eax, %cr0
        mov %cr4, %eax
        or $0x600, %eax
        mov %eax, %cr4
        pxor %xmm1, %xmm0
        CHECK ud_count, 7, 0x1a
        EXPECT_UD 0x1b, aesenc %xmm1, %xmm0
        EXPECT_UD 0x1c, aeskeygenassist $1, %xmm1, %xmm0
        EXPECT_UD 0x1d, pclmulqdq $0, %xmm1, %xmm0

        /* CR4.FSGSBASE is reserved without FSGSBASE. */
        movl $1f, resume
        mov %cr4, %eax
        or $(1 << 16), %eax
        mov %eax, %cr4
1:      CHECK gp_count, 1, 0x18
        mov %cr4, %eax
        and $(1 << 16), %eax
        CHECK %eax, 0, 0x19
        jmp pass

/* #UD and #GP: count them and continue at `resume`. */
ud_handler:
        incl ud_count
        jmp 1f
gp_handler:
        add $4, %esp                    /* the error code */
        incl gp_count
1:      push %eax
        mov resume, %eax
        mov %eax, 4(%esp)
        pop %eax
        iret

#include "reset.S"
