/* The code segment limit is part of what a translated block was checked
 * against: the same code, at the same CS base and in the same mode, runs
 * once through a flat CS and once through a CS whose limit ends inside it,
 * where the fetch beyond the limit must raise #GP(0). */
#include "lib.S"

        .set gp_count, VARS
        .set gp_err, VARS + 4
        .set gp_eip, VARS + 8
        .set SHORT_CS, 0x30

        .code16
start16:
        call enter_pm

        .code32
start32:
        SET_GATE 13, gp_handler
        movl $0, gp_count

        /* Through the flat CS the whole routine runs. */
        xor %eax, %eax
        lcall $0x08, $probe
        CHECK %eax, 1, 0x01
        CHECK gp_count, 0, 0x02

        /* A 32-bit code segment, base 0, limit = probe + 1 (byte granular):
         * the two NOPs are inside, the MOV after them is not. */
        mov $(probe + 1), %eax
        mov %eax, %edx
        and $0xffff, %eax
        mov %eax, GDT_BASE + SHORT_CS
        shr $16, %edx
        and $0xf, %edx
        shl $16, %edx
        or $0x00409b00, %edx      /* present, DPL 0, code execute/read, D = 1 */
        mov %edx, GDT_BASE + SHORT_CS + 4
        xor %eax, %eax
        lcall $SHORT_CS, $probe
        /* The #GP handler resumes here, the far return address still pushed. */
recover:
        add $8, %esp
        CHECK gp_count, 1, 0x03
        CHECK gp_err, 0, 0x04
        CHECK gp_eip, probe + 2, 0x05
        CHECK %eax, 0, 0x06
        jmp pass

probe:  nop
        nop
        mov $1, %eax
        lret

gp_handler:
        pop gp_err
        incl gp_count
        push %eax
        mov 4(%esp), %eax
        mov %eax, gp_eip
        pop %eax
        movl $recover, (%esp)
        movl $0x08, 4(%esp)
        iret

#include "reset.S"
