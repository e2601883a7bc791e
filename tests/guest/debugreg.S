/* Instruction breakpoints in DR0-DR3: #DB is a fault at the instruction
 * (EIP points at it, DR6 B0-B3 say which matched), EFLAGS.RF set by the
 * handler lets exactly one instruction past its breakpoint, and clearing
 * DR7 disarms them. */
#include "lib.S"

        .set db_count, VARS
        .set db_eip, VARS + 4
        .set db_dr6, VARS + 8

        .code16
start16:
        call enter_pm

        .code32
start32:
        SET_GATE 1, db_handler
        movl $0, db_count

        /* DR0 on `target`, enabled locally (L0), execute (R/W0 = 00, LEN0 = 00). */
        mov $target, %eax
        mov %eax, %dr0
        mov $0x1, %eax
        mov %eax, %dr7
        xor %ecx, %ecx
        call target               /* hits once; the retried INC runs once */
        CHECK db_count, 1, 0x01
        CHECK db_eip, target, 0x02
        mov db_dr6, %eax
        and $0xf, %eax
        CHECK %eax, 1, 0x03
        CHECK %ecx, 1, 0x04
        call target               /* every execution hits again */
        CHECK db_count, 2, 0x05
        CHECK %ecx, 2, 0x06

        /* RF covers one instruction only, also when that instruction jumps:
         * DR1 on the JMP and DR2 on its target both hit. */
        mov $jump, %eax
        mov %eax, %dr1
        mov $landing, %eax
        mov %eax, %dr2
        mov $0x15, %eax           /* L0 L1 L2 */
        mov %eax, %dr7
        xor %edx, %edx
jump:   jmp landing
        nop
landing:
        inc %edx
        CHECK db_count, 4, 0x11
        CHECK db_eip, landing, 0x12
        mov db_dr6, %eax
        and $0xf, %eax
        CHECK %eax, 4, 0x13
        CHECK %edx, 1, 0x14

        /* DR7 = 0 disarms them all. */
        xor %eax, %eax
        mov %eax, %dr7
        call target
        CHECK db_count, 4, 0x21
        CHECK %ecx, 3, 0x22
        jmp pass

target: inc %ecx
        ret

db_handler:
        incl db_count
        push %eax
        mov 4(%esp), %eax         /* the faulting EIP */
        mov %eax, db_eip
        mov %dr6, %eax
        mov %eax, db_dr6
        pop %eax
        orl $0x10000, 8(%esp)     /* RF in the saved EFLAGS */
        iret

#include "reset.S"
