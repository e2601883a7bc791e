#include "mimic/tcg/opcode.h"

namespace mimic::tcg {

namespace {

constexpr OpInfo kOpInfo[] = {
#define OP(name, out, in, consts, flags) {#name, out, in, consts, flags},
#include "mimic/tcg/opcodes.inc"
#undef OP
};
static_assert(sizeof(kOpInfo) / sizeof(kOpInfo[0]) == static_cast<size_t>(Opcode::kCount));

}  // namespace

const OpInfo& op_info(Opcode op) { return kOpInfo[static_cast<size_t>(op)]; }

}  // namespace mimic::tcg
