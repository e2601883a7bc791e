// One instruction form of the decode table, and the small vocabulary the
// table files (*.inc) are written in.
//
// A form is everything the decoder needs to know about one encoding: where
// its opcode lives, what it requires of ModRM and prefixes, in which modes it
// exists and how its operands are encoded. The tables are data only; the
// decoder (decoder.cpp) interprets them and the index (form_index.h) is
// computed from them at compile time.
#pragma once

#include "operand_spec.h"

#include "mimic/x86/decode/decoded_insn.h"

#include <cstdint>

namespace mimic::x86::detail {

// What the form requires of the ModRM byte.
struct ModRMReq {
    enum Kind : uint8_t {
        kNone,       // no ModRM byte
        kAny,        // ModRM present, register or memory
        kRegOnly,    // mod == 3 required
        kMemOnly,    // mod != 3 required
        kRegForced,  // mod is ignored and treated as 3 (MOV CR/DR)
    };
    Kind kind = kNone;
    int8_t reg = -1;  // required reg field (/digit), -1 for any
    int8_t rm = -1;   // required rm field (only with kRegOnly), -1 for any
};

// Mandatory prefix selecting the form.
enum class Pfx : uint8_t {
    kAny,   // legacy form: 66/F2/F3 keep their ordinary meaning
    kNone,       // only without 66/F2/F3 (SSE packed-single and MMX forms)
    kNoneOr66,   // without F2/F3; a 66 is an operand-size override (MOVBE, RDRAND)
    k66,
    kF3,
    kF2,
};

// Form flags.
enum FormFlag : uint16_t {
    kLock = 1 << 0,       // LOCK allowed (with a memory destination)
    kRep = 1 << 1,        // F3 means REP
    kRepCond = 1 << 2,    // F3 means REPE, F2 REPNE
    kNo64 = 1 << 3,       // #UD in 64-bit mode
    kOnly64 = 1 << 4,     // exists only in 64-bit mode
    kDef64 = 1 << 5,      // 64-bit default operand size in 64-bit mode (66 gives 16)
    kForce64 = 1 << 6,    // 64-bit operand size in 64-bit mode, 66 ignored (near branches)
    kW0 = 1 << 7,         // only without REX.W (64-bit mode)
    kW1 = 1 << 8,         // only with REX.W
    kNoRexB = 1 << 9,     // only without REX.B (90 is NOP, not XCHG r8)
    kOs16 = 1 << 10,      // only with 16-bit operand size (mnemonic differs by size)
    kOs32 = 1 << 11,
    kOs64 = 1 << 12,
    kAs16 = 1 << 13,      // only with 16/32/64-bit address size (JCXZ family)
    kAs32 = 1 << 14,
    kAs64 = 1 << 15,
};

struct Form {
    Mnemonic mnemonic;
    Category category;
    uint8_t map;
    uint8_t opcode;
    ModRMReq modrm;
    Pfx prefix;
    uint16_t flags;
    Op ops[kMaxOperands];
};

// The vocabulary of the *.inc table files. Kept in its own namespace so the
// short names do not leak into the decoder proper.
namespace dsl {

using enum Op;
inline constexpr Op _ = Op::None;

inline constexpr uint8_t M1 = 0, M0F = 1, M38 = 2, M3A = 3;

inline constexpr ModRMReq N{ModRMReq::kNone};
inline constexpr ModRMReq RM{ModRMReq::kAny};
inline constexpr ModRMReq R{ModRMReq::kRegOnly};
inline constexpr ModRMReq MEM{ModRMReq::kMemOnly};
inline constexpr ModRMReq RF{ModRMReq::kRegForced};
constexpr ModRMReq D(int reg) { return {ModRMReq::kAny, static_cast<int8_t>(reg)}; }
constexpr ModRMReq DR(int reg) { return {ModRMReq::kRegOnly, static_cast<int8_t>(reg)}; }
constexpr ModRMReq DM(int reg) { return {ModRMReq::kMemOnly, static_cast<int8_t>(reg)}; }
// mod == 3 with both fields fixed: the byte itself, e.g. X(0xF8) for 0F 01 F8.
constexpr ModRMReq X(int byte) {
    return {ModRMReq::kRegOnly, static_cast<int8_t>((byte >> 3) & 7), static_cast<int8_t>(byte & 7)};
}

inline constexpr Pfx PA = Pfx::kAny, PN = Pfx::kNone, PO = Pfx::kNoneOr66, P66 = Pfx::k66, PF3 = Pfx::kF3, PF2 = Pfx::kF2;

}  // namespace dsl

}  // namespace mimic::x86::detail
