/* Mimic's Linux boot option ROM: loads what the board prepared in fw_cfg
 * (hw/i386/linux_boot.cpp: the real-mode setup with its header already
 * filled in, the protected-mode kernel, the command line and the initrd)
 * by fw_cfg DMA, then enters the kernel's real-mode setup as the Linux/x86
 * boot protocol says: DS = ES = FS = GS = SS = the setup segment, the stack
 * below the command line, CS:IP = setup segment + 0x20 : 0.
 */
.include "optionrom.inc"

boot:
    BOOT_PROLOGUE
    LOAD_ITEM FW_CFG_SETUP_ADDR, FW_CFG_SETUP_SIZE, FW_CFG_SETUP_DATA
    LOAD_ITEM FW_CFG_KERNEL_ADDR, FW_CFG_KERNEL_SIZE, FW_CFG_KERNEL_DATA
    LOAD_ITEM FW_CFG_CMDLINE_ADDR, FW_CFG_CMDLINE_SIZE, FW_CFG_CMDLINE_DATA
    LOAD_ITEM FW_CFG_INITRD_ADDR, FW_CFG_INITRD_SIZE, FW_CFG_INITRD_DATA

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

product_name:
    .asciz "Linux loader (Mimic)"
