/* Long mode system parts: IRETQ to ring 3 (nulling GS, whose base stays),
 * an interrupt from ring 3 (stack
 * switch to RSP0, SS:RSP in the frame, null SS), a 64-bit call gate from
 * ring 3 and LRETQ back, SYSCALL/SYSRET to 64-bit
 * and compatibility-mode code (LSTAR, CSTAR, STAR, FMASK), a far jump into
 * a compatibility-mode code segment and back, SWAPGS with the FS/GS base
 * MSRs, RDTSCP with TSC_AUX (when reported), CMPXCHG16B, SYSEXIT/SYSENTER in 64-bit mode and
 * the CPUID long-mode bits. */
#include "lib.S"
#include "lib64.S"

        .set kernel_rsp, VARS
        .set int80_count, VARS + 8
        .set syscall_count, VARS + 16
        .set user_flags, VARS + 24
        .set ext_edx, VARS + 32              /* CPUID 0x80000001 EDX */
        .set data16, 0x8000                  /* 16-byte aligned scratch */

        .code16
start16:
        call enter_pm

        .code32
start32:
        jmp enter_long

        .code64
start64:
        SET_GATE64 0x80, int80_handler, 0xee00
        /* A 64-bit call gate at 0x50 (DPL 3) to callgate_target in CS 0x18. */
        lea callgate_target(%rip), %rax
        mov %ax, GDT64 + 0x50
        movw $0x18, GDT64 + 0x52
        movw $0xec00, GDT64 + 0x54
        shr $16, %rax
        mov %ax, GDT64 + 0x56
        shr $16, %rax
        mov %eax, GDT64 + 0x58
        movq $0, int80_count
        movq $0, syscall_count

        /* CPUID: long mode, NX, SYSCALL, LAHF in 64-bit mode (every model
         * with LM has them); 48 linear address bits. */
        mov $0x80000000, %eax
        cpuid
        cmp $0x80000008, %eax
        jae 1f
        mov %rax, %rbx
        mov $0x01, %rax
        jmp fail64
1:      mov $0x80000008, %eax
        cpuid
        shr $8, %eax
        and $0xff, %eax
        CHECK64 %rax, 48, 0x04
        mov $0x80000001, %eax
        cpuid
        mov %rdx, ext_edx
        and $((1 << 29) | (1 << 20) | (1 << 11)), %edx
        CHECK64 %rdx, ((1<<29)|(1<<20)|(1<<11)), 0x02
        and $1, %ecx
        CHECK64 %rcx, 1, 0x03

        /* STAR: kernel CS 0x18 (SS 0x20), user base 0x28 (CS32 0x2b, SS 0x33, CS64 0x3b). */
        mov $0xc0000081, %ecx
        xor %eax, %eax
        mov $0x00280018, %edx
        wrmsr
        lea syscall_entry(%rip), %rax
        mov %rax, %rdx
        shr $32, %rdx
        mov $0xc0000082, %ecx                /* LSTAR */
        wrmsr
        lea cstar_entry(%rip), %rax
        mov %rax, %rdx
        shr $32, %rdx
        mov $0xc0000083, %ecx                /* CSTAR */
        wrmsr
        mov $0xc0000084, %ecx                /* FMASK: TF IF DF */
        mov $0x700, %eax
        xor %edx, %edx
        wrmsr

        /* GS holds a ring-0 data selector: the IRETQ to ring 3 makes it
         * null, and its base stays. */
        mov $0x20, %ax
        mov %ax, %gs
        mov $0xc0000101, %ecx
        mov $0x6000, %eax
        xor %edx, %edx
        wrmsr
        movq $0x4455, 0x6310

        /* IRETQ to 64-bit ring 3. */
        mov %rsp, kernel_rsp
        push $0x33
        push $USER_STACK
        push $0x2
        push $0x3b
        lea user64(%rip), %rax
        push %rax
        iretq

        /* Ring 3, 64-bit. */
