/* Restartable faults: an instruction whose store faults must leave every
 * register and flag as it found them, so that the handler can fix the page
 * and IRET re-executes it from the start. Covered: POP m32 addressed through
 * ESP (ESP changes only after the store), and the read-modify-write forms
 * whose flags come from a helper (RCL, SHLD, BTS: EFLAGS change only after
 * the store). The stores hit read-only pages with CR0.WP set; the #PF
 * handler records the interrupted ESP and EFLAGS and makes the page
 * writable. */
#include "lib.S"

        .set PD, 0x10000
        .set PT0, 0x11000
        .set pf_count, VARS
        .set pf_err, VARS + 4
        .set pf_esp, VARS + 8
        .set pf_eflags, VARS + 12

/* Makes the page at \addr read-only again (after a test wrote to it). */
        .macro READ_ONLY addr
        andl $~2, PT0 + (\addr >> 12) * 4
        invlpg \addr
        .endm

        .code16
start16:
        call enter_pm

        .code32
start32:
        SET_GATE 14, pf_handler
        IDENTITY_MAP_4M PD, PT0
        mov $PD, %eax
        mov %eax, %cr3
        mov %cr0, %eax
        or $0x80010000, %eax      /* PG, WP */
        mov %eax, %cr0

        /* POP m32 with an ESP-based address: the address uses ESP after the
         * pop, but a faulting store leaves ESP where it was. */
        movl $0, pf_count
        READ_ONLY 0x5000
        mov $0x90000, %esp
        pushl $0x12345678
        popl -0x8b000(%esp)       /* 0x90000 - 0x8b000 = 0x5000 */
        CHECK pf_count, 1, 0x01
        CHECK pf_err, 3, 0x02
        CHECK pf_esp, 0x8fffc, 0x03
        CHECK %esp, 0x90000, 0x04
        CHECK 0x5000, 0x12345678, 0x05

        /* RCL m32 with CF = 1: the interrupted EFLAGS still have CF = 1, and
         * the retried rotate takes it in. */
        movl $0x40000000, 0x6000
        READ_ONLY 0x6000
        stc
        rcll $1, 0x6000
        setc %bl
        CHECK pf_count, 2, 0x11
        mov pf_eflags, %eax
        and $1, %eax
        CHECK %eax, 1, 0x12
        CHECK 0x6000, 0x80000001, 0x13
        movzbl %bl, %eax
        CHECK %eax, 0, 0x14

        /* SHLD m32 with CF = 0 before and 1 after. */
        movl $0x80000000, 0x7000
        READ_ONLY 0x7000
        xor %ecx, %ecx
        clc
        shldl $1, %ecx, 0x7000
        setc %bl
        CHECK pf_count, 3, 0x21
        mov pf_eflags, %eax
        and $1, %eax
        CHECK %eax, 0, 0x22
        CHECK 0x7000, 0, 0x23
        movzbl %bl, %eax
        CHECK %eax, 1, 0x24

        /* BTS m32 with CF = 1 before and 0 (the old bit) after. */
        movl $0, 0x8000
        READ_ONLY 0x8000
        stc
        btsl $3, 0x8000
        setc %bl
        CHECK pf_count, 4, 0x31
        mov pf_eflags, %eax
        and $1, %eax
        CHECK %eax, 1, 0x32
        CHECK 0x8000, 8, 0x33
        movzbl %bl, %eax
        CHECK %eax, 0, 0x34
        jmp pass

pf_handler:
        pop pf_err
        push %eax
        lea 16(%esp), %eax        /* saved EAX, EIP, CS, EFLAGS: the interrupted ESP is above them */
        mov %eax, pf_esp
        mov 12(%esp), %eax
        mov %eax, pf_eflags
        incl pf_count
        mov %cr2, %eax
        shr $12, %eax
        orl $3, PT0(, %eax, 4)    /* make the page writable */
        mov %cr2, %eax
        invlpg (%eax)
        pop %eax
        iret

#include "reset.S"
