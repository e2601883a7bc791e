// Random x86 instruction sequences for differential testing.
//
// Sequences are 32-bit protected-mode code that runs identically on the host
// (in a compatibility-mode code segment, see runner.h) and in Mimic, or
// (GenOptions::mode64) 64-bit code with REX prefixes, 64-bit operands and
// R8-R15, run natively on the host and in Mimic's long mode. With
// GenOptions::fpu, x87, MMX and SSE..SSE4.2 are mixed in (in 64-bit mode
// with REX prefixes reaching XMM8-15 and R8-R15).
// Register conventions keep every memory access inside the data buffer:
//   EBX = buffer base, EBP = 16 (an index), ESP = the stack; none of them
//   is ever written. EAX ECX EDX ESI EDI (and R8-R15 in 64-bit mode) hold
//   random values and are the destinations.
// The generator tracks which arithmetic flags the SDM leaves undefined so far
// and never emits an instruction that reads one of them (ADC after MUL's
// undefined ZF is fine, SETZ is not); the comparison masks what is still
// undefined at the end.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace mimic::x86::diff {

inline constexpr uint32_t kCodeBase = 0x00200000;     // host stubs + sequence
inline constexpr uint32_t kSeqBase = 0x00200200;      // where the sequence starts
inline constexpr uint32_t kBufBase = 0x00300000;      // data buffer (EBX)
inline constexpr uint32_t kBufSize = 4096;
inline constexpr uint32_t kStackTop = 0x00380000;     // ESP
inline constexpr uint32_t kFlagsMask = 0x8d5;         // OF SF ZF AF PF CF
// 64-bit sequences start with this GS base; WRGSBASE only ever sets it
// within the buffer's first half, so GS:[disp32 < 1024] stays in the buffer.
inline constexpr uint64_t kGsBase = kBufBase;

struct Sequence {
    std::vector<uint8_t> code;
    std::vector<std::string> listing;   // one line per instruction, for failure reports
    uint32_t undefined_flags = 0;       // at the end
    // After each generated instruction (group): code size and undefined flags,
    // so a failing sequence can be cut down to its first differing prefix.
    std::vector<size_t> ends;
    std::vector<uint32_t> undefined_at;
    uint64_t seed = 0;
    bool mode64 = false;                // 64-bit code (runs in long mode)
    bool fpu = false;                   // 64-bit mode: load and save the x87/SSE state around it
    bool extensions = false;            // may hold RDPID and the GS base instructions (see GenOptions)
};

struct GenOptions {
    unsigned length = 24;               // instructions per sequence
    bool fpu = false;                   // mix in x87, MMX and SSE..SSE4.2 (about half)
    bool mode64 = false;
    // Some SIMD exceptions unmasked: in the initial MXCSR (runner.cpp) and
    // in some LDMXCSR values, so SSE arithmetic may stop with #XM.
    bool simd_unmask = false;
    // With simd_unmask: also emit CVT(T)PS2PI, CVT(T)PD2PI and CVTPI2PS
    // (which once got the x87->MMX transition wrong on #XM). The random
    // runs turn it on; the seeds of the DISABLED_ regressions were found
    // with it off, and keep their sequences so.
    bool cvt_pi_unmasked = false;
    // With fpu: x87 only (FINCSTP/FDECSTP and FLDCW too), for long runs of
    // stack bookkeeping: pushes and pops, faults on empty and full
    // registers, precision and rounding control.
    bool x87_only = false;
    // MOVBE and RDPID mixed in (about a third), and in 64-bit mode
    // RDGSBASE, WRGSBASE and GS-relative loads and stores. The runners start
    // both sides with the host's IA32_TSC_AUX and the GS base kGsBase.
    bool extensions = false;
};

Sequence generate(uint64_t seed, const GenOptions& opt = {});
// The first `n` instruction groups of seq.
Sequence prefix(const Sequence& seq, size_t n);

}  // namespace mimic::x86::diff
