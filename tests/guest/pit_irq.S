/* PIT rate generator (mode 2) on IRQ0 through the 8259: the emulator's
 * timer for an OUT0 edge may run late (host load), and mode 2's low pulse
 * lasts one PIT clock (838 ns): read at the late time, the pulse and its
 * rising edge were missed, so nearly every tick was lost (Linux's periodic
 * PIT tick froze). Late edges now arrive late, and several due at once
 * merge in the 8259's IRR as on hardware, so only a floor is checked:
 * channel 0 with a 1193-clock period, over 10 windows of 65535 clocks
 * (channel 2 in mode 0, OUT2 on port 61h), about 549 periods, must give
 * at least 20 interrupts (before: 1) and no more than the periods. */
#include "lib.S"

        .set irq_count, VARS
        .set PERIOD, 1193

        .code16
start16:
        call enter_pm

        .code32
start32:
        movl $0, irq_count
        SET_GATE 0x20, irq0_handler
        /* 8259s: vectors 0x20/0x28, cascade on IRQ2, only IRQ0 unmasked. */
        mov $0x11, %al
        outb %al, $0x20
        outb %al, $0xa0
        mov $0x20, %al
        outb %al, $0x21
        mov $0x28, %al
        outb %al, $0xa1
        mov $0x04, %al
        outb %al, $0x21
        mov $0x02, %al
        outb %al, $0xa1
        mov $0x01, %al
        outb %al, $0x21
        outb %al, $0xa1
        mov $0xfe, %al
        outb %al, $0x21
        mov $0xff, %al
        outb %al, $0xa1

        /* Channel 0: mode 2, lobyte/hibyte. */
        mov $0x34, %al
        outb %al, $0x43
        mov $(PERIOD & 0xff), %al
        outb %al, $0x40
        mov $(PERIOD >> 8), %al
        outb %al, $0x40
        /* Channel 2: gate on, speaker off. */
        inb $0x61, %al
        and $0xfc, %al
        or $0x01, %al
        outb %al, $0x61
        sti
        mov $10, %ecx
        /* Channel 2 in mode 0 from 65535: OUT2 rises after 65535 clocks. */
1:      mov $0xb0, %al
        outb %al, $0x43
        mov $0xff, %al
        outb %al, $0x42
        outb %al, $0x42
2:      inb $0x61, %al
        test $0x20, %al
        jz 2b
        loop 1b
        cli

        mov irq_count, %eax
        cmp $20, %eax
        jb 3f
        cmp $550, %eax
        ja 3f
        jmp pass
3:      or $0x10000, %eax         /* FAIL 0001xxxx: xxxx interrupts counted */
        jmp fail

irq0_handler:
        incl irq_count
        push %eax
        mov $0x20, %al            /* non-specific EOI */
        outb %al, $0x20
        pop %eax
        iret
#include "reset.S"
