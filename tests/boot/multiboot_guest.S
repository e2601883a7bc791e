/* A multiboot v1 kernel for the direct kernel boot test
 * (linux_boot_test.py), linked at 1 MiB. Built twice: as an ELF, and with
 * -DAOUT_KLUDGE as a flat binary whose header says where it loads (flag
 * 16). It checks the machine state the specification promises and reports
 * the information structure through debugcon for the test to compare with
 * what it passed: command line, boot loader name, modules (address, end,
 * checksum, string), mem_lower/mem_upper and the memory map.
 */
.set MAGIC, 0x1badb002
#ifdef AOUT_KLUDGE
.set FLAGS, 0x00010003              /* page-aligned modules, memory info, addresses */
#else
.set FLAGS, 0x00000003
#endif

.text
.code32
.globl _start
_start:
    jmp entry
    .balign 4
multiboot_header:
    .long MAGIC, FLAGS, -(MAGIC + FLAGS)
#ifdef AOUT_KLUDGE
    .long multiboot_header          /* header_addr */
    .long _start                    /* load_addr */
    .long 0                         /* load_end_addr: the whole file */
    .long bss_end                   /* bss_end_addr */
    .long entry                     /* entry_addr */
#endif

.include "guest_lib32.inc"

entry:
    cmp $0x2badb002, %eax
    je 1f
    mov $0xe9, %dx                  /* no stack yet: report by hand */
    mov $'!', %al
    out %al, %dx
    FAIL "EAX is not 0x2BADB002"
1:  mov $stack_top, %esp
    mov %ebx, %ebp                  /* EBP = the information structure */
    PRINT "multiboot: entered\n"

    /* 32-bit protected mode without paging, interrupts off. */
    mov %cr0, %eax
    and $0x80000001, %eax
    cmp $1, %eax
    je 1f
    FAIL "CR0: PE must be set and PG clear"
1:  pushf
    pop %eax
    test $0x200, %eax
    jz 1f
    FAIL "interrupts enabled"
1:  /* Flat segments: a far pointer through DS reaches the same bytes. */
    cmpl $0x2badb002, %cs:magic_copy
    je 1f
    FAIL "CS is not flat"
1:
    PRINT "FLAGS="
    mov (%ebp), %eax
    call hex32
    call newline
    mov (%ebp), %eax
    and $0x24f, %eax                /* memory, boot device, cmdline, mods, mmap, loader name */
    cmp $0x24f, %eax
    je 1f
    FAIL "information structure flags"
1:
    PRINT "MEM="
    mov 4(%ebp), %eax
    call hex32
    call space
    mov 8(%ebp), %eax
    call hex32
    call newline

    PRINT "CMDLINE="
    mov 16(%ebp), %eax
    call puts
    call newline

    PRINT "LOADER="
    mov 64(%ebp), %eax
    call puts
    call newline

    mov 20(%ebp), %ecx
    PRINT "MODS="
    mov %ecx, %eax
    call hex32
    call newline
    mov 24(%ebp), %edi
    jecxz mods_done
mod_next:
    PRINT "MOD "
    mov (%edi), %eax
    call hex32
    call space
    mov 4(%edi), %eax
    call hex32
    call space
    push %ecx
    mov (%edi), %edx
    mov 4(%edi), %ecx
    sub %edx, %ecx
    call checksum
    pop %ecx
    call hex32
    call space
    mov 8(%edi), %eax
    call puts
    call newline
    add $16, %edi
    loop mod_next
mods_done:

    /* The memory map: entries of (size, base, length, type), each followed
     * by the next at size + 4. */
    mov 48(%ebp), %edi
    mov 44(%ebp), %ecx
    add %edi, %ecx                  /* ECX = end of the map */
    PRINT "MMAP length="
    mov 44(%ebp), %eax
    call hex32
    call newline
    test %eax, %eax
    jnz 2f
    FAIL "empty memory map"
2:  cmp %ecx, %edi
    jae 3f
    PRINT "MMAP "
    lea 4(%edi), %eax               /* base, length, type after the size */
    call memory_range
    add (%edi), %edi
    add $4, %edi
    jmp 2b
3:  jmp pass

magic_copy:
    .long 0x2badb002

.bss
    .balign 16
    .fill 4096, 1, 0
stack_top:
bss_end:
