/* LAR and LSL: ZF set and the access rights (LAR: descriptor bits masked
 * with 0x00F0FF00) or the byte-granular limit (LSL) loaded for a descriptor
 * the current privilege may see; ZF clear and the destination unchanged for
 * a null selector, one beyond the GDT limit, one whose RPL or the CPL is
 * above its DPL, and system types the instruction does not accept (LAR
 * takes gates where LSL does not; neither takes an interrupt gate). */
#include "lib.S"

/* ZF_SET tag / ZF_CLEAR tag: fail with `tag` unless ZF is so. */
        .macro ZF_SET tag
        jz 9f
        mov $\tag, %eax
        jmp fail
9:
        .endm
        .macro ZF_CLEAR tag
        jnz 9f
        mov $\tag, %eax
        jmp fail
9:
        .endm

/* READS insn, sel, value, tag: ZF set and EAX = value. */
        .macro READS insn, sel, value, tag
        mov $\sel, %ecx
        mov $0x5555, %eax
        \insn %ecx, %eax
        ZF_SET \tag
        CHECK %eax, \value, (\tag+1)
        .endm
/* REFUSES insn, sel, tag: ZF clear and EAX unchanged. */
        .macro REFUSES insn, sel, tag
        mov $\sel, %ecx
        mov $0x5555, %eax
        \insn %ecx, %eax
        ZF_CLEAR \tag
        CHECK %eax, 0x5555, (\tag+1)
        .endm

        .code16
start16:
        call enter_pm

        .code32
start32:
        /* System descriptors in the GDT's spare slots. */
        movl $0x30000067, GDT_BASE + 0x28   /* 32-bit TSS (available), base 0x3000, limit 0x67 */
        movl $0x00008900, GDT_BASE + 0x2c
        movl $0x00081234, GDT_BASE + 0x30   /* 32-bit call gate to 0x08:0x1234 */
        movl $0x00008c00, GDT_BASE + 0x34
        movl $0x40000fff, GDT_BASE + 0x38   /* LDT, base 0x4000, limit 0xfff */
        movl $0x00008200, GDT_BASE + 0x3c
        movl $0x00081234, GDT_BASE + 0x40   /* 32-bit interrupt gate */
        movl $0x00008e00, GDT_BASE + 0x44

        READS lar, 0x08, 0x00c09b00, 0x10   /* code, DPL 0 */
        READS lsl, 0x08, 0xffffffff, 0x12   /* 4 KiB granular: the limit in bytes */
        READS lar, 0x23, 0x00c0f300, 0x14   /* data, DPL 3, RPL 3 */
        READS lsl, 0x20, 0xffffffff, 0x16
        REFUSES lar, 0x00, 0x20             /* null */
        REFUSES lsl, 0x03, 0x22
        REFUSES lar, 0x50, 0x24             /* beyond the GDT limit */
        REFUSES lsl, 0x13, 0x26             /* RPL 3 above DPL 0 */

        READS lar, 0x28, 0x00008900, 0x30   /* TSS: both */
        READS lsl, 0x28, 0x67, 0x32
        READS lar, 0x38, 0x00008200, 0x34   /* LDT: both */
        READS lsl, 0x38, 0xfff, 0x36
        READS lar, 0x30, 0x00008c00, 0x38   /* call gate: LAR only */
        REFUSES lsl, 0x30, 0x3a
        REFUSES lar, 0x40, 0x3c             /* interrupt gate: neither */
        REFUSES lsl, 0x40, 0x3e

        /* From ring 3 (IOPL 3, to report without a TSS): DPL-0 descriptors
         * are out of sight. */
        mov $0x23, %ax
        mov %ax, %ds
        mov %ax, %es
        push $0x23
        push $0x70000
        pushf
        orl $0x3000, (%esp)
        push $0x1b
        push $ring3
        iret
ring3:
        REFUSES lar, 0x08, 0x40
        REFUSES lsl, 0x28, 0x42
        READS lsl, 0x1b, 0xffffffff, 0x44
        jmp pass

#include "reset.S"
