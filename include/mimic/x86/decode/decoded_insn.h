// The decoder's output: one guest instruction, fully resolved.
//
// The struct is small and flat (no pointers, no allocation) so the translator
// can keep one on the stack per instruction. Everything the front end needs to
// emit IR is here: the form that matched (mnemonic + category), effective
// operand and address sizes, resolved register numbers with REX applied,
// the one memory operand an x86 instruction can have, immediates already
// sign-extended as the encoding specifies, and a verdict.
//
// How a front end uses it (Dynarmic style: one small function per mnemonic,
// in a file per category, found through a table indexed by the mnemonic):
//
//   using Handler = bool (*)(TranslatorContext&, const DecodedInsn&);
//   constexpr std::array<Handler, size_t(Mnemonic::kCount)> kHandlers = ...;
//
//   DecodedInsn insn;
//   switch (decode(bytes, mode, insn)) {
//       case DecodeStatus::kOk: return kHandlers[size_t(insn.mnemonic)](ctx, insn);
//       case DecodeStatus::kNeedMoreBytes: /* fetch across the page, retry */
//       case DecodeStatus::kTooLong: /* raise #GP(0) */
//       default: /* raise #UD (kInvalid, kUnsupported) */
//   }
//
// A handler reads its operands in the order of the table line (destination
// first, Intel order): ops[i].kind says where the value is (a register, the
// single `mem` operand, `imm`/`imm2`, `rel`), ops[i].size how wide it is.
// Address arithmetic wraps at mem.addr_size; a branch target is
// (address + length + rel) truncated to op_size. String instructions
// (MOVS, CMPS, ...) describe their DS:rSI source in `mem`; the ES:rDI
// destination is implicit. op_size and addr_size are always set, also for
// forms without explicit operands (PUSHA, IRET, LOOP, string ops need them).
#pragma once

#include "mimic/x86/decode/registers.h"

#include <cstdint>
#include <initializer_list>
#include <string_view>

namespace mimic::x86 {

enum class Mnemonic : uint16_t {
#define X(name) k##name,
#include "mimic/x86/decode/mnemonics.inc"
#undef X
    kCount,
};

// Lower-case assembler spelling, as Zydis and the SDM print it ("cmovnbe").
std::string_view mnemonic_name(Mnemonic m);

// Whether m is one of `list` (the instruction classifiers' lists).
inline bool one_of(Mnemonic m, std::initializer_list<Mnemonic> list) {
    for (Mnemonic x : list)
        if (x == m) return true;
    return false;
}

// Coarse grouping for the front end's first dispatch level and for logging;
// semantics dispatch on the mnemonic.
enum class Category : uint8_t {
    kInvalid, kAlu, kShift, kMulDiv, kBit, kMov, kConv, kStack, kBranch, kString,
    kIo, kFlags, kBcd, kSeg, kSync, kSystem, kCache, kNop, kX87, kMmx, kSse,
};

enum class CpuMode : uint8_t {
    k16,  // real mode, virtual-8086, 16-bit protected (CS.D = 0)
    k32,  // 32-bit protected or compatibility mode (CS.D = 1)
    k64,  // 64-bit mode (CS.L = 1)
};

enum class DecodeStatus : uint8_t {
    kOk,
    // The bytes given ended inside the instruction. `length` says how many
    // were consumed; retry with more (the next page's bytes appended).
    kNeedMoreBytes,
    kInvalid,      // #UD; see `reason`
    kTooLong,      // longer than 15 bytes: #GP(0) in hardware, not #UD
    kUnsupported,  // a real instruction Mimic does not decode (VEX, 3DNow!, VMX...): #UD for our CPU model
};

enum class InvalidReason : uint8_t {
    kNone,
    kUndefinedOpcode,   // no form for this opcode / ModRM / prefix combination
    kInvalidIn64,       // exists only outside 64-bit mode (PUSHA, AAA, LDS, ...)
    kOnlyIn64,          // exists only in 64-bit mode (SWAPGS, RDFSBASE)
    kLockNotAllowed,    // LOCK on a form that does not allow it, or without a memory destination
    kRegisterNotAllowed,// mod == 3 where the form needs memory (LEA, LDS, CMPXCHG8B...)
    kMemoryNotAllowed,  // mod != 3 where the form needs a register
    kReservedRegister,  // segment register 6/7, MOV to CS, CR1/5/6/7/9+, DR8+
};

enum class OperandKind : uint8_t { kNone, kReg, kMem, kImm, kRel, kFarPtr };

// kImm takes its value from DecodedInsn::imm (or imm2 for the second
// immediate of ENTER); kRel from rel; kFarPtr from imm (offset) and imm2
// (selector); kMem from mem.
struct Operand {
    OperandKind kind = OperandKind::kNone;
    uint16_t size = 0;  // bytes accessed; 0 when the form has no fixed size (LEA, XSAVE)
    Reg reg;           // kReg only
};

// The memory operand. `seg`, `seg_override` and `addr_size` are filled in
// for every instruction, also those without a ModRM memory operand (XLAT,
// string instructions, LOOP/JCXZ use the address size).
struct MemOperand {
    Reg base;          // may be kIp for RIP/EIP-relative
    Reg index;
    uint8_t scale = 1;
    uint8_t seg = kDS; // effective segment (override, or DS/SS default, ES for string destinations)
    uint8_t addr_size = 0;  // bytes: 2, 4, 8
    bool seg_override = false;
    int64_t disp = 0;  // sign-extended; moffs are zero-extended

