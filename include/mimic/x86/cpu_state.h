// The architectural state of one x86 vCPU, laid out for generated code.
//
// Generated code receives a pointer to CpuState as its env: the guest
// registers are tcg globals at fixed offsets from it, and the softmmu TLB is
// embedded so the inlined fast path can index it directly. Everything here is
// plain data; behaviour lives in X86Cpu (cpu.h) and the helpers.
//
// Sizes are those of long mode: GPRs and RIP are 64 bits wide
// (16-/32-bit code uses their low halves), segment bases are 64 bits, and
// the x87/SSE register files and the long-mode MSRs have their slots.
#pragma once

#include <atomic>
#include <csetjmp>
#include <cstddef>
#include <cstdint>

#include "mimic/tcg/return_stack.h"
#include "mimic/tcg/tlb.h"
#include "mimic/x86/decode/registers.h"   // Seg (kES..kGS) and Gpr numbering

namespace mimic::x86 {

// EFLAGS bits.
inline constexpr uint32_t kFlagCF = 1u << 0;
inline constexpr uint32_t kFlagFixed1 = 1u << 1;
inline constexpr uint32_t kFlagPF = 1u << 2;
inline constexpr uint32_t kFlagAF = 1u << 4;
inline constexpr uint32_t kFlagZF = 1u << 6;
inline constexpr uint32_t kFlagSF = 1u << 7;
inline constexpr uint32_t kFlagTF = 1u << 8;
inline constexpr uint32_t kFlagIF = 1u << 9;
inline constexpr uint32_t kFlagDF = 1u << 10;
inline constexpr uint32_t kFlagOF = 1u << 11;
inline constexpr uint32_t kFlagIOPL = 3u << 12;
inline constexpr uint32_t kFlagNT = 1u << 14;
inline constexpr uint32_t kFlagRF = 1u << 16;
inline constexpr uint32_t kFlagVM = 1u << 17;
inline constexpr uint32_t kFlagAC = 1u << 18;
inline constexpr uint32_t kFlagVIF = 1u << 19;
inline constexpr uint32_t kFlagVIP = 1u << 20;
inline constexpr uint32_t kFlagID = 1u << 21;
    // The six arithmetic flags kept lazily (cc_op/cc_src/cc_dst/cc_src2).
inline constexpr uint32_t kFlagsArith = kFlagCF | kFlagPF | kFlagAF | kFlagZF | kFlagSF | kFlagOF;
inline constexpr unsigned kIoplShift = 12;

// Control register bits.
inline constexpr uint64_t kCr0PE = 1u << 0;
inline constexpr uint64_t kCr0MP = 1u << 1;
inline constexpr uint64_t kCr0EM = 1u << 2;
inline constexpr uint64_t kCr0TS = 1u << 3;
inline constexpr uint64_t kCr0ET = 1u << 4;
inline constexpr uint64_t kCr0NE = 1u << 5;
inline constexpr uint64_t kCr0WP = 1u << 16;
inline constexpr uint64_t kCr0AM = 1u << 18;
inline constexpr uint64_t kCr0NW = 1u << 29;
inline constexpr uint64_t kCr0CD = 1u << 30;
inline constexpr uint64_t kCr0PG = 1u << 31;
inline constexpr uint64_t kCr4VME = 1u << 0;
inline constexpr uint64_t kCr4PVI = 1u << 1;
inline constexpr uint64_t kCr4TSD = 1u << 2;
inline constexpr uint64_t kCr4DE = 1u << 3;
inline constexpr uint64_t kCr4PSE = 1u << 4;
inline constexpr uint64_t kCr4PAE = 1u << 5;
inline constexpr uint64_t kCr4MCE = 1u << 6;
inline constexpr uint64_t kCr4PGE = 1u << 7;
inline constexpr uint64_t kCr4PCE = 1u << 8;
inline constexpr uint64_t kCr4OSFXSR = 1u << 9;
inline constexpr uint64_t kCr4OSXMMEXCPT = 1u << 10;
inline constexpr uint64_t kCr4UMIP = 1u << 11;
inline constexpr uint64_t kCr4FSGSBASE = 1u << 16;
inline constexpr uint64_t kCr4OSXSAVE = 1u << 18;
inline constexpr uint64_t kCr4SMEP = 1u << 20;
inline constexpr uint64_t kCr4SMAP = 1u << 21;
inline constexpr uint64_t kCr4PKE = 1u << 22;
inline constexpr uint64_t kCr4PKS = 1u << 24;

// EFER bits (LME/LMA/SCE for long mode; NXE drives the page walk).
inline constexpr uint64_t kEferSCE = 1u << 0, kEferLME = 1u << 8, kEferLMA = 1u << 10, kEferNXE = 1u << 11;

// Descriptor attribute bits as the cache keeps them: the descriptor's
// second dword masked to bits 8..23 (type, S, DPL, P, AVL, L, D/B, G).
inline constexpr uint32_t kDescTypeShift = 8;
inline constexpr uint32_t kDescS = 1u << 12;
inline constexpr uint32_t kDescDplShift = 13;
inline constexpr uint32_t kDescP = 1u << 15;
inline constexpr uint32_t kDescL = 1u << 21;
inline constexpr uint32_t kDescB = 1u << 22;
inline constexpr uint32_t kDescG = 1u << 23;
inline constexpr uint32_t kDescCode = 1u << 11;  // type bit 3 with S=1: code segment
inline constexpr uint32_t kDescConforming = 1u << 10;
inline constexpr uint32_t kDescExpandDown = 1u << 10;  // code: C, data: E
inline constexpr uint32_t kDescRW = 1u << 9;  // code: readable, data: writable
inline constexpr uint32_t kDescAccessed = 1u << 8;

struct SegmentCache {
    uint16_t selector = 0;
    uint64_t base = 0;
    uint32_t limit = 0;   // in bytes (granularity applied)
    uint32_t flags = 0;   // attribute bits as above
    unsigned dpl() const { return (flags >> kDescDplShift) & 3; }
};

struct TableRegister {   // GDTR, IDTR
    uint64_t base = 0;
    uint32_t limit = 0;
};

// hflags: mode bits derived from the rest of the state, recomputed whenever
// that state changes (update_hflags); the low 32 bits are the TB flags.
inline constexpr uint32_t kHfCplMask = 3;
inline constexpr uint32_t kHfCs32 = 1u << 2;  // CS.D: 32-bit default operand/address size
inline constexpr uint32_t kHfSs32 = 1u << 3;  // SS.B: 32-bit stack pointer
inline constexpr uint32_t kHfPe = 1u << 4;  // CR0.PE
inline constexpr uint32_t kHfVm = 1u << 5;  // EFLAGS.VM (virtual-8086)
inline constexpr uint32_t kHfAddSeg = 1u << 6;  // DS/ES/SS bases may be nonzero: add them
inline constexpr uint32_t kHfTf = 1u << 7;  // single-step: one instruction per block, #DB after it
inline constexpr uint32_t kHfInhibitIrq = 1u << 8;  // interrupt shadow of STI / MOV SS / POP SS
inline constexpr uint32_t kHfIoplShift = 9;  // 2 bits: EFLAGS.IOPL (decides CLI/STI/IN/OUT at translation)
inline constexpr uint32_t kHfIoplMask = 3u << 9;
inline constexpr uint32_t kHfLma = 1u << 11;  // EFER.LMA
inline constexpr uint32_t kHfCs64 = 1u << 12;  // CS.L in long mode
inline constexpr uint32_t kHfSegCheckShift = 13;  // 6 bits, one per segment register: accesses need a limit/type check
inline constexpr uint32_t kHfSegCheckMask = 0x3fu << 13;
inline constexpr uint32_t kHfPg = 1u << 19;  // CR0.PG
inline constexpr uint32_t kHfSingleInsn = 1u << 20;  // translate one instruction only (self-modifying code restart)
inline constexpr uint32_t kHfAc = 1u << 21;  // alignment checking active (CR0.AM && EFLAGS.AC && CPL 3)
inline constexpr uint32_t kHfRf = 1u << 22;  // EFLAGS.RF: the next instruction ignores instruction breakpoints
inline constexpr uint32_t kHfDbArmed = 1u << 23;  // replaying an instruction that hit a data breakpoint
// SSE instructions cannot fault: CR0.EM and CR0.TS clear, CR4.OSFXSR set and
// every MXCSR exception masked. Generated code then runs them inline.
inline constexpr uint32_t kHfSseInline = 1u << 24;
// CPL < 3 with CR4.SMAP and EFLAGS.AC set: the supervisor's explicit data
// accesses may touch user pages (through kMmuKernelNoSmap).
inline constexpr uint32_t kHfSmapOff = 1u << 25;
// CR4.UMIP: SGDT, SIDT, SLDT, SMSW and STR are for CPL 0 only.
inline constexpr uint32_t kHfUmip = 1u << 26;

// MMU indexes of the softmmu TLB. kMmuKernel enforces SMAP when CR4 has
// it on; kMmuKernelNoSmap is the supervisor with EFLAGS.AC set, whose
// explicit accesses SMAP lets through (implicit ones use kMmuKernel).
inline constexpr unsigned kMmuKernel = 0, kMmuUser = 1, kMmuKernelNoSmap = 2;

// Lazy condition codes: which operation last set the arithmetic flags.
// `size` variants (B, W, L, Q) follow each operation in that order.
enum CcOp : uint32_t {
    kCcOpDynamic = 0,   // translator only: not known at translation time
    kCcOpEflags,        // cc_src holds the flags themselves
    kCcOpAddB, kCcOpAddW, kCcOpAddL, kCcOpAddQ,      // dst = result, src = second operand
    kCcOpAdcB, kCcOpAdcW, kCcOpAdcL, kCcOpAdcQ,      // plus src2 = carry in
    kCcOpSubB, kCcOpSubW, kCcOpSubL, kCcOpSubQ,      // dst = result, src = subtrahend
    kCcOpSbbB, kCcOpSbbW, kCcOpSbbL, kCcOpSbbQ,      // plus src2 = borrow in
    kCcOpLogicB, kCcOpLogicW, kCcOpLogicL, kCcOpLogicQ,   // dst = result; CF = OF = 0
    kCcOpIncB, kCcOpIncW, kCcOpIncL, kCcOpIncQ,      // dst = result, src = CF before
    kCcOpDecB, kCcOpDecW, kCcOpDecL, kCcOpDecQ,
    kCcOpShlB, kCcOpShlW, kCcOpShlL, kCcOpShlQ,      // dst = result, src = value << (count - 1)
    kCcOpSarB, kCcOpSarW, kCcOpSarL, kCcOpSarQ,      // dst = result, src = value >> (count - 1); OF = 0
    kCcOpShrB, kCcOpShrW, kCcOpShrL, kCcOpShrQ,      // as SAR but OF = MSB of the original value
    kCcOpMulB, kCcOpMulW, kCcOpMulL, kCcOpMulQ,      // dst = low result, src != 0: CF = OF = 1
    kCcOpCount,
};
inline constexpr CcOp cc_op_sized(CcOp base, unsigned size_bytes) {
    unsigned i = size_bytes == 1 ? 0 : size_bytes == 2 ? 1 : size_bytes == 4 ? 2 : 3;
    return static_cast<CcOp>(base + i);
}

// Exception vectors.
enum : int {
    kExcDE = 0, kExcDB = 1, kExcNMI = 2, kExcBP = 3, kExcOF = 4, kExcBR = 5, kExcUD = 6,
    kExcNM = 7, kExcDF = 8, kExcTS = 10, kExcNP = 11, kExcSS = 12, kExcGP = 13, kExcPF = 14,
    kExcMF = 16, kExcAC = 17, kExcMC = 18, kExcXM = 19,
};

// interrupt_request bits (atomic: set by other threads).
inline constexpr uint32_t kIrqHard = 1u << 0;  // the interrupt controller has something
inline constexpr uint32_t kIrqNmi = 1u << 1;
inline constexpr uint32_t kIrqExit = 1u << 2;  // leave cpu_exec (stop, BQL work, reset)
inline constexpr uint32_t kIrqInit = 1u << 3;  // INIT from the APIC
inline constexpr uint32_t kIrqSipi = 1u << 4;
inline constexpr uint32_t kIrqMce = 1u << 5;   // a machine check (#MC) injected by the monitor

// x87/SSE state, kept as FXSAVE stores it (src/target/x86/fpu/).
struct FpuState {
    // Physical registers R0..R7, 80 bits each in 16-byte slots: a push or
    // pop only moves TOP and a tag bit. ST(i) is R((TOP + i) mod 8), which
    // is also MMi's register.
    uint8_t st[8][16];
    uint16_t fcw = 0x37f, fsw = 0;   // FSW holds TOP in bits 11..13
    uint16_t ftw = 0;    // abridged tags: bit i set = physical register i is not empty
    uint16_t fop = 0;
    uint64_t fip = 0, fdp = 0;   // offsets of the last x87 instruction and its memory operand
    uint16_t fcs = 0, fds = 0;   // their selectors
    uint32_t mxcsr = 0x1f80;
    alignas(16) uint8_t xmm[16][16];
    uint64_t xcr0 = 1;

