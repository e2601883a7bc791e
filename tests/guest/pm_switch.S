/* Real mode -> protected mode: real-mode INT through the IVT (and IRET),
 * the switch itself, segment loads, a #GP from a bad selector delivered
 * through the IDT, and the flat 32-bit environment the other tests use. */
#include "lib.S"

        .code16
start16:
        mov $OFF(msg_hello), %si
        call puts16
        /* IVT entry 0x40 -> int40 (segment F000). */
        xor %ax, %ax
        mov %ax, %ds
        movw $OFF(int40), 0x40 * 4
        movw $0xf000, 0x40 * 4 + 2
        mov $0x7000, %sp
        mov %ax, %ss
        xor %bx, %bx
        stc
        int $0x40
        jc 1f                     /* the handler's flags are not ours: CF comes back */
        jmp bad16
1:      cmp $0x1234, %bx
        jne bad16
        call enter_pm

bad16:  mov $1, %al
        outb %al, $EXITPORT
        hlt

int40:  mov $0x1234, %bx
        clc                       /* IRET restores the caller's flags */
        iret

        .code32
start32:
        mov $msg_pm, %esi
        call puts32
        /* CPL 0, CS 0x08, CR0.PE */
        mov %cs, %eax
        CHECK %eax, 0x08, 0x10
        mov %cr0, %eax
        and $1, %eax
        CHECK %eax, 1, 0x11
        /* Loading DS with selector 0x50 (beyond the GDT limit) -> #GP(0x50). */
        SET_GATE 13, gp_handler
        mov $0x50, %ax
        mov %ax, %ds
        CHECK gp_count, 1, 0x12
        CHECK gp_error, 0x50, 0x13
        jmp pass

gp_handler:
        incl gp_count
        pop %eax                   /* error code */
        mov %eax, gp_error
        addl $2, (%esp)            /* skip the 2-byte mov %ax, %ds */
        iret

msg_hello: .asciz "real mode\n"
msg_pm: .asciz "protected mode\n"
        .set gp_count, VARS
        .set gp_error, VARS + 4

#include "reset.S"
