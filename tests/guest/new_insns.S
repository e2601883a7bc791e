/* Instructions of newer CPUs (-cpu max, long mode): their CPUID bits;
 * RDFSBASE #UD until CR4.FSGSBASE, then the FS/GS base instructions (FS
 * accesses see a WRFSBASE, 32-bit forms zero-extend, a non-canonical
 * WRGSBASE is #GP(0) and changes nothing); RDPID reads what WRMSR put in
 * IA32_TSC_AUX; MOVBE loads and stores of 16, 32 and 64 bits; RDRAND and
 * RDSEED set CF alone and give different values; CLFLUSHOPT, CLWB and
 * PREFETCHW run. new_insns_absent checks the #UDs of a model without them. */
#include "lib.S"
#include "lib64.S"

        .set ud_count, VARS
        .set gp_count, VARS + 8
        .set gp_err, VARS + 16
        .set resume, VARS + 24
        .set word, VARS + 32
        .set saved, VARS + 40
        .set FSDATA, 0x30000
        .set GSDATA, 0x31000

/* TRY insn: runs `insn`; if it faults, the handler goes on after it. */
        .macro TRY insn:vararg
        movq $8f, resume
        \insn
8:
        .endm

/* CHECK_FLAGS value, tag: the arithmetic flags (OF SF ZF AF PF CF) are `value`. */
        .macro CHECK_FLAGS value, tag
        pushfq
        pop saved
        andq $0x8d5, saved
        CHECK64 saved, \value, \tag
        .endm

        .code16
start16:
        call enter_pm

        .code32
start32:
        jmp enter_long

        .code64
