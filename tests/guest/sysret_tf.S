/* SYSCALL and SYSRET check TF when they complete: a SYSRETQ that loads TF
 * from R11 traps (#DB) before the first user instruction runs, with the
 * user's CS:RIP in the frame; a SYSCALL whose FMASK clears TF does not trap
 * in the kernel. */
#include "lib.S"
#include "lib64.S"

        .set db_count, VARS
        .set db_rip, VARS + 8
        .set db_cs, VARS + 16

        .code16
start16:
        call enter_pm

        .code32
start32:
        jmp enter_long

        .code64
start64:
        SET_GATE64 1, db_handler
        movq $0, db_count
        /* STAR: kernel CS 0x18 (SS 0x20), user base 0x28 (CS64 0x3b, SS 0x33). */
        mov $0xc0000081, %ecx
        xor %eax, %eax
        mov $0x00280018, %edx
        wrmsr
        lea syscall_entry(%rip), %rax
        mov %rax, %rdx
        shr $32, %rdx
        mov $0xc0000082, %ecx                /* LSTAR */
        wrmsr
        mov $0xc0000084, %ecx                /* FMASK: TF IF DF */
        mov $0x700, %eax
        xor %edx, %edx
        wrmsr
        mov $0xc0000080, %ecx                /* EFER.SCE */
        rdmsr
        or $1, %eax
        wrmsr

        lea user64(%rip), %rcx
        mov $0x102, %r11                     /* TF */
        mov $USER_STACK, %rsp
        sysretq

user64:
        syscall                              /* TF was cleared by the #DB handler */

syscall_entry:
        mov $STACK0, %rsp
        CHECK64 db_count, 1, 0x10
        lea user64(%rip), %rax
        CHECK64 db_rip, user64, 0x11
        CHECK64 db_cs, 0x3b, 0x12
        jmp pass64

db_handler:
        incq db_count
        mov (%rsp), %rax
        mov %rax, db_rip
        mov 8(%rsp), %rax
        mov %rax, db_cs
        andq $~0x100, 16(%rsp)
        iretq

#include "reset.S"
