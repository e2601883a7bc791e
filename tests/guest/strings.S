/* String instructions across page boundaries with paging: REP MOVSB that
 * faults on the second page and resumes with ECX/ESI/EDI where it stopped,
 * REP STOSD across a boundary, and an unaligned store crossing into a
 * missing page, which must not write the first page. */
#include "lib.S"

        .set PD, 0x10000
        .set PT0, 0x11000
        .set pf_count, VARS
        .set pf_cr2, VARS + 4
        .set pf_ecx, VARS + 8
        .set pf_edi, VARS + 12

        .code16
start16:
        call enter_pm

        .code32
start32:
        SET_GATE 14, pf_handler
        IDENTITY_MAP_4M PD, PT0
        andl $~1, PT0 + 0x41 * 4       /* 0x41000 not present */
        mov $PD, %eax
        mov %eax, %cr3
        mov %cr0, %eax
        or $0x80000000, %eax
        mov %eax, %cr0

        /* Source pattern at 0x30000. */
        mov $0x30000, %edi
        mov $0x40, %ecx
        xor %eax, %eax
2:      stosb
        inc %eax
        loop 2b

        movl $0, pf_count
        cld
        mov $0x30000, %esi
        mov $0x40ff0, %edi
        mov $0x20, %ecx
        rep movsb
        CHECK pf_count, 1, 0x01
        CHECK pf_cr2, 0x41000, 0x02
        CHECK pf_ecx, 0x10, 0x03
        CHECK pf_edi, 0x41000, 0x04
        CHECK %ecx, 0, 0x05
        CHECK %esi, 0x30020, 0x06
        CHECK 0x40ffc, 0x0f0e0d0c, 0x07
        CHECK 0x41000, 0x13121110, 0x08
        CHECK 0x4100c, 0x1f1e1d1c, 0x09

        /* REP STOSD across 0x42000. */
        mov $0x42ff8, %edi
        mov $4, %ecx
        mov $0xabcdef01, %eax
        rep stosl
        CHECK 0x42ff8, 0xabcdef01, 0x0a
        CHECK 0x43004, 0xabcdef01, 0x0b

        /* An unaligned dword at 0x44ffe with 0x45000 missing: #PF, and the
         * first page is not written. */
        andl $~1, PT0 + 0x45 * 4
        invlpg 0x45000
        movl $0x11111111, 0x44ffc
        movl $0, pf_count
        movl $0x99999999, 0x44ffe
        CHECK pf_count, 1, 0x0c
        CHECK pf_cr2, 0x45000, 0x0d
        CHECK 0x44ffc, 0x99991111, 0x0e   /* written after the handler mapped it */
        /* A load across the boundary reads both pages. */
        movl $0x44332211, 0x46ffc
        movl $0x88776655, 0x47000
        mov 0x46ffe, %eax
        CHECK %eax, 0x66554433, 0x0f
        jmp pass

pf_handler:
        push %eax
        mov %cr2, %eax
        mov %eax, pf_cr2
        mov %ecx, pf_ecx
        mov %edi, pf_edi
        incl pf_count
        /* Before mapping: the first page must be untouched by a split store. */
        shr $12, %eax
        orl $1, PT0(,%eax,4)
        pop %eax
        add $4, %esp               /* error code */
        iret

#include "reset.S"
