// Register allocation for one block, done on the fly while emitting.
//
// Every temp has a home in memory: globals their env slot, normal temps a
// frame slot (allocated when first needed). A temp's value is in a host
// register, in its home, or both ("clean"). Inputs are loaded on use; a
// register is taken from a dead input or allocated (callee-saved registers
// first, so values survive helper calls), spilling an unlocked register in
// round-robin order when none is free. At basic block
// ends every dirty value goes home and all registers are forgotten, so each
// basic block starts with everything in memory. Globals are also written
// back (kept in registers) before ops that need them in env.
//
// The globals a block uses most are pinned: each lives in a callee-saved
// register of its own from the block's entry to its exits, across its
// internal branches and loops, and env holds a stale copy. They go to env
// only where env must be current: block exits, helpers that read globals,
// and softmmu slow paths (in the out-of-line stub, so the fast path pays
// nothing); helpers that write globals are followed by a reload.
#pragma once

#include <xbyak/xbyak.h>

#include <cstdint>
#include <vector>

#include "mimic/tcg/ir.h"

namespace mimic::tcg::x64 {

inline constexpr int kEnvReg = Xbyak::Operand::R14;
static_assert(kEnvReg == kHostCodeEnvReg);
inline constexpr int kScratch0 = Xbyak::Operand::R10;
inline constexpr int kScratch1 = Xbyak::Operand::R11;
inline constexpr int kFrameSlots = 2048;   // 16 KiB of spill slots per block
inline constexpr int kFrameSize = kFrameSlots * 8;

inline bool is_caller_saved(int r) {
    return r == Xbyak::Operand::RAX || r == Xbyak::Operand::RCX || r == Xbyak::Operand::RDX ||
           r == Xbyak::Operand::RSI || r == Xbyak::Operand::RDI || (r >= Xbyak::Operand::R8 && r <= Xbyak::Operand::R11);
}

// Stores constant v as `size` bytes at `at`. An 8-byte store takes v as a
// sign-extended imm32: the caller checks that it fits (RegAlloc::is_imm32).
void store_imm(Xbyak::CodeGenerator& gen, const Xbyak::RegExp& at, unsigned size, uint64_t v);

// The allocator's per-temp tables, kept from block to block (the Jit owns
// one) so that translating a block allocates nothing once they have grown.
struct RegAllocStorage {
    struct State {
        int reg = -1;
        bool dirty = false;   // register newer than the home
        bool pinned = false;  // reg is fixed for the whole block
        int slot = -1;
    };
    std::vector<State> state;
    std::vector<uint32_t> last_read;   // per temp: index of the last instruction reading it
    std::vector<uint32_t> pinned;      // the pinned globals
    std::vector<bool> written;         // per global: written by the code emitted so far
    std::vector<bool> written_anywhere;  // per global: written by some instruction of the block
    std::vector<bool> synced;          // per pinned global: env has its value on every path to here
    // choose_pinned()'s working space.
    std::vector<bool> exit_tail;
    std::vector<unsigned> score;
    std::vector<uint32_t> candidates;
};

class RegAlloc {
public:
    RegAlloc(Xbyak::CodeGenerator& gen, const Block& block, RegAllocStorage& storage);

    // Register holding the value of input temp t, locked until end_op().
    // env is always kEnvReg.
    int use(uint32_t t);
    // Copies t's value into `reg` without changing any allocation (for
    // scratch and argument registers that are free).
    void load_to(int reg, uint32_t t);
    // A free register, locked until end_op(), spilling if needed.
    int alloc();
    // The register of input `operand` of inst if it dies here (so the output
    // can take it over), else a new one.
    int reuse_or_alloc(const Inst& inst, int input);
    // Stores the value in reg (if needed) and frees it; then locks it.
    void evict_and_lock(int reg);
    // Where output 0 of inst should be computed: the register of the
    // pinned global it is, when no other input of inst is in it; else
    // what reuse_or_alloc(inst, input) gives.
    int output_reg(const Inst& inst, int input);
    // Output k of inst is now in reg (and dirty).
    void bind_output(const Inst& inst, int k, int reg);
    // Frees registers of inputs that die at inst.
    void release_dead_inputs(const Inst& inst);
    void end_op() { locked_ = 0; }
    // The index of the instruction being emitted (for save_all).
    void set_position(size_t i) { pos_ = i; }
    size_t position() const { return pos_; }

