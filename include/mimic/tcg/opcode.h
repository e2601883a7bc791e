// The opcode enum and per-opcode facts, generated from opcodes.inc.
#pragma once

#include <cstdint>
#include <string_view>

namespace mimic::tcg {

enum class Opcode : uint16_t {
#define OP(name, out, in, consts, flags) name,
#include "mimic/tcg/opcodes.inc"
#undef OP
    kCount
};

enum OpFlag : uint32_t {
    kPure = 1u << 0,         // no effect besides outputs; foldable and removable
    kNoEffect = 1u << 1,     // removable when outputs are unused (reads memory)
    kBbEnd = 1u << 2,        // ends a basic block (labels and branches)
    kSyncGlobals = 1u << 3,  // globals must be in env before the op runs
    kNoReturn = 1u << 4,     // control never continues with the next op
    kCall = 1u << 5,         // call, host_code: operand counts stored per instruction
};

struct OpInfo {
    const char* name;
    std::string_view outputs;   // type letters, see opcodes.inc
    std::string_view inputs;
    std::string_view consts;
    uint32_t flags;
};

const OpInfo& op_info(Opcode op);
inline const char* op_name(Opcode op) { return op_info(op).name; }

}  // namespace mimic::tcg
