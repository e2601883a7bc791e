/* Local APIC: CPUID and IA32_APIC_BASE, the timer in periodic, one-shot and
 * TSC-deadline mode delivering interrupts, EOI, TPR holding back a
 * self-IPI until lowered, and single-stepping a HLT the timer ends. Needs the pc machine (run through the binary). */
#include "lib.S"

        .set APIC, 0xfee00000
        .set APIC_TPR, APIC + 0x80
        .set APIC_EOI, APIC + 0xb0
        .set APIC_SVR, APIC + 0xf0
        .set APIC_ISR2, APIC + 0x120      /* ISR bits 64..95 */
        .set APIC_ICR_LO, APIC + 0x300
        .set APIC_LVT_TIMER, APIC + 0x320
        .set APIC_INIT_COUNT, APIC + 0x380
        .set APIC_CUR_COUNT, APIC + 0x390
        .set APIC_DIVIDE, APIC + 0x3e0

        .set ticks40, VARS
        .set ticks41, VARS + 4
        .set ticks42, VARS + 8
        .set ticks45, VARS + 12
        .set db_count, VARS + 16
        .set db_eips, VARS + 20          /* the first two #DBs' EIPs */

        .code16
start16:
        call enter_pm

        .code32
start32:
        /* The 8259 is not programmed: mask it, or the PIT's IRQ0 arrives at
         * vector 8 through LINT0 (virtual wire) on slow back ends. */
        mov $0xff, %al
        outb %al, $0x21
        outb %al, $0xa1
        SET_GATE 0x40, isr40
        SET_GATE 0x41, isr41
        SET_GATE 0x42, isr42
        SET_GATE 0x45, isr45
        SET_GATE 0xff, isr_spurious
        movl $0, ticks40
        movl $0, ticks41
        movl $0, ticks42
        movl $0, ticks45

        /* CPUID.1: EDX.APIC, ECX.TSC_DEADLINE; leaf 0x80000007 EDX.8: invariant TSC. */
        mov $1, %eax
        cpuid
        bt $9, %edx
        jc 1f
        mov $0x01, %eax
        jmp fail
1:      bt $24, %ecx
        jc 1f
        mov $0x02, %eax
        jmp fail
1:      mov $0x80000007, %eax
        cpuid
        bt $8, %edx
        jc 1f
        mov $0x03, %eax
        jmp fail
        /* IA32_APIC_BASE: 0xfee00000, enabled, BSP. */
1:      mov $0x1b, %ecx
        rdmsr
        CHECK %eax, 0xfee00900, 0x04

        movl $0x1ff, APIC_SVR           /* software enable, spurious vector 0xff */

        /* Periodic, vector 0x40, divide by 1, 100 us: three ticks. */
        movl $0xb, APIC_DIVIDE
        movl $0x20040, APIC_LVT_TIMER
        movl $100000, APIC_INIT_COUNT
1:      cli
        cmpl $3, ticks40
        jae 2f
        sti
        hlt
        jmp 1b
2:      movl $0, APIC_INIT_COUNT        /* stop */
        mov APIC_ISR2, %eax
        CHECK %eax, 0, 0x05              /* every tick was EOIed */

        /* One-shot, vector 0x42, divide by 2: fires once, count reaches 0. */
        movl $0x0, APIC_DIVIDE
        movl $0x42, APIC_LVT_TIMER
        movl $20000, APIC_INIT_COUNT
1:      cli
        cmpl $1, ticks42
        jae 2f
        sti
        hlt
        jmp 1b
2:      mov APIC_CUR_COUNT, %eax
        CHECK %eax, 0, 0x06

        /* TSC-deadline, vector 0x41: 100 us of TSC ticks from now. */
        movl $0x40041, APIC_LVT_TIMER
        rdtsc
        add $200000, %eax
        adc $0, %edx
        mov $0x6e0, %ecx
        wrmsr
1:      cli
        cmpl $1, ticks41
        jae 2f
        sti
        hlt
        jmp 1b
2:      mov $0x6e0, %ecx                /* the deadline MSR disarms itself */
        rdmsr
        CHECK %eax, 0, 0x07
        CHECK ticks42, 1, 0x08

        /* TPR 0x50 holds back vector 0x45 (class 4) until lowered. */
        movl $0x50, APIC_TPR
        movl $0x40045, APIC_ICR_LO      /* fixed, self */
        sti
        nop
        nop
        cli
        CHECK ticks45, 0, 0x09
        movl $0, APIC_TPR
        sti
        nop
        cli
        CHECK ticks45, 1, 0x0a

        /* Single-step over STI; HLT: a #DB after STI (whose shadow holds
         * back interrupts, not traps), one when HLT ends, before the timer
         * interrupt that ends it, and one after the POPF that clears TF. */
        SET_GATE 1, db_handler
        movl $0, db_count
        movl $0, ticks42
        movl $0x20042, APIC_LVT_TIMER   /* periodic: a tick that comes */
        movl $200000, APIC_INIT_COUNT   /* before the HLT leaves a later one */
        pushf
        pop %eax
        push %eax                       /* TF and IF clear, for the last POPF */
        or $0x100, %eax
        push %eax
        popf
        sti
hlt_at: hlt
after_hlt:
        popf
after_popf:
        movl $0, APIC_INIT_COUNT
        CHECK db_count, 3, 0x0b
        CHECK db_eips, hlt_at, 0x0c
        CHECK db_eips + 4, after_hlt, 0x0d
        cmpl $1, ticks42
        jae pass
        mov $0x0e, %eax
        jmp fail

db_handler:
        push %eax
        push %ebx
        mov db_count, %ebx
        cmp $2, %ebx
        jae 1f
        mov 8(%esp), %eax               /* the EIP after the trapping instruction */
        mov %eax, db_eips(, %ebx, 4)
1:      incl db_count
        pop %ebx
        pop %eax
        iret

isr40:  incl ticks40
        movl $0, APIC_EOI
        iret
isr41:  incl ticks41
        movl $0, APIC_EOI
        iret
isr42:  incl ticks42
        movl $0, APIC_EOI
        iret
isr45:  incl ticks45
        movl $0, APIC_EOI
        iret
isr_spurious:
        iret

#include "reset.S"