    // Global t = constant v stored straight to its env slot (v fits a
    // sign-extended imm32, or t is I32); any register holding it is dropped.
    void store_const_global(uint32_t t, uint64_t v);
    // Non-pinned global t = the value in reg, written straight to its env
    // slot (no register copy); any register holding t is dropped.
    void store_global_from(uint32_t t, int reg);

    // t's value is no longer needed: a register holding it is freed without
    // a store (a pinned global keeps its register).
    void discard(uint32_t t);

    // Loads the pinned globals into their registers (block entry).
    void load_pinned();
    // A global whose value is newer in a register than in env, and where.
    struct DirtyGlobal {
        int reg;
        int32_t offset;
        bool is_i32;
    };
    // At most one per host register.
    struct DirtyGlobals {
        uint8_t count = 0;
        DirtyGlobal at[16];
    };
    // Every global env is behind on now (what a slow-path stub stores).
    DirtyGlobals dirty_globals() const;
    static void store_globals(Xbyak::CodeGenerator& gen, const DirtyGlobals& globals);
    // Writes dirty globals back to env; they stay in their registers. A
    // pinned global stored here is not stored again until it changes or a
    // label is reached (the goto_tb before an exit_tb: one set of stores).
    void sync_globals();
    // A label: other paths join here, on which env may be behind.
    void at_label();
    // Forgets registers holding globals and reloads the pinned ones (after
    // a helper wrote env). Assumes sync_globals() ran before.
    void drop_globals();
    // Basic block end: stores every dirty value (globals only if
    // temps_too is false) and forgets all registers. Temps no later
    // instruction reads are not stored, unless the block loops.
    void save_all(bool temps_too);
    // A conditional branch: stores what save_all(true) stores, for the
    // branch target, but the registers keep their values on the
    // fall-through path (an extended basic block).
    void save_all_for_branch();
    // Evicts all caller-saved registers (before a call).
    void evict_caller_saved();
    // Caller-saved registers currently holding a value (bit r: register r).
    uint16_t live_caller_saved() const;

    // How many flag-changing instructions this allocator has emitted (the
    // xor that zeroes a register): the emitter reuses flags across it only
    // while this stays the same.
    unsigned flag_writes() const { return flag_writes_; }

    // For code that picks registers itself (the fused 32-bit operations).
    int reg_of(uint32_t t) const { return state_[t].reg; }
    bool is_pinned(uint32_t t) const { return state_[t].pinned; }
    // t is in a register its value may be overwritten in once it is dead.
    bool can_take(uint32_t t) const;
    uint32_t last_read(uint32_t t) const { return last_read_[t]; }

    // How many insn_start the block has.
    unsigned insn_starts() const { return insn_starts_; }

    bool is_imm32(uint32_t t) const;   // constant usable as a sign-extended imm32
    uint64_t const_value(uint32_t t) const { return block_.temps[t].value; }
    bool is_const(uint32_t t) const { return block_.is_const(t); }
    Type type(uint32_t t) const { return block_.temps[t].type; }

private:
    using State = RegAllocStorage::State;

    void choose_pinned();
    bool is_pinned_reg(int r) const { return (pinned_regs_ >> r) & 1; }
    // Pinned globals written so far (or anywhere, in a block that loops):
    // those env may be behind on.
    bool pinned_written(uint32_t t) const;

    Xbyak::Address home(uint32_t t);
    // The same as a base register and displacement.
    struct HomeSlot {
        int base;
        int32_t disp;
    };
    HomeSlot home_slot(uint32_t t);
    // mov between reg and t's home (load or store), 64 or 32 bits.
    void move_home(bool load, bool wide, int reg, uint32_t t);
    void store(uint32_t t);   // register -> home
    void free_reg(int reg);
    void lock(int reg) { locked_ |= 1u << reg; }
    bool locked(int reg) const { return (locked_ >> reg) & 1; }

    Xbyak::CodeGenerator& gen_;
    const Block& block_;
    RegAllocStorage& storage_;
    std::vector<State>& state_;
    int reg_temp_[16];
    uint32_t locked_ = 0;
    unsigned next_victim_ = 0;
    int next_slot_ = 0;
    size_t pos_ = 0;
    unsigned flag_writes_ = 0;
    unsigned insn_starts_ = 0;
    std::vector<uint32_t>& last_read_;
    bool loops_ = false;                // a branch goes back to an earlier label
    uint32_t pinned_regs_ = 0;          // bit r: host register r holds a pinned global
    std::vector<uint32_t>& pinned_;
    std::vector<bool>& written_;
    std::vector<bool>& written_anywhere_;
    std::vector<bool>& synced_;
};

}  // namespace mimic::tcg::x64