user64:
        mov %cs, %eax
        CHECK64 %rax, 0x3b, 0x10
        mov %ss, %eax
        CHECK64 %rax, 0x33, 0x11
        mov %gs, %eax
        CHECK64 %rax, 0, 0x1a
        mov %gs:0x310, %rax
        CHECK64 %rax, 0x4455, 0x1b
        /* An interrupt gate of DPL 3: to ring 0 and back. */
        mov $0x1234, %rax
        int $0x80
        CHECK64 %rax, 0x5678, 0x12
        mov %ss, %eax
        CHECK64 %rax, 0x33, 0x13
        mov %rsp, %rcx
        CHECK64 %rcx, USER_STACK, 0x14
        /* A far call through the 64-bit call gate to ring 0; LRETQ comes back. */
        lcall *gate_ptr(%rip)
        mov %ss, %eax
        CHECK64 %rax, 0x33, 0x17
        mov %rsp, %rcx
        CHECK64 %rcx, USER_STACK, 0x18
        /* SYSCALL to ring 0; it answers with SYSRETQ. */
        mov $1, %rdi
        std
        pushfq
        popq user_flags
        syscall
after_syscall:
        mov %cs, %eax
        CHECK64 %rax, 0x3b, 0x15
        pushfq
        pop %rax
        and $0x400, %eax                     /* DF came back from R11 */
        CHECK64 %rax, 0x400, 0x16
        cld
        mov $2, %rdi
        syscall                              /* to ring 0 for good */

syscall_entry:
        mov %cs, %eax
        CHECK64 %rax, 0x18, 0x20
        mov %ss, %eax
        CHECK64 %rax, 0x20, 0x21
        pushfq
        pop %rax
        and $0x700, %eax                     /* FMASK cleared TF IF DF */
        CHECK64 %rax, 0, 0x22
        cmp $1, %rdi
        jne 3f
        mov user_flags, %rax                 /* R11: RFLAGS at the first SYSCALL */
        cmp %rax, %r11
        je 1f
        mov %r11, %rbx
        mov $0x23, %rax
        jmp fail64
1:
        lea after_syscall(%rip), %rax
        cmp %rax, %rcx
        je 2f
        mov %rcx, %rbx
        mov $0x24, %rax
        jmp fail64
2:      sysretq
3:      mov kernel_rsp, %rsp

        /* SYSRET (32-bit) to compatibility mode at ring 3; SYSCALL from there enters at CSTAR. */
        lea user32(%rip), %rcx
        mov $0x2, %r11
        mov %rsp, kernel_rsp
        mov $USER_STACK, %rsp
        sysretl

        .code32
user32:
        mov %cs, %eax
        cmp $0x2b, %eax
        jne 1f
        mov $5, %eax
        dec %eax                             /* 0x48: DEC, not REX, in compatibility mode */
        cmp $4, %eax
        jne 1f
        mov %esp, %ebx
        push %eax
        sub %esp, %ebx
        pop %eax
        cmp $4, %ebx
        jne 1f
        syscall
1:      ud2                                  /* #UD at ring 3: reported by unexpected64 */

        .code64
cstar_entry:
        mov kernel_rsp, %rsp
        mov %cs, %eax
        CHECK64 %rax, 0x18, 0x30

        /* Compatibility mode at ring 0 through a far jump (m16:32) and back (ptr16:32). */
        ljmp *compat_ptr(%rip)
        .code32
compat0:
        movl $0xffffffff, %eax
        inc %eax
        jnz 1f
        mov $0x12345678, %ebx
        ljmp $0x18, $back64
1:      ud2
        .code64
