// Arithmetic, logic, shifts, bit fields, comparisons and width conversions.
#include "emitter.h"

namespace mimic::tcg::x64 {

using namespace Xbyak;
using namespace Xbyak::util;

Reg Emitter::reg(int idx, Type t) const {
    if (t == Type::I32) return Reg32(idx);
    return Reg64(idx);
}

void Emitter::finish(const Inst& inst, int out0, int out1) {
    ra_.release_dead_inputs(inst);
    if (out0 >= 0) ra_.bind_output(inst, 0, out0);
    if (out1 >= 0) ra_.bind_output(inst, 1, out1);
}

void Emitter::binary_alu(const Inst& inst, Alu op) {
    const Type t = out_type(inst);
    const uint32_t b = inst.in(1);
    const int a = ra_.use(inst.in(0));
    // imul has no imm form with the same operand shape; keep it in registers.
    const bool imm = ra_.is_imm32(b) && op != Alu::Mul;
    const int rb = imm ? -1 : ra_.use(b);
    const int d = ra_.output_reg(inst, 0);
    const Reg rd = reg(d, t);
    if (d != a && (op == Alu::Add || (op == Alu::Sub && imm))) {
        // Three operands in one instruction (an address computed beside
        // the register it starts from): lea, which the 32-bit form
        // truncates and zero-extends as add does.
        const Reg64 ra(a);
        const int64_t v = imm ? static_cast<int32_t>(ra_.const_value(b)) : 0;
        if (!imm || v != INT32_MIN || op == Alu::Add) {
            const int32_t disp = static_cast<int32_t>(op == Alu::Sub ? -v : v);
            if (!imm) gen_.lea(rd, ptr[ra + Reg64(rb)]);
            else gen_.lea(rd, ptr[ra + disp]);
            finish(inst, d);
            return;
        }
    }
    if (d != a) gen_.mov(rd, reg(a, t));
    if (imm) alu_into(op, rd, static_cast<uint32_t>(ra_.const_value(b)));
    else alu_into(op, rd, reg(rb, t));
    if (op != Alu::Mul) flags_set(inst.out(0), op == Alu::And || op == Alu::Or || op == Alu::Xor);
    finish(inst, d);
}

void Emitter::alu_into(Alu op, const Reg& d, const Reg& s) {
    switch (op) {
    case Alu::Add: gen_.add(d, s); break;
    case Alu::Sub: gen_.sub(d, s); break;
    case Alu::And: gen_.and_(d, s); break;
    case Alu::Or: gen_.or_(d, s); break;
    case Alu::Xor: gen_.xor_(d, s); break;
    case Alu::Mul: gen_.imul(d, s); break;
    }
}

void Emitter::alu_into(Alu op, const Reg& d, uint32_t imm) {
    switch (op) {
    case Alu::Add: gen_.add(d, imm); break;
    case Alu::Sub: gen_.sub(d, imm); break;
    case Alu::And: gen_.and_(d, imm); break;
    case Alu::Or: gen_.or_(d, imm); break;
    case Alu::Xor: gen_.xor_(d, imm); break;
    case Alu::Mul: break;
    }
}

void Emitter::shift(const Inst& inst) {
    const Type t = out_type(inst);
    const unsigned bits = type_bits(t);
    const uint32_t b = inst.in(1);
    const bool imm = ra_.is_const(b);
    if (!imm) {
        // Variable counts must be in cl.
        ra_.evict_and_lock(Operand::RCX);
        ra_.load_to(Operand::RCX, b);
    }
    const int a = ra_.use(inst.in(0));
    const int d = ra_.output_reg(inst, 0);
    const Reg rd = reg(d, t);
    if (d != a) gen_.mov(rd, reg(a, t));
    const uint8_t n = static_cast<uint8_t>(ra_.const_value(b) & (bits - 1));
    switch (inst.op) {
    case Opcode::shl_i32: case Opcode::shl_i64: imm ? gen_.shl(rd, n) : gen_.shl(rd, cl); break;
    case Opcode::shr_i32: case Opcode::shr_i64: imm ? gen_.shr(rd, n) : gen_.shr(rd, cl); break;
    case Opcode::sar_i32: case Opcode::sar_i64: imm ? gen_.sar(rd, n) : gen_.sar(rd, cl); break;
    case Opcode::rotl_i32: case Opcode::rotl_i64: imm ? gen_.rol(rd, n) : gen_.rol(rd, cl); break;
    case Opcode::rotr_i32: case Opcode::rotr_i64: imm ? gen_.ror(rd, n) : gen_.ror(rd, cl); break;
    default: break;
    }
    finish(inst, d);
}

void Emitter::divide(const Inst& inst) {
    const Type t = out_type(inst);
    ra_.evict_and_lock(Operand::RAX);
    ra_.evict_and_lock(Operand::RDX);
    ra_.load_to(Operand::RAX, inst.in(0));
    const int b = ra_.use(inst.in(1));
    const bool is_signed = inst.op == Opcode::div_i32 || inst.op == Opcode::div_i64 || inst.op == Opcode::rem_i32 ||
                           inst.op == Opcode::rem_i64;
    if (is_signed) {
        t == Type::I32 ? gen_.cdq() : gen_.cqo();
        gen_.idiv(reg(b, t));
    } else {
        gen_.xor_(edx, edx);
        gen_.div(reg(b, t));
    }
    const bool rem = inst.op == Opcode::rem_i32 || inst.op == Opcode::rem_i64 || inst.op == Opcode::remu_i32 ||
                     inst.op == Opcode::remu_i64;
    finish(inst, rem ? Operand::RDX : Operand::RAX);
}

void Emitter::multiply_wide(const Inst& inst) {
    const Type t = block_.temps[inst.in(0)].type;
    ra_.evict_and_lock(Operand::RAX);
    ra_.evict_and_lock(Operand::RDX);
    ra_.load_to(Operand::RAX, inst.in(0));
    const int b = ra_.use(inst.in(1));
    const bool is_signed = inst.op == Opcode::mulsh_i32 || inst.op == Opcode::mulsh_i64 ||
                           inst.op == Opcode::muls2_i32 || inst.op == Opcode::muls2_i64;
    is_signed ? gen_.imul(reg(b, t)) : gen_.mul(reg(b, t));
    if (inst.n_out == 2) {
        finish(inst, Operand::RAX, Operand::RDX);
    } else {
        finish(inst, Operand::RDX);
    }
}

// Whether the basic block ends before anything reads or writes temp t, or
// syncs globals (a guest memory access, a call), looking a few
// instructions ahead.
bool Emitter::block_ends_before_use(uint32_t t) const {
    const size_t end = std::min(block_.insts.size(), ra_.position() + 8);
    for (size_t i = ra_.position() + 1; i < end; ++i) {
        const Inst& next = block_.insts[i];
        if (next.op == Opcode::insn_start) continue;
        for (int k = 0; k < next.n_out + next.n_in; ++k) {
            if (next.args[k] == t) return false;
        }
        const uint32_t flags = op_info(next.op).flags;
        if (flags & kBbEnd) return true;
        if ((flags & (kSyncGlobals | kCall)) || next.op == Opcode::call) return false;
    }
    return false;
}

void Emitter::unary(const Inst& inst) {
    const Type t = out_type(inst);
    if ((inst.op == Opcode::mov_i32 || inst.op == Opcode::mov_i64) && ra_.is_const(inst.in(0))) {
        // A constant for a global (a guest pc, a lazy-flags mode) goes
        // straight to its slot: no register, nothing to write back later.
        if (block_.is_global(inst.out(0)) && (t == Type::I32 || ra_.is_imm32(inst.in(0)))) {
            ra_.store_const_global(inst.out(0), ra_.const_value(inst.in(0)));
            return;
        }
        const int d = ra_.alloc();
        ra_.load_to(d, inst.in(0));
        finish(inst, d);
        return;
    }
    const bool is_mov = inst.op == Opcode::mov_i32 || inst.op == Opcode::mov_i64;
    if (is_mov && block_.is_global(inst.out(0)) && !ra_.is_pinned(inst.out(0)) && block_ends_before_use(inst.out(0))) {
        // The basic block's end would store it anyway: store it now, from
        // the source's register, instead of copying it to a register first.
        ra_.store_global_from(inst.out(0), ra_.use(inst.in(0)));
        ra_.release_dead_inputs(inst);
        return;
    }
    const int a = ra_.use(inst.in(0));
    const int d = ra_.output_reg(inst, 0);
    const Reg64 a64(a), d64(d);
    const Reg32 a32(a), d32(d);
    switch (inst.op) {
    case Opcode::mov_i32: if (d != a) gen_.mov(d32, a32); break;
    case Opcode::mov_i64: if (d != a) gen_.mov(d64, a64); break;
    case Opcode::neg_i32: case Opcode::neg_i64:
        if (d != a) gen_.mov(reg(d, t), reg(a, t));
        gen_.neg(reg(d, t));
        break;
    case Opcode::not_i32: case Opcode::not_i64:
        if (d != a) gen_.mov(reg(d, t), reg(a, t));
        gen_.not_(reg(d, t));
        break;
    case Opcode::ctpop_i32: gen_.popcnt(d32, a32); break;
    case Opcode::ctpop_i64: gen_.popcnt(d64, a64); break;
    case Opcode::bswap16_i32: case Opcode::bswap16_i64:
        gen_.mov(d32, a32);
        gen_.rol(d32.cvt16(), 8);
        gen_.movzx(d32, d32.cvt16());
        break;
    case Opcode::bswap32_i32: case Opcode::bswap32_i64:
        if (d != a) gen_.mov(d32, a32);
        gen_.bswap(d32);
        break;
    case Opcode::bswap64_i64:
        if (d != a) gen_.mov(d64, a64);
        gen_.bswap(d64);
        break;
    case Opcode::ext8s_i32: gen_.movsx(d32, a32.cvt8()); break;
    case Opcode::ext8s_i64: gen_.movsx(d64, a32.cvt8()); break;
    case Opcode::ext8u_i32: case Opcode::ext8u_i64: gen_.movzx(d32, a32.cvt8()); break;
    case Opcode::ext16s_i32: gen_.movsx(d32, a32.cvt16()); break;
    case Opcode::ext16s_i64: gen_.movsx(d64, a32.cvt16()); break;
    case Opcode::ext16u_i32: case Opcode::ext16u_i64: gen_.movzx(d32, a32.cvt16()); break;
    case Opcode::ext32s_i64: case Opcode::ext_i32_i64: gen_.movsxd(d64, a32); break;
    case Opcode::ext32u_i64: case Opcode::extu_i32_i64: case Opcode::extrl_i64_i32: gen_.mov(d32, a32); break;
    case Opcode::extrh_i64_i32:
        if (d != a) gen_.mov(d64, a64);
        gen_.shr(d64, 32);
        break;
    default: break;
    }
    finish(inst, d);
}

void Emitter::bitfield(const Inst& inst) {
    const Type t = out_type(inst);
    const unsigned bits = type_bits(t);
    const unsigned pos = static_cast<unsigned>(inst.cst(0)), len = static_cast<unsigned>(inst.cst(1));
    const uint64_t field = len >= 64 ? ~0ull : (1ull << len) - 1;
    if (inst.op == Opcode::deposit_i32 || inst.op == Opcode::deposit_i64) {
        const int a = ra_.use(inst.in(0));
        const int b = ra_.use(inst.in(1));
        const int d = ra_.alloc();
        const Reg s0 = reg(kScratch0, t), s1 = reg(kScratch1, t), rd = reg(d, t);
        // s0 = (b & field) << pos; rd = (a & ~(field << pos)) | s0
        gen_.mov(s0, reg(b, t));
        if (len < bits) {
            gen_.mov(s1, field);
            gen_.and_(s0, s1);
        }
        if (pos) gen_.shl(s0, pos);
        gen_.mov(rd, reg(a, t));
        gen_.mov(s1, ~(field << pos) & type_mask(t));
        gen_.and_(rd, s1);
        gen_.or_(rd, s0);
        finish(inst, d);
        return;
    }
    // extract: move the field to the top, then shift it down.
    const int a = ra_.use(inst.in(0));
    const int d = ra_.output_reg(inst, 0);
    const Reg rd = reg(d, t);
    if (d != a) gen_.mov(rd, reg(a, t));
    const unsigned up = bits - pos - len;
    if (up) gen_.shl(rd, up);
    if (bits - len) {
        if (inst.op == Opcode::sextract_i32 || inst.op == Opcode::sextract_i64) {
            gen_.sar(rd, bits - len);
        } else {
            gen_.shr(rd, bits - len);
        }
    }
    finish(inst, d);
}

void Emitter::compare(const Inst& inst) {
    const Type t = block_.temps[inst.in(0)].type;
    const Cond c = static_cast<Cond>(inst.cst(0));   // setcond, movcond and brcond alike
    const uint32_t b = inst.in(1);
    // Against 0, the flags an ALU instruction left for a may do.
    const bool reuse = ra_.is_const(b) && (ra_.const_value(b) & type_mask(t)) == 0 && flags_describe(inst.in(0), c);
    flags_.valid = false;   // what follows may change them
    if (reuse) return;
    const int a = ra_.use(inst.in(0));
    const bool tst = c == Cond::TstEq || c == Cond::TstNe;
    if (ra_.is_imm32(b)) {
        const uint32_t v = static_cast<uint32_t>(ra_.const_value(b));
        tst ? gen_.test(reg(a, t), v) : gen_.cmp(reg(a, t), v);
    } else {
        const int rb = ra_.use(b);
        tst ? gen_.test(reg(a, t), reg(rb, t)) : gen_.cmp(reg(a, t), reg(rb, t));
    }
}

void Emitter::set_cc(Cond c, const Reg8& r) {
    switch (c) {
    case Cond::Eq: case Cond::TstEq: gen_.sete(r); break;
    case Cond::Ne: case Cond::TstNe: gen_.setne(r); break;
    case Cond::Lt: gen_.setl(r); break;
    case Cond::Le: gen_.setle(r); break;
    case Cond::Gt: gen_.setg(r); break;
    case Cond::Ge: gen_.setge(r); break;
    case Cond::Ltu: gen_.setb(r); break;
    case Cond::Leu: gen_.setbe(r); break;
    case Cond::Gtu: gen_.seta(r); break;
    case Cond::Geu: gen_.setae(r); break;
    }
}

void Emitter::cmov_cc(Cond c, const Reg& d, const Reg& s) {
    switch (c) {
    case Cond::Eq: case Cond::TstEq: gen_.cmove(d, s); break;
    case Cond::Ne: case Cond::TstNe: gen_.cmovne(d, s); break;
    case Cond::Lt: gen_.cmovl(d, s); break;
    case Cond::Le: gen_.cmovle(d, s); break;
    case Cond::Gt: gen_.cmovg(d, s); break;
    case Cond::Ge: gen_.cmovge(d, s); break;
    case Cond::Ltu: gen_.cmovb(d, s); break;
    case Cond::Leu: gen_.cmovbe(d, s); break;
    case Cond::Gtu: gen_.cmova(d, s); break;
    case Cond::Geu: gen_.cmovae(d, s); break;
    }
}

bool Emitter::emit_arith(const Inst& inst) {
    switch (inst.op) {
    case Opcode::add_i32: case Opcode::add_i64: binary_alu(inst, Alu::Add); return true;
    case Opcode::sub_i32: case Opcode::sub_i64: binary_alu(inst, Alu::Sub); return true;
    case Opcode::and_i32: case Opcode::and_i64: binary_alu(inst, Alu::And); return true;
    case Opcode::or_i32: case Opcode::or_i64: binary_alu(inst, Alu::Or); return true;
    case Opcode::xor_i32: case Opcode::xor_i64: binary_alu(inst, Alu::Xor); return true;
    case Opcode::mul_i32: case Opcode::mul_i64: binary_alu(inst, Alu::Mul); return true;
    case Opcode::andc_i32: case Opcode::andc_i64: {
        const Type t = out_type(inst);
        const int a = ra_.use(inst.in(0));
        ra_.load_to(kScratch0, inst.in(1));
        const int d = ra_.output_reg(inst, 0);
        gen_.not_(reg(kScratch0, t));
        if (d != a) gen_.mov(reg(d, t), reg(a, t));
        gen_.and_(reg(d, t), reg(kScratch0, t));
        finish(inst, d);
        return true;
    }
    case Opcode::shl_i32: case Opcode::shl_i64:
    case Opcode::shr_i32: case Opcode::shr_i64:
    case Opcode::sar_i32: case Opcode::sar_i64:
    case Opcode::rotl_i32: case Opcode::rotl_i64:
    case Opcode::rotr_i32: case Opcode::rotr_i64: shift(inst); return true;
    case Opcode::div_i32: case Opcode::div_i64:
    case Opcode::divu_i32: case Opcode::divu_i64:
    case Opcode::rem_i32: case Opcode::rem_i64:
    case Opcode::remu_i32: case Opcode::remu_i64: divide(inst); return true;
    case Opcode::muluh_i32: case Opcode::muluh_i64:
    case Opcode::mulsh_i32: case Opcode::mulsh_i64:
    case Opcode::mulu2_i32: case Opcode::mulu2_i64:
    case Opcode::muls2_i32: case Opcode::muls2_i64: multiply_wide(inst); return true;
    case Opcode::add2_i32: case Opcode::add2_i64:
    case Opcode::sub2_i32: case Opcode::sub2_i64: {
        const Type t = out_type(inst);
        const int al = ra_.use(inst.in(0)), ah = ra_.use(inst.in(1));
        const int bl = ra_.use(inst.in(2)), bh = ra_.use(inst.in(3));
        const int lo = ra_.alloc(), hi = ra_.alloc();
        const bool add = inst.op == Opcode::add2_i32 || inst.op == Opcode::add2_i64;
        gen_.mov(reg(lo, t), reg(al, t));
        gen_.mov(reg(hi, t), reg(ah, t));
        add ? gen_.add(reg(lo, t), reg(bl, t)) : gen_.sub(reg(lo, t), reg(bl, t));
        add ? gen_.adc(reg(hi, t), reg(bh, t)) : gen_.sbb(reg(hi, t), reg(bh, t));
        finish(inst, lo, hi);
        return true;
    }
    case Opcode::clz_i32: case Opcode::clz_i64:
    case Opcode::ctz_i32: case Opcode::ctz_i64: {
        // bsr/bsf leave the destination undefined for zero: pick b then.
        const Type t = out_type(inst);
        const int a = ra_.use(inst.in(0));
        const int b = ra_.use(inst.in(1));
        const int d = ra_.alloc();
        const Reg s0 = reg(kScratch0, t);
        if (inst.op == Opcode::clz_i32 || inst.op == Opcode::clz_i64) {
            gen_.bsr(s0, reg(a, t));
            gen_.xor_(s0, type_bits(t) - 1);
        } else {
            gen_.bsf(s0, reg(a, t));
        }
        gen_.mov(reg(d, t), reg(b, t));
        gen_.test(reg(a, t), reg(a, t));
        gen_.cmovne(reg(d, t), s0);
        finish(inst, d);
        return true;
    }
    case Opcode::deposit_i32: case Opcode::deposit_i64:
    case Opcode::extract_i32: case Opcode::extract_i64:
    case Opcode::sextract_i32: case Opcode::sextract_i64: bitfield(inst); return true;
    case Opcode::setcond_i32: case Opcode::setcond_i64: {
        const Cond c = static_cast<Cond>(inst.cst(0));
        compare(inst);
        const int d = ra_.output_reg(inst, 0);
        set_cc(c, Reg32(d).cvt8());
        gen_.movzx(Reg32(d), Reg32(d).cvt8());
        finish(inst, d);
        return true;
    }
    case Opcode::movcond_i32: case Opcode::movcond_i64: {
        const Type t = out_type(inst);
        const Cond c = static_cast<Cond>(inst.cst(0));
        const int tv = ra_.use(inst.in(2));
        const int fv = ra_.use(inst.in(3));
        const int d = ra_.output_reg(inst, 3);
        if (d != fv) gen_.mov(reg(d, t), reg(fv, t));
        compare(inst);
        cmov_cc(c, reg(d, t), reg(tv, t));
        finish(inst, d);
        return true;
    }
    default: break;
    }
    const OpInfo& info = op_info(inst.op);
    if ((info.flags & kPure) && inst.n_out == 1 && inst.n_in == 1) {
        unary(inst);
        return true;
    }
    return false;
}

}  // namespace mimic::tcg::x64
