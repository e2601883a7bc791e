/* Mimic's multiboot v1 option ROM: loads the image the board prepared in
 * fw_cfg (hw/i386/multiboot.cpp: kernel segments, module table, command
 * lines and modules, in one piece at KERNEL_ADDR) and the multiboot
 * information structure (at INITRD_ADDR, below 1 MiB), fills in what only
 * the BIOS knows -- the memory map from INT 15h E820 (into the buffer the
 * structure's mmap_addr points to), mem_lower from INT 12h and mem_upper
 * from the map -- and enters the kernel as the multiboot specification
 * says: 32-bit protected mode, flat 4 GiB segments, paging and interrupts
 * off, A20 on, EAX = 0x2BADB002, EBX = the structure's physical address.
 */
.include "optionrom.inc"

.set MBI_MEM_LOWER, 4
.set MBI_MEM_UPPER, 8
.set MBI_MMAP_LENGTH, 44
.set MBI_MMAP_ADDR, 48
.set E820_SIGNATURE, 0x534d4150     /* "SMAP" */
.set E820_RAM, 1
.set MMAP_ENTRY_SIZE, 24            /* size field + 20-byte E820 entry */
.set MMAP_MAX_BYTES, 64 * MMAP_ENTRY_SIZE  /* the board reserves this much */

boot:
    BOOT_PROLOGUE
    LOAD_ITEM FW_CFG_INITRD_ADDR, FW_CFG_INITRD_SIZE, FW_CFG_INITRD_DATA

    mov $FW_CFG_INITRD_ADDR, %ax
    call fw_cfg_read32
    mov %eax, %esi              /* ESI = the multiboot information */
    mov %eax, %ebx
    shr $4, %ebx
    mov %bx, %fs                /* FS:0 = the structure (below 1 MiB) */
    and $0xf, %si

    /* The memory map, in the buffer the board reserved for it. */
    mov %fs:MBI_MMAP_ADDR(%si), %edi
    mov %edi, %eax
    shr $4, %eax
    mov %ax, %es
    and $0xf, %di
    mov %di, %bp                /* ES:BP = start of the map */
    xor %ebx, %ebx
    movl $0, %fs:MBI_MEM_UPPER(%si)
e820_next:
    mov $0xe820, %eax
    mov $20, %ecx
    mov $E820_SIGNATURE, %edx
    push %di
    add $4, %di
    int $0x15
    pop %di
    jc e820_done
    cmp $E820_SIGNATURE, %eax
    jne e820_done
    movl $20, %es:(%di)
    /* mem_upper: RAM from 1 MiB up to the first hole, in KiB. */
    cmpl $0x100000, %es:4(%di)
    jne 1f
    cmpl $0, %es:8(%di)
    jne 1f
    cmpl $E820_RAM, %es:20(%di)
    jne 1f
    mov %es:12(%di), %eax
    mov %es:16(%di), %edx
    shrd $10, %edx, %eax
    mov %eax, %fs:MBI_MEM_UPPER(%si)
1:  add $MMAP_ENTRY_SIZE, %di
    mov %di, %ax
    sub %bp, %ax
    cmp $MMAP_MAX_BYTES, %ax
    jae e820_done
    test %ebx, %ebx
    jnz e820_next
e820_done:
    mov %di, %ax
    sub %bp, %ax
    movzwl %ax, %eax
    mov %eax, %fs:MBI_MMAP_LENGTH(%si)

    int $0x12                   /* conventional memory in KiB */
    movzwl %ax, %eax
    mov %eax, %fs:MBI_MEM_LOWER(%si)

    /* The kernel last: one loading below 1 MiB (over memory the BIOS
     * calls above may use) is then intact when it starts. */
    LOAD_ITEM FW_CFG_KERNEL_ADDR, FW_CFG_KERNEL_SIZE, FW_CFG_KERNEL_DATA

    mov $FW_CFG_INITRD_ADDR, %ax
    call fw_cfg_read32
    mov %eax, %ebx              /* EBX = the structure, for the kernel */
    mov $FW_CFG_KERNEL_ENTRY, %ax
    call fw_cfg_read32
    mov %eax, %esi              /* ESI = the entry point */

    in $0x92, %al               /* A20 on (fast gate) */
    or $0x02, %al
    and $0xfe, %al
    out %al, $0x92

    /* The GDT lives in this ROM; its linear address depends on where
     * SeaBIOS put us, so the GDTR image and the far pointer into 32-bit
     * code are built on the stack. */
    xor %eax, %eax
    mov %cs, %ax
    shl $4, %eax
    mov %eax, %edx
    add $gdt, %eax
    push %eax
    pushw $(gdt_end - gdt - 1)
    mov %sp, %bp
    lgdtl (%bp)
    add $6, %sp
    add $enter_kernel, %edx
    mov %cr0, %eax
    or $1, %al
    mov %eax, %cr0
    pushl $0x08
    push %edx
    lretl

.code32
enter_kernel:
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %fs
    mov %ax, %gs
    mov %ax, %ss
    mov $ROM_STACK_TOP, %esp
    mov $0x2badb002, %eax
    xor %ecx, %ecx
    xor %edx, %edx
    xor %edi, %edi
    xor %ebp, %ebp
    jmp *%esi
.code16

.balign 8
gdt:
    .quad 0
    .quad 0x00cf9a000000ffff    /* 0x08: flat 32-bit code */
    .quad 0x00cf92000000ffff    /* 0x10: flat 32-bit data */
gdt_end:

product_name:
    .asciz "Multiboot loader (Mimic)"
