// Backward liveness over the block's control flow graph.
#include <algorithm>
#include <functional>
#include <vector>

#include "mimic/tcg/optimizer.h"

namespace mimic::tcg {

namespace {

// Live sets are plain bit vectors; blocks have at most a few thousand temps.
using LiveSet = std::vector<uint64_t>;

inline bool test(const LiveSet& s, uint32_t t) { return (s[t >> 6] >> (t & 63)) & 1; }
inline void set(LiveSet& s, uint32_t t) { s[t >> 6] |= 1ull << (t & 63); }
inline void clear(LiveSet& s, uint32_t t) { s[t >> 6] &= ~(1ull << (t & 63)); }
inline void unite(LiveSet& s, const uint64_t* o) {
    for (size_t i = 0; i < s.size(); ++i) s[i] |= o[i];
}

// Whether the op needs every global's current value in env (or reads it).
bool reads_all_globals(const Inst& inst) {
    const OpInfo& info = op_info(inst.op);
    if (info.flags & (kBbEnd | kSyncGlobals)) return true;
    if (inst.op == Opcode::call) {
        uint32_t f = reinterpret_cast<const Helper*>(inst.cst(0))->flags;
        // A helper that writes globals leaves the others untouched in env,
        // so they must be there before the call too.
        return (f & (kHelperNoReadGlobals | kHelperNoWriteGlobals)) !=
               (kHelperNoReadGlobals | kHelperNoWriteGlobals);
    }
    return false;
}

// The pass's working sets, one per thread: they keep their storage from one
// block to the next.
struct Scratch {
    LiveSet globals, live;
    std::vector<bool> removed;
    std::vector<uint8_t> recoverable;
    std::vector<uint64_t> label_live;
};

Scratch& scratch() {
    static thread_local Scratch s;
    return s;
}

}  // namespace

bool compute_liveness(Block& block, const std::function<bool(const Inst&)>& removable) {
    const size_t words = (block.temps.size() + 63) / 64;
    const uint32_t nglobals = block.num_globals();
    Scratch& scr = scratch();
    LiveSet& globals = scr.globals;
    globals.assign(words, 0);
    for (uint32_t g = 1; g < nglobals; ++g) set(globals, g);
    // Globals are the first temps: uniting them in touches only these words
    // (every memory access and helper call does it; blocks have many temps).
    const size_t global_words = std::min(words, static_cast<size_t>((nglobals + 63) / 64));
    // Without backward branches every label is seen (walking backward)
    // before the branches to it: one pass is exact, and it may drop dead
    // instructions as it goes.
    const bool loops = block.has_backward_branch();
    const bool remove = removable && !loops;
    std::vector<bool>& removed = scr.removed;
    removed.assign(remove ? block.insts.size() : 0, false);
    bool any_removed = false;

    // Per instruction, which globals restored at faults (bit k: entry k)
    // a memory access there does not need in env.
    const auto& restored = block.globals().restored_at_faults();
    std::vector<uint8_t>& recoverable = scr.recoverable;
    recoverable.clear();
    if (!restored.empty()) {
        recoverable.resize(block.insts.size());
        uint8_t now = 0;   // at the block's start nothing is known
        for (size_t i = 0; i < block.insts.size(); ++i) {
            const Inst& inst = block.insts[i];
            if (inst.op == Opcode::insn_start) {
                now = 0;
                for (size_t k = 0; k < restored.size() && k < 8; ++k) {
                    if (restored[k].word < inst.n_const && inst.cst(static_cast<int>(restored[k].word)) != restored[k].unknown)
                        now |= static_cast<uint8_t>(1u << k);
                }
            }
            recoverable[i] = now;
        }
    }

    // The live sets at the labels, one after the other.
    std::vector<uint64_t>& label_live = scr.label_live;
    label_live.assign(block.num_labels * words, 0);
    auto at_label = [&](uint64_t label) { return label_live.data() + label * words; };
    // Iterate until the live sets at labels stop changing (backward branches).
    for (bool changed = true; changed;) {
        changed = false;
        LiveSet& live = scr.live;
        live.assign(words, 0);
        for (size_t i = block.insts.size(); i-- > 0;) {
            Inst& inst = block.insts[i];
            // Live after the instruction, from control flow.
            switch (inst.op) {
            case Opcode::exit_tb:
            case Opcode::lookup_and_goto_ptr:
            case Opcode::lookup_and_goto_ptr_pc: live = globals; break;
            case Opcode::br: live.assign(at_label(inst.cst(0)), at_label(inst.cst(0)) + words); break;
            case Opcode::brcond_i32:
            case Opcode::brcond_i64: unite(live, at_label(inst.cst(1))); break;
            default: break;
            }
            uint16_t dead = 0;
            for (int k = 0; k < inst.n_out; ++k) {
                if (!test(live, inst.out(k))) dead |= 1u << k;
            }
            if (remove && inst.n_out && dead == (1u << inst.n_out) - 1 && removable(inst)) {
                removed[i] = any_removed = true;
                continue;
            }
            for (int k = 0; k < inst.n_out; ++k) clear(live, inst.out(k));
            for (int k = 0; k < inst.n_in; ++k) {
                uint32_t t = inst.in(k);
                const TempKind kind = block.temps[t].kind;
                if (kind != TempKind::Normal && kind != TempKind::Global) continue;   // never "die"
                if (!test(live, t) && !(reads_all_globals(inst) && block.is_global(t))) {
                    dead |= 1u << (inst.n_out + k);
                }
            }
            for (int k = 0; k < inst.n_in; ++k) {
                uint32_t t = inst.in(k);
                if (block.temps[t].kind == TempKind::Normal || block.temps[t].kind == TempKind::Global) set(live, t);
            }
            if (reads_all_globals(inst)) {
                // A memory access needs in env only what a fault there
                // cannot recover.
                uint8_t keep_dead = 0;
                if (!recoverable.empty() && recoverable[i] && !(op_info(inst.op).flags & kBbEnd) &&
                    inst.op != Opcode::call) {
                    for (size_t k = 0; k < restored.size() && k < 8; ++k) {
                        if ((recoverable[i] >> k) & 1 && !test(live, restored[k].global))
                            keep_dead |= static_cast<uint8_t>(1u << k);
                    }
                }
                for (size_t w = 0; w < global_words; ++w) live[w] |= globals[w];
                for (size_t k = 0; keep_dead >> k; ++k) {
                    if ((keep_dead >> k) & 1) clear(live, restored[k].global);
                }
            }
            inst.dead = dead;
            if (inst.op == Opcode::set_label) {
                uint64_t* l = at_label(inst.cst(0));
                if (!std::equal(live.begin(), live.end(), l)) {
                    std::copy(live.begin(), live.end(), l);
                    changed = loops;
                }
            }
        }
    }
    block.live_at_loop_heads.clear();
    if (loops) {
        block.live_at_loop_heads.assign(words, 0);
        block.visit_backward_branches([&](uint32_t label) {
            unite(block.live_at_loop_heads, at_label(label));
            return false;
        });
    }
    if (any_removed) {
        size_t i = 0;
        std::erase_if(block.insts, [&](const Inst&) { return removed[i++]; });
    }
    block.liveness_fresh = true;
    return any_removed;
}

}  // namespace mimic::tcg