    // RIP-relative (EIP-relative with a 67 prefix): the base is the address
    // of the next instruction.
    bool ip_relative() const { return base.cls == RegClass::kIp; }
};

// Raw prefix bits seen, whether or not the form gives them a meaning.
enum PrefixBit : uint8_t {
    kPfxLock = 1 << 0,
    kPfxRep = 1 << 1,    // F3 (last of F2/F3 wins)
    kPfxRepne = 1 << 2,  // F2
    kPfxOpSize = 1 << 3,
    kPfxAddrSize = 1 << 4,
    kPfxSeg = 1 << 5,
};

// REP semantics the form gives the F2/F3 prefix.
enum class RepKind : uint8_t { kNone, kRep, kRepe, kRepne };

inline constexpr unsigned kMaxOperands = 4;
inline constexpr unsigned kMaxInsnLength = 15;

// 16-byte aligned and sized so the decoder can reset it with vector stores.
struct alignas(16) DecodedInsn {
    DecodeStatus status = DecodeStatus::kInvalid;
    InvalidReason reason = InvalidReason::kNone;
    uint8_t length = 0;
    uint8_t op_size = 0;    // effective operand size in bytes: 2, 4, 8
    uint8_t addr_size = 0;  // effective address size in bytes: 2, 4, 8

    Mnemonic mnemonic = Mnemonic::kInvalid;
    Category category = Category::kInvalid;
    uint16_t form = 0;      // index of the matched table line (for logging and tests)

    uint8_t prefixes = 0;   // PrefixBit
    uint8_t rex = 0;        // the REX byte, 0 if none (REX.W = rex & 8, R = 4, X = 2, B = 1)
    RepKind rep = RepKind::kNone;
    bool lock = false;

    uint8_t map = 0;        // 0: one-byte, 1: 0F, 2: 0F 38, 3: 0F 3A
    uint8_t opcode = 0;
    uint8_t modrm = 0;
    uint8_t sib = 0;
    bool has_modrm = false;
    bool has_sib = false;

    uint8_t op_count = 0;
    Operand ops[kMaxOperands];
    MemOperand mem;
    int64_t imm = 0;        // first immediate, extended as the form specifies
    int64_t imm2 = 0;       // second immediate (ENTER's level, a far pointer's selector)
    int64_t rel = 0;        // branch displacement; target = address + length + rel

    bool ok() const { return status == DecodeStatus::kOk; }

    // Target of a relative branch at `ip` (the offset within CS): the next
    // instruction plus `rel`, wrapped to the operand size as the CPU does
    // (a 16-bit JMP wraps within the segment's first 64 KiB).
    uint64_t branch_target(uint64_t ip) const {
        uint64_t target = ip + length + static_cast<uint64_t>(rel);
        return op_size == 8 ? target : op_size == 4 ? target & 0xffffffffu : target & 0xffffu;
    }
    bool rex_w() const { return (rex & 8) != 0; }
};

}  // namespace mimic::x86
