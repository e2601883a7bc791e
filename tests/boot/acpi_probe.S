/* A guest that does what an OS's ACPI code does first, using only the
 * BIOS: find the RSDP in 0xE0000-0xFFFFF, follow the RSDT to every table
 * (copied below 1 MiB with INT 15h AH=87h), check each checksum, take the
 * PM1a control block from the FADT and SLP_TYP from the DSDT's \_S5
 * package, enable ACPI through the SMI command port and enter S5.
 * It prints "NAME+" for a table whose checksum holds ("NAME-" if not) on
 * the console, which SeaBIOS mirrors to the serial port.
 *
 * The boot sector loads the rest of the program (sectors 2-5) first. */
.code16
.globl _start
_start:
    cli
    xor %ax, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov $0x7c00, %sp
    sti
    mov $0x0204, %ax        /* read 4 sectors */
    mov $0x7e00, %bx
    mov $0x0002, %cx
    xor %dh, %dh
    int $0x13
    jc load_failed
    jmp main
load_failed:
    mov $msg_load, %si
    call print
    jmp halt
.include "bios_print16.inc"
halt:
    hlt
    jmp halt
msg_load: .asciz "LOAD FAILED\r\n"
.org 510
.byte 0x55, 0xaa

/* ---- sector 2 onwards ---- */
main:
    cld
    mov $msg_start, %si
    call print
    /* The RSDP sits on a 16-byte boundary: scan paragraphs E000-FFFF. */
    mov $0xe000, %dx
find_rsdp:
    mov %dx, %es
    xor %di, %di
    mov $sig_rsdp, %si
    mov $8, %cx
    repe cmpsb
    je found_rsdp
    inc %dx
    jnz find_rsdp
    mov $msg_no_rsdp, %si
    call print
    jmp halt
found_rsdp:
    xor %di, %di
    mov $20, %cx
    xor %al, %al
1:  add %es:(%di), %al
    inc %di
    loop 1b
    mov $name_rsdp, %si
    call report
    movl %es:16, %eax       /* RSDT address */
    xor %bx, %bx
    mov %bx, %es

    /* RSDT: copy it down, check it, keep its entries. */
    call copy_table
    call report_table
    mov $0x2000, %ax
    mov %ax, %fs
    movw %fs:4, %cx         /* length */
    sub $36, %cx
    shr $2, %cx
    cmp $8, %cx
    jbe 2f
    mov $8, %cx
2:  mov %cx, entry_count
    xor %si, %si
    mov $entries, %di
3:  test %cx, %cx
    jz 4f
    movl %fs:36(%si), %eax
    movl %eax, (%di)
    add $4, %si
    add $4, %di
    dec %cx
    jmp 3b
4:
    /* Every table the RSDT lists; the FADT gives the PM block and DSDT. */
    xor %bp, %bp
next_entry:
    cmp entry_count, %bp
    jae entries_done
    mov %bp, %bx
    shl $2, %bx
    movl entries(%bx), %eax
    call copy_table
    call report_table
    cmpl $0x50434146, %fs:0  /* "FACP" */
    jne 5f
    movl %fs:40, %eax
    movl %eax, dsdt_address
    movw %fs:64, %ax
    mov %ax, pm1a_cnt
    movw %fs:48, %ax
    mov %ax, smi_cmd
    movb %fs:52, %al
    mov %al, acpi_enable
5:  inc %bp
    jmp next_entry
entries_done:
    movl dsdt_address, %eax
    test %eax, %eax
    jz no_fadt
    call copy_table
    call report_table

    /* \_S5: NameOp "_S5_" PackageOp PkgLength NumElements SLP_TYPa... */
    movw %fs:4, %cx
    sub $8, %cx
    xor %si, %si
6:  cmpl $0x5f35535f, %fs:(%si)  /* "_S5_" */
    jne 7f
    cmpb $0x12, %fs:4(%si)
    je found_s5
7:  inc %si
    loop 6b
    mov $msg_no_s5, %si
    call print
    jmp halt
found_s5:
    movb %fs:7(%si), %al    /* first element */
    cmp $0x0a, %al          /* BytePrefix */
    jne 8f
    movb %fs:8(%si), %al
    jmp 9f
