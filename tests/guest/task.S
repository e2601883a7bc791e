/* Hardware task switches: CALL to a TSS (nested, NT and back link), IRET
 * back to the caller, JMP to a task gate, busy bits, and an interrupt
 * through a task gate. */
#include "lib.S"

        .set TSS_A, 0x3000             /* the initial task */
        .set TSS_B, 0x3100
        .set TSS_C, 0x3200
        .set STACK_B, 0x60000
        .set STACK_C, 0x68000
        .set b_runs, VARS
        .set b_link, VARS + 4
        .set b_nt, VARS + 8
        .set c_runs, VARS + 12

/* TSS_DESC gdt_offset, base: a 32-bit available TSS, limit 0x67. */
        .macro TSS_DESC off, base
        movl $((\base << 16) | 0x67), GDT_BASE + \off
        movl $(((\base >> 16) & 0xff) | 0x8900 | (\base & 0xff000000)), GDT_BASE + \off + 4
        .endm

/* Fills a TSS for a flat ring-0 task starting at `entry` on `stack`. */
        .macro TSS_INIT base, entry, stack
        mov $\base, %edi
        xor %eax, %eax
        mov $(0x68 / 4), %ecx
        rep stosl
        movl $\entry, \base + 0x20      /* EIP */
        movl $0x2, \base + 0x24         /* EFLAGS */
        movl $\stack, \base + 0x38      /* ESP */
        movl $0x10, \base + 0x48        /* ES */
        movl $0x08, \base + 0x4c        /* CS */
        movl $0x10, \base + 0x50        /* SS */
        movl $0x10, \base + 0x54        /* DS */
        movl $0x10, \base + 0x58        /* FS */
        movl $0x10, \base + 0x5c        /* GS */
        .endm

        .code16
start16:
        call enter_pm

        .code32
start32:
        mov $TSS_A, %edi
        xor %eax, %eax
        mov $(0x68 / 4), %ecx
        rep stosl
        TSS_DESC 0x28, TSS_A
        TSS_DESC 0x30, TSS_B
        TSS_DESC 0x38, TSS_C
        /* 0x40: a task gate to TSS C. */
        movl $(0x38 << 16), GDT_BASE + 0x40
        movl $0x8500, GDT_BASE + 0x44
        mov $0x28, %ax
        ltr %ax
        TSS_INIT TSS_B, task_b, STACK_B
        movl $0, b_runs
        movl $0, c_runs

        /* CALL a task: it sees NT and a back link to us, IRETs back. */
        mov $0x1234, %esi
        lcall $0x30, $0
        CHECK b_runs, 1, 0x01
        CHECK b_link, 0x28, 0x02
        CHECK b_nt, 0x4000, 0x03
        CHECK %esi, 0x1234, 0x04          /* our registers came back from TSS A */
        /* B is no longer busy; A is busy (we run in it). */
        mov GDT_BASE + 0x34, %eax
        and $0x0f00, %eax
        CHECK %eax, 0x0900, 0x05
        mov GDT_BASE + 0x2c, %eax
        and $0x0f00, %eax
        CHECK %eax, 0x0b00, 0x06
        /* CALL it again: it continues after its IRET. */
        lcall $0x30, $0
        CHECK b_runs, 2, 0x07

        /* An interrupt through a task gate in the IDT (vector 0x90 -> TSS C). */
        TSS_INIT TSS_C, task_c, STACK_C
        mov $0x90 * 8 + IDT_BASE, %edi
        movl $(0x38 << 16), (%edi)
        movl $0x8500, 4(%edi)
        int $0x90
        CHECK c_runs, 1, 0x08
        TSS_INIT TSS_C, task_c, STACK_C
        mov GDT_BASE + 0x3c, %eax       /* C was left busy... */
        and $~0x200, %eax               /* ...free it for a JMP */
        mov %eax, GDT_BASE + 0x3c
        /* JMP through the task gate: C ends by jumping to `pass`. */
        movl $1, VARS + 16
        ljmp $0x40, $0
        mov $0xee, %eax
        jmp fail

task_b:
        incl b_runs
        movzwl TSS_B, %eax
        mov %eax, b_link
        pushf
        pop %eax
        and $0x4000, %eax
        mov %eax, b_nt
        mov $0x5555, %esi
        iret
        jmp task_b

task_c:
        incl c_runs
        cmpl $1, VARS + 16
        je 1f
        iret
1:      /* Entered by JMP: no NT, no back link use. */
        pushf
        pop %eax
        and $0x4000, %eax
        CHECK %eax, 0, 0x09
        mov %cr0, %eax
        and $8, %eax                    /* CR0.TS set by the switch */
        CHECK %eax, 8, 0x0a
        jmp pass

#include "reset.S"
