/* Self-modifying code in RAM: a store that rewrites the next instruction of
 * the running block, a patch to a block that ran before, and patches by
 * REP STOS/MOVS. */
#include "lib.S"

        .set RAMCODE, 0x20000
#define AT(x) (RAMCODE + ((x) - snippet))

        .code16
start16:
        call enter_pm

        .code32
start32:
        COPY_SNIPPET RAMCODE
        /* 1: the store rewrites the immediate of the very next instruction. */
        mov $AT(inline_patch), %eax
        call *%eax
        CHECK %ebx, 2, 0x01
        /* 2: a function that already ran (and is translated) is patched. */
        mov $AT(func), %eax
        call *%eax
        CHECK %eax, 5, 0x02
        movl $7, AT(func) + 1
        mov $AT(func), %eax
        call *%eax
        CHECK %eax, 7, 0x03
        /* 3: the same again in a loop, patching a later iteration's code. */
        xor %edx, %edx
        mov $3, %ecx
1:      mov $AT(func), %eax
        call *%eax
        add %eax, %edx
        incl AT(func) + 1
        loop 1b
        CHECK %edx, 7+8+9, 0x04
        /* 4: string instructions patch translated code: their helper takes
         * the TLB's direct path, which must not skip the code-page check. */
        mov $AT(func), %eax
        call *%eax
        CHECK %eax, 10, 0x05
        mov $AT(func) + 1, %edi
        mov $11, %eax
        mov $1, %ecx
        rep stosl
        mov $AT(func), %eax
        call *%eax
        CHECK %eax, 11, 0x06
        mov $new_imm, %esi
        mov $AT(func) + 1, %edi
        mov $4, %ecx
        rep movsb
        mov $AT(func), %eax
        call *%eax
        CHECK %eax, 12, 0x07
        jmp pass

new_imm: .long 12

snippet:
inline_patch:
        movb $2, AT(patched) + 1
patched:
        mov $1, %ebx
        ret
func:
        mov $5, %eax
        ret
snippet_end:

#include "reset.S"
