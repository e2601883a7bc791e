/* Machine-check registers as QEMU gives them: a model with MCE and MCA at
 * family 6 or later has MCG_CAP 0x0100010a (MCG_CTL present, SER_P, ten
 * banks), MCG_CTL and every MCi_CTL all ones at reset; a CTL takes only all
 * zeros or all ones, STATUS/ADDR/MISC take anything; registers past the last
 * bank are unknown MSRs (0, no #GP). A model without them reads MCG_CAP 0. */
#include "lib.S"

        .set expected_cap, VARS

/* EXPECT_MSR msr, lo, hi, tag: RDMSR gives EDX:EAX = hi:lo. */
        .macro EXPECT_MSR msr, lo, hi, tag
        mov $\msr, %ecx
        mov $0xdeadbeef, %eax
        mov %eax, %edx
        rdmsr
        CHECK %eax, \lo, \tag
        CHECK %edx, \hi, (\tag+1)
        .endm

        .macro WRITE_MSR msr, lo, hi
        mov $\msr, %ecx
        mov $\lo, %eax
        mov $\hi, %edx
        wrmsr
        .endm

        .code16
start16:
        call enter_pm

        .code32
start32:
        /* Banks exist with CPUID.1:EDX MCE (7) and MCA (14) at family >= 6. */
        mov $1, %eax
        cpuid
        movl $0, expected_cap
        and $0x4080, %edx
        cmp $0x4080, %edx
        jne 1f
        shr $8, %eax
        and $0xf, %eax
        cmp $6, %eax
        jb 1f
        movl $0x0100010a, expected_cap
1:
        mov $0x179, %ecx
        rdmsr
        cmp expected_cap, %eax
        je 2f
        call puthex32
        mov $0x01, %eax
        jmp fail
2:      CHECK %edx, 0, 0x02
        cmpl $0, expected_cap
        je pass

        EXPECT_MSR 0x17b, 0xffffffff, 0xffffffff, 0x10   /* MCG_CTL */
        EXPECT_MSR 0x17a, 0, 0, 0x12                     /* MCG_STATUS */
        EXPECT_MSR 0x400, 0xffffffff, 0xffffffff, 0x14   /* MC0_CTL */
        EXPECT_MSR 0x424, 0xffffffff, 0xffffffff, 0x16   /* MC9_CTL */
        EXPECT_MSR 0x401, 0, 0, 0x18                     /* MC0_STATUS */

        /* A CTL keeps its value unless given all zeros or all ones. */
        WRITE_MSR 0x408, 5, 0
        EXPECT_MSR 0x408, 0xffffffff, 0xffffffff, 0x20
        WRITE_MSR 0x408, 0, 0
        EXPECT_MSR 0x408, 0, 0, 0x22
        WRITE_MSR 0x17b, 5, 0
        EXPECT_MSR 0x17b, 0xffffffff, 0xffffffff, 0x24
        WRITE_MSR 0x17b, 0, 0
        EXPECT_MSR 0x17b, 0, 0, 0x26

        /* STATUS, ADDR and MISC hold what is written; MCG_STATUS too. */
        WRITE_MSR 0x40d, 0x1234, 0x80000000
        EXPECT_MSR 0x40d, 0x1234, 0x80000000, 0x30
        WRITE_MSR 0x40e, 0x5678, 0x9
        EXPECT_MSR 0x40e, 0x5678, 0x9, 0x32
        WRITE_MSR 0x40f, 0xabc, 0
        EXPECT_MSR 0x40f, 0xabc, 0, 0x34
        WRITE_MSR 0x17a, 5, 0
        EXPECT_MSR 0x17a, 5, 0, 0x36
        WRITE_MSR 0x17a, 0, 0

        /* Past the tenth bank: an unknown MSR. */
        WRITE_MSR 0x428, 0xffffffff, 0xffffffff
        EXPECT_MSR 0x428, 0, 0, 0x40
        jmp pass

#include "reset.S"
