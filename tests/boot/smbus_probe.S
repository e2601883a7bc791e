/* What i2c-piix4 checks after the firmware ran: the PIIX4 PM function's
 * SMBus base (config 0x90) and host configuration (0xd0, enable in 0xd2),
 * then one read-byte-data from the first SPD EEPROM (0x50) and a quick
 * command to an empty address (0x60) at that base. Prints
 *   SMBUS-PROBE: 90=xxxxxxxx D0=xxxxxxxx SPD=ss/dd NONE=ss
 * through the BIOS console (mirrored to the serial port), then halts. */
.code16
.globl _start
_start:
    cli
    xor %ax, %ax
    mov %ax, %ds
    mov %ax, %ss
    mov $0x7c00, %sp
    sti
    mov $msg_start, %si
    call print
    mov $0x80000b90, %eax       /* 00:01.3, SMBBA */
    call config_read
    mov %eax, %ebp
    call print_hex32
    mov $msg_d0, %si
    call print
    mov $0x80000bd0, %eax
    call config_read
    call print_hex32
    mov %bp, %dx
    and $0xffc0, %dx            /* I/O base */
    mov %dx, %bp
    jz done                     /* unprogrammed: ports 0-7 are the DMA */

    mov $msg_spd, %si
    call print
    mov $0xa1, %bl              /* 0x50, read */
    mov $0x48, %bh              /* start, read byte data */
    call transaction
    call print_hex8
    mov $'/', %al
    call putc
    lea 5(%bp), %dx             /* data 0 */
    in %dx, %al
    call print_hex8

    mov $msg_none, %si
    call print
    mov $0xc0, %bl              /* 0x60, write */
    mov $0x40, %bh              /* start, quick */
    call transaction
    call print_hex8
done:
    mov $msg_end, %si
    call print
halt:
    hlt
    jmp halt

/* One transaction: address BL, control BH, command 0. Returns in AL the
 * status once the controller is no longer busy (bounded poll). */
transaction:
    mov %bp, %dx
    mov $0xff, %al
    out %al, %dx                /* clear status */
    lea 4(%bp), %dx
    mov %bl, %al
    out %al, %dx
    lea 3(%bp), %dx
    xor %al, %al
    out %al, %dx
    lea 2(%bp), %dx
    mov %bh, %al
    out %al, %dx
    mov %bp, %dx
    mov $1000, %cx
1:  in %dx, %al
    test $1, %al
    loopnz 1b
    ret

/* EAX = config address; returns the dword in EAX. */
config_read:
    mov $0xcf8, %dx
    out %eax, %dx
    mov $0xcfc, %dx
    in %dx, %eax
    ret

print_hex32:
    mov $8, %cx
1:  rol $4, %eax
    push %eax
    call print_nibble
    pop %eax
    loop 1b
    ret

print_hex8:
    push %ax
    shr $4, %al
    call print_nibble
    pop %ax
print_nibble:
    and $0x0f, %al
    add $'0', %al
    cmp $'9', %al
    jbe putc
    add $7, %al
putc:
    push %bx
    mov $0x0e, %ah
    xor %bx, %bx
    int $0x10
    pop %bx
    ret

.include "bios_print16.inc"

msg_start: .asciz "SMBUS-PROBE: 90="
msg_d0:    .asciz " D0="
msg_spd:   .asciz " SPD="
msg_none:  .asciz " NONE="
msg_end:   .asciz " END\r\n"
.org 510
.byte 0x55, 0xaa
