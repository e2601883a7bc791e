// The IR builder: what a front end uses to write a block.
//
//   tcg::Globals g;                                   // once, at start-up
//   tcg::I32 eax = g.add_i32("eax", offsetof(Cpu, regs[0]));
//   tcg::I32 ebx = g.add_i32("ebx", offsetof(Cpu, regs[3]));
//   tcg::I32 cc_dst = g.add_i32("cc_dst", offsetof(Cpu, cc_dst));
//
//   tcg::Block block(g);                              // per translation block
//   tcg::Builder b(block);
//   b.insn_start(pc);                                 // add eax, ebx
//   b.add(eax, eax, ebx);
//   b.mov(cc_dst, eax);                               // lazy flags
//   b.exit_tb(0);
//
// Every operation exists in two forms: `op(dst, a, b)` writes an existing
// temp (a global, say), `auto t = op(a, b)` writes a fresh temp. Binary
// operations also take an immediate as the last operand: `b.add(d, a, 4)`.
// The width follows from the operand types (I32 or I64); mixing widths is a
// compile error, conversions are explicit (ext_i32_i64, extrl_i64_i32, ...).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <vector>

#include "mimic/tcg/ir.h"

namespace mimic::tcg {

struct TranslationBlock;

// A helper call argument: either width.
struct Arg {
    Arg(I32 v) : idx(v.idx) {}
    Arg(I64 v) : idx(v.idx) {}
    uint32_t idx;
};

class Builder {
public:
    explicit Builder(Block& block) : b_(block) {}
    Block& block() { return b_; }

    // Temps and constants
    I32 temp_i32() { return I32{b_.new_temp(Type::I32)}; }
    I64 temp_i64() { return I64{b_.new_temp(Type::I64)}; }
    I32 const_i32(uint32_t v) { return I32{b_.new_const(Type::I32, v)}; }
    I64 const_i64(uint64_t v) { return I64{b_.new_const(Type::I64, v)}; }
    I64 env() const { return I64{0}; }
    Label new_label() { return b_.new_label(); }

    // Moves
    void mov(I32 d, I32 a);
    void mov(I64 d, I64 a);
    // d's value is dead from here on (see discard_i64 in opcodes.inc).
    void discard(I64 d) { emit(Opcode::discard_i64, {d.idx}); }
    void movi(I32 d, uint32_t v) { mov(d, const_i32(v)); }
    void movi(I64 d, uint64_t v) { mov(d, const_i64(v)); }

    // Binary operations: add sub mul and_ or_ xor_ andc shl shr sar rotl rotr
    // div divu rem remu muluh mulsh (see opcodes.inc for their semantics).
#define MIMIC_TCG_BINARY(name)                                                   \
    void name(I32 d, I32 a, I32 b);                                              \
    void name(I64 d, I64 a, I64 b);                                              \
    void name(I32 d, I32 a, uint32_t imm) { name(d, a, const_i32(imm)); }        \
    void name(I64 d, I64 a, uint64_t imm) { name(d, a, const_i64(imm)); }        \
    I32 name(I32 a, I32 b) { I32 d = temp_i32(); name(d, a, b); return d; }      \
    I64 name(I64 a, I64 b) { I64 d = temp_i64(); name(d, a, b); return d; }      \
    I32 name(I32 a, uint32_t imm) { return name(a, const_i32(imm)); }            \
    I64 name(I64 a, uint64_t imm) { return name(a, const_i64(imm)); }
    MIMIC_TCG_BINARY(add)
    MIMIC_TCG_BINARY(sub)
    MIMIC_TCG_BINARY(mul)
    MIMIC_TCG_BINARY(and_)
    MIMIC_TCG_BINARY(or_)
    MIMIC_TCG_BINARY(xor_)
    MIMIC_TCG_BINARY(andc)
    MIMIC_TCG_BINARY(shl)
    MIMIC_TCG_BINARY(shr)
    MIMIC_TCG_BINARY(sar)
    MIMIC_TCG_BINARY(rotl)
    MIMIC_TCG_BINARY(rotr)
    MIMIC_TCG_BINARY(div)
    MIMIC_TCG_BINARY(divu)
    MIMIC_TCG_BINARY(rem)
    MIMIC_TCG_BINARY(remu)
    MIMIC_TCG_BINARY(muluh)
    MIMIC_TCG_BINARY(mulsh)
    MIMIC_TCG_BINARY(clz)   // clz(d, a, b): b when a == 0
    MIMIC_TCG_BINARY(ctz)
#undef MIMIC_TCG_BINARY