    unsigned top() const { return (fsw >> 11) & 7; }
    uint8_t* st_reg(unsigned i) { return st[(top() + i) & 7]; }
    const uint8_t* st_reg(unsigned i) const { return st[(top() + i) & 7]; }
};

// IA32_APIC_BASE bits: EXTD with EN is x2APIC mode.
inline constexpr uint64_t kApicBaseBsp = 1u << 8, kApicBaseExtd = 1u << 10, kApicBaseEnable = 1u << 11;

// The bits of DR6 and DR7 that always read as one.
inline constexpr uint64_t kDr6Fixed = 0xffff0ff0, kDr7Fixed = 0x400;
// DR6.BD (a MOV DR under general detect), DR6.BS (single step); DR7.GD.
inline constexpr uint64_t kDr6Bd = 1u << 13, kDr6Bs = 1u << 14, kDr7Gd = 1u << 13;

// Machine-check banks, as many as QEMU gives every model.
inline constexpr unsigned kMceBankCount = 10;

// The model-specific registers Mimic keeps (the others read as 0 and drop
// writes, as on QEMU's TCG: misc_helper.cpp).
struct MsrState {
    uint64_t tsc_offset = 0;      // IA32_TIME_STAMP_COUNTER = host clock + offset
    uint64_t apic_base = 0xfee00900;   // IA32_APIC_BASE: BSP, enabled
    uint64_t sysenter_cs = 0, sysenter_esp = 0, sysenter_eip = 0;
    uint64_t mtrr_cap = 0x508, mtrr_def_type = 0, mtrr_fixed[11] = {}, mtrr_var[16] = {};
    uint64_t pat = 0x0007040600070406ull;
    // Machine-check architecture (mce.h): MCG_CAP follows the CPU model;
    // each bank is CTL, STATUS, ADDR, MISC (MSRs 0x400 + 4 * bank ...).
    uint64_t mcg_cap = 0, mcg_status = 0, mcg_ctl = 0;
    uint64_t mce_banks[4 * kMceBankCount] = {};
    uint64_t misc_enable = 1;     // fast strings
    // Long mode.
    uint64_t star = 0, lstar = 0, cstar = 0, fmask = 0, kernel_gs_base = 0, tsc_aux = 0;
    uint64_t pkrs = 0;            // IA32_PKRS: protection-key rights for supervisor pages
};

struct CpuState {
    // ---- registers generated code keeps in host registers (tcg globals) ----
    uint64_t regs[16] = {};
    uint64_t eip = 0;            // RIP; an offset from CS.base
    uint64_t cc_dst = 0, cc_src = 0, cc_src2 = 0;
    uint32_t cc_op = kCcOpEflags;
    // Flags computed by a read-modify-write helper (shift, rotate, bit test),
    // committed by generated code only after the store succeeded: a faulting
    // store must leave EFLAGS as they were.
    uint32_t pending_flags = 0;
    // Data breakpoints the replayed instruction hit (DR6 B0-B3), for the trap after it.
    uint32_t pending_db_hits = 0;
    uint32_t df = 1;             // +1 or -1 (EFLAGS.DF as a step)
    // EFLAGS without the lazy arithmetic flags and without DF.
    uint32_t eflags = kFlagFixed1;
    uint32_t hflags = 0;

