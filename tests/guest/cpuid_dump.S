/* Prints CPUID leaves to debugcon, one "leaf.subleaf: eax ebx ecx edx" line
 * each, for tests that compare them with QEMU's (cpuid_leaves_test.py):
 * the highest leaf and vendor (0), the cache descriptors (2, 4), the
 * topology (0xB, and 0x1F for several dies), AMD's cache leaves
 * (0x80000005, 0x80000006), address sizes (0x80000008) and the hypervisor
 * leaves (0x40000000, 0x40000001); then, for the CPU model comparisons
 * (cpuid_models_test.py), the features (6, 7, 0x80000001), the highest
 * extended leaf and the brand string. EBX of leaf 1 is printed without its
 * APIC ID. */
#include "lib.S"

        .code16
start16:
        call enter_pm

        .code32
start32:
        mov $table, %esi
1:      mov (%esi), %eax
        cmp $0xffffffff, %eax
        je 2f
        mov 4(%esi), %ecx
        call dump_leaf
        add $8, %esi
        jmp 1b
2:      jmp pass

/* EAX = leaf, ECX = subleaf. */
dump_leaf:
        push %esi
        push %eax
        push %ecx
        call puthex32
        mov $'.', %al
        outb %al, $DEBUGCON
        mov (%esp), %eax
        call puthex32
        mov $':', %al
        outb %al, $DEBUGCON
        pop %ecx
        pop %eax
        push %eax
        cpuid
        cmpl $1, (%esp)
        jne 3f
        and $0x00ffffff, %ebx
3:      push %edx
        push %ecx
        push %ebx
        call space_hex              /* EAX */
        pop %eax
        call space_hex              /* EBX */
        pop %eax
        call space_hex              /* ECX */
        pop %eax
        call space_hex              /* EDX */
        mov $'\n', %al
        outb %al, $DEBUGCON
        pop %eax
        pop %esi
        ret

/* Prints " " and EAX in hex. */
space_hex:
        push %eax
        mov $' ', %al
        outb %al, $DEBUGCON
        pop %eax
        call puthex32
        ret

table:
        .long 0, 0
        .long 1, 0
        .long 2, 0
        .long 4, 0
        .long 4, 1
        .long 4, 2
        .long 4, 3
        .long 4, 4
        .long 0xb, 0
        .long 0xb, 1
        .long 0xb, 2
        .long 0x1f, 0
        .long 0x1f, 1
        .long 0x1f, 2
        .long 0x1f, 3
        .long 0x80000005, 0
        .long 0x80000006, 0
        .long 0x80000008, 0
        .long 0x40000000, 0
        .long 0x40000001, 0
        .long 6, 0
        .long 7, 0
        .long 0x80000000, 0
        .long 0x80000001, 0
        .long 0x80000002, 0
        .long 0x80000003, 0
        .long 0x80000004, 0
        .long 0xffffffff

#include "reset.S"
