/* UMIP (-cpu max): with CR4.UMIP, SGDT, SIDT, SLDT, SMSW and STR raise
 * #GP(0) outside ring 0; ring 0 still runs them, and without UMIP ring 3
 * does too. CR4 changes while ring-3 code is translated: the blocks after
 * the change must see it. */
#include "lib.S"

        .set TSS, 0x3000
        .set RING0_STACK, 0x80000
        .set RING3_STACK, 0x70000
        .set gp_count, VARS
        .set gp_err, VARS + 4
        .set resume, VARS + 8
        .set table, VARS + 0x10

        .code16
start16:
        call enter_pm

        .code32
start32:
        /* CPUID.(7,0):ECX bit 2. */
        mov $7, %eax
        xor %ecx, %ecx
        cpuid
        and $4, %ecx
        CHECK %ecx, 4, 0x01

        /* A TSS whose I/O bitmap lets ring 3 report: debugcon and the exit port. */
        SIMPLE_TSS TSS, RING0_STACK
        mov $(TSS + 0x68), %edi
        mov $0xffffffff, %eax
        mov $(8192 / 4 + 1), %ecx
        rep stosl
        mov $0xe9, %eax
        btrl %eax, TSS + 0x68
        mov $0xf4, %eax
        btrl %eax, TSS + 0x68
        LOAD_TSS TSS, 0x2068
        SET_GATE 0x80, set_umip, 0xee00
        SET_GATE 13, gp_handler
        movl $0, gp_count

        /* Ring 0 with UMIP on: all allowed. */
        mov %cr4, %eax
        or $0x800, %eax
        mov %eax, %cr4
        sgdt table
        sidt table
        smsw %eax
        sldt %ax
        xor %eax, %eax
        str %ax
        CHECK %eax, 0x28, 0x02
        CHECK gp_count, 0, 0x03
        mov %cr4, %eax
        and $~0x800, %eax
        mov %eax, %cr4

        mov $0x23, %ax
        mov %ax, %ds
        mov %ax, %es
        push $0x23
        push $RING3_STACK
        pushf
        push $0x1b
        push $ring3
        iret

ring3:
        /* UMIP off: ring 3 reads them freely. */
        smsw %eax
        sgdt table
        str %ax
        CHECK gp_count, 0, 0x04
        int $0x80                 /* ring 0 turns UMIP on */
        movl $1f, resume
        smsw %eax
1:      CHECK gp_count, 1, 0x05
        CHECK gp_err, 0, 0x06
        movl $1f, resume
        sgdt table
1:      CHECK gp_count, 2, 0x07
        movl $1f, resume
        sidt table
1:      CHECK gp_count, 3, 0x08
        movl $1f, resume
        sldt %ax
1:      CHECK gp_count, 4, 0x09
        movl $1f, resume
        str %ax
1:      CHECK gp_count, 5, 0x0a
        jmp pass

set_umip:
        push %eax
        mov %cr4, %eax
        or $0x800, %eax
        mov %eax, %cr4
        pop %eax
        iret

/* #GP: count it, keep the error code, resume where the test said. */
gp_handler:
        pop gp_err
        incl gp_count
        push %eax
        mov resume, %eax
        mov %eax, 4(%esp)
        pop %eax
        iret

#include "reset.S"
