/* Breakpoints in DR0-DR3. Instruction breakpoints: #DB is a fault at the
 * instruction (EIP points at it, DR6 B0-B3 say which matched), EFLAGS.RF set
 * by the handler lets exactly one instruction past its breakpoint. Data
 * breakpoints: #DB is a trap after the access (EIP points after it, the
 * access done once), on writes (R/W 01) or reads and writes (R/W 11), for
 * any access overlapping the LEN-aligned range. Clearing DR7 disarms all.
 * Single-step: a MOV SS shadow delays the trap by one instruction.
 * General detect: DR7.GD turns the next MOV DR into a #DB fault. */
#include "lib.S"

        .set db_count, VARS
        .set db_eip, VARS + 4
        .set db_dr6, VARS + 8
        .set watched, VARS + 0x100    /* a dword the data breakpoints watch */

        .code16
start16:
        call enter_pm

        .code32
start32:
        SET_GATE 1, db_handler
        movl $0, db_count

        /* DR0 on `target`, enabled locally (L0), execute (R/W0 = 00, LEN0 = 00). */
        mov $target, %eax
        mov %eax, %dr0
        mov $0x1, %eax
        mov %eax, %dr7
        xor %ecx, %ecx
        call target               /* hits once; the retried INC runs once */
        CHECK db_count, 1, 0x01
        CHECK db_eip, target, 0x02
        mov db_dr6, %eax
        and $0xf, %eax
        CHECK %eax, 1, 0x03
        CHECK %ecx, 1, 0x04
        call target               /* every execution hits again */
        CHECK db_count, 2, 0x05
        CHECK %ecx, 2, 0x06

        /* RF covers one instruction only, also when that instruction jumps:
         * DR1 on the JMP and DR2 on its target both hit. */
        mov $jump, %eax
        mov %eax, %dr1
        mov $landing, %eax
        mov %eax, %dr2
        mov $0x15, %eax           /* L0 L1 L2 */
        mov %eax, %dr7
        xor %edx, %edx
jump:   jmp landing
        nop
landing:
        inc %edx
        CHECK db_count, 4, 0x11
        CHECK db_eip, landing, 0x12
        mov db_dr6, %eax
        and $0xf, %eax
        CHECK %eax, 4, 0x13
        CHECK %edx, 1, 0x14

        /* DR7 = 0 disarms them all. */
        xor %eax, %eax
        mov %eax, %dr7
        call target
        CHECK db_count, 4, 0x21
        CHECK %ecx, 3, 0x22

        /* DR3: write breakpoint on the dword `watched` (L3, R/W3 = 01, LEN3 = 11). */
        movl $0, db_count
        movl $7, watched
        mov $watched, %eax
        mov %eax, %dr3
        mov $0xd0000040, %eax
        mov %eax, %dr7
        mov watched, %eax         /* a read: no trap for a write breakpoint */
        CHECK db_count, 0, 0x31
        addl $1, watched          /* read-modify-write: one trap, one increment */
after1: CHECK db_count, 1, 0x32
        CHECK db_eip, after1, 0x33
        CHECK watched, 8, 0x34
        mov db_dr6, %eax
        and $0xf, %eax
        CHECK %eax, 8, 0x35
        movb $0x55, watched + 2   /* a byte inside the range */
        CHECK db_count, 2, 0x36
        movl $0, watched + 4      /* next to it: no trap */
        CHECK db_count, 2, 0x37
        /* R/W3 = 11: reads trap too, and a string instruction's access counts. */
        mov $0xf0000040, %eax
        mov %eax, %dr7
        mov $watched, %esi
        lodsl
after2: CHECK db_count, 3, 0x38
        CHECK db_eip, after2, 0x39
        CHECK %eax, 0x00550008, 0x3a
        xor %eax, %eax
        mov %eax, %dr7
        movl $1, watched
        CHECK db_count, 3, 0x3b

        /* Single-step after MOV SS: its shadow holds the trap back until
         * the next instruction has run, and the one #DB then says BS. */
        pushf
        pop %ebx
        push %ebx                 /* TF clear, for the second POPF */
        or $0x100, %ebx
        push %ebx
        mov %ss, %ax
        movl $0, db_count
        popf                      /* TF on: the next instruction traps */
        mov %ax, %ss
        nop
after_shadow:
        popf                      /* TF off, after one more trap */
after_popf:
        CHECK db_count, 2, 0x40
        CHECK db_eip, after_popf, 0x41
        mov db_dr6, %eax
        and $0x4000, %eax
        CHECK %eax, 0x4000, 0x42

        /* DR7.GD: a MOV DR faults with #DB and DR6.BD, the CPU clears GD,
         * and the access then runs. */
        xor %eax, %eax
        mov %eax, %dr6
        movl $0, db_count
        mov $0x2400, %eax
        mov %eax, %dr7
gd_at:  mov %dr6, %eax
        CHECK db_count, 1, 0x43
        CHECK db_eip, gd_at, 0x44
        mov db_dr6, %eax
        and $0x2000, %eax
        CHECK %eax, 0x2000, 0x45
        mov %dr7, %eax
        CHECK %eax, 0x400, 0x46
        CHECK db_count, 1, 0x47

        /* Single-step traps after branches and after a MOV to DR7 too. */
        pushf
        pop %ebx
        push %ebx                 /* TF clear, for the last POPF */
        or $0x100, %ebx
        push %ebx
        movl $0, db_count
        popf
        jmp 1f
        nop
1:      call 2f
2:      add $4, %esp
        mov $0x400, %eax
        mov %eax, %dr7
        popf
        CHECK db_count, 6, 0x48
        jmp pass

target: inc %ecx
        ret

db_handler:
        incl db_count
        push %eax
        mov 4(%esp), %eax         /* the faulting EIP */
        mov %eax, db_eip
        mov %dr6, %eax
        mov %eax, db_dr6
        pop %eax
        orl $0x10000, 8(%esp)     /* RF in the saved EFLAGS */
        iret

#include "reset.S"
