// Guest register names as the decoder reports them.
//
// A register is a class plus a number, so a front end can index its CPU state
// arrays directly (gpr[num], xmm[num], seg[num]) without a second mapping.
#pragma once

#include <cstdint>
#include <string_view>

namespace mimic::x86 {

enum class RegClass : uint8_t {
    kNone,
    kGpr8,      // low byte of gpr[num]; num 4..7 are SPL..DIL (only with a REX prefix)
    kGpr8High,  // bits 8..15 of gpr[num], num 0..3 (AH, CH, DH, BH)
    kGpr16,
    kGpr32,
    kGpr64,
    kSeg,       // ES CS SS DS FS GS, the architectural encoding order
    kCr,
    kDr,
    kMmx,
    kXmm,
    kSt,        // x87 stack slot relative to TOP: ST(num)
    kIp,        // instruction pointer, only as a memory base (RIP/EIP-relative)
};

struct Reg {
    RegClass cls = RegClass::kNone;
    uint8_t num = 0;

    constexpr bool valid() const { return cls != RegClass::kNone; }
    friend constexpr bool operator==(Reg, Reg) = default;
};

// Segment register numbers (RegClass::kSeg).
enum Seg : uint8_t { kES = 0, kCS = 1, kSS = 2, kDS = 3, kFS = 4, kGS = 5, kNoSeg = 0xff };

// GPR numbers in encoding order.
enum Gpr : uint8_t {
    kRAX, kRCX, kRDX, kRBX, kRSP, kRBP, kRSI, kRDI,
    kR8, kR9, kR10, kR11, kR12, kR13, kR14, kR15,
};

// Lower-case assembler name ("eax", "r9b", "ah", "xmm3", "st1", "cr0").
// `ip_size` selects rip/eip/ip for RegClass::kIp.
std::string_view reg_name(Reg reg, unsigned ip_size = 8);

}  // namespace mimic::x86
