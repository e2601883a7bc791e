/* Long-mode support for the bare-metal tests (included after lib.S; the
 * image is assembled with --64, so every part says .code16/32/64).
 *
 * `enter_long` (called from 32-bit protected mode, start32) builds
 * 4-level page tables, a GDT with 64-bit and compatibility segments for
 * rings 0 and 3, a 64-bit TSS and a 64-bit IDT, turns on PAE, EFER.LME/NXE/SCE
 * and paging, and far-jumps to `start64` in 64-bit mode (CS 0x18).
 *
 * Linear memory (all user-accessible, RWX unless a test changes it):
 *   0 .. 2 MiB          4 KiB pages, identity (PT at PT64)
 *   2 MiB .. 4 MiB      one 2 MiB page mapping physical 0
 *   1 GiB .. 2 GiB      one 1 GiB page mapping physical 0
 *   0xffff800000000000  the same as 0 (PML4[256] shares the PDPT)
 *
 * Selectors: 0x08 code32/0 (compatibility), 0x10 data/0, 0x18 code64/0,
 * 0x20 data/0, 0x28 code32/3, 0x30 data/3, 0x38 code64/3 (so that STAR
 * bases 0x18 and 0x28 fit SYSCALL/SYSRET), 0x40 64-bit TSS, 0x50 free for
 * a test's 16-byte call gate.
 */
        .set PML4, 0x20000
        .set PDPT, 0x21000
        .set PD64, 0x22000
        .set PT64, 0x23000
        .set GDT64, 0x3000
        .set IDT64, 0x4000            /* 256 16-byte gates */
        .set TSS64, 0x5000
        .set STACK0, 0x90000          /* ring 0 stack (also TSS RSP0) */
        .set IST1_TOP, 0x8e000
        .set IST2_TOP, 0x8c000
        .set USER_STACK, 0x70000

        .code32
enter_long:
        /* Page tables: clear, then fill. */
        mov $PML4, %edi
        mov $(4 * 4096 / 4), %ecx
        xor %eax, %eax
        rep stosl
        movl $(PDPT | 7), PML4
        movl $(PDPT | 7), PML4 + 256 * 8
        movl $(PD64 | 7), PDPT
        movl $(0x87), PDPT + 8          /* 1 GiB page at 1 GiB -> 0 */
        movl $(PT64 | 7), PD64
        movl $(0x87), PD64 + 8          /* 2 MiB page at 2 MiB -> 0 */
        mov $PT64, %edi
        mov $7, %eax
1:      mov %eax, (%edi)
        add $8, %edi
        add $0x1000, %eax
        cmp $(0x200000 | 7), %eax
        jne 1b
        /* GDT */
        mov $GDT64, %edi
        mov $gdt64_template, %esi
        mov $(gdt64_template_end - gdt64_template), %ecx
        rep movsb
        /* TSS descriptor (16 bytes at 0x40): base TSS64, limit 0x67, type 9. */
        movl $(0x0067 | ((TSS64 & 0xffff) << 16)), GDT64 + 0x40
        movl $(((TSS64 >> 16) & 0xff) | 0x8900), GDT64 + 0x44
        movl $0, GDT64 + 0x48
        movl $0, GDT64 + 0x4c
        movl $0, GDT64 + 0x50
        movl $0, GDT64 + 0x54
        movl $0, GDT64 + 0x58
        movl $0, GDT64 + 0x5c
        /* TSS: RSP0, IST1, IST2. */
        mov $TSS64, %edi
        mov $(0x68 / 4), %ecx
        xor %eax, %eax
        rep stosl
        movl $STACK0, TSS64 + 4
        movl $IST1_TOP, TSS64 + 0x24
        movl $IST2_TOP, TSS64 + 0x2c
        movw $0x68, TSS64 + 0x66          /* no I/O bitmap */
        lgdtl gdt64_ptr
        /* IDT: every vector to unexpected64 (interrupt gates, DPL 0). */
        mov $unexpected64, %edx
        mov %edx, %eax
        and $0xffff, %eax
        or $(0x18 << 16), %eax
        mov %edx, %ebx
        and $0xffff0000, %ebx
        or $0x8e00, %ebx
        mov $IDT64, %edi
        mov $256, %ecx
