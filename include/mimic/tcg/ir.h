// The IR container: temps, instructions and blocks.
//
// The IR is a linear list of instructions over *temps*, TCG style: temps are
// typed variables that may be assigned more than once (so labels and
// conditional branches inside a block need no phi nodes). There are four
// kinds of temps:
//   - env: the pointer to the CPU state struct, temp 0 of every block;
//   - globals: named slots of the CPU state at fixed offsets from env
//     (guest registers). They are read and written like any temp; the back
//     ends keep them in host registers and write them back to env at block
//     ends, helper calls and guest memory accesses (see OpFlag/HelperFlag);
//   - constants: read-only temps carrying a value;
//   - normal temps: scratch values of one block, alive across labels.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "mimic/tcg/opcode.h"
#include "mimic/tcg/types.h"

namespace mimic::tcg {

// Typed handles to temps; cheap to copy. The index is into Block::temps.
struct I32 {
    uint32_t idx = 0;
};
struct I64 {
    uint32_t idx = 0;
};
struct Label {
    uint32_t id = 0;
};

enum class TempKind : uint8_t { Env, Global, Const, Normal };

struct TempInfo {
    Type type = Type::I64;
    TempKind kind = TempKind::Normal;
    int32_t offset = 0;   // globals: byte offset of the slot from env
    uint64_t value = 0;   // constants: the value (zero-extended for I32)
};

// The guest's set of globals, declared once at start-up and shared by every
// block. Handles returned here are valid in every Block built from it.
class Globals {
public:
    Globals();
    I32 add_i32(std::string name, int32_t offset);
    I64 add_i64(std::string name, int32_t offset);

    const std::vector<TempInfo>& temps() const { return temps_; }
    const std::string& name(uint32_t idx) const { return names_[idx]; }
    uint32_t count() const { return static_cast<uint32_t>(temps_.size()); }

    // A global whose value at a guest memory access that faults the target
    // recovers itself, from data word `word` of the faulting instruction's
    // insn_start, unless that word is `unknown` (x86's cc_op: it is known
    // at most instructions while translating). Memory accesses then need
    // it in env only after an insn_start saying `unknown`, and a write to
    // it that a later write overwrites before any other reader is dead.
    struct RestoredAtFaults {
        uint32_t global;
        unsigned word;
        uint64_t unknown;
    };
    void restore_at_faults(I32 global, unsigned word, uint64_t unknown) {
        restored_at_faults_.push_back({global.idx, word, unknown});
    }
    const std::vector<RestoredAtFaults>& restored_at_faults() const { return restored_at_faults_; }

private:
    uint32_t add(std::string name, Type type, int32_t offset);
    std::vector<TempInfo> temps_;
    std::vector<std::string> names_;
    std::vector<RestoredAtFaults> restored_at_faults_;
};

// Flags of a helper: by default a helper may read and write globals (through
// env) and has side effects, so globals are written back before the call
// and reloaded after it.
enum HelperFlag : uint32_t {
    kHelperNoReadGlobals = 1u << 0,   // does not read globals from env
    kHelperNoWriteGlobals = 1u << 1,  // does not write globals in env
    kHelperNoSideEffects = 1u << 2,   // removable when its result is unused
    kHelperPure = kHelperNoReadGlobals | kHelperNoWriteGlobals | kHelperNoSideEffects,
};

// A C++ function callable from generated code. It is called with the SysV
// ABI: every argument is passed as a 64-bit integer register (I32 values are
// zero-extended; declare such parameters uint32_t), the result is returned in
// rax (an I32 result uses the low 32 bits). At most six arguments; pass env()
// explicitly when the helper needs the CPU state. The Helper must outlive
// every block that calls it (make it static).
struct Helper {
    const void* fn;
    const char* name;
    uint32_t flags = 0;
};

inline constexpr int kMaxHelperArgs = 6;

// Host machine code a back end that runs on the host can copy into the
// block as it is: an x86 guest's SIMD instruction is a host instruction too.
// The code finds its inputs in the host registers `in_regs` (numbered as
// x86 encodes them: 0 = rax, 1 = rcx, ...) and leaves its outputs in
// `out_regs`; it may change the registers in `clobbers` (which holds all of
// those), the flags and every vector register, and reaches the CPU state at
// [kHostCodeEnvReg + offset]. It must not touch the slots of globals, jump
// out of itself, call, or leave anything on the stack. Must outlive every
// block that uses it.
struct HostCode {
    const char* name = "";
    std::vector<uint8_t> bytes;
    uint8_t n_in = 0, n_out = 0;
    uint8_t in_regs[3] = {}, out_regs[2] = {};
    uint16_t clobbers = 0;   // bit r: host register r
    // Set-up and tear-down shared by the host codes of one nonzero `group`
    // (say, the host running with the guest's floating-point modes): the
    // back end runs `enter` before the first of a run of them and `leave`
    // after the last, the run going on across host codes of group 0 and
    // pure operations, and ending at anything else. Both may change r11
    // and the flags only.
    uint32_t group = 0;
    std::vector<uint8_t> enter, leave;
};
inline constexpr int kHostCodeEnvReg = 14;   // r14

struct Inst {
    static constexpr int kMaxArgs = 10;

