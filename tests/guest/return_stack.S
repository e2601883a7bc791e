/* Calls and returns as the translator predicts them: nested and deep
 * calls, a return to an address the callee changed, a longjmp that leaves
 * calls unreturned, and a callee that rewrites the code it returns to. In
 * real mode (a code segment base) and in flat protected mode. */
#include "lib.S"

        .set RAMCODE, 0x20000
#define AT(x) (RAMCODE + ((x) - snippet))
        .set SAVED_ESP, 0x7000

        .code16
start16:
        /* Real mode, CS base 0xF0000: the count ends up in %ebp. */
        xor %ebp, %ebp
        mov $3, %cx
1:      call inc_bp16
        call twice16
        loop 1b
        call enter_pm

        .code32
start32:
        CHECK %ebp, 9, 0x01
        /* Nested calls return in order, several times over. */
        xor %eax, %eax
        mov $4, %ecx
1:      call nest1
        loop 1b
        CHECK %eax, 4*3, 0x02
        /* Deeper than any return stack: 40 calls, then 40 returns. */
        xor %eax, %eax
        mov $40, %ecx
        call recurse
        CHECK %eax, 40, 0x03
        /* The callee moves its return address past the instruction after
         * the call, once the normal return has been taken twice. */
        xor %ebx, %ebx
        mov $3, %ecx
1:      xor %eax, %eax
        call maybe_skip
        mov $7, %eax            /* skipped when %ecx == 1 */
        add %eax, %ebx
        loop 1b
        CHECK %ebx, 7+7+0, 0x04
        /* longjmp: the stack is cut back past two calls that never return. */
        mov %esp, SAVED_ESP
        call jump_out_1
        jmp fail_05
landing:
        xor %eax, %eax
        call nest1
        CHECK %eax, 3, 0x06
        /* Code in RAM: the callee rewrites the instruction it returns to
         * (translated and linked on the earlier passes). */
        COPY_SNIPPET RAMCODE
        mov $AT(caller), %eax
        call *%eax
        CHECK %eax, 5, 0x07
        mov $AT(caller), %eax
        call *%eax
        CHECK %eax, 5, 0x08
        movl $1, AT(patch_next)
        mov $AT(caller), %eax
        call *%eax
        CHECK %eax, 6, 0x09
        jmp pass
fail_05:
        mov $0x05, %eax
        jmp fail

nest1:  call nest2
        inc %eax
        ret
nest2:  call nest3
        inc %eax
        ret
nest3:  inc %eax
        ret

recurse:
        test %ecx, %ecx
        jz 1f
        dec %ecx
        call recurse
        inc %eax
1:      ret

maybe_skip:
        cmp $1, %ecx
        jne 1f
        addl $5, (%esp)         /* past the 5-byte mov */
1:      ret

jump_out_1:
        call jump_out_2
        jmp fail_05
jump_out_2:
        mov SAVED_ESP, %esp
        jmp landing

        .code16
inc_bp16:
        inc %ebp
        ret
twice16:
        call inc_bp16
        call inc_bp16
        ret

        .code32
snippet:
caller:
        call patcher
return_site:
        mov $5, %eax
        ret
patcher:
        cmpl $0, AT(patch_next)
        je 1f
        movl $6, AT(return_site) + 1
1:      ret
patch_next:
        .long 0
snippet_end:

#include "reset.S"