1:      mov %eax, (%edi)
        mov %ebx, 4(%edi)
        movl $0, 8(%edi)
        movl $0, 12(%edi)
        add $16, %edi
        loop 1b
        /* PAE, CR3, EFER.LME|NXE|SCE, paging. */
        mov %cr4, %eax
        or $0x20, %eax
        mov %eax, %cr4
        mov $PML4, %eax
        mov %eax, %cr3
        mov $0xc0000080, %ecx
        rdmsr
        or $0x901, %eax
        wrmsr
        mov %cr0, %eax
        or $0x80000000, %eax
        mov %eax, %cr0
        /* Now in compatibility mode (CS 0x08 is a 32-bit segment). */
        ljmpl $0x18, $long64_entry

        .code64
long64_entry:
        mov $0x20, %ax
        mov %ax, %ds
        mov %ax, %es
        mov %ax, %ss
        mov $STACK0, %rsp
        lidt idt64_ptr
        mov $0x40, %ax
        ltr %ax
        jmp start64

/* SET_GATE64 vector, handler, attr (0x8e00 interrupt, 0x8f00 trap, +0x6000 DPL 3), ist */
        .macro SET_GATE64 vec, handler, attr=0x8e00, ist=0
        push %rax
        lea \handler(%rip), %rax
        mov %ax, IDT64 + \vec * 16
        movw $0x18, IDT64 + \vec * 16 + 2
        movw $(\attr | \ist), IDT64 + \vec * 16 + 4
        shr $16, %rax
        mov %ax, IDT64 + \vec * 16 + 6
        shr $16, %rax
        mov %eax, IDT64 + \vec * 16 + 8
        pop %rax
        .endm

/* Prints the string at %rsi. */
puts64:
        push %rax
        push %rdx
        push %rsi
        mov $DEBUGCON, %dx
1:      lodsb
        test %al, %al
        jz 2f
        outb %al, %dx
        jmp 1b
2:      pop %rsi
        pop %rdx
        pop %rax
        ret

/* Prints %rax in hex (16 digits). */
puthex64:
        push %rax
        push %rcx
        push %rdx
        mov %rax, %rdx
        mov $16, %ecx
1:      rol $4, %rdx
        mov %dl, %al
        and $0xf, %al
        add $'0', %al
        cmp $'9', %al
        jbe 2f
        add $7, %al
2:      push %rdx
        mov $DEBUGCON, %dx
        outb %al, %dx
        pop %rdx
        loop 1b
        pop %rdx
        pop %rcx
        pop %rax
        ret

pass64:
        lea msg_pass(%rip), %rsi
        call puts64
        mov $0, %al
        outb %al, $EXITPORT
        hlt
/* FAIL with the tag in %rax; %rbx is printed too (the value seen). */
fail64:
        push %rax
        lea msg_fail(%rip), %rsi
        call puts64
        pop %rax
        call puthex64
        mov $' ', %al
        outb %al, $DEBUGCON
        mov %rbx, %rax
        call puthex64
        mov $'\n', %al
        outb %al, $DEBUGCON
        mov $1, %al
        outb %al, $EXITPORT
        hlt

unexpected64:
        lea msg_unexpected(%rip), %rsi
        call puts64
        mov 0(%rsp), %rax
        call puthex64
        mov $' ', %al
        outb %al, $DEBUGCON
        mov 8(%rsp), %rax
        call puthex64
        mov $2, %al
        outb %al, $EXITPORT
        hlt

/* CHECK64 what, value, tag: fail with `tag` unless `what` (64-bit) equals `value`. */
        .macro CHECK64 what, value, tag
        push %rbx
        mov \what, %rbx
        push %rax
        mov $\value, %rax
        cmp %rax, %rbx
        pop %rax
        je 9f
        mov $\tag, %rax
        jmp fail64
9:      pop %rbx
        .endm

        .p2align 3
gdt64_template:
        .quad 0                             /* 0x00 null */
        .quad 0x00cf9b000000ffff            /* 0x08 code32, DPL 0 */
        .quad 0x00cf93000000ffff            /* 0x10 data, DPL 0 */
        .quad 0x00af9b000000ffff            /* 0x18 code64, DPL 0 */
        .quad 0x00cf93000000ffff            /* 0x20 data, DPL 0 */
        .quad 0x00cffb000000ffff            /* 0x28 code32, DPL 3 */
        .quad 0x00cff3000000ffff            /* 0x30 data, DPL 3 */
        .quad 0x00affb000000ffff            /* 0x38 code64, DPL 3 */
gdt64_template_end:
gdt64_ptr:
        .word 0x60 - 1
        .quad GDT64
idt64_ptr:
        .word 256 * 16 - 1
        .quad IDT64
