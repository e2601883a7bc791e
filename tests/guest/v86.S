/* Virtual-8086 mode: IRET into V86, real-mode style addressing there,
 * IOPL-sensitive INT n trapping to the ring-0 monitor as #GP(0) with the
 * V86 frame (segment registers saved, data segments zeroed), IRET back to
 * V86 with the segments restored, and HLT trapping too. */
#include "lib.S"

        .set TSS, 0x3000
        .set MON_STACK, 0x80000
        .set traps, VARS
        .set saved_cs, VARS + 4
        .set saved_ip, VARS + 8
        .set saved_fl, VARS + 12
        .set saved_ds, VARS + 16
        .set mon_ds, VARS + 20

        .code16
start16:
        call enter_pm

        .code32
start32:
        SIMPLE_TSS TSS, MON_STACK         /* no I/O bitmap */
        LOAD_TSS TSS
        SET_GATE 13, monitor
        movl $0, traps

        /* IRET to V86: GS FS DS ES SS ESP EFLAGS(VM) CS EIP. */
        push $0
        push $0
        push $0x5000                   /* DS */
        push $0
        push $0x7000                   /* SS */
        push $0xfffe                   /* SP */
        push $0x00020002               /* VM, IOPL 0 */
        push $0xf000
        push $OFF(v86_code)
        iret

        .code16
v86_code:
        movw $0xbeef, 0x100            /* DS:0x100 = linear 0x50100 */
        mov $0x1234, %ax
        int $0x21                      /* IOPL 0: #GP to the monitor */
        mov $0x4321, %bx
        hlt                            /* CPL 3: #GP to the monitor */
        jmp .

        .code32
monitor:
        /* Entered with DS..GS zeroed: load our own. */
        push %eax
        mov %ds, %eax
        push %eax
        mov $0x10, %ax
        mov %ax, %ds
        pop %eax
        mov %eax, mon_ds
        pop %eax
        incl traps
        cmpl $1, traps
        jne second
        /* Frame: err, EIP, CS, EFLAGS, ESP, SS, ES, DS, FS, GS */
        CHECK (%esp), 0, 0x01
        CHECK mon_ds, 0, 0x02
        mov 4(%esp), %ecx
        mov %ecx, saved_ip
        mov 8(%esp), %ecx
        mov %ecx, saved_cs
        mov 12(%esp), %ecx
        mov %ecx, saved_fl
        mov 28(%esp), %ecx
        mov %ecx, saved_ds
        CHECK saved_cs, 0xf000, 0x03
        CHECK saved_ip, OFF(v86_code)+9, 0x04
        CHECK saved_ds, 0x5000, 0x05
        mov saved_fl, %ecx
        and $0x20000, %ecx
        CHECK %ecx, 0x20000, 0x06
        CHECK 0x50100, 0xbeef, 0x07
        cmp $0x1234, %ax
        je 1f
        mov $0x08, %eax
        jmp fail
1:      addl $2, 4(%esp)               /* skip INT 21h */
        add $4, %esp                   /* error code */
        mov $0x23, %ax                 /* the V86 segments come back from the frame */
        iret
second:
        /* HLT after the V86 code ran on: BX was set there, DS restored. */
        cmp $0x4321, %bx
        je 2f
        mov $0x09, %eax
        jmp fail
2:      mov 28(%esp), %ecx
        CHECK %ecx, 0x5000, 0x0a
        jmp pass

#include "reset.S"
