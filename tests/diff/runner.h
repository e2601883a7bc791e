// Running a generated sequence on the host CPU and in Mimic, with the same
// initial state, and the state both leave behind.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "generator.h"
#include "mimic/x86/cpu.h"

namespace mimic::x86::diff {

struct GuestState {
    uint64_t regs[16];    // RAX RCX RDX RBX RSP RBP RSI RDI R8..R15 (32-bit mode: the low halves of the first 8)
    uint32_t eflags;
    uint8_t buf[kBufSize];
    // x87/MMX/SSE state as FXSAVE stores it: loaded with FXRSTOR before the
    // sequence and saved with FXSAVE after it (64-bit mode: the REX.W forms,
    // XMM8-15 included; only for FPU sequences).
    alignas(16) uint8_t fpu[512];
    // A run that stopped at an exception (on the host: SIGFPE, whose
    // trap number is the vector): the vector, or -1, and the offset of the
    // faulting instruction in the sequence. The state above is then the
    // state at the fault (registers, RSP and EFLAGS as the exception pushed
    // them, x87/SSE state, buffer).
    int fault_vector = -1;
    uint32_t fault_offset = 0;
    // Sequences with extensions: the GS base (64-bit mode; kGsBase at the
    // start), and the IA32_TSC_AUX RDPID reads: the host's (run_on_host
    // reports it, pinned to one CPU), for Mimic to start with.
    uint64_t gs_base = 0;
    uint64_t tsc_aux = 0;
};

// The initial state for a seed: random free registers and flags, the fixed
// registers as generator.h describes, a random buffer. For FPU sequences
// the x87 and XMM registers and parts of the buffer hold special values
// (zeros, infinities, NaNs, denormals, extreme magnitudes) as well, and with
// opt.simd_unmask some MXCSR exception masks are clear.
GuestState initial_state(uint64_t seed, const GenOptions& opt);

// Runs natively in a forked child (pinned to one CPU, so RDPID reads one
// TSC_AUX, which `out` reports): 32-bit sequences in a compatibility-mode
// code segment (selector 0x23 on Linux x86-64), 64-bit ones directly, at the
// address Mimic runs them. A SIGFPE (an unmasked SIMD exception, #XM) ends
// the run with the state at the fault (see GuestState). Returns false with
// `error` set when the host cannot run it (no compat segment, the child
// crashed).
bool run_on_host(const Sequence& seq, const GuestState& in, GuestState& out, std::string& error);

// Runs in Mimic with `backend`: 32-bit flat protected mode with paging off,
// or 64-bit mode (identity-mapped 2 MiB pages) for 64-bit sequences. An
// exception ends the run in a handler that saves the x87/SSE state and
// halts; the state is then the state at the fault.
bool run_in_mimic(const Sequence& seq, const GuestState& in, GuestState& out, TcgBackend backend,
                  std::string& error);

// Describes the differences (empty when equal): where the runs stopped (the
// end, or the same exception at the same instruction), registers, the
// arithmetic flags defined there, x87/SSE state, buffer.
std::string compare(const Sequence& seq, const GuestState& host, const GuestState& mimic);

// The flags defined where `state` stopped (kFlagsMask minus the undefined
// ones; at a fault, minus those undefined before or after the faulting
// instruction's group).
uint32_t defined_flags(const Sequence& seq, const GuestState& state);
// "the end" or "#XM (vector 19) at +0x1c, in instruction 3 (its listing)".
std::string describe_stop(const Sequence& seq, const GuestState& state);

}  // namespace mimic::x86::diff
