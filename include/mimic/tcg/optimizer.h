// Passes over a block. Each is independent and keeps the block valid; run
// them in any order (optimize() is the usual pipeline).
#pragma once

#include <functional>

#include "mimic/tcg/ir.h"

namespace mimic::tcg {

// Fills Inst::dead. Globals are live at block ends, at labels and branches,
// at ops that sync globals (guest memory access) and at helper calls that
// read or write them; normal temps are tracked across labels and branches
// (including backward ones) by iterating to a fixed point.
// With `removable`, instructions it accepts whose outputs are all dead go
// as well when one pass is exact (no backward branches); returns whether
// any went. Sets Block::liveness_fresh.
bool compute_liveness(Block& block, const std::function<bool(const Inst&)>& removable = {});

// Replaces inputs known to be constant by constant temps and copies by
// their sources (as propagate_copies), evaluates pure ops whose inputs are
// all constant, applies algebraic identities (x+0, x*1, x&0, x^x, ...) and
// resolves branches on constants; a result moved to a global right after
// it is computed is computed there instead. Knowledge is per basic block.
void fold_constants(Block& block);

// After mov d, s: uses of d read s while neither is reassigned (per basic
// block).
void propagate_copies(Block& block);

// Removes ops whose results are unused and that have no side effects, and
// unreachable code after unconditional exits. Leaves liveness computed.
void eliminate_dead_code(Block& block);

// fold_constants, eliminate_dead_code: one pass forward, one backward.
void optimize(Block& block);

}  // namespace mimic::tcg
