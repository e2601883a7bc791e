/* The monitor's `mce` reaches the guest as #MC (tests/monitor drive it):
 * with CR4.MCE set and interrupts off, the program writes 0x4d43 to 0x500
 * and halts; `mce 0 1 0xb000000000000000 5 0x1234 0x77` must then wake it
 * into vector 18 with MCG_STATUS = 5 (RIPV | MCIP) and bank 1 holding the
 * status, address and misc given. */
#include "lib.S"

        .set READY, 0x500

        .macro EXPECT_MSR msr, lo, hi, tag
        mov $\msr, %ecx
        rdmsr
        CHECK %eax, \lo, \tag
        CHECK %edx, \hi, (\tag+1)
        .endm

        .code16
start16:
        call enter_pm

        .code32
start32:
        SET_GATE 18, machine_check
        mov %cr4, %eax
        or $0x40, %eax              /* CR4.MCE */
        mov %eax, %cr4
        cli
        movw $0x4d43, READY
1:      hlt
        jmp 1b

machine_check:
        EXPECT_MSR 0x17a, 5, 0, 0x10               /* MCG_STATUS */
        EXPECT_MSR 0x405, 0, 0xb0000000, 0x12      /* MC1_STATUS */
        EXPECT_MSR 0x406, 0x1234, 0, 0x14          /* MC1_ADDR */
        EXPECT_MSR 0x407, 0x77, 0, 0x16            /* MC1_MISC */
        EXPECT_MSR 0x401, 0, 0, 0x18               /* MC0_STATUS: untouched */
        jmp pass

#include "reset.S"
