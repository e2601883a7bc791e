/* NMI blocking: while an NMI handler runs, another NMI stays pending until
 * the handler's IRET. The handler of the first self-NMI (local APIC ICR)
 * sends a second one and spins across many blocks: the second must not
 * nest; it arrives once the first handler has returned. Needs the pc
 * machine's local APIC (run through the binary). */
#include "lib.S"

        .set APIC, 0xfee00000
        .set APIC_SVR, APIC + 0xf0
        .set APIC_ICR_LO, APIC + 0x300
        .set SELF_NMI, 0x44400          /* shorthand self, assert, delivery mode NMI */

        .set nmis, VARS
        .set nested, VARS + 4

        .code16
start16:
        call enter_pm

        .code32
start32:
        mov $0xff, %al                  /* mask the 8259: only NMIs here */
        outb %al, $0x21
        outb %al, $0xa1
        SET_GATE 2, nmi_handler
        movl $0, nmis
        movl $0, nested
        movl $0x1ff, APIC_SVR
        movl $SELF_NMI, APIC_ICR_LO
        /* Both NMIs are taken within a bounded wait. */
        mov $10000000, %ecx
1:      cmpl $2, nmis
        jae 2f
        dec %ecx
        jnz 1b
        mov nmis, %eax
        call puthex32
        mov $0x01, %eax
        jmp fail
2:      CHECK nested, 0, 0x02
        /* Nothing more arrives. */
        mov $100000, %ecx
3:      dec %ecx
        jnz 3b
        CHECK nmis, 2, 0x03
        jmp pass

nmi_handler:
        incl nmis
        cmpl $1, nmis
        jne 2f
        movl $SELF_NMI, APIC_ICR_LO
        /* Many blocks for the second NMI to (wrongly) break in. */
        mov $100000, %ecx
1:      dec %ecx
        jnz 1b
        cmpl $1, nmis
        je 2f
        movl $1, nested
2:      iret

#include "reset.S"
