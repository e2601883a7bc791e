/* Memory-map changes reach translations the CPU has cached: the i440FX's
 * PAM register for 0xE0000-0xE3FFF (0x5E, low nibble) is switched between
 * RAM read/write and RAM read-only while the same address is read and
 * written. A TLB entry kept across a switch would let a write through to
 * RAM the map shows read-only. (The off state is not checked: QEMU's reads
 * there fall through to RAM as well.) */
#include "lib.S"

        .set PROBE, 0xe0000
        .set PATTERN, 0x5a3c96e1

/* SET_PAM value: PCI configuration write of one byte to 00:00.0 0x5E. */
        .macro SET_PAM value
        mov $0x80000000 + 0x5c, %eax
        mov $0xcf8, %dx
        outl %eax, %dx
        mov $\value, %al
        mov $0xcfe, %dx
        outb %al, %dx
        .endm

        .code16
start16:
        call enter_pm

        .code32
start32:
        SET_PAM 0x03                /* RAM read/write */
        movl $PATTERN, PROBE
        CHECK PROBE, PATTERN, 1

        SET_PAM 0x01                /* RAM read-only: writes go to PCI */
        movl $0x55667788, PROBE
        CHECK PROBE, PATTERN, 2

        SET_PAM 0x03                /* and back: the RAM kept its value */
        CHECK PROBE, PATTERN, 3
        movl $0x0badf00d, PROBE
        SET_PAM 0x01
        CHECK PROBE, 0x0badf00d, 4
        jmp pass

#include "reset.S"