    Opcode op{};
    uint8_t n_out = 0, n_in = 0, n_const = 0;
    // Filled by liveness analysis: bit i is set when operand i (outputs
    // first, then inputs) is not used after this instruction.
    uint16_t dead = 0;
    uint64_t args[kMaxArgs] = {};

    uint32_t out(int i) const { return static_cast<uint32_t>(args[i]); }
    uint32_t in(int i) const { return static_cast<uint32_t>(args[n_out + i]); }
    uint64_t cst(int i) const { return args[n_out + n_in + i]; }
    void set_in(int i, uint32_t temp) { args[n_out + i] = temp; }
    bool is_dead(int operand) const { return (dead >> operand) & 1; }
};

class Block {
public:
    explicit Block(const Globals& globals);
    // Empties the block for the next translation, keeping its storage:
    // translating a block then allocates nothing once the vectors are big
    // enough.
    void reset();

    const Globals& globals() const { return *globals_; }
    uint32_t num_globals() const { return globals_->count(); }   // env and globals
    uint32_t new_temp(Type type);
    uint32_t new_const(Type type, uint64_t value);   // deduplicated per block
    Label new_label() { return Label{num_labels++}; }

    const TempInfo& temp(uint32_t idx) const { return temps[idx]; }
    // Whether a branch goes to a label set before it (the block loops).
    bool has_backward_branch() const {
        return visit_backward_branches([](uint32_t) { return true; });
    }
    // Calls fn(label) for each branch to a label set before it, in order,
    // until fn returns true; returns whether one did.
    template <typename Fn>
    bool visit_backward_branches(Fn fn) const {
        std::vector<bool> seen(num_labels, false);
        for (const Inst& inst : insts) {
            if (inst.op == Opcode::set_label) {
                seen[inst.cst(0)] = true;
                continue;
            }
            const bool cond = inst.op == Opcode::brcond_i32 || inst.op == Opcode::brcond_i64;
            if (inst.op != Opcode::br && !cond) continue;
            const auto label = static_cast<uint32_t>(inst.cst(cond ? 1 : 0));
            if (seen[label] && fn(label)) return true;
        }
        return false;
    }
    bool is_const(uint32_t idx) const { return temps[idx].kind == TempKind::Const; }
    bool is_global(uint32_t idx) const { return temps[idx].kind == TempKind::Global; }

    std::vector<TempInfo> temps;
    std::vector<Inst> insts;
    // Where a pass that rebuilds insts writes them before swapping the two:
    // both keep their storage from one block to the next.
    std::vector<Inst> spare_insts;
    uint32_t num_labels = 0;
    // Inst::dead is up to date (compute_liveness ran last); whoever changes
    // insts afterwards clears it.
    bool liveness_fresh = false;
    // Filled with Inst::dead, for a block with backward branches: bit t
    // set when temp t is live at the label of some backward branch (so its
    // value goes around the loop). Empty for other blocks.
    std::vector<uint64_t> live_at_loop_heads;
    bool live_at_loop_head(uint32_t t) const {
        return (t >> 6) < live_at_loop_heads.size() && ((live_at_loop_heads[t >> 6] >> (t & 63)) & 1);
    }

private:
    // Constants already made, by type and value: open addressing over a
    // power-of-two table; entries of earlier translations are told apart
    // by their stamp, so reset() does not clear it.
    struct ConstSlot {
        uint64_t value;
        uint32_t idx;
        uint32_t stamp;   // 0: never used
    };
    uint32_t* find_const(Type type, uint64_t value);
    void grow_consts();

    const Globals* globals_;
    std::vector<ConstSlot> const_slots_;
    uint32_t const_count_ = 0;
    uint32_t stamp_ = 1;
};

}  // namespace mimic::tcg
