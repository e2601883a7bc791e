/* x2APIC mode (-cpu qemu64,+x2apic): IA32_APIC_BASE.EXTD and the mode
 * transitions that #GP, the registers as MSRs 0x800-0x8ff (a 32-bit
 * read-only ID, the derived logical ID, #GP for registers the mode lacks,
 * for reserved bits and for nonzero EOI/ESR writes), the xAPIC page going
 * dark, and interrupts sent through SELF IPI and through the 64-bit ICR:
 * physical, broadcast and logical (cluster, bit) destinations. (boot_msrs
 * covers a model without x2APIC.) */
#include "lib.S"

        .set APIC_BASE_MSR, 0x1b
        .set EN, 0x800
        .set EXTD, 0x400
        .set gp_count, VARS
        .set resume, VARS + 4
        .set irq_count, VARS + 8
        .set irq_vector, VARS + 12

/* WRMSR/RDMSR that must raise #GP: the handler resumes after them. */
        .macro WRMSR_GP msr, lo, hi, tag
        movl gp_count, %ebx
        movl $8f, resume
        mov $\msr, %ecx
        mov $\lo, %eax
        mov $\hi, %edx
        wrmsr
8:      inc %ebx
        CHECK_REG gp_count, %ebx, \tag
        .endm
        .macro RDMSR_GP msr, tag
        movl gp_count, %ebx
        movl $8f, resume
        mov $\msr, %ecx
        rdmsr
8:      inc %ebx
        CHECK_REG gp_count, %ebx, \tag
        .endm
        .macro CHECK_REG what, reg, tag
        cmp \reg, \what
        je 9f
        mov $\tag, %eax
        jmp fail
9:
        .endm
/* Reads MSR \msr and checks its low half. */
        .macro RDMSR_EQ msr, value, tag
        mov $\msr, %ecx
        rdmsr
        CHECK %eax, \value, \tag
        .endm
/* Sends through ICR (dest in %edx, low half \lo) and checks \count interrupts at \vector. */
        .macro ICR_SEND lo, count, tag
        movl $0, irq_count
        mov $0x830, %ecx
        mov $\lo, %eax
        wrmsr
        nop
        nop
        CHECK irq_count, \count, \tag
        .endm

        .code16
start16:
        call enter_pm

        .code32
start32:
        mov $0xff, %al                  /* the 8259 stays quiet */
        outb %al, $0x21
        outb %al, $0xa1
        SET_GATE 13, gp_handler
        SET_GATE 0x40, irq_handler
        SET_GATE 0x41, irq_handler
        SET_GATE 0x42, irq_handler
        SET_GATE 0x43, irq_handler
        movl $0, gp_count

        /* Outside x2APIC mode its MSRs fault, whatever CPUID says. */
        RDMSR_GP 0x802, 0x01
        WRMSR_GP 0x808, 0, 0, 0x02

        mov $1, %eax
        cpuid
        and $(1 << 21), %ecx
        CHECK %ecx, 1 << 21, 0x03

        /* xAPIC -> x2APIC. */
        mov $APIC_BASE_MSR, %ecx
        rdmsr
        CHECK %eax, 0xfee00000 + EN + 0x100, 0x10
        or $EXTD, %eax
        wrmsr
        rdmsr
        CHECK %eax, 0xfee00000 + EN + EXTD + 0x100, 0x11
        CHECK gp_count, 2, 0x12

        /* The ID is the initial APIC ID; the logical ID cluster 0, bit 0. */
        RDMSR_EQ 0x802, 0, 0x13
        RDMSR_EQ 0x803, 0x50014, 0x14
        RDMSR_EQ 0x80d, 1, 0x15
        /* The xAPIC page answers no more. */
        CHECK 0xfee00030, 0xffffffff, 0x16

        /* Faults: read-only ID, absent DFR/APR/ICR2, write-only EOI and
         * SELF IPI, EOI and ESR other than 0, reserved upper halves. */
        WRMSR_GP 0x802, 1, 0, 0x20
        RDMSR_GP 0x80e, 0x21
        RDMSR_GP 0x809, 0x22
        RDMSR_GP 0x831, 0x23
        RDMSR_GP 0x80b, 0x24
        RDMSR_GP 0x83f, 0x25
        WRMSR_GP 0x80b, 1, 0, 0x26
        WRMSR_GP 0x828, 1, 0, 0x27
        WRMSR_GP 0x808, 0, 1, 0x28
        WRMSR_GP 0x80d, 0, 0, 0x29
        WRMSR_GP 0x83f, 0x140, 0, 0x2a

        /* Software-enable; TPR through its MSR. */
        mov $0x80f, %ecx
        mov $0x1ff, %eax
        xor %edx, %edx
        wrmsr
        RDMSR_EQ 0x80f, 0x1ff, 0x30
        mov $0x808, %ecx
        mov $0x20, %eax
        wrmsr
        RDMSR_EQ 0x808, 0x20, 0x31
        xor %eax, %eax
        wrmsr
        sti

        /* SELF IPI. */
        movl $0, irq_count
        mov $0x83f, %ecx
        mov $0x40, %eax
        xor %edx, %edx
        wrmsr
        nop
        CHECK irq_count, 1, 0x40
        CHECK irq_vector, 0x40, 0x41

        /* ICR, physical destination 0 in its upper half; it reads back whole. */
        xor %edx, %edx
        ICR_SEND 0x41, 1, 0x42
        CHECK irq_vector, 0x41, 0x43
        mov $0x830, %ecx
        rdmsr
        CHECK %eax, 0x41, 0x44
        CHECK %edx, 0, 0x45
        /* Physical destination 0xff is an x2APIC ID like any other (no one here)... */
        mov $0xff, %edx
        ICR_SEND 0x42, 0, 0x46
        /* ...the broadcast is 0xffffffff. */
        mov $0xffffffff, %edx
        ICR_SEND 0x42, 1, 0x47
        /* Logical: cluster 0, bit 0 is this CPU; cluster 1 is not. */
        mov $0x00000001, %edx
        ICR_SEND 0x843, 1, 0x48
        CHECK irq_vector, 0x43, 0x49
        mov $0x00010001, %edx
        ICR_SEND 0x843, 0, 0x4a
        mov $0x00000002, %edx
        ICR_SEND 0x843, 0, 0x4b
        cli

        /* Transitions: x2APIC -> xAPIC faults; -> disabled works. */
        mov $APIC_BASE_MSR, %ecx
        rdmsr
        and $~EXTD, %eax
        movl gp_count, %ebx
        movl $1f, resume
        wrmsr
1:      inc %ebx
        CHECK_REG gp_count, %ebx, 0x50
        WRMSR_GP APIC_BASE_MSR, 0xfee00000 + EXTD, 0, 0x51
        mov $APIC_BASE_MSR, %ecx
        mov $0xfee00000, %eax
        xor %edx, %edx
        wrmsr
        /* Disabled -> x2APIC faults; -> xAPIC works, with the page back
         * and the registers reset. */
        WRMSR_GP APIC_BASE_MSR, 0xfee00000 + EN + EXTD, 0, 0x52
        mov $APIC_BASE_MSR, %ecx
        mov $(0xfee00000 + EN), %eax
        wrmsr
        CHECK 0xfee00030, 0x50014, 0x53
        CHECK 0xfee000f0, 0xff, 0x54
        RDMSR_GP 0x802, 0x55
        jmp pass

/* #GP: count it and resume where the test said. */
gp_handler:
        add $4, %esp                    /* the error code */
        incl gp_count
        push %eax
        mov resume, %eax
        mov %eax, 4(%esp)
        pop %eax
        iret

/* The IPIs: count, remember the vector (the ISR's highest bit), EOI. */
irq_handler:
        push %eax
        push %ecx
        push %edx
        incl irq_count
        mov $0x812, %ecx                /* ISR bits 64-95 */
        rdmsr
        bsr %eax, %eax
        add $64, %eax
        mov %eax, irq_vector
        mov $0x80b, %ecx
        xor %eax, %eax
        xor %edx, %edx
        wrmsr
        pop %edx
        pop %ecx
        pop %eax
        iret

#include "reset.S"
