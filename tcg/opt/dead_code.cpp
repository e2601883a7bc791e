// Dead code elimination driven by liveness.
#include "mimic/tcg/optimizer.h"

namespace mimic::tcg {

namespace {

bool removable(const Inst& inst) {
    const OpInfo& info = op_info(inst.op);
    if (info.flags & (kPure | kNoEffect)) return inst.n_out > 0;
    if (inst.op == Opcode::call) {
        return (reinterpret_cast<const Helper*>(inst.cst(0))->flags & kHelperNoSideEffects) != 0;
    }
    return false;
}

bool all_outputs_dead(const Inst& inst) {
    for (int k = 0; k < inst.n_out; ++k) {
        if (!inst.is_dead(k)) return false;
    }
    return true;
}

// Drops code that cannot run (after an exit or an unconditional branch, up
// to the next label) and moves of a temp to itself, in place.
void remove_unreachable_and_self_moves(Block& block) {
    bool reachable = true;
    size_t kept = 0;
    for (size_t i = 0; i < block.insts.size(); ++i) {
        const Inst& inst = block.insts[i];
        if (inst.op == Opcode::set_label) reachable = true;
        if (!reachable) continue;
        if ((op_info(inst.op).flags & kNoReturn) || inst.op == Opcode::br) reachable = false;
        if ((inst.op == Opcode::mov_i32 || inst.op == Opcode::mov_i64) && inst.out(0) == inst.in(0)) continue;
        if (kept != i) block.insts[kept] = inst;
        ++kept;
    }
    block.insts.resize(kept);
}

}  // namespace

void eliminate_dead_code(Block& block) {
    remove_unreachable_and_self_moves(block);
    // Straight-line and forward-branching blocks: one pass removes it all.
    // Blocks with loops: until nothing more goes.
    compute_liveness(block, removable);
    for (;;) {
        const size_t before = block.insts.size();
        std::erase_if(block.insts, [](const Inst& inst) { return removable(inst) && all_outputs_dead(inst); });
        if (block.insts.size() == before) return;
        compute_liveness(block);
    }
}

void optimize(Block& block) {
    fold_constants(block);
    eliminate_dead_code(block);
}

}  // namespace mimic::tcg
