// Copy propagation, per basic block.
#include <vector>

#include "mimic/tcg/optimizer.h"

namespace mimic::tcg {

namespace {

constexpr uint32_t kNone = ~0u;

class CopyProp {
public:
    explicit CopyProp(Block& b) : b_(b), copy_of_(b.temps.size(), kNone), copies_(b.temps.size(), 0) {}

    void run() {
        for (Inst& inst : b_.insts) {
            if (inst.op == Opcode::set_label) forget_all();
            for (int k = 0; k < inst.n_in; ++k) {
                uint32_t src = copy_of_[inst.in(k)];
                if (src != kNone) inst.set_in(k, src);
            }
            if (inst.op == Opcode::call) {
                uint32_t f = reinterpret_cast<const Helper*>(inst.cst(0))->flags;
                if (!(f & kHelperNoWriteGlobals)) {
                    for (uint32_t g = 1; g < b_.num_globals(); ++g) written(g);
                }
            }
            for (int k = 0; k < inst.n_out; ++k) written(inst.out(k));
            if (inst.op == Opcode::mov_i32 || inst.op == Opcode::mov_i64) {
                uint32_t d = inst.out(0), s = inst.in(0);
                if (d != s && !b_.is_const(s)) {
                    copy_of_[d] = s;
                    ++copies_[s];
                    active_.push_back(d);
                }
            }
        }
    }

private:
    void forget_all() {
        for (uint32_t d : active_) {
            if (copy_of_[d] != kNone) copies_[copy_of_[d]] = 0;
            copy_of_[d] = kNone;
        }
        active_.clear();
    }

    // Temp t gets a new value: copies of it and its own copy relation end.
    // Only a temp something is a copy of needs the walk over the copies.
    void written(uint32_t t) {
        if (copy_of_[t] != kNone) {
            --copies_[copy_of_[t]];
            copy_of_[t] = kNone;
        }
        if (copies_[t] == 0) return;
        copies_[t] = 0;
        for (size_t i = 0; i < active_.size();) {
            uint32_t d = active_[i];
            if (copy_of_[d] == t || copy_of_[d] == kNone) {
                copy_of_[d] = kNone;
                active_[i] = active_.back();
                active_.pop_back();
            } else {
                ++i;
            }
        }
    }

    Block& b_;
    std::vector<uint32_t> copy_of_;
    std::vector<uint32_t> copies_;   // per temp: how many temps are copies of it now
    std::vector<uint32_t> active_;   // temps that are (or were) copies; stale ones are dropped lazily
};

bool is_self_move(const Inst& inst) {
    return (inst.op == Opcode::mov_i32 || inst.op == Opcode::mov_i64) && inst.out(0) == inst.in(0);
}

// `t = op ...; g = t` becomes `g = op ...; t = g` for a global g: copy
// propagation then reads g where t was read, and t's copy dies, so the
// back end computes the result where it goes instead of moving it there.
// Only for adjacent instructions (self-moves, which constant folding
// leaves of masks like `and t, t, -1`, do not count): nothing between can
// see g early.
bool compute_into_globals(Block& b) {
    bool changed = false;
    for (size_t i = 0; i + 1 < b.insts.size(); ++i) {
        Inst& op = b.insts[i];
        if (op.n_out != 1 || !(op_info(op.op).flags & kPure) || op.op == Opcode::mov_i32 || op.op == Opcode::mov_i64)
            continue;
        const uint32_t t = op.out(0);
        if (b.temps[t].kind != TempKind::Normal) continue;
        size_t j = i + 1;
        while (j < b.insts.size() && is_self_move(b.insts[j]) && b.insts[j].out(0) == t) ++j;
        if (j == b.insts.size()) break;
        Inst& mov = b.insts[j];
        if ((mov.op != Opcode::mov_i32 && mov.op != Opcode::mov_i64) || mov.in(0) != t) continue;
        const uint32_t g = mov.out(0);
        if (!b.is_global(g)) continue;
        op.args[0] = g;
        for (size_t k = i + 1; k < j; ++k) b.insts[k].args[0] = b.insts[k].args[1] = g;
        mov.args[0] = t;
        mov.args[1] = g;
        changed = true;
    }
    return changed;
}

}  // namespace

void propagate_copies(Block& block) {
    CopyProp(block).run();
    // The pattern shows up once copies are propagated.
    if (compute_into_globals(block)) CopyProp(block).run();
}

}  // namespace mimic::tcg
