/* Privilege levels: IRET to ring 3, INT from ring 3 through a DPL-3 gate
 * with the stack switch from the TSS, IRET back, the I/O permission bitmap,
 * IOPL-sensitive CLI, a call gate up to ring 0 and RETF back down, and a
 * software interrupt refused by a DPL-0 gate. */
#include "lib.S"

        .set TSS, 0x3000
        .set RING0_STACK, 0x80000
        .set RING3_STACK, 0x70000
        .set frame, VARS              /* 5 dwords seen by the INT 0x80 handler */
        .set gp_count, VARS + 0x20
        .set gp_last, VARS + 0x24
        .set gate_cs, VARS + 0x28
        .set gate_ss, VARS + 0x2c

        .code16
start16:
        call enter_pm

        .code32
start32:
        /* TSS: SS0:ESP0 and an I/O bitmap allowing only 0xE9 and 0xF4-0xF7. */
        SIMPLE_TSS TSS, RING0_STACK
        mov $(TSS + 0x68), %edi
        mov $0xffffffff, %eax
        mov $(8192 / 4 + 1), %ecx
        rep stosl
        mov $0xe9, %eax
        btrl %eax, TSS + 0x68     /* register form: an immediate offset is taken mod 32 */
        mov $0xf4, %eax
        btrl %eax, TSS + 0x68
        mov $0xf5, %eax
        btrl %eax, TSS + 0x68
        mov $0xf6, %eax
        btrl %eax, TSS + 0x68
        mov $0xf7, %eax
        btrl %eax, TSS + 0x68
        LOAD_TSS TSS, 0x2068      /* limit: 0x68 + the 8 KiB bitmap */
        /* GDT 0x30: 32-bit call gate, DPL 3, to gate_target in ring 0. */
        mov $gate_target, %eax
        mov %ax, GDT_BASE + 0x30
        movw $0x08, GDT_BASE + 0x32
        movw $0xec00, GDT_BASE + 0x34
        shr $16, %eax
        mov %ax, GDT_BASE + 0x36
        SET_GATE 0x80, int80, 0xee00
        SET_GATE 0x81, int80, 0x8e00
        SET_GATE 13, gp_handler
        movl $0, gp_count

        /* Down to ring 3 with IRET. Data segments with DPL 0 would be nulled
         * by the privilege change, so switch to the DPL-3 ones first. */
        mov $0x23, %ax
        mov %ax, %ds
        mov %ax, %es
        push $0x23
        push $RING3_STACK
        pushf
        push $0x1b
        push $ring3
        iret

ring3:
        mov %cs, %eax
        CHECK %eax, 0x1b, 0x01
        mov %ss, %eax
        CHECK %eax, 0x23, 0x02
        /* INT 0x80: ring 0 handler on the TSS stack. */
        mov $0x1111, %ebx
        int $0x80
        CHECK %ebx, 0x2222, 0x03
        CHECK frame+4, 0x1b, 0x04          /* CS */
        CHECK frame+12, RING3_STACK, 0x05  /* ESP */
        CHECK frame+16, 0x23, 0x06         /* SS */
        CHECK frame+20, RING0_STACK-20, 0x07
        mov %esp, %eax
        CHECK %eax, RING3_STACK, 0x08
        /* I/O: 0xE9 is allowed by the bitmap, 0x80 is not. */
        mov $'3', %al
        outb %al, $0xe9
        outb %al, $0x80
        CHECK gp_count, 1, 0x09
        CHECK gp_last, 0, 0x0a
        /* CLI at CPL 3 > IOPL 0. */
        cli
        CHECK gp_count, 2, 0x0b
        /* Up through the call gate and back with RETF. */
        lcall $0x33, $0
        CHECK gate_cs, 0x08, 0x0c
        CHECK gate_ss, 0x10, 0x0d
        mov %cs, %eax
        CHECK %eax, 0x1b, 0x0e
        /* INT 0x81 has a DPL-0 gate: #GP(0x81 * 8 + 2). */
        int $0x81
        CHECK gp_count, 3, 0x0f
        CHECK gp_last, 0x40a, 0x10
        mov $'\n', %al
        outb %al, $0xe9
        jmp pass

int80:
        mov (%esp), %eax
        mov %eax, frame
        mov 4(%esp), %eax
        mov %eax, frame + 4
        mov 8(%esp), %eax
        mov %eax, frame + 8
        mov 12(%esp), %eax
        mov %eax, frame + 12
        mov 16(%esp), %eax
        mov %eax, frame + 16
        mov %esp, frame + 20
        mov $0x2222, %ebx
        iret

/* #GP from ring 3: count it, remember the error code, skip the instruction
 * (2 bytes for OUT imm8 and INT n, 1 for CLI). */
gp_handler:
        pop gp_last
        incl gp_count
        push %eax
        mov 4(%esp), %eax
        cmpb $0xfa, (%eax)
        je 1f
        incl 4(%esp)
1:      incl 4(%esp)
        pop %eax
        iret

gate_target:
        mov %cs, %eax
        mov %eax, gate_cs
        mov %ss, %eax
        mov %eax, gate_ss
        lret

#include "reset.S"
