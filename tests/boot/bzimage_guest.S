/* A minimal bzImage for the direct kernel boot test (linux_boot_test.py).
 *
 * Real-mode part (.setup, linked at 0: offsets in the image = offsets in
 * the setup segment): a boot sector with the setup header, then setup code
 * entered at setup segment + 0x20 : 0 as the boot protocol says. Like
 * Linux's own setup it checks what the boot loader filled in, copies the
 * header into a boot_params of its own, asks the BIOS for the E820 map,
 * switches to protected mode and jumps to code32_start with ESI =
 * boot_params. Protected-mode part (.pm, linked at 0x100000): reports what
 * it finds through debugcon for the test to compare with the files it gave,
 * and checks the tail of its own image to see that all of it was loaded.
 *
 * With -DZIMAGE it is an old zImage instead (boot protocol before 2.00: no
 * "HdrS", setup at 0x90000, the 32-bit kernel at 0x10000, the command line
 * found through the 0xA33F magic at offset 0x20); link with
 * --defsym PM_BASE=0x10000 (0x100000 for the bzImage).
 */
.set SETUP_SECTS, 4
.set SETUP_END, (SETUP_SECTS + 1) * 512
.set BOOT_PARAMS, 0x4000            /* our copy, in the setup segment */
.set BP_E820_ENTRIES, 0x1e8
.set BP_E820_TABLE, 0x2d0
.set E820_MAX, 128
.set BOOT_CS, 0x10                  /* Linux's boot GDT selectors */
.set BOOT_DS, 0x18
.set TAIL_MAGIC, 0x4c494154         /* "TAIL" */

.section .setup, "ax"
.code16
.globl _start
_start:
    .org 0x1f1
    .byte SETUP_SECTS
    .word 0                         /* root_flags */
    .long (pm_end - pm_start) / 16  /* syssize */
    .word 0                         /* ram_size */
    .word 0xffff                    /* vid_mode */
    .word 0                         /* root_dev */
    .word 0xaa55                    /* boot_flag */
    .org 0x200
    .byte 0xeb, header_end - 0x202  /* jump: short, over the header */
    .org 0x202
#ifdef ZIMAGE
    .ascii "none"                   /* no header: protocol 0 */
    .word 0
#else
    .ascii "HdrS"
    .word 0x020f                    /* version */
#endif
    .long 0                         /* realmode_swtch */
    .word 0x1000                    /* start_sys_seg */
    .word version_string - 0x200    /* kernel_version */
    .org 0x210
    .byte 0                         /* type_of_loader: the loader's */
    .byte 0x01                      /* loadflags: LOADED_HIGH */
    .word 0x8000                    /* setup_move_size */
    .long 0x100000                  /* code32_start */
    .long 0                         /* ramdisk_image: the loader's */
    .long 0                         /* ramdisk_size: the loader's */
    .long 0                         /* bootsect_kludge */
    .word 0                         /* heap_end_ptr: the loader's */
    .byte 0, 0                      /* ext_loader_ver, ext_loader_type */
    .long 0                         /* cmd_line_ptr: the loader's */
    .long 0x37ffffff                /* initrd_addr_max */
    .long 0x200000                  /* kernel_alignment */
    .byte 0, 0                      /* relocatable_kernel, min_alignment */
    .word 0                         /* xloadflags */
    .long 2047                      /* cmdline_size */
    .long 0                         /* hardware_subarch */
    .quad 0                         /* hardware_subarch_data */
    .long 0, 0                      /* payload_offset, payload_length */
    .quad 0                         /* setup_data */
    .quad 0x100000                  /* pref_address */
    .long pm_end - pm_start         /* init_size */
    .long 0, 0                      /* handover_offset, kernel_info_offset */
header_copied_end:
header_end:
    jmp setup_entry

version_string:
    .asciz "mimic-bzimage-test"

/* Real-mode output: the NUL-terminated string at DS:SI. */
puts16:
    lodsb
    test %al, %al
    jz 1f
    out %al, $0xe9
    jmp puts16
1:  ret

fail16:
    push %si
    mov $fail_text, %si
    call puts16
    pop %si
    call puts16
    mov $'\n', %al
    out %al, $0xe9
    mov $1, %al
    out %al, $0xf4
    cli
    hlt

setup_entry:
    /* DS = ES = SS = the setup segment, CS = that + 0x20. */
    mov %ds, %ax
    mov %cs, %bx
    sub %ax, %bx
    mov $bad_segments, %si
    cmp $0x20, %bx
    jne fail16
    mov %es, %bx
    cmp %ax, %bx
    jne fail16
    mov %ss, %bx
    cmp %ax, %bx
    jne fail16
    mov $entered_text, %si
    call puts16

#ifdef ZIMAGE
    /* The old command line protocol: magic, then the offset in this segment. */
    mov $bad_cmdline, %si
    cmpw $0xa33f, 0x20
    jne fail16
    mov $old_cmdline_text, %si
    call puts16
