/* SMP (-smp 2): the BSP wakes CPU 1 with INIT-SIPI-SIPI. The AP starts in
 * real mode at the SIPI vector's page (0x8000, where the BSP put a far jump
 * into this ROM), enters protected mode, records its APIC ID, CPUID APIC ID
 * and IA32_APIC_BASE, and sends vector 0x50 back to the BSP. */
#include "lib.S"

        .set APIC, 0xfee00000
        .set APIC_ID, APIC + 0x20
        .set APIC_EOI, APIC + 0xb0
        .set APIC_SVR, APIC + 0xf0
        .set APIC_ICR_LO, APIC + 0x300
        .set APIC_ICR_HI, APIC + 0x310

        .set ipi_count, VARS
        .set ap_flag, VARS + 4
        .set ap_apic_id, VARS + 8
        .set ap_cpuid_id, VARS + 12
        .set ap_apic_base, VARS + 16
        .set ap_counter, VARS + 20
        .set TRAMPOLINE, 0x8000          /* SIPI vector 0x08 */

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
        SET_GATE 0x50, isr50
        movl $0, ipi_count
        movl $0, ap_flag
        movl $0, ap_counter
        /* The AP's first instructions: ljmp $0xf000, $OFF(ap_start16). */
        mov $ap_trampoline, %esi
        mov $TRAMPOLINE, %edi
        mov $(ap_trampoline_end - ap_trampoline), %ecx
        rep movsb
        movl $0x1ff, APIC_SVR

        /* The AP is still asleep. */
        mov $100000, %ecx
1:      loop 1b
        CHECK ap_counter, 0, 0x01

        /* INIT (assert, then de-assert), then two SIPIs, to APIC ID 1. */
        movl $0x01000000, APIC_ICR_HI
        movl $0x00004500, APIC_ICR_LO
        movl $0x00008500, APIC_ICR_LO
        movl $0x00004608, APIC_ICR_LO
        movl $0x00004608, APIC_ICR_LO

        /* Wait for the AP's IPI. */
1:      cli
        cmpl $1, ipi_count
        jae 2f
        sti
        hlt
        jmp 1b
2:      CHECK ap_flag, 0xc0ffee, 0x02
        CHECK ap_apic_id, 0x01000000, 0x03
        CHECK ap_cpuid_id, 1, 0x04
        CHECK ap_apic_base, 0xfee00800, 0x05   /* enabled, not the BSP */
        /* Our own ID is 0, and the AP keeps running beside us. */
        mov APIC_ID, %eax
        CHECK %eax, 0, 0x06
        mov ap_counter, %ebx
1:      cmp ap_counter, %ebx
        je 1b
        jmp pass

isr50:  incl ipi_count
        movl $0, APIC_EOI
        iret

/* ---- CPU 1 ---- */
ap_trampoline:
        .byte 0xea                       /* ljmp ptr16:16 */
        .word OFF(ap_start16), 0xf000
ap_trampoline_end:

        .code16
ap_start16:
        cli
        lgdtl %cs:OFF(gdt_ptr)           /* the GDT the BSP built */
        mov %cr0, %eax
        or $1, %eax
        mov %eax, %cr0
        ljmpl $0x08, $ap_pm

        .code32
ap_pm:
        mov $0x10, %ax
        mov %ax, %ds
        mov %ax, %es
        mov %ax, %ss
        mov $0x80000, %esp
        mov APIC_ID, %eax
        mov %eax, ap_apic_id
        mov $1, %eax
        cpuid
        shr $24, %ebx
        mov %ebx, ap_cpuid_id
        mov $0x1b, %ecx
        rdmsr
        mov %eax, ap_apic_base
        movl $0xc0ffee, ap_flag
        movl $0x1ff, APIC_SVR
        /* Fixed IPI, vector 0x50, physical destination 0. */
        movl $0, APIC_ICR_HI
        movl $0x00004050, APIC_ICR_LO
1:      lock incl ap_counter
        jmp 1b

#include "reset.S"
