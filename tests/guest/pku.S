/* Protection keys (-cpu max, long mode): CPUID's PKU and OSPKE, RDPKRU and
 * WRPKRU (#UD without CR4.PKE), PKRU's access-disable and write-disable
 * bits for a user page with key 1 (#PF with PK in the error code, for the
 * supervisor too; write-disable binds the supervisor only under CR0.WP),
 * a TLB entry filled before WRPKRU not outliving it, PKRU in XSAVE, and
 * IA32_PKRS for a supervisor page with key 2 (CR4.PKS). */
#include "lib.S"
#include "lib64.S"

        .set pf_err, VARS
        .set pf_count, VARS + 8
        .set ud_count, VARS + 16
        .set resume, VARS + 24
        .set KEYED, 0x31000            /* the page given protection key 1 */
        .set XAREA, 0x40000            /* 64-byte aligned XSAVE area */
        .set SUPER, 0x32000            /* a supervisor page with key 2 */

        .code16
start16:
        call enter_pm

        .code32
start32:
        jmp enter_long

        .code64
start64:
        SET_GATE64 14, pf_handler
        SET_GATE64 6, ud_handler
        movq $0, pf_count
        movq $0, ud_count

        /* CPUID.(7,0):ECX: PKU (bit 3) yes, OSPKE (bit 4) not before CR4.PKE. */
        mov $7, %eax
        xor %ecx, %ecx
        cpuid
        and $0x18, %ecx
        CHECK64 %rcx, 0x08, 0x01
        /* RDPKRU without CR4.PKE: #UD. */
        lea 1f(%rip), %rax
        mov %rax, resume
        xor %ecx, %ecx
        rdpkru
1:      CHECK64 ud_count, 1, 0x02

        mov %cr4, %rax
        bts $22, %rax                   /* PKE */
        mov %rax, %cr4
        mov $7, %eax
        xor %ecx, %ecx
        cpuid
        and $0x18, %ecx
        CHECK64 %rcx, 0x18, 0x03
        xor %ecx, %ecx
        rdpkru
        CHECK64 %rax, 0, 0x04

        /* Key 1 for KEYED; PKRU 0 lets everything through (and fills the TLB). */
        movabs $(1 << 59), %rax
        or %rax, PT64 + (KEYED >> 12) * 8
        invlpg KEYED
        movq $0x1234, KEYED
        CHECK64 KEYED, 0x1234, 0x05
        CHECK64 pf_count, 0, 0x06

        /* AD for key 1: reads fault, with P and PK; the handler clears PKRU. */
        mov $0x4, %eax
        xor %ecx, %ecx
        xor %edx, %edx
        wrpkru
        mov KEYED, %rbx
        CHECK64 %rbx, 0x1234, 0x07
        CHECK64 pf_count, 1, 0x08
        CHECK64 pf_err, 0x21, 0x09

        /* WD for key 1: reads pass; a supervisor write only faults with CR0.WP. */
        mov $0x8, %eax
        xor %ecx, %ecx
        xor %edx, %edx
        wrpkru
        mov KEYED, %rbx
        mov %cr0, %rax
        btr $16, %rax
        mov %rax, %cr0
        movq $0x5678, KEYED
        CHECK64 pf_count, 1, 0x0a
        mov %cr0, %rax
        bts $16, %rax
        mov %rax, %cr0
        mov $0x8, %eax
        xor %ecx, %ecx
        xor %edx, %edx
        wrpkru
        movq $0x9abc, KEYED
        CHECK64 pf_count, 2, 0x0b
        CHECK64 pf_err, 0x23, 0x0c
        CHECK64 KEYED, 0x9abc, 0x0d
        /* Other keys are untouched: key 0's pages (this code, the stack). */
        mov $0xc, %eax
        xor %ecx, %ecx
        xor %edx, %edx
        wrpkru
        movq $1, VARS + 32
        CHECK64 pf_count, 2, 0x0e
        /* A write the read-only page refuses (CR0.WP) as well as the key:
         * the error code has PK too. */
        andq $~2, PT64 + (KEYED >> 12) * 8
        invlpg KEYED
        mov $0x8, %eax
        xor %ecx, %ecx
        xor %edx, %edx
        wrpkru
        movq $0x4321, KEYED
        CHECK64 pf_count, 3, 0x0f
        CHECK64 pf_err, 0x23, 0x16
        CHECK64 KEYED, 0x4321, 0x17
        movq $2, pf_count                   /* as the steps below count */
        mov $0xc, %eax
        xor %ecx, %ecx
        xor %edx, %edx
        wrpkru

        /* PKRU is XSAVE component 9, at offset 0xa80 (CPUID.(0xD,9)). */
        mov $0xd, %eax
        mov $9, %ecx
        cpuid
        CHECK64 %rax, 8, 0x10
        CHECK64 %rbx, 0xa80, 0x11
        mov %cr4, %rax
        bts $18, %rax                   /* OSXSAVE */
        mov %rax, %cr4
        xor %ecx, %ecx
        mov $0x203, %eax                /* x87 | SSE | PKRU */
        xor %edx, %edx
        xsetbv
        mov $0xd, %eax
        xor %ecx, %ecx
        cpuid
        and $0x203, %eax                /* (QEMU's max lists more components) */
        CHECK64 %rax, 0x203, 0x12
        CHECK64 %rbx, 0xa88, 0x13
        movq $0, XAREA + 512            /* XSTATE_BV */
        mov $0x200, %eax
        xor %edx, %edx
        xsave XAREA
        CHECK64 XAREA + 0xa80, 0xc, 0x14
        movq $0x30, XAREA + 0xa80
        mov $0x200, %eax
        xor %edx, %edx
        xrstor XAREA
        xor %ecx, %ecx
        rdpkru
        CHECK64 %rax, 0x30, 0x15

        /* PKS (CPUID.(7,0):ECX bit 31): IA32_PKRS's AD for key 2 stops the
         * supervisor reading SUPER; the handler clears PKRS too. */
        mov $7, %eax
        xor %ecx, %ecx
        cpuid
        shr $31, %ecx
        CHECK64 %rcx, 1, 0x20
        andq $~4, PT64 + (SUPER >> 12) * 8
        movabs $(2 << 59), %rax
        or %rax, PT64 + (SUPER >> 12) * 8
        invlpg SUPER
        mov %cr4, %rax
        bts $24, %rax                   /* PKS */
        mov %rax, %cr4
        mov $0x6e1, %ecx
        mov $0x10, %eax                 /* AD for key 2 */
        xor %edx, %edx
        wrmsr
        rdmsr
        CHECK64 %rax, 0x10, 0x21
        mov SUPER, %rbx
        CHECK64 pf_count, 3, 0x22
        CHECK64 pf_err, 0x21, 0x23
        jmp pass64

/* #PF: keep the error code, clear PKRU and IA32_PKRS, make KEYED writable, retry. */
pf_handler:
        pop pf_err
        incq pf_count
        orq $2, PT64 + (KEYED >> 12) * 8    /* KEYED writable again */
        invlpg KEYED
        push %rax
        push %rcx
        push %rdx
        xor %eax, %eax
        xor %ecx, %ecx
        xor %edx, %edx
        wrpkru
        mov $0x6e1, %ecx
        wrmsr
        pop %rdx
        pop %rcx
        pop %rax
        iretq

/* #UD: count it and continue at `resume`. */
ud_handler:
        incq ud_count
        push %rax
        mov resume, %rax
        mov %rax, 8(%rsp)
        pop %rax
        iretq

#include "reset.S"