    // Unary operations: neg not_ ctpop bswap16 bswap32 (bswap64: I64 only)
    // ext8s ext8u ext16s ext16u (ext32s ext32u: I64 only).
#define MIMIC_TCG_UNARY(name)                                                    \
    void name(I32 d, I32 a);                                                     \
    void name(I64 d, I64 a);                                                     \
    I32 name(I32 a) { I32 d = temp_i32(); name(d, a); return d; }                \
    I64 name(I64 a) { I64 d = temp_i64(); name(d, a); return d; }
    MIMIC_TCG_UNARY(neg)
    MIMIC_TCG_UNARY(not_)
    MIMIC_TCG_UNARY(ctpop)
    MIMIC_TCG_UNARY(bswap16)
    MIMIC_TCG_UNARY(bswap32)
    MIMIC_TCG_UNARY(ext8s)
    MIMIC_TCG_UNARY(ext8u)
    MIMIC_TCG_UNARY(ext16s)
    MIMIC_TCG_UNARY(ext16u)
#undef MIMIC_TCG_UNARY
    void bswap64(I64 d, I64 a);
    void ext32s(I64 d, I64 a);
    void ext32u(I64 d, I64 a);

    // Double-width results and carries
    void mulu2(I32 lo, I32 hi, I32 a, I32 b);
    void mulu2(I64 lo, I64 hi, I64 a, I64 b);
    void muls2(I32 lo, I32 hi, I32 a, I32 b);
    void muls2(I64 lo, I64 hi, I64 a, I64 b);
    void add2(I32 lo, I32 hi, I32 al, I32 ah, I32 bl, I32 bh);
    void add2(I64 lo, I64 hi, I64 al, I64 ah, I64 bl, I64 bh);
    void sub2(I32 lo, I32 hi, I32 al, I32 ah, I32 bl, I32 bh);
    void sub2(I64 lo, I64 hi, I64 al, I64 ah, I64 bl, I64 bh);

    // Bit fields
    void deposit(I32 d, I32 a, I32 b, unsigned pos, unsigned len);
    void deposit(I64 d, I64 a, I64 b, unsigned pos, unsigned len);
    void extract(I32 d, I32 a, unsigned pos, unsigned len);
    void extract(I64 d, I64 a, unsigned pos, unsigned len);
    void sextract(I32 d, I32 a, unsigned pos, unsigned len);
    void sextract(I64 d, I64 a, unsigned pos, unsigned len);

    // Comparisons: d = cond(a, b) ? 1 : 0; movcond: d = cond(a, b) ? t : f
    void setcond(Cond c, I32 d, I32 a, I32 b);
    void setcond(Cond c, I64 d, I64 a, I64 b);
    I32 setcond(Cond c, I32 a, I32 b) { I32 d = temp_i32(); setcond(c, d, a, b); return d; }
    I64 setcond(Cond c, I64 a, I64 b) { I64 d = temp_i64(); setcond(c, d, a, b); return d; }
    void movcond(Cond c, I32 d, I32 a, I32 b, I32 t, I32 f);
    void movcond(Cond c, I64 d, I64 a, I64 b, I64 t, I64 f);

    // Width conversions
    void ext_i32_i64(I64 d, I32 a);     // sign-extend
    void extu_i32_i64(I64 d, I32 a);    // zero-extend
    void extrl_i64_i32(I32 d, I64 a);   // low half
    void extrh_i64_i32(I32 d, I64 a);   // high half

