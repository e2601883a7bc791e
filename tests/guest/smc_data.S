/* Data sharing a page with code that keeps running: many stores beside the
 * code (which must leave it translated and correct), interleaved with
 * patches to code on the same page, including the next instruction of the
 * running block. */
#include "lib.S"

        .set RAMCODE, 0x20000
#define AT(x) (RAMCODE + ((x) - snippet))

        .code16
start16:
        call enter_pm

        .code32
start32:
        COPY_SNIPPET RAMCODE
        /* 1: a loop counting in variables on its own page. */
        mov $1000, %ecx
        mov $AT(count_loop), %eax
        call *%eax
        CHECK AT(counter), 1000, 0x01
        CHECK AT(sum), 3000, 0x02
        /* 2: a patch to code on that page, after the stores beside it. */
        mov $AT(patchable), %eax
        call *%eax
        CHECK %eax, 1, 0x03
        movl $2, AT(patchable) + 1
        mov $AT(patchable), %eax
        call *%eax
        CHECK %eax, 2, 0x04
        /* 3: counting and patching by turns: every patch is seen, and the
         * loop keeps counting right after each one. */
        mov $100, %ebp
1:      mov $10, %ecx
        mov $AT(count_loop), %eax
        call *%eax
        movl %ebp, AT(patchable) + 1
        mov $AT(patchable), %eax
        call *%eax
        cmp %ebp, %eax
        je 2f
        mov $0x05, %eax
        jmp fail
2:      dec %ebp
        jnz 1b
        CHECK AT(counter), 2000, 0x06
        CHECK AT(sum), 6000, 0x07
        /* 4: the running block stores beside itself, then rewrites its own
         * next instruction, then stores beside itself again. */
        mov $AT(inline_patch), %eax
        call *%eax
        CHECK %ebx, 9, 0x08
        CHECK AT(counter), 2002, 0x09
        /* 5: the code of the count loop itself changes (add 3 becomes add 5). */
        movb $5, AT(step) + 6
        mov $10, %ecx
        mov $AT(count_loop), %eax
        call *%eax
        CHECK AT(sum), 6050, 0x0a
        /* 6: string instructions fill and copy a buffer beside the code
         * (in bulk), then patch the code; the loop sees only the patch. */
        mov $AT(buffer), %edi
        mov $0x5a5a5a5a, %eax
        mov $16, %ecx
        rep stosl
        std                             /* a backward copy, overlapping */
        mov $AT(buffer) + 59, %esi
        mov $AT(buffer) + 63, %edi
        mov $60, %ecx
        movb $0xa5, AT(buffer)
        rep movsb
        cld
        CHECK AT(buffer) + 4, 0x5a5a5aa5, 0x0b
        mov $10, %ecx
        mov $AT(count_loop), %eax
        call *%eax
        CHECK AT(sum), 6100, 0x0c
        mov $new_step, %esi
        mov $AT(step) + 6, %edi
        mov $1, %ecx
        rep movsb
        mov $10, %ecx
        mov $AT(count_loop), %eax
        call *%eax
        CHECK AT(sum), 6170, 0x0d
        jmp pass

new_step: .byte 7

snippet:
count_loop:
        incl AT(counter)
step:   addl $3, AT(sum)
        loop count_loop
        ret
patchable:
        mov $1, %eax
        ret
inline_patch:
        incl AT(counter)
        movb $9, AT(patched) + 1
patched:
        mov $1, %ebx
        incl AT(counter)
        ret
counter: .long 0
sum:     .long 0
buffer:  .fill 64
snippet_end:

#include "reset.S"