#else
    mov $bad_loader, %si
    cmpb $0, 0x210
    je fail16
    mov $bad_heap, %si
    testb $0x80, 0x211              /* CAN_USE_HEAP */
    jz fail16
    cmpw $SETUP_END, 0x224          /* heap_end_ptr past our code */
    jb fail16
    mov $bad_cmdline, %si
    mov 0x228, %eax
    test %eax, %eax
    jz fail16
    cmp $0xa0000, %eax
    jae fail16
#endif

    /* boot_params: zeros, then the header (0x1f1 up to its end). */
    cld
    mov $BOOT_PARAMS, %di
    mov $4096, %cx
    xor %al, %al
    rep stosb
    mov $0x1f1, %si
    mov $(BOOT_PARAMS + 0x1f1), %di
    mov $(header_copied_end - 0x1f1), %cx
    rep movsb
#ifdef ZIMAGE
    xor %eax, %eax
    mov %ds, %ax
    shl $4, %eax
    movzwl 0x22, %ecx
    add %ecx, %eax
    mov %eax, BOOT_PARAMS + 0x228   /* cmd_line_ptr for the 32-bit part */
#endif

    /* The memory map, as Linux's detect_memory_e820(). */
    xor %ebx, %ebx
    xor %bp, %bp
    mov $(BOOT_PARAMS + BP_E820_TABLE), %di
e820_next:
    mov $0xe820, %eax
    mov $20, %ecx
    mov $0x534d4150, %edx
    int $0x15
    jc e820_done
    cmp $0x534d4150, %eax
    jne e820_done
    add $20, %di
    inc %bp
    cmp $E820_MAX, %bp
    jae e820_done
    test %ebx, %ebx
    jnz e820_next
e820_done:
    mov %bp, %ax
    mov %al, BOOT_PARAMS + BP_E820_ENTRIES

    /* Protected mode, as the kernel's own setup does: A20, boot GDT,
     * far jump to code32_start with ESI = boot_params. */
    cli
    in $0x92, %al
    or $0x02, %al
    and $0xfe, %al
    out %al, $0x92
    xor %ebx, %ebx
    mov %ds, %bx
    shl $4, %ebx
    lea gdt(%ebx), %eax
    mov %eax, gdt_pointer + 2
    lgdtl gdt_pointer
    lea BOOT_PARAMS(%ebx), %esi
#ifdef ZIMAGE
    mov $0x10000, %edx              /* fixed for zImage */
#else
    mov 0x214, %edx                 /* code32_start */
#endif
    mov %cr0, %eax
    or $1, %al
    mov %eax, %cr0
    pushl $BOOT_CS
    pushl %edx
    lretl

fail_text:      .asciz "FAIL: setup: "
entered_text:   .asciz "setup: entered at setup segment + 0x20\n"
bad_segments:   .asciz "segment registers not as the boot protocol says"
bad_loader:     .asciz "type_of_loader not set"
bad_heap:       .asciz "heap (CAN_USE_HEAP, heap_end_ptr) not set"
bad_cmdline:    .asciz "cmd_line_ptr not set or above 640 KiB"
old_cmdline_text: .asciz "setup: old command line protocol\n"

.balign 8
gdt:
    .quad 0, 0
    .quad 0x00cf9a000000ffff        /* 0x10: flat code */
    .quad 0x00cf92000000ffff        /* 0x18: flat data */
gdt_end:
gdt_pointer:
    .word gdt_end - gdt - 1
    .long 0
    .org SETUP_END

/* The protected-mode kernel. */
.section .pm, "ax"
.code32
pm_start:
    jmp pm_main

.include "guest_lib32.inc"

pm_main:
    mov $BOOT_DS, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov $stack_top, %esp
    mov %esi, %ebp                  /* EBP = boot_params */
    PRINT "pm: entered at code32_start\n"

    PRINT "LOADER="
    movzbl 0x210(%ebp), %eax
    call hex32
    call newline

    PRINT "CMDLINE="
    mov 0x228(%ebp), %eax
    call puts
    call newline

    PRINT "INITRD="
    mov 0x218(%ebp), %eax
    call hex32
    call space
    mov 0x21c(%ebp), %eax
    call hex32
    call space
    mov 0x218(%ebp), %edx
    mov 0x21c(%ebp), %ecx
    call checksum
    call hex32
    call newline

    /* Each E820 entry: base, length (low halves: the test RAM is small), type. */
    movzbl BP_E820_ENTRIES(%ebp), %ecx
    PRINT "E820 entries="
    mov %ecx, %eax
    call hex32
    call newline
    test %ecx, %ecx
    jnz 1f
    FAIL "no E820 map"
1:  lea BP_E820_TABLE(%ebp), %edi
2:  PRINT "E820 "
    mov %edi, %eax
    call memory_range
    add $20, %edi
    loop 2b

    /* All of the protected-mode image arrived, up to its last word. */
    cmpl $TAIL_MAGIC, pm_tail
    je 3f
    FAIL "the end of the protected-mode kernel was not loaded"
3:  PRINT "TAIL ok\n"
    jmp pass

    .balign 16
stack:
    .fill 4096, 1, 0
stack_top:
    /* Bulk, so that the kernel is larger than a few pages. */
    .fill 200000, 1, 0x90
    .balign 16
pm_tail:
    .long TAIL_MAGIC
    .balign 16
pm_end:
