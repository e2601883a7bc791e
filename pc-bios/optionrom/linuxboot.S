/* Mimic's Linux boot option ROM: loads what the board prepared in fw_cfg
 * (hw/i386/linux_boot.cpp: the real-mode setup with its header already
 * filled in, the protected-mode kernel, the command line and the initrd)
 * by fw_cfg DMA, then enters the kernel's real-mode setup as the Linux/x86
 * boot protocol says: DS = ES = FS = GS = SS = the setup segment, the stack
 * below the command line, CS:IP = setup segment + 0x20 : 0.
 *
 * The board can only guess how much RAM the firmware keeps at the top; when
 * it put the initrd at the top of RAM (rather than at the kernel's
 * initrd_addr_max), the initrd moves to the top the BIOS reports (INT 15h
 * E801) and the header's ramdisk_image follows, as QEMU's ROM does.
 */
.set SETUP_VERSION, 0x206
.set SETUP_RAMDISK_IMAGE, 0x218
.set SETUP_INITRD_ADDR_MAX, 0x22c
.include "optionrom.inc"

boot:
    BOOT_PROLOGUE
    LOAD_ITEM FW_CFG_SETUP_ADDR, FW_CFG_SETUP_SIZE, FW_CFG_SETUP_DATA
    LOAD_ITEM FW_CFG_KERNEL_ADDR, FW_CFG_KERNEL_SIZE, FW_CFG_KERNEL_DATA
    LOAD_ITEM FW_CFG_CMDLINE_ADDR, FW_CFG_CMDLINE_SIZE, FW_CFG_CMDLINE_DATA

    mov $FW_CFG_INITRD_SIZE, %ax
    call fw_cfg_read32
    mov %eax, %ecx              /* ECX = initrd size */
    test %ecx, %ecx
    jz initrd_done
    mov $FW_CFG_SETUP_ADDR, %ax
    call fw_cfg_read32
    shr $4, %eax
    mov %ax, %es                /* ES = the loaded setup */
    mov $FW_CFG_INITRD_ADDR, %ax
    call fw_cfg_read32
    mov %eax, %edi              /* EDI = where the board put it */
    mov $0x37ffffff, %edx       /* initrd_addr_max before protocol 2.03 */
    cmpw $0x203, %es:SETUP_VERSION
    jb 1f
    mov %es:SETUP_INITRD_ADDR_MAX, %edx
1:  and $~0xfff, %edx
    lea (%edi, %ecx), %eax
    and $~0xfff, %eax
    cmp %edx, %eax
    je load_initrd              /* placed by the kernel's limit: keep */
    push %ecx
    push %edi
    call e801_top
    pop %edi
    pop %ecx
    sub %ecx, %eax
    and $~0xfff, %eax
    mov %eax, %edi
    mov %edi, %es:SETUP_RAMDISK_IMAGE
load_initrd:
    mov $FW_CFG_INITRD_DATA, %ax
    call fw_cfg_dma_read
    jc load_failed
initrd_done:

    mov $FW_CFG_SETUP_ADDR, %ax
    call fw_cfg_read32
    mov %eax, %ebx
    mov $FW_CFG_CMDLINE_ADDR, %ax
    call fw_cfg_read32
    /* The stack ends just below the command line, which the board puts
     * right after the setup heap (heap_end_ptr + 0x200). */
    sub %ebx, %eax
    sub $0x10, %eax
    shr $4, %ebx
    mov %bx, %ds
    mov %bx, %es
    mov %bx, %fs
    mov %bx, %gs
    mov %bx, %ss
    mov %ax, %sp
    add $0x20, %bx
    push %bx
    pushw $0
    xor %eax, %eax
    xor %ebx, %ebx
    xor %ecx, %ecx
    xor %edx, %edx
    xor %esi, %esi
    xor %edi, %edi
    xor %ebp, %ebp
    lret

/* EAX <- the end of contiguous RAM from 1 MiB, by INT 15h E801. */
e801_top:
    mov $0xe801, %ax
    xor %bx, %bx
    xor %cx, %cx
    xor %dx, %dx
    int $0x15
    jcxz 1f                     /* CX/DX unset: the answer is in AX/BX */
    jmp 2f
1:  test %dx, %dx
    jnz 2f
    mov %ax, %cx
    mov %bx, %dx
2:  test %dx, %dx
    jz 3f
    movzwl %dx, %eax            /* 64 KiB blocks above 16 MiB */
    add $256, %eax
    shl $16, %eax
    ret
3:  movzwl %cx, %eax            /* KiB between 1 MiB and 16 MiB */
    add $1024, %eax
    shl $10, %eax
    ret

product_name:
    .asciz "Linux loader (Mimic)"
