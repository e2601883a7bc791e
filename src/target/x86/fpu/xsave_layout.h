// The XSAVE state components Mimic implements and where the standard
// (non-compacted) format keeps them: x87 and SSE in the legacy region,
// PKRU at its architectural offset (CPUID.(0xD, 9)).
#pragma once

#include <cstdint>

#include "../helpers.h"
#include "mimic/x86/cpu_models.h"

namespace mimic::x86 {

inline constexpr uint64_t kXstateX87 = 1, kXstateSse = 2;
inline constexpr unsigned kXstatePkruBit = 9;
inline constexpr uint64_t kXstatePkru = 1ull << kXstatePkruBit;
inline constexpr uint32_t kXsaveLegacySize = 576;   // legacy region and header
inline constexpr uint32_t kXsavePkruOffset = 0xa80;

// The components this CPU model lets XCR0 enable.
inline uint64_t xcr0_supported(const CpuState* env) {
    return kXstateX87 | kXstateSse | ((cpu_features(env).f7_ecx & cpuid::kPku) ? kXstatePkru : 0);
}

// The bytes an XSAVE area of `components` takes.
inline uint32_t xsave_area_size(uint64_t components) {
    return (components & kXstatePkru) ? kXsavePkruOffset + 8 : kXsaveLegacySize;
}

}  // namespace mimic::x86
