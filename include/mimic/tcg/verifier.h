// Structural and type checking of a block, driven by opcodes.inc.
#pragma once

#include <string>
#include <vector>

#include "mimic/tcg/ir.h"

namespace mimic::tcg {

// One message per problem ("op 3 (add_i32): input 1 is I64, expected I32").
std::vector<std::string> verify(const Block& block);
// Throws mimic::Error with the first problem.
void verify_or_throw(const Block& block);

}  // namespace mimic::tcg
