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
    // x87/MMX/SSE state as FXSAVE (32-bit format) stores it: loaded with
    // FXRSTOR before the sequence and saved with FXSAVE after it.
    alignas(16) uint8_t fpu[512];
};

// The initial state for a seed: random free registers and flags, the fixed
// registers as generator.h describes, a random buffer.
GuestState initial_state(uint64_t seed, bool mode64 = false);

// Runs natively in a forked child: 32-bit sequences in a compatibility-mode
// code segment (selector 0x23 on Linux x86-64), 64-bit ones directly, at the
// address Mimic runs them (without the x87/SSE state). Returns false with
// `error` set when the host cannot run it (no compat segment, the child
// crashed).
bool run_on_host(const Sequence& seq, const GuestState& in, GuestState& out, std::string& error);

// Runs in Mimic with `backend`: 32-bit flat protected mode with paging off,
// or 64-bit mode (identity-mapped 2 MiB pages) for 64-bit sequences.
bool run_in_mimic(const Sequence& seq, const GuestState& in, GuestState& out, TcgBackend backend,
                  std::string& error);

// Describes the differences (empty when equal), flags compared under `flag_mask`.
std::string compare(const GuestState& host, const GuestState& mimic, uint32_t flag_mask, bool mode64 = false);

}  // namespace mimic::x86::diff
