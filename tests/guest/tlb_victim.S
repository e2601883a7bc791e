/* Pages that collide in the direct-mapped TLB (1 MiB apart: same index):
 * copies between them, and the entries the TLB evicted to its victim
 * buffer going away with INVLPG, a CR3 reload and a page turning into a
 * code page (a writable alias of it must not bypass the code check). */
#include "lib.S"

        .set PD, 0x10000
        .set PT0, 0x11000
        .set A, 0x150000          /* A, B, C: TLB index 0x50 */
        .set B, 0x250000
        .set C, 0x350000
        .set P, 0x160000          /* another physical page for A */
        .set X, 0x170000          /* X, Y, XALIAS: TLB index 0x70 */
        .set Y, 0x270000
        .set XALIAS, 0x570000     /* X through the 4 MiB page at 4 MiB */

        .code16
start16:
        call enter_pm

        .code32
start32:
        IDENTITY_MAP_4M PD, PT0
        movl $0x83, PD + 4        /* 4 MiB page at 4 MiB -> physical 0 */
        mov %cr4, %eax
        or $0x10, %eax            /* PSE */
        mov %eax, %cr4
        mov $PD, %eax
        mov %eax, %cr3
        mov %cr0, %eax
        or $0x80000000, %eax
        mov %eax, %cr0

        /* 1: REP MOVS between colliding pages, and a load/store loop. */
        mov $A, %edi
        mov $1024, %ecx
        mov $0x01020304, %eax
1:      stosl
        add $0x11111111, %eax
        loop 1b
        mov $A, %esi
        mov $B, %edi
        mov $1024, %ecx
        rep movsl
        mov $A, %esi
        mov $C, %edi
        mov $1024, %ecx
2:      mov (%esi), %eax
        mov %eax, (%edi)
        add $4, %esi
        add $4, %edi
        loop 2b
        mov $A, %esi
        mov $B, %edi
        mov $1024, %ecx
        repe cmpsl
        CHECK %ecx, 0, 0x01
        mov $A, %esi
        mov $C, %edi
        mov $1024, %ecx
        repe cmpsl
        CHECK %ecx, 0, 0x02
        CHECK C + 4092, 0x343535f3, 0x03   /* 0x01020304 + 1023 * 0x11111111 */

        /* 2: INVLPG of a page whose entry was evicted by a colliding one. */
        movl $0x11111111, A
        movl $0x22222222, P
        mov B, %eax               /* A's entry goes to the victim buffer */
        movl $(P | 3), PT0 + (A >> 12) * 4
        invlpg A
        CHECK A, 0x22222222, 0x04

        /* 3: the same with a CR3 reload. */
        mov B, %eax
        movl $(A | 3), PT0 + (A >> 12) * 4
        mov %cr3, %eax
        mov %eax, %cr3
        CHECK A, 0x11111111, 0x05

        /* 4: a writable alias of a page, evicted, when the page gets code. */
        COPY_SNIPPET X
        movl $0, XALIAS + 0x800   /* the alias's writable entry... */
        mov Y, %eax               /* ...goes to the victim buffer */
        mov $X, %eax
        call *%eax                /* X becomes a code page */
        CHECK %eax, 5, 0x06
        movl $7, XALIAS + 1       /* patch through the alias */
        mov $X, %eax
        call *%eax
        CHECK %eax, 7, 0x07
        jmp pass

snippet:
        mov $5, %eax
        ret
snippet_end:

#include "reset.S"