start64:
        SET_GATE64 6, ud_handler
        SET_GATE64 13, gp_handler
        movq $0, ud_count
        movq $0, gp_count

        /* CPUID.1:ECX: MOVBE (22), RDRAND (30). */
        mov $1, %eax
        cpuid
        and $((1 << 22) | (1 << 30)), %ecx
        CHECK64 %rcx, (1 << 22) | (1 << 30), 0x01
        /* CPUID.(7,0):EBX: FSGSBASE (0), ERMS (9), RDSEED (18), CLFLUSHOPT (23), CLWB (24); ECX: RDPID (22). */
        mov $7, %eax
        xor %ecx, %ecx
        cpuid
        and $((1 << 0) | (1 << 9) | (1 << 18) | (1 << 23) | (1 << 24)), %ebx
        CHECK64 %rbx, (1 << 0) | (1 << 9) | (1 << 18) | (1 << 23) | (1 << 24), 0x02
        and $(1 << 22), %ecx
        CHECK64 %rcx, 1 << 22, 0x03
        /* CPUID.80000001H:ECX: 3DNowPrefetch (8). */
        mov $0x80000001, %eax
        cpuid
        and $(1 << 8), %ecx
        CHECK64 %rcx, 1 << 8, 0x04

        /* FSGSBASE: #UD while CR4.FSGSBASE is clear. */
        TRY rdfsbase %rax
        CHECK64 ud_count, 1, 0x10
        TRY wrgsbase %rax
        CHECK64 ud_count, 2, 0x11
        mov %cr4, %rax
        bts $16, %rax
        mov %rax, %cr4
        mov %cr4, %rbx
        CHECK64 %rbx, 0x10020, 0x12     /* PAE | FSGSBASE: the bit is writable */

        /* WRFSBASE, and an FS access through the new base. */
        movabs $0x1122334455667788, %rax
        mov %rax, FSDATA + 8
        mov $FSDATA, %eax
        wrfsbase %rax
        mov %fs:8, %rbx
        CHECK64 %rbx, 0x1122334455667788, 0x13
        rdfsbase %rbx
        CHECK64 %rbx, FSDATA, 0x14
        /* 32-bit operands: a write clears the upper half, a read zero-extends. */
        movabs $0xffffffff00030000, %rax
        wrfsbase %eax
        mov $-1, %rbx
        rdfsbase %rbx
        CHECK64 %rbx, FSDATA, 0x15
        movabs $0x0000123400030000, %rax
        wrfsbase %rax
        mov $-1, %rbx
        rdfsbase %ebx
        CHECK64 %rbx, FSDATA, 0x16
        rdfsbase %r9
        CHECK64 %r9, 0x0000123400030000, 0x17

        /* WRGSBASE, then a non-canonical one: #GP(0), the base unchanged. */
        movq $0x55, GSDATA + 0x10
        mov $GSDATA, %eax
        wrgsbase %rax
        mov %gs:0x10, %rbx
        CHECK64 %rbx, 0x55, 0x18
        movabs $0x0000800000000000, %rax
        TRY wrgsbase %rax
        CHECK64 gp_count, 1, 0x19
        CHECK64 gp_err, 0, 0x1a
        rdgsbase %rbx
        CHECK64 %rbx, GSDATA, 0x1b
        mov %gs:0x10, %rbx
        CHECK64 %rbx, 0x55, 0x1c
        /* The largest canonical address is accepted. */
        movabs $0xffff800000000000, %rax
        wrgsbase %rax
        rdgsbase %rbx
        CHECK64 %rbx, 0xffff800000000000, 0x1d
        CHECK64 gp_count, 1, 0x1e

        /* RDPID: IA32_TSC_AUX as WRMSR wrote it, into r64. */
        mov $0xc0000103, %ecx
        mov $0x1234abcd, %eax
        xor %edx, %edx
        wrmsr
        mov $-1, %rbx
        rdpid %rbx
        CHECK64 %rbx, 0x1234abcd, 0x20
        rdpid %r10
        CHECK64 %r10, 0x1234abcd, 0x21

        /* MOVBE: 64-bit load, 32-bit store, 16-bit load (upper bits kept), 32-bit load (zero-extended). */
        movabs $0x0102030405060708, %rax
        mov %rax, word
        movbe word, %rax
        CHECK64 %rax, 0x0807060504030201, 0x30
        mov $0x04030201, %eax
        movbe %eax, word
        CHECK64 word, 0x0102030401020304, 0x31
        mov $-1, %rcx
        movbe word, %cx
        CHECK64 %rcx, 0xffffffffffff0403, 0x32
        mov $-1, %rdx
        movbe word + 4, %edx
        CHECK64 %rdx, 0x04030201, 0x33
        mov $0x1122, %ax
        movbe %ax, word
        CHECK64 word, 0x0102030401022211, 0x34
        movabs $0x8877665544332211, %r11
        movbe %r11, word
        CHECK64 word, 0x1122334455667788, 0x35

        /* RDRAND and RDSEED: CF set, OF SF ZF AF PF clear; two values differ. */
        push $0x8d7
        popfq
        rdrand %rax
        CHECK_FLAGS 1, 0x40
        rdrand %rbx
        cmp %rax, %rbx
        jne 1f
        mov $0x41, %eax
        jmp fail64
1:      mov $-1, %rcx
        rdrand %cx
        shr $16, %rcx
        CHECK64 %rcx, 0xffffffffffff, 0x42
        mov $-1, %rcx
        rdrand %ecx
        shr $32, %rcx
        CHECK64 %rcx, 0, 0x43
        push $0x8d7
        popfq
        rdseed %rax
        CHECK_FLAGS 1, 0x44
        rdseed %r12
        cmp %rax, %r12
        jne 1f
        mov $0x45, %eax
        jmp fail64
1:
        /* CLFLUSHOPT, CLWB and PREFETCHW: no fault. */
        clflushopt word
        clwb word
        prefetchw word
        CHECK64 ud_count, 2, 0x50
        CHECK64 gp_count, 1, 0x51
        jmp pass64

/* #UD and #GP: count them (with #GP's error code) and continue at `resume`. */
ud_handler:
        incq ud_count
        jmp 1f
gp_handler:
        pop gp_err
        incq gp_count
1:      push %rax
        mov resume, %rax
        mov %rax, 8(%rsp)
        pop %rax
        iretq

#include "reset.S"
