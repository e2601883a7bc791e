// Reference semantics of the pure ops, shared by the interpreter and the
// constant folder so that folding can never disagree with execution.
#pragma once

#include <cstdint>

#include "mimic/tcg/ir.h"

namespace mimic::tcg {

// Evaluates a kPure op on input values (zero-extended I32s); writes up to
// two outputs (I32 results zero-extended). Returns false for ops that are
// not pure, and for div/rem with invalid inputs (division by zero or
// overflow), which the caller must not fold (their result is undefined).
bool eval_pure(const Inst& inst, const uint64_t* in, uint64_t* out);

}  // namespace mimic::tcg
