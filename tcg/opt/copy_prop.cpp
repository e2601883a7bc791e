// Copy propagation, per basic block.
#include <vector>

#include "mimic/tcg/optimizer.h"

namespace mimic::tcg {

namespace {

constexpr uint32_t kNone = ~0u;

class CopyProp {
public:
    explicit CopyProp(Block& b) : b_(b), copy_of_(b.temps.size(), kNone) {}

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
                    active_.push_back(d);
                }
            }
        }
    }

private:
    void forget_all() {
        for (uint32_t d : active_) copy_of_[d] = kNone;
        active_.clear();
    }

    // Temp t gets a new value: copies of it and its own copy relation end.
    void written(uint32_t t) {
        copy_of_[t] = kNone;
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
    std::vector<uint32_t> active_;
};

}  // namespace

void propagate_copies(Block& block) { CopyProp(block).run(); }

}  // namespace mimic::tcg