    // CPU state that is not a global: host memory at env + offset. `m` gives
    // size and sign (endianness and alignment are ignored).
    void ld(I32 d, int32_t offset, MemOp m = kMo32);
    void ld(I64 d, int32_t offset, MemOp m = kMo64);
    void st(I32 v, int32_t offset, MemOp m = kMo32);
    void st(I64 v, int32_t offset, MemOp m = kMo64);

    // Guest memory through the softmmu TLB (see tlb.h). I32 loads of 64-bit
    // size are invalid; stores use the low `size` bytes of v.
    void qemu_ld(I32 d, I64 vaddr, MemOp m, unsigned mmu_idx);
    void qemu_ld(I64 d, I64 vaddr, MemOp m, unsigned mmu_idx);
    void qemu_st(I32 v, I64 vaddr, MemOp m, unsigned mmu_idx);
    void qemu_st(I64 v, I64 vaddr, MemOp m, unsigned mmu_idx);

    // Control flow inside the block. Labels may be placed before or after
    // the branches that target them.
    void set_label(Label l);
    void br(Label l);
    void brcond(Cond c, I32 a, I32 b, Label l);
    void brcond(Cond c, I64 a, I64 b, Label l);
    void brcond(Cond c, I32 a, uint32_t imm, Label l) { brcond(c, a, const_i32(imm), l); }
    void brcond(Cond c, I64 a, uint64_t imm, Label l) { brcond(c, a, const_i64(imm), l); }

    // Marks the start of a guest instruction; `data` is what the guest's
    // restore_state receives when a helper or memory access faults inside it.
    void insn_start(uint64_t pc, uint64_t data1 = 0);

    // Helper calls (at most six arguments).
    void call(const Helper& h, std::initializer_list<Arg> args);
    void call(const Helper& h, I32 result, std::initializer_list<Arg> args);
    void call(const Helper& h, I64 result, std::initializer_list<Arg> args);

    // Host code (only for back ends whose runs_host_code() is true); the
    // operand counts and types must match what `code` declares.
    void host_code(const HostCode& code, const std::vector<Arg>& outputs, const std::vector<Arg>& inputs);

    // Leaving the block. exit_tb returns `value` to the caller of
    // Backend::exec; exit_tb(tb, slot) asks the executor to chain `tb`'s
    // goto_tb slot to whatever block runs next. goto_tb(slot) is a patchable
    // direct jump to the next block: emit it right before the code that
    // updates the guest pc and calls exit_tb(tb, slot), which runs as long as
    // the slot is not linked.
    void exit_tb(uint64_t value);
    void exit_tb(const TranslationBlock* tb, unsigned slot);
    void goto_tb(unsigned slot);
    // goto_tb to a target on another page than the block's: the link holds
    // only while the TLB maps vaddr's page as when it was made.
    void goto_tb_guarded(unsigned slot, uint64_t vaddr, unsigned mmu_idx);
    // Calls `raise` (a [[noreturn]] fn(env, retaddr)) unless v is the sign
    // extension of its low `bits` bits.
    void guard_sext(I64 v, unsigned bits, const Helper& raise);
    // Indirect jump: looks up the block for the current CPU state (pc in env)
    // and jumps to it, or returns 0 to the executor when there is none.
    void lookup_and_goto_ptr();
    // The same when the state is this block's but for pc (see opcodes.inc);
    // is_return: the jump is a return, which a return stack may predict.
    void lookup_and_goto_ptr(I64 pc, uint64_t cs_base, uint64_t key, bool is_return = false);
    // A call whose return goes to pc in this block's mode (see opcodes.inc).
    void push_return(uint64_t pc, uint64_t cs_base, uint64_t key);

    // Appends an instruction with operands in table order (outputs, inputs,
    // constants). For ops without a typed wrapper; the verifier checks it.
    Inst& emit(Opcode op, std::initializer_list<uint64_t> operands);

private:
    void call_impl(const Helper& h, int result, std::initializer_list<Arg> args);
    Block& b_;
};

}  // namespace mimic::tcg
