#include "mimic/tcg/builder.h"

#include <cassert>

#include "mimic/tcg/tb.h"

namespace mimic::tcg {

Inst& Builder::emit(Opcode op, std::initializer_list<uint64_t> operands) {
    const OpInfo& info = op_info(op);
    // A copy of a blank instruction: a few vector moves, where building
    // one in place zeroed its operands with a slow `rep stos`.
    static const Inst kBlank;
    Inst& inst = b_.insts.emplace_back(kBlank);
    inst.op = op;
    inst.n_out = static_cast<uint8_t>(info.outputs.size());
    inst.n_in = static_cast<uint8_t>(info.inputs.size());
    inst.n_const = static_cast<uint8_t>(info.consts.size());
    assert(operands.size() == size_t(inst.n_out + inst.n_in + inst.n_const));
    int i = 0;
    for (uint64_t v : operands) inst.args[i++] = v;
    return inst;
}

void Builder::mov(I32 d, I32 a) { emit(Opcode::mov_i32, {d.idx, a.idx}); }
void Builder::mov(I64 d, I64 a) { emit(Opcode::mov_i64, {d.idx, a.idx}); }

#define BINARY(name, op)                                                                  \
    void Builder::name(I32 d, I32 a, I32 b) { emit(Opcode::op##_i32, {d.idx, a.idx, b.idx}); } \
    void Builder::name(I64 d, I64 a, I64 b) { emit(Opcode::op##_i64, {d.idx, a.idx, b.idx}); }
BINARY(add, add)
BINARY(sub, sub)
BINARY(mul, mul)
BINARY(and_, and)
BINARY(or_, or)
BINARY(xor_, xor)
BINARY(andc, andc)
BINARY(shl, shl)
BINARY(shr, shr)
BINARY(sar, sar)
BINARY(rotl, rotl)
BINARY(rotr, rotr)
BINARY(div, div)
BINARY(divu, divu)
BINARY(rem, rem)
BINARY(remu, remu)
BINARY(muluh, muluh)
BINARY(mulsh, mulsh)
BINARY(clz, clz)
BINARY(ctz, ctz)
#undef BINARY

#define UNARY(name, op)                                                                \
    void Builder::name(I32 d, I32 a) { emit(Opcode::op##_i32, {d.idx, a.idx}); }       \
    void Builder::name(I64 d, I64 a) { emit(Opcode::op##_i64, {d.idx, a.idx}); }
UNARY(neg, neg)
UNARY(not_, not)
UNARY(ctpop, ctpop)
UNARY(bswap16, bswap16)
UNARY(bswap32, bswap32)
UNARY(ext8s, ext8s)
UNARY(ext8u, ext8u)
UNARY(ext16s, ext16s)
UNARY(ext16u, ext16u)
#undef UNARY

void Builder::bswap64(I64 d, I64 a) { emit(Opcode::bswap64_i64, {d.idx, a.idx}); }
void Builder::ext32s(I64 d, I64 a) { emit(Opcode::ext32s_i64, {d.idx, a.idx}); }
void Builder::ext32u(I64 d, I64 a) { emit(Opcode::ext32u_i64, {d.idx, a.idx}); }

void Builder::mulu2(I32 lo, I32 hi, I32 a, I32 b) { emit(Opcode::mulu2_i32, {lo.idx, hi.idx, a.idx, b.idx}); }
void Builder::mulu2(I64 lo, I64 hi, I64 a, I64 b) { emit(Opcode::mulu2_i64, {lo.idx, hi.idx, a.idx, b.idx}); }
void Builder::muls2(I32 lo, I32 hi, I32 a, I32 b) { emit(Opcode::muls2_i32, {lo.idx, hi.idx, a.idx, b.idx}); }
void Builder::muls2(I64 lo, I64 hi, I64 a, I64 b) { emit(Opcode::muls2_i64, {lo.idx, hi.idx, a.idx, b.idx}); }
void Builder::add2(I32 lo, I32 hi, I32 al, I32 ah, I32 bl, I32 bh) {
    emit(Opcode::add2_i32, {lo.idx, hi.idx, al.idx, ah.idx, bl.idx, bh.idx});
}
void Builder::add2(I64 lo, I64 hi, I64 al, I64 ah, I64 bl, I64 bh) {
    emit(Opcode::add2_i64, {lo.idx, hi.idx, al.idx, ah.idx, bl.idx, bh.idx});
}
void Builder::sub2(I32 lo, I32 hi, I32 al, I32 ah, I32 bl, I32 bh) {
    emit(Opcode::sub2_i32, {lo.idx, hi.idx, al.idx, ah.idx, bl.idx, bh.idx});
}
void Builder::sub2(I64 lo, I64 hi, I64 al, I64 ah, I64 bl, I64 bh) {
    emit(Opcode::sub2_i64, {lo.idx, hi.idx, al.idx, ah.idx, bl.idx, bh.idx});
}

void Builder::deposit(I32 d, I32 a, I32 b, unsigned pos, unsigned len) {
    emit(Opcode::deposit_i32, {d.idx, a.idx, b.idx, pos, len});
}
void Builder::deposit(I64 d, I64 a, I64 b, unsigned pos, unsigned len) {
    emit(Opcode::deposit_i64, {d.idx, a.idx, b.idx, pos, len});
}
void Builder::extract(I32 d, I32 a, unsigned pos, unsigned len) { emit(Opcode::extract_i32, {d.idx, a.idx, pos, len}); }
void Builder::extract(I64 d, I64 a, unsigned pos, unsigned len) { emit(Opcode::extract_i64, {d.idx, a.idx, pos, len}); }
void Builder::sextract(I32 d, I32 a, unsigned pos, unsigned len) {
    emit(Opcode::sextract_i32, {d.idx, a.idx, pos, len});
}
void Builder::sextract(I64 d, I64 a, unsigned pos, unsigned len) {
    emit(Opcode::sextract_i64, {d.idx, a.idx, pos, len});
}

void Builder::setcond(Cond c, I32 d, I32 a, I32 b) {
    emit(Opcode::setcond_i32, {d.idx, a.idx, b.idx, static_cast<uint64_t>(c)});
}
void Builder::setcond(Cond c, I64 d, I64 a, I64 b) {
    emit(Opcode::setcond_i64, {d.idx, a.idx, b.idx, static_cast<uint64_t>(c)});
}
void Builder::movcond(Cond c, I32 d, I32 a, I32 b, I32 t, I32 f) {
    emit(Opcode::movcond_i32, {d.idx, a.idx, b.idx, t.idx, f.idx, static_cast<uint64_t>(c)});
}
void Builder::movcond(Cond c, I64 d, I64 a, I64 b, I64 t, I64 f) {
    emit(Opcode::movcond_i64, {d.idx, a.idx, b.idx, t.idx, f.idx, static_cast<uint64_t>(c)});
}

void Builder::ext_i32_i64(I64 d, I32 a) { emit(Opcode::ext_i32_i64, {d.idx, a.idx}); }
void Builder::extu_i32_i64(I64 d, I32 a) { emit(Opcode::extu_i32_i64, {d.idx, a.idx}); }
void Builder::extrl_i64_i32(I32 d, I64 a) { emit(Opcode::extrl_i64_i32, {d.idx, a.idx}); }
void Builder::extrh_i64_i32(I32 d, I64 a) { emit(Opcode::extrh_i64_i32, {d.idx, a.idx}); }

void Builder::ld(I32 d, int32_t offset, MemOp m) { emit(Opcode::ld_i32, {d.idx, static_cast<uint64_t>(offset), m}); }
void Builder::ld(I64 d, int32_t offset, MemOp m) { emit(Opcode::ld_i64, {d.idx, static_cast<uint64_t>(offset), m}); }
void Builder::st(I32 v, int32_t offset, MemOp m) { emit(Opcode::st_i32, {v.idx, static_cast<uint64_t>(offset), m}); }
void Builder::st(I64 v, int32_t offset, MemOp m) { emit(Opcode::st_i64, {v.idx, static_cast<uint64_t>(offset), m}); }

void Builder::qemu_ld(I32 d, I64 vaddr, MemOp m, unsigned mmu_idx) {
    emit(Opcode::qemu_ld_i32, {d.idx, vaddr.idx, make_memop_idx(m, mmu_idx)});
}
void Builder::qemu_ld(I64 d, I64 vaddr, MemOp m, unsigned mmu_idx) {
    emit(Opcode::qemu_ld_i64, {d.idx, vaddr.idx, make_memop_idx(m, mmu_idx)});
}
void Builder::qemu_st(I32 v, I64 vaddr, MemOp m, unsigned mmu_idx) {
    emit(Opcode::qemu_st_i32, {v.idx, vaddr.idx, make_memop_idx(m, mmu_idx)});
}
void Builder::qemu_st(I64 v, I64 vaddr, MemOp m, unsigned mmu_idx) {
    emit(Opcode::qemu_st_i64, {v.idx, vaddr.idx, make_memop_idx(m, mmu_idx)});
}

void Builder::set_label(Label l) { emit(Opcode::set_label, {l.id}); }
void Builder::br(Label l) { emit(Opcode::br, {l.id}); }
void Builder::brcond(Cond c, I32 a, I32 b, Label l) {
    emit(Opcode::brcond_i32, {a.idx, b.idx, static_cast<uint64_t>(c), l.id});
}
void Builder::brcond(Cond c, I64 a, I64 b, Label l) {
    emit(Opcode::brcond_i64, {a.idx, b.idx, static_cast<uint64_t>(c), l.id});
}

void Builder::insn_start(uint64_t pc, uint64_t data1) { emit(Opcode::insn_start, {pc, data1}); }

void Builder::call_impl(const Helper& h, int result, std::initializer_list<Arg> args) {
    assert(args.size() <= size_t(kMaxHelperArgs));
    Inst inst;
    inst.op = Opcode::call;
    inst.n_out = result >= 0 ? 1 : 0;
    inst.n_in = static_cast<uint8_t>(args.size());
    inst.n_const = 1;
    int i = 0;
    if (result >= 0) inst.args[i++] = static_cast<uint32_t>(result);
    for (const Arg& a : args) {
        if (i >= Inst::kMaxArgs - 1) break;
        inst.args[i++] = a.idx;
    }
    inst.args[i] = reinterpret_cast<uintptr_t>(&h);
    b_.insts.push_back(inst);
}

void Builder::call(const Helper& h, std::initializer_list<Arg> args) { call_impl(h, -1, args); }
void Builder::call(const Helper& h, I32 result, std::initializer_list<Arg> args) {
    call_impl(h, static_cast<int>(result.idx), args);
}
void Builder::call(const Helper& h, I64 result, std::initializer_list<Arg> args) {
    call_impl(h, static_cast<int>(result.idx), args);
}

void Builder::host_code(const HostCode& code, const std::vector<Arg>& outputs, const std::vector<Arg>& inputs) {
    assert(outputs.size() == code.n_out && inputs.size() == code.n_in);
    Inst inst;
    inst.op = Opcode::host_code;
    inst.n_out = static_cast<uint8_t>(outputs.size());
    inst.n_in = static_cast<uint8_t>(inputs.size());
    inst.n_const = 1;
    int i = 0;
    for (const Arg& a : outputs) inst.args[i++] = a.idx;
    for (const Arg& a : inputs) inst.args[i++] = a.idx;
    inst.args[i] = reinterpret_cast<uintptr_t>(&code);
    b_.insts.push_back(inst);
}

void Builder::exit_tb(uint64_t value) { emit(Opcode::exit_tb, {value}); }
void Builder::exit_tb(const TranslationBlock* tb, unsigned slot) {
    emit(Opcode::exit_tb, {reinterpret_cast<uintptr_t>(tb) | slot});
}
void Builder::goto_tb(unsigned slot) { emit(Opcode::goto_tb, {slot}); }
void Builder::goto_tb_guarded(unsigned slot, uint64_t vaddr, unsigned mmu_idx) {
    emit(Opcode::goto_tb_guarded, {slot, vaddr, mmu_idx});
}
void Builder::guard_sext(I64 v, unsigned bits, const Helper& raise) {
    emit(Opcode::guard_sext_i64, {v.idx, bits, reinterpret_cast<uint64_t>(&raise)});
}

void Builder::lookup_and_goto_ptr() { emit(Opcode::lookup_and_goto_ptr, {}); }
void Builder::lookup_and_goto_ptr(I64 pc, uint64_t cs_base, uint64_t key, bool is_return) {
    emit(Opcode::lookup_and_goto_ptr_pc, {pc.idx, cs_base, key, is_return ? 1u : 0u});
}
void Builder::push_return(uint64_t pc, uint64_t cs_base, uint64_t key) {
    emit(Opcode::push_return, {pc, cs_base, key});
}

}  // namespace mimic::tcg
