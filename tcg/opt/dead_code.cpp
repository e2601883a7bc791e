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

// Drops code that cannot run: after an exit or an unconditional branch, up
// to the next label.
bool remove_unreachable(Block& block) {
    bool reachable = true, changed = false;
    std::vector<Inst> out;
    out.reserve(block.insts.size());
    for (const Inst& inst : block.insts) {
        if (inst.op == Opcode::set_label) reachable = true;
        if (!reachable) {
            changed = true;
            continue;
        }
        out.push_back(inst);
        if ((op_info(inst.op).flags & kNoReturn) || inst.op == Opcode::br) reachable = false;
    }
    block.insts = std::move(out);
    return changed;
}

}  // namespace

void eliminate_dead_code(Block& block) {
    remove_unreachable(block);
    // A move to itself does nothing.
    std::erase_if(block.insts, [](const Inst& inst) {
        return (inst.op == Opcode::mov_i32 || inst.op == Opcode::mov_i64) && inst.out(0) == inst.in(0);
    });
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
    propagate_copies(block);
    fold_constants(block);
    eliminate_dead_code(block);
}

}  // namespace mimic::tcg