    // Set by other threads to make generated code leave at the next block start.
    std::atomic<uint32_t> exit_request{0};
    std::atomic<uint32_t> interrupt_request{0};

    SegmentCache seg[6];         // ES CS SS DS FS GS
    SegmentCache ldtr, tr;
    TableRegister gdtr, idtr;

    uint64_t cr[9] = {};         // CR0, CR2, CR3, CR4, CR8 (TPR placeholder)
    uint64_t dr[8] = {};
    uint64_t efer = 0;
    uint32_t pkru = 0;           // protection-key rights for user pages (RDPKRU/WRPKRU)
    MsrState msr;
    uint64_t a20_mask = ~0ull;   // ~(1 << 20) while the A20 gate is closed

    // CPUID signature (EAX of leaf 1), also what EDX holds after reset.
    uint32_t cpuid_version = 0;

    bool halted = false;
    // HLT ran with EFLAGS.TF: its single-step trap comes when it ends,
    // before the interrupt that ends it.
    bool single_step_after_halt = false;
    // An NMI handler runs: further NMIs wait for the next IRET.
    bool nmi_blocked = false;

    // ---- exception in flight (set by raise_exception, consumed by cpu_exec) ----
    int exception_index = -1;
    uint32_t error_code = 0;
    bool exception_is_int = false;   // INT n / INT3 / INTO: software (privilege checked against the gate)
    uint64_t exception_next_eip = 0; // return address of a software interrupt
    int old_exception = -1;          // for #DF classification

    // What generated code is running (self-modifying code detection).
    const void* current_tb = nullptr;
    // This vCPU's executor's jump table, which generated code probes for
    // indirect jumps (tcg::JumpTable::Entry[]).
    const void* jump_table = nullptr;
    // Where this vCPU's returns most likely go (its executor empties it).
    tcg::ReturnStack return_stack;

    FpuState fpu;

    // Scratch of the SSE instructions generated code runs inline: their
    // memory operand, and the MXCSR values they switch between.
    struct alignas(16) SseScratch {
        uint8_t mem[16];
        uint32_t host_mxcsr, run_mxcsr;
    } sse_scratch;

    // Softmmu TLB: the inlined fast path indexes it from env.
    tcg::SoftTlb tlb;

    // Where faulting helpers siglongjmp to (the cpu loop).
    sigjmp_buf jmp_env;

    // Back pointer to the owning X86Cpu (helpers reach memory and hooks through it).
    void* owner = nullptr;

    uint32_t cpl() const { return hflags & kHfCplMask; }
};

}  // namespace mimic::x86
