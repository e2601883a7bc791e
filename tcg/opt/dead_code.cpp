// Dead code elimination driven by liveness.
#include <vector>

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

// A branch to a label whose code is just `br M` goes to M directly (a
// loop's conditional branch back, which front ends emit as a branch over
// the exit to a jump to the loop head: one taken jump per turn less).
void thread_jumps(Block& block) {
    static thread_local std::vector<uint32_t> forward;
    forward.assign(block.num_labels, ~0u);
    bool any = false;
    for (size_t i = 0; i + 1 < block.insts.size(); ++i) {
        if (block.insts[i].op != Opcode::set_label) continue;
        size_t j = i + 1;
        while (j < block.insts.size() && block.insts[j].op == Opcode::set_label) ++j;
        if (j == block.insts.size() || block.insts[j].op != Opcode::br) continue;
        forward[block.insts[i].cst(0)] = static_cast<uint32_t>(block.insts[j].cst(0));
        any = true;
    }
    if (!any) return;
    auto resolve = [&](uint64_t label) {
        // Bounded: labels that jump to each other form a loop of their own.
        for (uint32_t n = 0; n < block.num_labels && forward[label] != ~0u && forward[label] != label; ++n)
            label = forward[label];
        return label;
    };
    for (Inst& inst : block.insts) {
        const bool cond = inst.op == Opcode::brcond_i32 || inst.op == Opcode::brcond_i64;
        if (inst.op != Opcode::br && !cond) continue;
        uint64_t& label = inst.args[inst.n_out + inst.n_in + (cond ? 1 : 0)];
        label = resolve(label);
    }
}

}  // namespace

void eliminate_dead_code(Block& block) {
    thread_jumps(block);
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
