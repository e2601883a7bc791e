/* MSRs Linux and Windows read while they boot, answered as QEMU's TCG
 * answers them rather than with #GP (any #GP fails the test through
 * `unexpected`):
 *   0x8b IA32_BIOS_SIGN_ID: the microcode revision, KVM's default for the
 *        vendor (AMD 0x01000065, others 1 in the high half); a write (Linux
 *        clears it before CPUID on Intel) is dropped.
 *   AMD HWCR 0xc0010015, DE_CFG 0xc0011029, INT_PENDING_MSG 0xc0010055 and
 *        the legacy counters PERF_CTL0-3/PERF_CTR0-3 0xc0010000-7: read as
 *        0, writes dropped (no PMU is advertised, so nothing counts).
 *   0x198 IA32_PERF_STATUS: QEMU's fixed ratio 4, 1000 below.
 *   MSRs nothing models (Intel's PMU without CPUID leaf 0xA, FEATURE_CONTROL,
 *        an index no CPU has): read as 0, writes dropped.
 * The x2APIC registers are no such MSRs: without x2APIC mode they raise
 * #GP, as does IA32_APIC_BASE.EXTD on a CPU without x2APIC. */
#include "lib.S"

        .set ucode_lo, VARS
        .set ucode_hi, VARS + 4
        .set gp_count, VARS + 8
        .set resume, VARS + 12

/* EXPECT_MSR msr, lo, hi, tag: RDMSR gives EDX:EAX = hi:lo (registers
 * primed with garbage first, so a read that changes nothing fails). */
        .macro EXPECT_MSR msr, lo, hi, tag
        mov $\msr, %ecx
        mov $0xdeadbeef, %eax
        mov %eax, %edx
        rdmsr
        CHECK %eax, \lo, \tag
        CHECK %edx, \hi, (\tag+1)
        .endm

/* READS_ZERO msr, tag: RDMSR gives 0, and still does after a WRMSR. */
        .macro READS_ZERO msr, tag
        EXPECT_MSR \msr, 0, 0, \tag
        mov $\msr, %ecx
        mov $0x12345678, %eax
        mov $0x9abc, %edx
        wrmsr
        EXPECT_MSR \msr, 0, 0, (\tag+2)
        .endm

        .code16
start16:
        call enter_pm

        .code32
start32:
        /* The expected microcode revision follows the CPUID vendor. */
        xor %eax, %eax
        cpuid
        movl $0, ucode_lo
        movl $1, ucode_hi
        cmp $0x68747541, %ebx       /* "Auth" */
        jne 1f
        cmp $0x69746e65, %edx       /* "enti" */
        jne 1f
        cmp $0x444d4163, %ecx       /* "cAMD" */
        jne 1f
        movl $0x01000065, ucode_lo
        movl $0, ucode_hi
1:
        mov $0x8b, %ecx
        rdmsr
        mov $0x01, %ebx
        cmp ucode_lo, %eax
        jne ucode_wrong
        cmp ucode_hi, %edx
        jne ucode_wrong
        /* Linux's Intel probe: write 0, CPUID, read back the revision. */
        mov $0x8b, %ecx
        xor %eax, %eax
        xor %edx, %edx
        wrmsr
        mov $1, %eax
        cpuid
        mov $0x8b, %ecx
        rdmsr
        mov $0x02, %ebx
        cmp ucode_lo, %eax
        jne ucode_wrong
        cmp ucode_hi, %edx
        jne ucode_wrong

        READS_ZERO 0xc0010015, 0x10
        READS_ZERO 0xc0011029, 0x20
        READS_ZERO 0xc0010055, 0x30
        READS_ZERO 0xc0010000, 0x40
        READS_ZERO 0xc0010001, 0x50
        READS_ZERO 0xc0010002, 0x60
        READS_ZERO 0xc0010003, 0x70
        READS_ZERO 0xc0010004, 0x80
        READS_ZERO 0xc0010005, 0x90
        READS_ZERO 0xc0010006, 0xa0
        READS_ZERO 0xc0010007, 0xb0
        EXPECT_MSR 0x198, 1000, 0x400, 0xc0
        READS_ZERO 0xc1, 0xd0               /* IA32_PMC0 */
        READS_ZERO 0x186, 0xe0              /* IA32_PERFEVTSEL0 */
        READS_ZERO 0x38f, 0xf0              /* IA32_PERF_GLOBAL_CTRL */
        READS_ZERO 0x3a, 0x100              /* IA32_FEATURE_CONTROL */
        READS_ZERO 0x40001234, 0x120

        SET_GATE 13, gp_handler
        movl $0, gp_count
        movl $1f, resume
        mov $0x802, %ecx                    /* the x2APIC ID register */
        rdmsr
1:      CHECK gp_count, 1, 0x110
        mov $1, %eax
        cpuid
        bt $21, %ecx
        jc pass                             /* x2APIC (KVM offers it): x2apic.S */
        movl $1f, resume
        mov $0x1b, %ecx
        rdmsr
        or $0x400, %eax
        wrmsr
1:      CHECK gp_count, 2, 0x111
        jmp pass

/* #GP: count it and resume where the test said. */
gp_handler:
        add $4, %esp                        /* the error code */
        incl gp_count
        push %eax
        mov resume, %eax
        mov %eax, 4(%esp)
        pop %eax
        iret

/* EBX: the tag; prints the revision read (EDX:EAX) before failing. */
ucode_wrong:
        push %eax
        mov %edx, %eax
        call puthex32
        pop %eax
        call puthex32
        mov $' ', %al
        outb %al, $DEBUGCON
        mov %ebx, %eax
        jmp fail

#include "reset.S"
