// Basic vocabulary of the IR: value types, comparison conditions and the
// description of a guest memory access (MemOp).
#pragma once

#include <cstdint>

namespace mimic::tcg {

// Every IR value is a 32- or 64-bit integer. Host pointers are I64.
// An I32 value is kept zero-extended wherever it is stored in 64 bits
// (interpreter slots, JIT registers and spill slots).
enum class Type : uint8_t { I32, I64 };

inline constexpr unsigned type_bits(Type t) { return t == Type::I32 ? 32 : 64; }
inline constexpr uint64_t type_mask(Type t) { return t == Type::I32 ? 0xffffffffull : ~0ull; }

// Conditions for brcond/setcond/movcond. Tst* test (a & b) against zero.
enum class Cond : uint8_t { Eq, Ne, Lt, Le, Gt, Ge, Ltu, Leu, Gtu, Geu, TstEq, TstNe };
inline constexpr unsigned kNumConds = 12;

const char* cond_name(Cond c);
Cond cond_invert(Cond c);   // !c(a, b)
Cond cond_swap(Cond c);     // c(a, b) == swap(c)(b, a)

// Evaluates a condition on two values of type t (only the low bits of t count).
bool cond_eval(Cond c, Type t, uint64_t a, uint64_t b);

// How a guest memory access (qemu_ld/qemu_st) or an env load/store behaves.
// Bits 0-1: log2 of the size; bit 2: sign-extend loads; bit 3: big endian;
// bits 4-6: log2 of the required alignment plus one (0 = no requirement);
// bit 7: the guest's own (kMoGuestBit).
using MemOp = uint32_t;
inline constexpr MemOp kMo8 = 0, kMo16 = 1, kMo32 = 2, kMo64 = 3, kMoSizeMask = 3;
inline constexpr MemOp kMoSign = 1u << 2;
inline constexpr MemOp kMoBigEndian = 1u << 3;
inline constexpr unsigned kMoAlignShift = 4;
inline constexpr MemOp kMoAlignMask = 7u << kMoAlignShift;
// Natural alignment: the access faults (takes the slow path) unless aligned to its size.
inline constexpr MemOp kMoAlignNatural = 7u << kMoAlignShift;
// Carried to the guest's slow path untouched: what the guest needs to know
// there about an access the fast path does not (x86: it is through SS).
inline constexpr MemOp kMoGuestBit = 1u << 7;

// Short names for common accesses (little endian, no alignment requirement).
inline constexpr MemOp kMoUB = kMo8, kMoSB = kMo8 | kMoSign;
inline constexpr MemOp kMoUW = kMo16, kMoSW = kMo16 | kMoSign;
inline constexpr MemOp kMoUL = kMo32, kMoSL = kMo32 | kMoSign;
inline constexpr MemOp kMoUQ = kMo64;

inline constexpr MemOp mo_align(unsigned log2_bytes) { return (log2_bytes + 1) << kMoAlignShift; }
inline constexpr unsigned memop_size(MemOp m) { return 1u << (m & kMoSizeMask); }
// Required alignment in bytes (1 = none); natural alignment resolves to the size.
inline constexpr unsigned memop_align(MemOp m) {
    unsigned a = (m & kMoAlignMask) >> kMoAlignShift;
    if (a == 7) return memop_size(m);
    return a == 0 ? 1u : 1u << (a - 1);
}
inline constexpr bool memop_valid(MemOp m) {
    return (m & ~(kMoSizeMask | kMoSign | kMoBigEndian | kMoAlignMask | kMoGuestBit)) == 0 &&
           memop_align(m) <= 64 && !((m & kMoSign) && (m & kMoSizeMask) == kMo64);
}

// Extends or byte-swaps a raw value as the MemOp says (used by both back ends
// and available to the guest's slow path).
uint64_t memop_bswap(MemOp m, uint64_t raw);      // swaps the low `size` bytes if big endian
uint64_t memop_extend(MemOp m, uint64_t value);   // zero- or sign-extends from `size` bytes

// qemu_ld/st carry the MemOp and the MMU index in one constant argument.
using MemOpIdx = uint32_t;
inline constexpr MemOpIdx make_memop_idx(MemOp m, unsigned mmu_idx) { return m | (mmu_idx << 16); }
inline constexpr MemOp get_memop(MemOpIdx oi) { return oi & 0xffff; }
inline constexpr unsigned get_mmu_idx(MemOpIdx oi) { return oi >> 16; }

}  // namespace mimic::tcg
