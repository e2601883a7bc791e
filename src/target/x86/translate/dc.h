// The front end's per-block context (QEMU's DisasContext) and the small
// code-generation vocabulary every translate/*.cpp file shares: register and
// memory operands, segment addressing, lazy flags, block exits.
#pragma once

#include <cstddef>

#include "../helper_decls.h"
#include "../helpers.h"
#include "mimic/tcg/builder.h"
#include "mimic/tcg/tb.h"
#include "mimic/x86/decode/decoded_insn.h"

namespace mimic::x86 {

// The tcg globals of CpuState, declared once per CPU.
struct X86Globals {
    tcg::I64 regs[16];
    tcg::I64 eip;
    tcg::I64 cc_dst, cc_src, cc_src2;
    tcg::I32 cc_op;
    void declare(tcg::Globals& g);
};

// How the block continues after the current instruction.
enum class BlockEnd {
    kNone,       // next instruction follows
    kStop,       // end the block after this instruction (eip is stored by the end code)
    kJumped,     // the instruction emitted its own exit
};

// A resolved operand location: a register, or a linear address.
struct Loc {
    bool is_mem = false;
    Reg reg;
    tcg::I64 addr;   // linear address (memory)
    unsigned size = 0;
    int seg = -1;    // its segment (memory)
};

struct Dc {
    CpuState* env;
    tcg::Builder& b;
    tcg::TranslationBlock& tb;
    const X86Globals& g;
    const DecodedInsn* insn = nullptr;

    uint64_t pc = 0;        // eip of the current instruction
    uint64_t next_pc = 0;   // eip of the next one
    uint64_t cs_base = 0;
    uint32_t flags = 0;
    unsigned cpl = 0, iopl = 0, mmu_idx = 0;
    bool pe = false, vm = false, code32 = false, ss32 = false, addseg = false;
    bool code64 = false;     // 64-bit mode (EFER.LMA and CS.L)
    CcOp cc_op = kCcOpDynamic;   // what cc_op holds here, when known
    // The segment override prefix of the current instruction (kNoSeg if none),
    // found from the bytes: string instructions need it for their source
    // operand even where DecodedInsn::mem describes the destination.
    uint8_t seg_prefix = kNoSeg;
    // CS limit in protected mode (0: unchecked): fetches and direct branch
    // targets beyond it raise #GP(0). Taken from the state at translation.
    uint64_t cs_limit = 0;
    BlockEnd end = BlockEnd::kNone;
    // The instruction loads SS (MOV SS, POP SS): its shadow holds back a
    // single-step trap until the next instruction has run too.
    bool defers_single_step = false;
    // The block's first instruction, reached again by a jump to start_eip
    // in a block whose state a run leaves unchanged (can_loop): that jump
    // is a branch inside the block, so a loop runs without leaving its
    // host code; and indirect jumps know the key of their target's block.
    tcg::Label loop_head{};
    uint64_t start_eip = 0;
    bool can_loop = false;
    // The back end runs host code: SSE instructions may be inlined.
    bool inline_sse = false;

    Dc(CpuState* e, tcg::Builder& bb, tcg::TranslationBlock& t, const X86Globals& gg) : env(e), b(bb), tb(t), g(gg) {}

    // ---- registers ----
    tcg::I64 load_reg(Reg r);                     // zero-extended to 64 bits
    void store_reg(Reg r, tcg::I64 v);            // writes the low bits the register has
    tcg::I64 load_gpr(unsigned num, unsigned size);
    void store_gpr(unsigned num, unsigned size, tcg::I64 v);

    // ---- memory ----
    tcg::I64 effective_offset(const MemOperand& m);   // masked to the address size
    // seg:offset -> linear, with the limit/type check when the segment needs one.
    tcg::I64 linear(int seg, tcg::I64 offset, unsigned size, bool write);
    // Guest data accesses; with alignment checking on they require natural
    // alignment. `seg`: the segment the address came from, if it was SS
    // (64-bit mode: a non-canonical stack address is #SS(0), not #GP(0)).
    tcg::MemOp data_memop(unsigned size, bool sign, int seg = -1) const;
    tcg::I64 ld(tcg::I64 linear_addr, unsigned size, bool sign = false, int seg = -1);
    void st(tcg::I64 linear_addr, tcg::I64 v, unsigned size, int seg = -1);

    // ---- operands of the decoded instruction ----
    Loc loc(unsigned i, bool write);               // register or checked linear address
    tcg::I64 read(const Loc& l);
    void write(const Loc& l, tcg::I64 v);
    tcg::I64 operand(unsigned i);                 // value of a source operand (reg, mem, imm)

