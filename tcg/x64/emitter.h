// Emits host code for one block; the per-category emit_*.cpp files each
// implement one group of opcodes.
#pragma once

#include <xbyak/xbyak.h>

#include <array>
#include <vector>

#include "mimic/tcg/backend.h"
#include "reg_alloc.h"

namespace mimic::tcg::x64 {

// Addresses of the shared code at the start of the buffer.
struct JitRuntime {
    const void* epilogue = nullptr;        // returns rax to exec()'s caller
    const void* epilogue_zero = nullptr;   // returns 0
    const void* (*lookup)(const void* jit, void* env) = nullptr;
    const void* jit = nullptr;
    const BackendConfig* config = nullptr;
    bool bmi1 = false;   // BEXTR for the TLB index
};

// A guest memory access's TLB miss, emitted out of line after the block:
// env brought up to date, caller-saved registers kept, load_slow or
// store_slow called, back to the fast path's end. Plain data, so that a
// memory access costs no allocation while translating.
struct SlowPath {
    enum class Kind : uint8_t { kLoad, kStore, kRaise } kind;
    int8_t addr;                // register of the guest address
    int8_t value;               // the load's destination, or the stored value (-1: imm_value)
    const void* raise;          // kRaise: the helper, called as fn(env, retaddr)
    MemOp memop;
    unsigned mmu_idx;
    uint64_t imm_value;
    uint16_t saved;             // caller-saved registers to keep across the call
    RegAlloc::DirtyGlobals dirty;
    size_t access;              // code offsets: the access (its retaddr for restore_state),
    size_t branch;              // the rel32 of the jump to here,
    size_t resume;              // where to go back to
};

// A jump to an IR label not placed yet: its rel32 field, filled in at the
// end of the block.
struct LabelFixup {
    uint32_t label;
    size_t field;   // offset in the code buffer
};

// The Emitter's and RegAlloc's tables, kept from block to block (the Jit
// owns one) so that translating a block allocates nothing once they have grown.
struct EmitterStorage {
    RegAllocStorage ra;
    std::vector<SlowPath> slow_paths;
    std::vector<size_t> label_at;   // per IR label: its offset in the code buffer, or kUnbound
    std::vector<LabelFixup> fixups;
};

class Emitter {
public:
    // `base`: where in gen's buffer the block starts.
    Emitter(Xbyak::CodeGenerator& gen, const Block& block, TranslationBlock& tb, const JitRuntime& rt, size_t base,
            EmitterStorage& storage);
    void emit_block();

private:
    void emit(const Inst& inst);
    // One per category file.
    bool emit_arith(const Inst& inst);
    bool emit_memory(const Inst& inst);
    bool emit_branch(const Inst& inst);
    void emit_call(const Inst& inst);
    void emit_host_code(const Inst& inst);
    bool emit_env_compare_branch(const Inst& ld, const Inst& br);
    size_t emit_scaled_add(size_t i);
    size_t emit_fused32(size_t i);
    void probe_jump_table(const Inst& inst);
    void push_return(const Inst& inst);
    void check_return_stack(const Inst& inst);
    std::array<size_t, 3> compare_target(const Xbyak::Reg64& entry, const Xbyak::Reg64& scratch, int32_t pc_at,
                                         int32_t cs_base_at, int32_t key_at, uint64_t cs_base, uint64_t key);
    void emit_return_continuation();
    // Ends the open HostCode group (emits its leave code).
    void close_group();
    // Flags reuse: after add/sub/and/or/xor, the host flags describe the
    // result, and a compare of it with 0 can do without its cmp as long as
    // only code that leaves the flags alone came in between.
    // eq_only: a 32-bit operation's flags for a zero-extended result, whose
    // sign is not SF.
    void flags_set(uint32_t result, bool logic, bool eq_only = false);
    // Before inst: keeps the flags' description through instructions known
    // to emit only moves and stores, forgets it otherwise.
    void flags_track(const Inst& inst);
    bool flags_describe(uint32_t a, Cond c) const;

