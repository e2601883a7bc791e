// Copy propagation, per basic block.
#include <vector>

#include "copy_table.h"
#include "mimic/tcg/optimizer.h"

namespace mimic::tcg {

namespace {

class CopyProp {
public:
    // One per thread, reused: its per-temp tables keep their storage from
    // one block to the next.
    static CopyProp& for_this_thread() {
        static thread_local CopyProp pass;
        return pass;
    }

    void run(Block& block) {
        copies_.reset(block.temps.size());
        for (Inst& inst : block.insts) {
            if (inst.op == Opcode::set_label) copies_.forget_all();
            for (int k = 0; k < inst.n_in; ++k) inst.set_in(k, copies_.source(inst.in(k)));
            if (inst.op == Opcode::call) {
                uint32_t f = reinterpret_cast<const Helper*>(inst.cst(0))->flags;
                if (!(f & kHelperNoWriteGlobals)) {
                    for (uint32_t g = 1; g < block.num_globals(); ++g) copies_.written(g);
                }
            }
            for (int k = 0; k < inst.n_out; ++k) copies_.written(inst.out(k));
            if (inst.op == Opcode::mov_i32 || inst.op == Opcode::mov_i64) {
                uint32_t d = inst.out(0), s = inst.in(0);
                if (d != s && !block.is_const(s)) copies_.copied(d, s);
            }
        }
    }

private:
    CopyTable copies_;
};

}  // namespace

void propagate_copies(Block& block) { CopyProp::for_this_thread().run(block); }

}  // namespace mimic::tcg
