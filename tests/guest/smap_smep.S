/* SMAP and SMEP (-cpu max): with CR4.SMAP the supervisor's data accesses to
 * user pages fault unless EFLAGS.AC is set (STAC/CLAC, or an IRET that sets
 * it); with CR4.SMEP it may not execute from them. The TLB must keep the
 * verdicts apart: an entry filled with AC=1 or by an instruction fetch does
 * not let a later AC=0 data access through. */
#include "lib.S"

        .set PD, 0x10000
        .set PT0, 0x11000
        .set pf_count, VARS
        .set pf_err, VARS + 4
        .set pf_cr2, VARS + 8
        .set USER_DATA, 0x8000
        .set USER_CODE, 0x9000

        .code16
start16:
        call enter_pm

        .code32
start32:
        /* CPUID.(7,0):EBX advertises SMEP (bit 7) and SMAP (bit 20). */
        mov $7, %eax
        xor %ecx, %ecx
        cpuid
        and $0x100080, %ebx
        CHECK %ebx, 0x100080, 0x01

        SET_GATE 14, pf_handler
        IDENTITY_MAP_4M PD, PT0
        orl $4, PD                          /* user pages need U at every level */
        movl $(USER_DATA | 7), PT0 + (USER_DATA >> 12) * 4
        movl $(USER_CODE | 7), PT0 + (USER_CODE >> 12) * 4
        movl $0x000007b8, USER_CODE         /* mov $7, %eax; ret */
        movw $0xc300, USER_CODE + 4
        movl $0x5a5a5a5a, USER_DATA
        mov $PD, %eax
        mov %eax, %cr3
        mov %cr0, %eax
        or $0x80000000, %eax
        mov %eax, %cr0

        /* Without SMAP the supervisor reads user pages freely. */
        movl $0, pf_count
        CHECK USER_DATA, 0x5a5a5a5a, 0x02
        CHECK pf_count, 0, 0x03

        mov %cr4, %eax
        or $0x200000, %eax                  /* SMAP */
        mov %eax, %cr4

        /* AC=0: #PF(P), CR2 = the address; the handler returns with AC set,
         * so the access retries and goes through. */
        clac
        mov USER_DATA, %eax
        CHECK %eax, 0x5a5a5a5a, 0x04
        CHECK pf_count, 1, 0x05
        CHECK pf_err, 1, 0x06
        CHECK pf_cr2, USER_DATA, 0x07
        /* ...and AC is still set: the next access does not fault. */
        mov USER_DATA, %eax
        CHECK pf_count, 1, 0x08
        /* CLAC: writes fault as well, with W in the error code. */
        clac
        movl $0x6b6b6b6b, USER_DATA
        CHECK pf_count, 2, 0x09
        CHECK pf_err, 3, 0x0a
        CHECK USER_DATA, 0x6b6b6b6b, 0x0b
        /* STAC: no fault; the entry it fills does not serve CLAC's accesses. */
        stac
        mov USER_DATA, %eax
        CHECK pf_count, 2, 0x0c
        clac
        mov USER_DATA, %eax
        CHECK pf_count, 3, 0x0d
        /* Supervisor pages are not affected. */
        clac
        mov PT0, %eax
        CHECK pf_count, 3, 0x0e

        /* SMAP does not stop the supervisor executing a user page, but the
         * TLB entry that fetch fills must not let AC=0 data reads through. */
        clac
        mov $USER_CODE, %ecx
        call *%ecx
        CHECK %eax, 7, 0x0f
        CHECK pf_count, 3, 0x10
        clac
        mov USER_CODE, %eax
        CHECK pf_count, 4, 0x11
        CHECK pf_cr2, USER_CODE, 0x12

        /* SMEP: executing the user page faults with I/D set; the handler
         * then turns SMEP off and the call retries. */
        mov %cr4, %eax
        or $0x100000, %eax                  /* SMEP */
        mov %eax, %cr4
        mov $USER_CODE, %ecx
        call *%ecx
        CHECK %eax, 7, 0x13
        CHECK pf_count, 5, 0x14
        CHECK pf_err, 0x11, 0x15
        CHECK pf_cr2, USER_CODE, 0x16
        mov %cr4, %eax
        and $0x100000, %eax
        CHECK %eax, 0, 0x17
        jmp pass

pf_handler:
        pop pf_err
        push %eax
        mov %cr2, %eax
        mov %eax, pf_cr2
        incl pf_count
        testl $0x10, pf_err
        jnz 1f
        orl $0x40000, 12(%esp)              /* data: retry with EFLAGS.AC set */
        jmp 2f
1:      mov %cr4, %eax                      /* fetch: retry without SMEP */
        and $~0x100000, %eax
        mov %eax, %cr4
2:      pop %eax
        iret

#include "reset.S"