    // Helpers shared by the arithmetic emitters.
    Xbyak::Reg reg(int idx, Type t) const;
    Type out_type(const Inst& inst) const { return block_.temps[inst.out(0)].type; }
    enum class Alu { Add, Sub, And, Or, Xor, Mul };
    void binary_alu(const Inst& inst, Alu op);
    // d = d op s, the two-operand forms (a constant multiplier needs the
    // three-operand imul: Mul emits nothing with an immediate).
    void alu_into(Alu op, const Xbyak::Reg& d, const Xbyak::Reg& s);
    void alu_into(Alu op, const Xbyak::Reg& d, uint32_t imm);
    void shift(const Inst& inst);
    void divide(const Inst& inst);
    void multiply_wide(const Inst& inst);
    void unary(const Inst& inst);
    void patchable_jump(unsigned slot);
    bool block_ends_before_use(uint32_t t) const;
    void bitfield(const Inst& inst);
    void compare(const Inst& inst);   // cmp/test of inputs 0 and 1
    void set_cc(Cond c, const Xbyak::Reg8& r);
    void cmov_cc(Cond c, const Xbyak::Reg& d, const Xbyak::Reg& s);
    // Jumps to IR label l: rel8 back to a near placed label, else rel32
    // (fixed up at the end of the block when l is not placed yet).
    void jump_cc(Cond c, uint32_t l);
    void jump(uint32_t l);
    void jump_to_label(int cc, uint32_t l);   // cc: the jcc condition code, -1 for jmp
    void place_label(uint32_t l);
    void resolve_label_fixups();
    static constexpr size_t kUnbound = ~size_t{0};
    void guest_load(const Inst& inst);
    void guest_store(const Inst& inst);
    void guard_sext(const Inst& inst);
    // Emits the TLB lookup of path's access; leaves the entry's addend in
    // kScratch1 on a hit (the host address is kScratch1 + addr, for the
    // access's addressing mode), jumps to the slow path on a miss: sets
    // path.branch, where the rel32 of that jump is.
    void tlb_lookup(SlowPath& path, bool is_store);
    // kScratch0 = the TLB index of the page of reg in mmu_idx's table.
    void tlb_index(int reg, unsigned mmu_idx);
    int32_t tlb_tag_offset(unsigned mmu_idx, bool is_store) const;
    // A 32-bit relative jump (or jcc) placeholder and its resolution.
    size_t jump_placeholder(bool if_not_equal);
    void resolve_jump(size_t field);
    // The same with a rel8 jne, for jumps over a few bytes only.
    size_t short_jne_placeholder();
    void resolve_short_jump(size_t field);
    void emit_slow_path(const SlowPath& path);
    void finish(const Inst& inst, int out0, int out1 = -1);

    // Offset of the code emitted so far from the start of the block.
    uint32_t offset() const { return static_cast<uint32_t>(gen_.getSize() - base_); }

    Xbyak::CodeGenerator& gen_;
    size_t base_;
    const Block& block_;
    TranslationBlock& tb_;
    const JitRuntime& rt_;
    RegAlloc ra_;
    std::vector<size_t>& label_at_;
    std::vector<LabelFixup>& fixups_;
    const HostCode* open_group_ = nullptr;   // the code whose enter ran last
    // Cold code emitted after the block's own (softmmu slow paths).
    std::vector<SlowPath>& slow_paths_;
    // push_return's record: the rel32 of the lea that points at it
    // (kUnbound: none in this block) and its contents.
    struct ReturnRecord {
        size_t field;
        uint64_t pc, cs_base, key;
    } return_record_{kUnbound, 0, 0, 0};
    struct Flags {
        bool valid = false;
        bool logic = false;      // and/or/xor: CF and OF clear, as cmp x, 0 leaves them
        bool eq_only = false;    // ZF only (see flags_set)
        unsigned ra_writes = 0;  // ra_.flag_writes() when set
        uint8_t n = 0;           // the temps holding the result (it and its copies)
        uint32_t temps[4];
    } flags_;
};

}  // namespace mimic::tcg::x64