    // ---- stack ----
    unsigned stack_mask_size() const { return code64 ? 8 : ss32 ? 4 : 2; }
    // Wraps a stack offset to the stack's width (in place).
    void wrap_sp(tcg::I64 sp);
    void push(tcg::I64 v, unsigned size);
    tcg::I64 pop(unsigned size);                  // reads and updates ESP
    tcg::I64 pop_peek(unsigned size, unsigned offset);   // reads [ESP + offset] without updating
    void add_sp(int64_t delta);

    // ---- flags ----
    void set_cc_op(CcOp op);
    // The lazy-flags operands the cc_op set by this instruction no longer
    // reads are dead once it is over (not before: a fault inside it
    // restores the cc_op it started with, which may still read them).
    // Called at the next instruction's start and at the block's end.
    void discard_unused_cc();
    uint32_t cc_unused = 0;   // bits: 1 cc_dst, 2 cc_src, 4 cc_src2
    tcg::I32 flags_all();             // O S Z A P C of the lazy state
    tcg::I64 carry();                 // CF as 0/1
    tcg::I32 cond(unsigned jcc);      // Jcc condition 0..15 as 0/1
    // The same as one comparison of two values, when the lazy flags allow
    // (a Jcc then is one host cmp/jcc); false otherwise.
    struct CondCompare {
        tcg::Cond cond;
        tcg::I64 a, b;
    };
    bool cond_compare(unsigned jcc, CondCompare& out);
    // The first operand of a SUB/CMP, for a condition test by the very next
    // instruction (cmp; jcc): it spares recomputing it from the result.
    tcg::I64 sub_src1;
    uint64_t sub_src1_for_pc = ~0ull;   // the pc of the instruction it is valid for
    void sync_eip(uint64_t eip);      // stores eip to env (for helpers that need it exact)
    void commit_pending_flags();      // EFLAGS <- env pending_flags (after the helper's store)

    // ---- helpers and exits ----
    void raise(int vector, uint32_t error_code = 0);   // at the current instruction; ends the block
    void jump_to(uint64_t eip, unsigned slot);        // direct jump, chained when possible
    // env eip already set; a return may be predicted by the return stack.
    enum class Indirect { kJump, kReturn };
    void jump_indirect(Indirect kind = Indirect::kJump);
    // A call whose return address is next_pc: lets the return stack
    // predict its return.
    void predict_return();
    // 64-bit mode: a branch to a non-canonical target faults (#GP(0)) at
    // the branch, before it changes anything.
    void check_branch_target(tcg::I64 target);
    void stop_after();                                // ends the block after this instruction
    // Ends the block for the loop to re-read the CPU's state (mode, CS,
    // paging, flags); a block run with TF first raises its single-step trap
    // at the new EIP, unless the instruction's helper raised it itself.
    void exit_to_loop(bool single_step = true);
    // MOV SS and POP SS: interrupts and the single-step trap wait until
    // after the next instruction.
    void begin_ss_shadow();
    bool same_page(uint64_t eip) const;

    uint64_t eip_mask() const { return code64 ? ~0ull : code32 ? 0xffffffffull : 0xffffull; }
    // Wraps an offset to an address size of `size` bytes (in place).
    void wrap_addr(tcg::I64 a, unsigned size);
    int size_bits(unsigned size) const { return static_cast<int>(size * 8); }
};

// CpuState field offsets for env loads and stores.
#define ENV_OFF(field) static_cast<int32_t>(offsetof(::mimic::x86::CpuState, field))

// Each category file translates the mnemonics it knows; false: not its instruction.
bool translate_alu(Dc& dc);
bool translate_shift(Dc& dc);
bool translate_muldiv(Dc& dc);
bool translate_bit(Dc& dc);
bool translate_mov(Dc& dc);
bool translate_stack(Dc& dc);
bool translate_branch(Dc& dc);
bool translate_string(Dc& dc);
bool translate_io(Dc& dc);
bool translate_flags(Dc& dc);
bool translate_bcd(Dc& dc);
bool translate_seg(Dc& dc);
bool translate_system(Dc& dc);
bool translate_fpu(Dc& dc);   // x87, MMX, SSE, XSAVE (fpu.cpp)

// Helper descriptor with default flags (may read/write globals, side effects).
// (a function-local static: tcg keeps pointers to it in the IR).
#define MIMIC_HELPER_F(fn, fl)                                                                      \
    ([]() -> const ::mimic::tcg::Helper& {                                                           \
        static const ::mimic::tcg::Helper h{reinterpret_cast<const void*>(&fn), #fn, (fl)};          \
        return h;                                                                                    \
    }())
#define MIMIC_HELPER(fn) MIMIC_HELPER_F(fn, 0)

}  // namespace mimic::x86