back64:
        mov %ebx, %eax
        CHECK64 %rax, 0x12345678, 0x40

        /* FS/GS bases from the MSRs, SWAPGS. */
        movq $0x1111, 0x6100
        movq $0x2222, 0x6200
        movq $0x3333, 0x6308
        mov $0xc0000101, %ecx                /* GS base */
        mov $0x6100, %eax
        xor %edx, %edx
        wrmsr
        mov $0xc0000102, %ecx                /* kernel GS base */
        mov $0x6200, %eax
        wrmsr
        mov $0xc0000100, %ecx                /* FS base */
        mov $0x6300, %eax
        wrmsr
        mov %gs:0, %rax
        CHECK64 %rax, 0x1111, 0x50
        swapgs
        mov %gs:0, %rax
        CHECK64 %rax, 0x2222, 0x51
        mov $0xc0000102, %ecx
        rdmsr
        CHECK64 %rax, 0x6100, 0x52
        mov %fs:8, %rax
        CHECK64 %rax, 0x3333, 0x53
        swapgs

        /* RDTSCP returns TSC_AUX in ECX (when the model reports it). */
        mov $0xc0000103, %ecx
        mov $0x42, %eax
        xor %edx, %edx
        wrmsr
        btl $27, ext_edx
        jnc 1f
        xor %ecx, %ecx
        rdtscp
        CHECK64 %rcx, 0x42, 0x60
1:

        /* CMPXCHG16B: a success and a failure. */
        movq $1, data16
        movq $2, data16 + 8
        mov $1, %rax
        mov $2, %rdx
        mov $3, %rbx
        mov $4, %rcx
        cmpxchg16b data16
        jz 1f
        mov $0x70, %rax
        jmp fail64
1:      CHECK64 data16, 3, 0x71
        CHECK64 data16 + 8, 4, 0x72
        cmpxchg16b data16
        jnz 1f
        mov $0x73, %rax
        jmp fail64
1:      CHECK64 %rax, 3, 0x74
        CHECK64 %rdx, 4, 0x75

        /* SYSEXIT (REX.W) to 64-bit ring 3 and SYSENTER back. */
        mov $0x174, %ecx                     /* SYSENTER_CS */
        mov $0x18, %eax
        xor %edx, %edx
        wrmsr
        mov $0x175, %ecx                     /* SYSENTER_ESP */
        mov $STACK0, %eax
        wrmsr
        lea sysenter_entry(%rip), %rax
        mov %rax, %rdx
        shr $32, %rdx
        mov $0x176, %ecx                     /* SYSENTER_EIP */
        wrmsr
        lea user_sysexit(%rip), %rdx
        mov $USER_STACK, %rcx
        sysexitq
user_sysexit:
        mov %cs, %eax
        CHECK64 %rax, 0x3b, 0x90             /* SYSENTER_CS + 32, RPL 3 */
        mov %rsp, %rax
        CHECK64 %rax, USER_STACK, 0x91
        sysenter
sysenter_entry:
        mov %cs, %eax
        CHECK64 %rax, 0x18, 0x92
        mov %ss, %eax
        CHECK64 %rax, 0x20, 0x93
        mov %rsp, %rax
        CHECK64 %rax, STACK0, 0x94
        jmp pass64

/* INT 0x80 from ring 3: checks the frame and the stack switch. */
int80_handler:
        mov %rsp, %rbx
        CHECK64 %rbx, (STACK0-40), 0x80
        mov 8(%rbx), %rcx
        CHECK64 %rcx, 0x3b, 0x81
        mov 24(%rbx), %rcx
        CHECK64 %rcx, USER_STACK, 0x82
        mov 32(%rbx), %rcx
        CHECK64 %rcx, 0x33, 0x83
        mov %ss, %ecx
        CHECK64 %rcx, 0, 0x84
        CHECK64 %rax, 0x1234, 0x85
        mov $0x5678, %rax
        incq int80_count
        iretq

/* Through the call gate from ring 3: RSP0 stack with SS, RSP, CS, RIP (8 bytes each). */
callgate_target:
        mov %rsp, %rbx
        CHECK64 %rbx, (STACK0-32), 0x86
        mov 8(%rbx), %rcx
        CHECK64 %rcx, 0x3b, 0x87
        mov 16(%rbx), %rcx
        CHECK64 %rcx, USER_STACK, 0x88
        mov 24(%rbx), %rcx
        CHECK64 %rcx, 0x33, 0x89
        mov %cs, %ecx
        CHECK64 %rcx, 0x18, 0x8a
        lretq

compat_ptr:
        .long compat0
        .word 0x08
gate_ptr:
        .long 0
        .word 0x53

#include "reset.S"
