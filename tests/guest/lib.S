/* Shared startup and helpers for the bare-metal CPU tests.
 *
 * Each test is a 64 KiB flat image for `-bios`: it is mapped at
 * 0xFFFF0000 and aliased at 0xF0000, the CPU starts at F000:FFF0 in real
 * mode and jumps to `start16` (the test's real-mode entry) at the alias.
 * Output goes to the debugcon port 0xE9; the result to isa-debug-exit at
 * 0xF4 (writing v exits with (v << 1) | 1: 0 = pass -> status 1).
 *
 * A test provides: start16 (.code16), and may call `enter_pm` to continue
 * at `start32` in flat 32-bit protected mode (CS 0x08, data 0x10, stack at
 * 0x90000), with an IDT at 0x1000 whose every vector goes to
 * `unexpected` unless the test installs its own with SET_GATE.
 */
        .set DEBUGCON, 0xe9
        .set EXITPORT, 0xf4
        .set IDT_BASE, 0x1000
        .set VARS, 0x2000           /* RAM for test variables (the image is ROM) */
        .set GDT_BASE, 0x800

/* 16-bit offsets of labels within the F000 segment. */
#define OFF(x) ((x) - _start)   /* _start is at 0xF0000, offset 0 of segment F000 */

        .code16
        .text
        .globl _start
_start:
        jmp start16

/* Prints the NUL-terminated string at %si (real mode, DS = 0xF000). */
puts16:
        push %ax
        push %dx
        mov $DEBUGCON, %dx
1:      cs lodsb
        test %al, %al
        jz 2f
        outb %al, %dx
        jmp 1b
2:      pop %dx
        pop %ax
        ret

/* Switches to protected mode: copies the GDT to GDT_BASE, builds the IDT
 * and far-jumps to start32. */
enter_pm:
        cli
        xor %ax, %ax
        mov %ax, %es
        mov $GDT_BASE, %di
        mov $OFF(gdt_template), %si
        mov $(gdt_template_end - gdt_template), %cx
        cs rep movsb
        lgdtl %cs:OFF(gdt_ptr)
        mov %cr0, %eax
        or $1, %eax
        mov %eax, %cr0
        ljmpl $0x08, $pm_entry

        .code32
pm_entry:
        mov $0x10, %ax
        mov %ax, %ds
        mov %ax, %es
        mov %ax, %ss
        mov %ax, %fs
        mov %ax, %gs
        mov $0x90000, %esp
        /* Every vector: `unexpected` (interrupt gates, DPL 0). */
        mov $IDT_BASE, %edi
        mov $256, %ecx
1:      mov $unexpected, %eax
        mov %ax, (%edi)
        movw $0x08, 2(%edi)
        movw $0x8e00, 4(%edi)
        shr $16, %eax
        mov %ax, 6(%edi)
        add $8, %edi
        loop 1b
        lidtl idt_ptr
        jmp start32

/* SET_GATE vector, handler, type_dpl (0x8e00 interrupt, 0x8f00 trap, 0xee00 DPL 3) */
        .macro SET_GATE vec, handler, attr=0x8e00
        push %eax
        mov $\handler, %eax
        mov %ax, IDT_BASE + \vec * 8
        movw $0x08, IDT_BASE + \vec * 8 + 2
        movw $\attr, IDT_BASE + \vec * 8 + 4
        shr $16, %eax
        mov %ax, IDT_BASE + \vec * 8 + 6
        pop %eax
        .endm

/* Prints the string at %esi (32-bit). */
puts32:
        push %eax
        push %edx
        push %esi
        mov $DEBUGCON, %dx
1:      lodsb
        test %al, %al
        jz 2f
        outb %al, %dx
        jmp 1b
2:      pop %esi
        pop %edx
        pop %eax
        ret

/* Prints %eax in hex. */
puthex32:
        push %eax
        push %ecx
        push %edx
        mov %eax, %edx
        mov $8, %ecx
1:      rol $4, %edx
        mov %dl, %al
        and $0xf, %al
        add $'0', %al
        cmp $'9', %al
        jbe 2f
        add $7, %al
2:      push %edx
        mov $DEBUGCON, %dx
        outb %al, %dx
        pop %edx
        loop 1b
        pop %edx
        pop %ecx
        pop %eax
        ret

/* pass/fail: print and exit. FAIL prints the message at %esi and %eax. */
pass:
        mov $msg_pass, %esi
        call puts32
        mov $0, %al
        outb %al, $EXITPORT
        hlt
fail:
        push %eax
        mov $msg_fail, %esi
        call puts32
        pop %eax
        call puthex32
        mov $'\n', %al
        outb %al, $DEBUGCON
        mov $1, %al
        outb %al, $EXITPORT
        hlt

unexpected:
        mov $msg_unexpected, %esi
        call puts32
        mov 0(%esp), %eax
        call puthex32
        mov $' ', %al
        outb %al, $DEBUGCON
        mov 4(%esp), %eax
        call puthex32
        mov $2, %al
        outb %al, $EXITPORT
        hlt

/* COPY_SNIPPET dest: copies the program's code from `snippet` to
 * `snippet_end` to dest, for tests that patch code in RAM or write beside
 * it. Clobbers ECX, ESI, EDI. */
        .macro COPY_SNIPPET dest
        mov $snippet, %esi
        mov $\dest, %edi
        mov $(snippet_end - snippet), %ecx
        rep movsb
        .endm

/* IDENTITY_MAP_4M pd, pt: 2-level tables mapping the first 4 MiB 1:1
 * (present, writable, supervisor) through pd[0] -> pt. Clobbers EAX, EDX, EDI. */
        .macro IDENTITY_MAP_4M pd, pt
        mov $\pt, %edi
        xor %eax, %eax
1:      mov %eax, %edx
        or $3, %edx
        mov %edx, (%edi)
        add $4, %edi
        add $0x1000, %eax
        cmp $0x400000, %eax
        jne 1b
        movl $(\pt | 3), \pd
        .endm

/* SIMPLE_TSS tss, esp0: a zeroed 32-bit TSS with SS0:ESP0 = 0x10:esp0 and no
 * I/O bitmap (its base at the limit). LOAD_TSS tss, limit: its descriptor
 * at GDT 0x28, loaded into TR. Clobber EAX, ECX, EDI. */
        .macro SIMPLE_TSS tss, esp0
        mov $\tss, %edi
        xor %eax, %eax
        mov $(0x68 / 4), %ecx
        rep stosl
        movl $\esp0, \tss + 4
        movl $0x10, \tss + 8
        movw $0x68, \tss + 0x66
        .endm
        .macro LOAD_TSS tss, limit=0x67
        movl $((\tss << 16) | \limit), GDT_BASE + 0x28
        movl $0x00008900, GDT_BASE + 0x2c
        mov $0x28, %ax
        ltr %ax
        .endm

/* CHECK reg_or_mem, value, tag: fail with `tag` in %eax unless equal. */
        .macro CHECK what, value, tag
        cmpl $\value, \what
        je 9f
        mov $\tag, %eax
        jmp fail
9:
        .endm

msg_pass: .asciz "PASS\n"
msg_fail: .asciz "FAIL "
msg_unexpected: .asciz "UNEXPECTED EXCEPTION eip/err "

        .p2align 3
gdt_template:
        .quad 0                             /* 0x00 null */
        .quad 0x00cf9b000000ffff            /* 0x08 code, flat, 32-bit, DPL 0 */
        .quad 0x00cf93000000ffff            /* 0x10 data, flat, DPL 0 */
        .quad 0x00cffb000000ffff            /* 0x18 code, flat, 32-bit, DPL 3 */
        .quad 0x00cff3000000ffff            /* 0x20 data, flat, DPL 3 */
        .quad 0                             /* 0x28 TSS (tests fill it in) */
        .quad 0                             /* 0x30 spare */
        .quad 0                             /* 0x38 spare */
        .quad 0                             /* 0x40 spare */
        .quad 0                             /* 0x48 spare */
gdt_template_end:
gdt_ptr:
        .word gdt_template_end - gdt_template - 1
        .long GDT_BASE
idt_ptr:
        .word 256 * 8 - 1
        .long IDT_BASE
