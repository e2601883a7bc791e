/* In long mode LLDT and LTR refuse a descriptor whose 64-bit base is not
 * canonical: #GP(selector). A canonical base loads. */
#include "lib.S"
#include "lib64.S"

        .set gp_count, VARS
        .set gp_error, VARS + 8

        .code16
start16:
        call enter_pm

        .code32
start32:
        jmp enter_long

        .code64
start64:
        SET_GATE64 13, gp_handler
        movq $0, gp_count
        /* GDT 0x50: an LDT descriptor, base 0xffaaaaaa00000000 (not canonical). */
        movl $0x0000ffff, GDT64 + 0x50
        movl $0x00008200, GDT64 + 0x54
        movl $0xffaaaaaa, GDT64 + 0x58
        movl $0, GDT64 + 0x5c
        mov $0x50, %ax
        lldt %ax
        CHECK64 gp_count, 1, 0x10
        CHECK64 gp_error, 0x50, 0x11
        /* The same with a canonical base (0x00007fff00000000) loads. */
        movl $0x00007fff, GDT64 + 0x58
        lldt %ax
        CHECK64 gp_count, 1, 0x12
        sldt %ax
        CHECK64 %rax, 0x50, 0x13
        /* An available 64-bit TSS with a non-canonical base: LTR refuses it. */
        movl $0x00008900, GDT64 + 0x54
        movl $0xffaaaaaa, GDT64 + 0x58
        mov $0x50, %ax
        ltr %ax
        CHECK64 gp_count, 2, 0x14
        CHECK64 gp_error, 0x50, 0x15
        str %ax
        CHECK64 %rax, 0x40, 0x16
        jmp pass64

gp_handler:
        incq gp_count
        pop %rax
        mov %rax, gp_error
        addq $3, (%rsp)                      /* past the 3-byte LLDT/LTR */
        iretq

#include "reset.S"