8:  cmp $0x01, %al          /* OneOp; else ZeroOp */
    je 9f
    xor %al, %al
9:  mov %al, slp_typ
    mov $msg_s5, %si
    call print
    mov slp_typ, %al
    add $'0', %al
    mov $0x0e, %ah
    xor %bx, %bx
    int $0x10
    mov $msg_poweroff, %si
    call print

    /* ACPI mode, then SLP_TYP | SLP_EN into PM1a_CNT. */
    mov smi_cmd, %dx
    mov acpi_enable, %al
    out %al, %dx
    mov pm1a_cnt, %dx
    in %dx, %ax
    and $0xe3ff, %ax
    movzbw slp_typ, %bx
    shl $10, %bx
    or %bx, %ax
    or $0x2000, %ax
    out %ax, %dx
    /* Power-off takes effect when the emulator's main loop gets to it:
     * give it two seconds of BIOS ticks before calling it a failure. */
    sti
    xor %ah, %ah
    int $0x1a
    mov %dx, %di
1:  hlt
    xor %ah, %ah
    int $0x1a
    mov %dx, %ax
    sub %di, %ax
    cmp $36, %ax
    jb 1b
    mov $msg_still_running, %si
    call print
    jmp halt
no_fadt:
    mov $msg_no_fadt, %si
    call print
    jmp halt

/* Copies 8 KiB from physical EAX to 0x20000 (FS=0x2000 afterwards). */
copy_table:
    mov %ax, gdt + 0x12
    shr $16, %eax
    mov %al, gdt + 0x14
    mov %ah, gdt + 0x17
    push %es
    xor %ax, %ax
    mov %ax, %es
    mov $gdt, %si
    mov $4096, %cx
    mov $0x87, %ah
    int $0x15
    pop %es
    jnc 1f
    mov $msg_copy, %si
    call print
    jmp halt
1:  mov $0x2000, %ax
    mov %ax, %fs
    ret

/* Prints the signature of the table at FS:0 and its checksum verdict. */
report_table:
    movl %fs:0, %eax
    movl %eax, name_table
    movw %fs:4, %cx
    cmp $8192, %cx
    jbe 1f
    mov $8192, %cx
1:  xor %si, %si
    xor %al, %al
2:  add %fs:(%si), %al
    inc %si
    loop 2b
    mov $name_table, %si
    /* fall through */
/* Prints the name at SI, then '+' if AL is zero (checksum holds), else '-'. */
report:
    push %ax
    call print
    pop %ax
    test %al, %al
    mov $'+', %al
    jz 1f
    mov $'-', %al
1:  mov $0x0e, %ah
    xor %bx, %bx
    int $0x10
    mov $' ', %al
    int $0x10
    ret

msg_start:        .asciz "ACPI-PROBE: "
msg_no_rsdp:      .asciz "NO RSDP\r\n"
msg_no_fadt:      .asciz "NO FADT\r\n"
msg_no_s5:        .asciz "NO _S5\r\n"
msg_copy:         .asciz "INT 15h COPY FAILED\r\n"
msg_s5:           .asciz "S5="
msg_poweroff:     .asciz " POWER-OFF\r\n"
msg_still_running: .asciz "STILL RUNNING AFTER S5\r\n"
sig_rsdp:         .ascii "RSD PTR "
name_rsdp:        .asciz "RSDP"
name_table:       .asciz "XXXX"
.balign 4
entries:          .fill 8, 4, 0
entry_count:      .word 0
dsdt_address:     .long 0
pm1a_cnt:         .word 0
smi_cmd:          .word 0
acpi_enable:      .byte 0
slp_typ:          .byte 0
/* INT 15h AH=87h descriptor table: source at 0x10, destination 0x20000. */
.balign 8
gdt:
    .fill 16, 1, 0
    .word 0xffff, 0x0000
    .byte 0x00, 0x93, 0x00, 0x00
    .word 0xffff, 0x0000
    .byte 0x02, 0x93, 0x00, 0x00
    .fill 16, 1, 0
.org 2560
