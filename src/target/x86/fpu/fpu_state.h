// The guest's x87/SSE state as images: the FXSAVE layout (which is also
// what the host stubs run on and the legacy region of XSAVE), and the
// x87 environment of FNSTENV/FLDENV in its four formats.
#pragma once

#include <cstdint>

#include "mimic/x86/cpu_state.h"

namespace mimic::x86 {

inline constexpr uint16_t kFswES = 1u << 7, kFswB = 1u << 15, kFswTopShift = 11;
inline constexpr uint32_t kMxcsrMask = 0xffff;   // MXCSR bits Mimic implements (DAZ included)

// FpuState -> a 512-byte FXSAVE image. `wide`: the 64-bit format (FXSAVE64:
// 64-bit FIP/FDP, no selectors).
void fpu_to_fxsave(const FpuState& f, uint8_t* image, bool wide);
// The x87/MMX/SSE registers from an image (the host's result): control and
// status words, abridged tags, ST/MM and XMM registers, MXCSR.
void fpu_regs_from_image(FpuState& f, const uint8_t* image);
// FXRSTOR: everything, FIP/FDP/FOP included.
void fpu_from_fxsave(FpuState& f, const uint8_t* image, bool wide);

// The full 2-bit tag word computed from the registers, as FNSTENV stores it.
uint16_t fpu_full_tag_word(const FpuState& f);
// The abridged (FXSAVE) tag byte from a full tag word.
uint8_t fpu_abridged_tags(uint16_t full);

// FNINIT's state for the x87 part.
void fpu_init_x87(FpuState& f);

}  // namespace mimic::x86
