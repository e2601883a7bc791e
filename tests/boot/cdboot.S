/* An El Torito no-emulation boot image. The BIOS loads its first 2 KiB (one
 * CD sector, -boot-load-size 4) and runs it; it prints a line through INT 10h,
 * reads the image's second CD sector through the INT 13h extensions (its LBA
 * comes from the boot info table xorriso patches in with -boot-info-table)
 * and prints it, then resets the machine through the keyboard controller so
 * tests can follow -boot once= into the next boot. */
.code16
.globl _start
_start:
    jmp start
.org 8
/* Boot info table (filled in by xorriso -boot-info-table). */
info_pvd_lba:   .long 0
info_file_lba:  .long 0
info_file_len:  .long 0
info_checksum:  .long 0
.org 64
start:
    cli
    ljmp $0, $normalized        /* SeaBIOS enters at 07C0:0000 */
normalized:
    xor %ax, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov $0x7c00, %sp
    sti
    mov %dl, boot_drive
    mov $banner, %si
    call print
    mov $0x41, %ah              /* extensions present? */
    mov $0x55aa, %bx
    mov boot_drive, %dl
    int $0x13
    jc failed
    cmp $0xaa55, %bx
    jne failed
    mov info_file_lba, %eax
    inc %eax
    mov %eax, dap_lba
    mov $dap, %si
    mov $0x42, %ah              /* extended read */
    mov boot_drive, %dl
    int $0x13
    jc failed
    mov $sector_two, %si
    call print
    mov $resetting, %si
    call print
    /* Give the serial mirror time to drain, then pulse reset. */
    mov $0x86, %ah
    xor %cx, %cx
    mov $50000, %dx             /* 50 ms */
    int $0x15
    mov $0xfe, %al
    out %al, $0x64
halt:
    hlt
    jmp halt
failed:
    mov $failure, %si
    call print
    jmp halt
.include "bios_print16.inc"

.balign 4
dap:        .byte 16, 0
            .word 1                 /* one 2 KiB sector */
            .word sector_two, 0     /* to 0000:sector_two */
dap_lba:    .quad 0
boot_drive: .byte 0
banner:     .asciz "MIMIC-CDROM-BOOT-IMAGE-RUNNING\r\n"
resetting:  .asciz " CD BOOT DONE, RESETTING\r\n"
failure:    .asciz "INT 13h EXTENDED READ FAILED\r\n"
.org 2048
/* The image's second CD sector: loaded by the INT 13h read, not the BIOS. */
sector_two:
.asciz "MIMIC-CD-SECTOR-TWO-READ-BY-INT13-EXT"
.org 4096
