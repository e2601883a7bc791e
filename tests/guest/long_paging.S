/* Long mode: EFER.LMA, 4-level paging with 4 KiB, 2 MiB and 1 GiB pages
 * and a high-half alias, #PF error codes and CR2 for a not-present page,
 * an NX fetch and reserved bits (XD without EFER.NXE, an address bit past
 * MAXPHYADDR, bit 13 of 2 MiB and 1 GiB pages), canonical-address #GP (data and branch
 * target), #SS on an IST stack, and a double fault delivered on another IST
 * stack. */
#include "lib.S"
#include "lib64.S"

/* Fails with `tag` unless memory `what` equals register `reg` (not rbx). */
        .macro CHECK64_REG what, reg, tag
        cmp \what, \reg
        je 9f
        mov \what, %rbx
        mov $\tag, %rax
        jmp fail64
9:
        .endm

        .set pf_err, VARS
        .set pf_cr2, VARS + 8
        .set pf_count, VARS + 16
        .set exc_vec, VARS + 24
        .set exc_err, VARS + 32
        .set exc_rsp, VARS + 40     /* the handler's RSP on entry */
        .set resume, VARS + 48      /* where the #GP/#SS/#DF handler continues */
        .set resume_rsp, VARS + 56
        .set exc_count, VARS + 64
        .set exc_rip, VARS + 72     /* RIP in the exception frame */
        .set exc_frame_rsp, VARS + 80   /* RSP in the exception frame */

        .code16
start16:
        call enter_pm

        .code32
start32:
        /* Before paging: LME set by enter_long, LMA only once CR0.PG is on. */
        jmp enter_long

        .code64
start64:
        mov $0xc0000080, %ecx
        rdmsr
        CHECK64 %rax, 0xd01, 0x01            /* SCE | LME | LMA | NXE */
        mov %cr0, %rax
        bt $31, %rax
        jc 1f
        mov $0x02, %rax
        jmp fail64
1:
        SET_GATE64 14, pf_handler
        SET_GATE64 13, gp_handler
        SET_GATE64 12, ss_handler, 0x8e00, 1
        SET_GATE64 8, df_handler, 0x8e00, 2
        movq $0, pf_count
        movq $0, exc_count

        /* One physical page seen through 4 KiB, 2 MiB, high-half and (when
         * CPUID reports them) 1 GiB mappings. */
        movabs $0x1122334455667788, %rax
        mov %rax, 0x6000
        CHECK64 0x206000, 0x1122334455667788, 0x10
        movabs 0xffff800000006000, %rax
        CHECK64 %rax, 0x1122334455667788, 0x12
        mov $0x80000001, %eax
        cpuid
        bt $26, %edx
        jnc 1f
        CHECK64 0x40006000, 0x1122334455667788, 0x11
        movl $0xcafe, 0x40007000             /* a write through the 1 GiB page */
        CHECK64 0x7000, 0xcafe, 0x13
1:
        /* RIP-relative data and a 64-bit immediate. */
        mov value64(%rip), %rbx
        movabs $0x8877665544332211, %rax
        CHECK64 %rbx, 0x8877665544332211, 0x14

        /* Not present: #PF(0), CR2 exact; the handler maps the page and the read retries. */
        andq $~1, PT64 + 0x31 * 8
        invlpg 0x31000
        mov 0x31008, %rax
        CHECK64 pf_count, 1, 0x20
        CHECK64 pf_err, 0, 0x21
        CHECK64 pf_cr2, 0x31008, 0x22

        /* NX: a fetch from an XD page is #PF(P | I/D) with CR2 = the target. */
        movb $0xc3, 0x30000                  /* ret */
        btsq $63, PT64 + 0x30 * 8
        invlpg 0x30000
        mov $0x30000, %rax
        call *%rax
        CHECK64 pf_count, 2, 0x23
        CHECK64 pf_err, 0x11, 0x24
        CHECK64 pf_cr2, 0x30000, 0x25

        /* With EFER.NXE clear the XD bit is reserved: #PF(P | RSVD). */
        mov $0xc0000080, %ecx
        rdmsr
        and $~0x800, %eax
        wrmsr
        btsq $63, PT64 + 0x32 * 8
        invlpg 0x32000
        mov 0x32010, %rax
        CHECK64 pf_count, 3, 0x26
        CHECK64 pf_err, 0x09, 0x27
        CHECK64 pf_cr2, 0x32010, 0x28
        mov $0xc0000080, %ecx
        rdmsr
        or $0x800, %eax
        wrmsr

        /* Other reserved bits: #PF(P | RSVD) too, the access not retried. */
        SET_GATE64 14, pf_resume_handler
        movq $0, exc_count
        btsq $51, PT64 + 0x33 * 8             /* no CPU here has 52 address bits */
        invlpg 0x33000
        lea 1f(%rip), %rax
        mov %rax, resume
        mov %rsp, resume_rsp
        mov 0x33010, %rax
1:      CHECK64 exc_count, 1, 0x2a
        CHECK64 exc_err, 0x09, 0x2b
        CHECK64 pf_cr2, 0x33010, 0x2c
        btrq $51, PT64 + 0x33 * 8
        invlpg 0x33000
        btsq $13, PD64 + 8                    /* 2 MiB page: bits 20:13 */
        invlpg 0x206000
        lea 1f(%rip), %rax
        mov %rax, resume
        movl $1, 0x206000
