/* Alignment checking: with CR0.AM and EFLAGS.AC set, a misaligned data
 * access at CPL 3 raises #AC(0) as a fault (the handler clears AC in the
 * saved EFLAGS and the access is retried); aligned and byte accesses, and
 * any access at CPL 0, do not fault. */
#include "lib.S"

        .set TSS, 0x3000
        .set RING0_STACK, 0x80000
        .set RING3_STACK, 0x70000
        .set DATA, 0x5000
        .set ac_count, VARS
        .set ac_err, VARS + 4
        .set ac_eip, VARS + 8

        .code16
start16:
        call enter_pm

        .code32
start32:
        /* TSS with SS0:ESP0 for the ring 3 -> ring 0 transitions. */
        SIMPLE_TSS TSS, RING0_STACK
        LOAD_TSS TSS
        SET_GATE 17, ac_handler
        SET_GATE 0x80, back_in_ring0, 0xee00
        movl $0, ac_count

        mov %cr0, %eax
        or $0x40000, %eax         /* AM */
        mov %eax, %cr0
        /* CPL 0 with AC set: no check. */
        pushf
        orl $0x40000, (%esp)
        popf
        movl $0x11223344, DATA + 1
        CHECK ac_count, 0, 0x01

        /* To ring 3 with AC set in EFLAGS. */
        pushl $0x23
        pushl $RING3_STACK
        pushl $0x43002            /* AC, IOPL 3 (so that a failure can still report) */
        pushl $0x1b
        pushl $ring3
        iret

        .code32
ring3:
        mov $0x23, %ax
        mov %ax, %ds
        mov %ax, %es
        mov DATA + 1, %eax        /* misaligned dword: #AC, then retried without AC */
        CHECK %eax, 0x11223344, 0x02
        CHECK ac_count, 1, 0x03
        CHECK ac_err, 0, 0x04
        pushf
        orl $0x40000, (%esp)      /* AC is writable at any CPL */
        popf
        mov DATA + 4, %eax        /* aligned dword */
        movb DATA + 3, %al        /* bytes are always aligned */
        CHECK ac_count, 1, 0x05
ac_store:
        movw $0x5566, DATA + 3    /* misaligned word store */
        CHECK ac_count, 2, 0x06
        CHECK ac_eip, ac_store, 0x07
        CHECK DATA + 3, 0x00005566, 0x08
        int $0x80

back_in_ring0:
        jmp pass

ac_handler:
        pop ac_err
        incl ac_count
        push %eax
        mov 4(%esp), %eax
        mov %eax, ac_eip
        pop %eax
        andl $~0x40000, 8(%esp)   /* AC off in the saved EFLAGS: the retry passes */
        iret

#include "reset.S"
