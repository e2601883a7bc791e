/* Paging: 2-level tables and a PSE 4 MiB page, #PF error codes and CR2,
 * accessed/dirty bits, CR0.WP for supervisor writes, INVLPG (of small pages
 * and within large ones). */
#include "lib.S"

        .set PD, 0x10000
        .set PT0, 0x11000
        .set pf_count, VARS
        .set pf_err, VARS + 4
        .set pf_cr2, VARS + 8
        .set pf_flags, VARS + 12

        .code16
start16:
        call enter_pm

        .code32
start32:
        SET_GATE 14, pf_handler
        IDENTITY_MAP_4M PD, PT0
        /* PD[1]: a 4 MiB page at 4 MiB mapping physical 0. */
        movl $0x83, PD + 4
        /* 0x5000 not present; 0x6000 without A/D; 0x7000 read-only. */
        andl $~1, PT0 + 5 * 4
        movl $0x6003, PT0 + 6 * 4
        movl $0x7001, PT0 + 7 * 4
        mov %cr4, %eax
        or $0x10, %eax            /* PSE */
        mov %eax, %cr4
        mov $PD, %eax
        mov %eax, %cr3
        mov %cr0, %eax
        or $0x80000000, %eax
        mov %eax, %cr0

        /* Not present: #PF(0), CR2 = 0x5004; the handler maps it and we retry. */
        movl $0, pf_count
        mov 0x5004, %eax
        CHECK pf_count, 1, 0x01
        CHECK pf_err, 0, 0x02
        CHECK pf_cr2, 0x5004, 0x03

        /* Accessed on read, dirty on write. */
        mov 0x6000, %eax
        mov PT0 + 6 * 4, %eax
        and $0x60, %eax
        CHECK %eax, 0x20, 0x04
        movl $0x1234, 0x6000
        mov PT0 + 6 * 4, %eax
        and $0x60, %eax
        CHECK %eax, 0x60, 0x05
        /* The PDE got its accessed bit too. */
        mov PD, %eax
        and $0x20, %eax
        CHECK %eax, 0x20, 0x06

        /* Supervisor writes to a read-only page: fine without WP, #PF(3) with it. */
        movl $0xaa, 0x7000
        CHECK pf_count, 1, 0x07
        mov %cr0, %eax
        or $0x10000, %eax
        mov %eax, %cr0
        movl $0xbb, 0x7000        /* the handler clears WP and the write retries */
        CHECK pf_count, 2, 0x08
        CHECK pf_err, 3, 0x09
        CHECK pf_cr2, 0x7000, 0x0a
        CHECK 0x7000, 0xbb, 0x0b

        /* INVLPG of a code page: a call through the same address runs the
         * newly mapped code (no large page is in the TLB yet). */
        movl $0x000001b8, 0xa000  /* mov $1, %eax; ret */
        movw $0xc300, 0xa004
        movl $0x000002b8, 0xb000  /* mov $2, %eax; ret */
        movw $0xc300, 0xb004
        movl $0xa003, PT0 + 0xc * 4
        invlpg 0xc000
        mov $0xc000, %ecx
        call *%ecx
        CHECK %eax, 1, 0x12
        movl $0xb003, PT0 + 0xc * 4
        invlpg 0xc000
        call *%ecx
        CHECK %eax, 2, 0x13

        /* The 4 MiB page at 0x400000 aliases physical 0. */
        movl $0x5a5a5a5a, 0x3000
        CHECK 0x403000, 0x5a5a5a5a, 0x0c

        /* INVLPG of an address in a large page drops all of that page. */
        movl $0x400083, PD + 8    /* 0x800000: a 4 MiB page at physical 4 MiB */
        movl $0x6b6b6b6b, 0x803000
        movl $0x400083, PD + 4    /* 0x400000 maps physical 4 MiB as well */
        invlpg 0x403000
        CHECK 0x403000, 0x6b6b6b6b, 0x10
        movl $0x83, PD + 4        /* and physical 0 again */
        invlpg 0x400000
        CHECK 0x403000, 0x5a5a5a5a, 0x11

        /* INVLPG makes a changed PTE visible. */
        movl $0x11111111, 0x8000
        movl $0x22222222, 0x9000
        CHECK 0x8000, 0x11111111, 0x0d
        movl $0x9003, PT0 + 8 * 4
        invlpg 0x8000
        CHECK 0x8000, 0x22222222, 0x0e

        /* A reload of CR3 flushes as well. */
        movl $0x8003, PT0 + 8 * 4
        mov %cr3, %eax
        mov %eax, %cr3
        CHECK 0x8000, 0x11111111, 0x0f

        /* A fault hands the handler the flags from before the faulting
         * instruction, though the next instruction replaces them at once. */
        andl $~1, PT0 + 5 * 4
        invlpg 0x5000
        movl $0, pf_count
        mov $1, %ecx
        cmp $2, %ecx              /* CF, PF, AF and SF set */
        mov 0x5004, %eax
        add $0, %ecx
        CHECK pf_count, 1, 0x14
        mov pf_flags, %eax
        and $0x8d5, %eax          /* OF SF ZF AF PF CF */
        CHECK %eax, 0x95, 0x15
        jmp pass

pf_handler:
        pop pf_err
        push %eax
        mov 12(%esp), %eax        /* the interrupted EFLAGS */
        mov %eax, pf_flags
        mov %cr2, %eax
        mov %eax, pf_cr2
        incl pf_count
        testl $1, pf_err
        jnz 1f
        orl $1, PT0 + 5 * 4       /* not present: map it */
        jmp 2f
1:      mov %cr0, %eax            /* protection: drop WP */
        and $~0x10000, %eax
        mov %eax, %cr0
2:      pop %eax
        iret

#include "reset.S"