1:      CHECK64 exc_count, 2, 0x2d
        CHECK64 exc_err, 0x0b, 0x2e
        btrq $13, PD64 + 8
        invlpg 0x206000
        mov $0x80000001, %eax
        cpuid
        bt $26, %edx
        jnc 2f
        btsq $20, PDPT + 8                    /* 1 GiB page: bits 29:13 */
        invlpg 0x40006000
        lea 1f(%rip), %rax
        mov %rax, resume
        mov 0x40006000, %rax
1:      CHECK64 exc_count, 3, 0x2f
        CHECK64 exc_err, 0x09, 0x29
        btrq $20, PDPT + 8
        invlpg 0x40006000
2:      SET_GATE64 14, pf_handler
        movq $0, exc_count

        /* Non-canonical data access: #GP(0). */
        lea 1f(%rip), %rax
        mov %rax, resume
        mov %rsp, resume_rsp
        movabs $0x0000800000000000, %rax
        mov (%rax), %rbx
1:      CHECK64 exc_count, 1, 0x30
        CHECK64 exc_vec, 13, 0x31
        CHECK64 exc_err, 0, 0x32

        /* A jump to a non-canonical address faults at the jump: #GP(0), RIP = the JMP. */
        lea 1f(%rip), %rax
        mov %rax, resume
        mov %rsp, resume_rsp
        movabs $0x0000800000000000, %rax
2:      jmp *%rax
1:      CHECK64 exc_count, 2, 0x3b
        CHECK64 exc_vec, 13, 0x3c
        lea 2b(%rip), %rax
        cmp exc_rip, %rax
        je 1f
        mov exc_rip, %rbx
        mov $0x3d, %rax
        jmp fail64
1:
        /* A call to a non-canonical address faults at the call, before it
         * pushes anything; so does a return to one, before it pops. */
        lea 1f(%rip), %rax
        mov %rax, resume
        mov %rsp, resume_rsp
        movabs $0x0000800000000000, %rax
2:      call *%rax
1:      CHECK64 exc_count, 3, 0x40
        CHECK64 exc_vec, 13, 0x41
        lea 2b(%rip), %rax
        CHECK64_REG exc_rip, %rax, 0x42
        mov resume_rsp, %rax
        CHECK64_REG exc_frame_rsp, %rax, 0x43
        lea 1f(%rip), %rax
        mov %rax, resume
        movabs $0xffff700000000000, %rax
        push %rax
        mov %rsp, resume_rsp
2:      ret
1:      pop %rax
        CHECK64 exc_count, 4, 0x44
        lea 2b(%rip), %rax
        CHECK64_REG exc_rip, %rax, 0x45
        mov resume_rsp, %rax
        CHECK64_REG exc_frame_rsp, %rax, 0x46

        /* Non-canonical stack: #SS(0), delivered on IST1. */
        lea 1f(%rip), %rax
        mov %rax, resume
        mov %rsp, resume_rsp
        movabs $0x0000800000000010, %rsp
        push %rax
1:      CHECK64 exc_count, 5, 0x33
        CHECK64 exc_vec, 12, 0x34
        CHECK64 exc_err, 0, 0x35
        CHECK64 exc_rsp, (IST1_TOP-48), 0x36

        /* RBP-based data is through SS as well: #SS(0), not #GP(0). */
        lea 1f(%rip), %rax
        mov %rax, resume
        mov %rsp, resume_rsp
        mov %rbp, %r12
        movabs $0x0000800000000010, %rbp
        mov 8(%rbp), %rbx
1:      mov %r12, %rbp
        CHECK64 exc_count, 6, 0x3e
        CHECK64 exc_vec, 12, 0x3f

        /* #GP through a not-present gate: #NP while delivering it, so #DF on IST2. */
        andw $~0x8000, IDT64 + 13 * 16 + 4
        lea 1f(%rip), %rax
        mov %rax, resume
        mov %rsp, resume_rsp
        movabs $0x0000800000000000, %rax
        mov (%rax), %rbx
1:      orw $0x8000, IDT64 + 13 * 16 + 4
        CHECK64 exc_count, 7, 0x37
        CHECK64 exc_vec, 8, 0x38
        CHECK64 exc_err, 0, 0x39
        CHECK64 exc_rsp, (IST2_TOP-48), 0x3a
        jmp pass64

/* Maps the faulting page (sets P, clears XD) and returns to retry. */
pf_handler:
        popq pf_err
        push %rax
        push %rbx
        mov %cr2, %rax
        mov %rax, pf_cr2
        incq pf_count
        mov %rax, %rbx
        shr $12, %rbx
        orq $1, PT64(, %rbx, 8)
        btrq $63, PT64(, %rbx, 8)
        invlpg (%rax)
        pop %rbx
        pop %rax
        iretq

/* Records the error code and CR2 and continues at `resume`. */
pf_resume_handler:
        push %rax
        mov %cr2, %rax
        mov %rax, pf_cr2
        pop %rax
        movq $14, exc_vec
        jmp resume_handler

gp_handler:
        movq $13, exc_vec
        jmp resume_handler
ss_handler:
        movq $12, exc_vec
        jmp resume_handler
df_handler:
        movq $8, exc_vec
/* Records the error code and the entry RSP and continues at `resume`
 * with RSP = `resume_rsp`. */
resume_handler:
        mov %rsp, exc_rsp
        popq exc_err
        incq exc_count
        push %rax
        mov 8(%rsp), %rax
        mov %rax, exc_rip
        mov 32(%rsp), %rax
        mov %rax, exc_frame_rsp
        mov resume, %rax
        mov %rax, 8(%rsp)
        mov resume_rsp, %rax
        mov %rax, 32(%rsp)
        pop %rax
        iretq

        .p2align 3
value64: .quad 0x8877665544332211

#include "reset.S"
