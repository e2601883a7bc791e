// The x86 instruction decoder: bytes in, DecodedInsn out.
//
// Table-driven (see src/target/x86/decode/forms_*.inc), allocation-free and
// with no indirect calls, for the translator's hot path. Zydis is used only
// by the tests, as the reference the table is checked against.
//
// Fetch protocol: the translator passes the guest bytes it has at hand,
// normally up to the end of the current page. If the instruction continues
// beyond them the result is kNeedMoreBytes; the caller then builds a buffer
// of up to kMaxInsnLength bytes spanning the page boundary (fetching the next
// page through the MMU, which may fault) and decodes again. Decoding is a
// pure function of the bytes and the mode, so retrying is always safe.
#pragma once

#include "mimic/x86/decode/decoded_insn.h"

#include <cstddef>
#include <cstdint>
#include <span>

namespace mimic::x86 {

// Decodes one instruction from the start of `bytes` in `mode`. Always fills
// `out` (status says whether the rest is meaningful) and returns out.status.
DecodeStatus decode(std::span<const uint8_t> bytes, CpuMode mode, DecodedInsn& out);

}  // namespace mimic::x86
