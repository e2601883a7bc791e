/* A boot sector: reads sector 2 of the boot disk through INT 13h and prints
 * it, then its own message, through INT 10h teletype output. SeaBIOS mirrors
 * INT 10h to the serial port under -nographic. */
.code16
.globl _start
_start:
    cli
    xor %ax, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov $0x7c00, %sp
    mov $0x0201, %ax        /* read 1 sector */
    mov $0x7e00, %bx        /* to 0000:7E00 */
    mov $0x0002, %cx        /* cylinder 0, sector 2 */
    xor %dh, %dh            /* head 0; DL = boot drive from the BIOS */
    int $0x13
    jc failed
    mov $0x7e00, %si
    call print
    mov $done, %si
    call print
halt:
    hlt
    jmp halt
failed:
    mov $failure, %si
    call print
    jmp halt
.include "bios_print16.inc"
done:    .asciz " BOOT SECTOR DONE\r\n\r\n"
failure: .asciz "INT 13h READ FAILED\r\n"
.org 510
.byte 0x55, 0xaa
/* Sector 2: data the boot sector reads from the disk. */
.asciz "MIMIC-SECTOR-TWO-READ-BY-INT13"
.org 1024
