#include "emitter.h"

#include <iterator>
#include <utility>

#include "mimic/util/error.h"

namespace mimic::tcg::x64 {

using namespace Xbyak;
using namespace Xbyak::util;

Emitter::Emitter(Xbyak::CodeGenerator& gen, const Block& block, TranslationBlock& tb, const JitRuntime& rt,
                 size_t base, EmitterStorage& storage)
    : gen_(gen),
      base_(base),
      block_(block),
      tb_(tb),
      rt_(rt),
      ra_(gen, block, storage.ra),
      label_at_(storage.label_at),
      fixups_(storage.fixups),
      slow_paths_(storage.slow_paths) {
    label_at_.assign(block.num_labels, kUnbound);
    fixups_.clear();
    slow_paths_.clear();
    tb_.insns.reserve(ra_.insn_starts());   // one allocation, not one per doubling
}

void Emitter::emit_block() {
    ra_.load_pinned();
    for (size_t i = 0; i < block_.insts.size(); ++i) {
        ra_.set_position(i);
        flags_track(block_.insts[i]);
        if (i + 1 < block_.insts.size() && emit_env_compare_branch(block_.insts[i], block_.insts[i + 1])) {
            ++i;
            flags_.valid = false;
        } else if (const size_t taken = emit_scaled_add(i)) {
            i += taken - 1;
            flags_.valid = false;
        } else if (const size_t taken = emit_fused32(i)) {
            i += taken - 1;
        } else {
            emit(block_.insts[i]);
        }
        ra_.end_op();
    }
    close_group();
    resolve_label_fixups();
    for (const SlowPath& path : slow_paths_) emit_slow_path(path);
    emit_return_continuation();
}

// ld t, [env + off]; brcond t, imm, cond, L with t dying there (the check
// for exit requests that starts every block): one cmp with memory.
bool Emitter::emit_env_compare_branch(const Inst& ld, const Inst& br) {
    if ((ld.op != Opcode::ld_i32 && ld.op != Opcode::ld_i64) || (br.op != Opcode::brcond_i32 && br.op != Opcode::brcond_i64))
        return false;
    const MemOp m = static_cast<MemOp>(ld.cst(1));
    const Cond c = static_cast<Cond>(br.cst(0));
    const unsigned size = memop_size(m);
    // The load must fill the whole value (4 bytes for I32, 8 for I64).
    if (size != (ld.op == Opcode::ld_i32 ? 4u : 8u)) return false;
    if (br.in(0) != ld.out(0) || !br.is_dead(0) || !ra_.is_imm32(br.in(1)) ||
        c == Cond::TstEq || c == Cond::TstNe || open_group_)
        return false;
    const int32_t off = static_cast<int32_t>(ld.cst(0));
    const uint32_t v = static_cast<uint32_t>(ra_.const_value(br.in(1)));
    const Xbyak::Reg64 env(kEnvReg);
    if (size == 4) gen_.cmp(Xbyak::util::dword[env + off], v);
    else gen_.cmp(Xbyak::util::qword[env + off], v);
    ra_.set_position(ra_.position() + 1);
    ra_.save_all(true);   // stores only: the flags survive
    jump_cc(c, static_cast<uint32_t>(br.cst(1)));
    return true;
}

// [add b, base, imm;] shl t, x, 1..3; add d, b, t with b and t dying there
// (an address with a scaled index and maybe a displacement, as x86 front
// ends make them): one lea d, [base + x * 2^n + imm]. Returns how many
// instructions it took (0: no match).
size_t Emitter::emit_scaled_add(size_t i) {
    const std::vector<Inst>& insts = block_.insts;
    auto is_add = [](const Inst& inst, bool wide) { return inst.op == (wide ? Opcode::add_i64 : Opcode::add_i32); };
    for (const bool with_disp : {true, false}) {
        const size_t s = with_disp ? i + 1 : i;
        if (s + 1 >= insts.size()) continue;
        const Inst& shl = insts[s];
        const Inst& add = insts[s + 1];
        const bool wide = shl.op == Opcode::shl_i64;
        if ((!wide && shl.op != Opcode::shl_i32) || !is_add(add, wide) || !ra_.is_const(shl.in(1))) continue;
        const uint64_t shift = ra_.const_value(shl.in(1));
        if (shift < 1 || shift > 3) continue;
        const uint32_t t = shl.out(0), x = shl.in(0);
        if (block_.temps[t].kind != TempKind::Normal || x == t) continue;
        const int k = add.in(1) == t ? 1 : add.in(0) == t ? 0 : -1;
        if (k < 0 || add.in(1 - k) == t || !add.is_dead(add.n_out + k) || ra_.is_const(add.in(1 - k))) continue;
        uint32_t base = add.in(1 - k);
        int32_t disp = 0;
        if (with_disp) {
            const Inst& first = insts[i];
            if (!is_add(first, wide) || first.out(0) != base || block_.temps[base].kind != TempKind::Normal ||
                !add.is_dead(add.n_out + 1 - k) || x == base || first.in(0) == base || !ra_.is_imm32(first.in(1)) ||
                ra_.is_const(first.in(0)))
                continue;
            disp = static_cast<int32_t>(ra_.const_value(first.in(1)));
            base = first.in(0);
        }
        ra_.set_position(s + 1);
        const int rx = ra_.use(x);
        const int rb = ra_.use(base);
        const int d = ra_.output_reg(add, 1 - k);
        const Xbyak::RegExp at = Xbyak::Reg64(rb) + Xbyak::Reg64(rx) * (1 << shift) + disp;
        if (wide) gen_.lea(Xbyak::Reg64(d), Xbyak::util::ptr[at]);
        else gen_.lea(Xbyak::Reg32(d), Xbyak::util::ptr[at]);
        if (with_disp) ra_.release_dead_inputs(insts[i]);
        ra_.release_dead_inputs(shl);
        finish(add, d);
        return with_disp ? 3 : 2;
    }
    return 0;
}

// [ext32u_i64 y, x;]* OP_i64 t, a, b; ext32u_i64 d, t with t dying there
// (how x86 front ends do 32-bit arithmetic): one 32-bit operation writing
// d, whose upper half the host zeroes. The 32-bit operation ignores the
// upper halves of its inputs, so an extension whose result only feeds it
// reads x instead and emits nothing. Returns how many instructions it took.
size_t Emitter::emit_fused32(size_t i) {
    const std::vector<Inst>& insts = block_.insts;
    size_t j = i;
    while (j < insts.size() && j - i < 2 && insts[j].op == Opcode::ext32u_i64) ++j;
    if (j + 1 >= insts.size()) return 0;
    const Inst& op = insts[j];
    const Inst& ext = insts[j + 1];
    Alu alu = Alu::Add;
    bool shl = false;
    switch (op.op) {
    case Opcode::add_i64: alu = Alu::Add; break;
    case Opcode::sub_i64: alu = Alu::Sub; break;
    case Opcode::and_i64: alu = Alu::And; break;
    case Opcode::or_i64: alu = Alu::Or; break;
    case Opcode::xor_i64: alu = Alu::Xor; break;
    case Opcode::mul_i64: alu = Alu::Mul; break;
    case Opcode::shl_i64: shl = true; break;
    default: return 0;
    }
    const uint32_t t = op.out(0), d = ext.out(0);
    if (ext.op != Opcode::ext32u_i64 || ext.in(0) != t || !ext.is_dead(1) || d == t ||
        block_.temps[t].kind != TempKind::Normal)
        return 0;
    // Counts of 32 and more shift bits the 32-bit shift would not see.
    if (shl && (!ra_.is_const(op.in(1)) || ra_.const_value(op.in(1)) >= 32)) return 0;
    uint32_t src[2] = {op.in(0), op.in(1)};
    bool src_dies[2] = {op.is_dead(op.n_out), op.is_dead(op.n_out + 1)};
    for (size_t k = i; k < j; ++k) {
        const uint32_t y = insts[k].out(0), x = insts[k].in(0);
        bool feeds = false;
        for (int m = 0; m < 2; ++m) {
            if (op.in(m) != y) continue;
            src[m] = x;
            src_dies[m] = insts[k].is_dead(1);
            feeds = true;
        }
        // y must have no other reader (op is its last one, nothing in between reads it).
        if (!feeds || y == x || block_.temps[y].kind != TempKind::Normal || ra_.last_read(y) != j ||
            block_.live_at_loop_head(y))
            return 0;
        for (size_t l = k + 1; l < j; ++l)
            if (insts[l].out(0) == x || insts[l].out(0) == y || insts[l].in(0) == y) return 0;
    }
    ra_.set_position(j + 1);
    flags_.valid = false;
    const bool commutative = !shl && alu != Alu::Sub;
    if (commutative && ra_.is_const(src[0]) && !ra_.is_const(src[1])) {
        std::swap(src[0], src[1]);
        std::swap(src_dies[0], src_dies[1]);
    }
    const bool imm = ra_.is_const(src[1]);
    const uint32_t v = static_cast<uint32_t>(ra_.const_value(src[1]));   // only its low half counts
    int a = ra_.use(src[0]);
    int b = imm ? -1 : ra_.use(src[1]);
    const bool a_dies = src_dies[0] && ra_.can_take(src[0]);
    const bool b_dies = !imm && src_dies[1] && ra_.can_take(src[1]);
    int rd;
    if (ra_.is_pinned(d)) {
        rd = ra_.reg_of(d);
        if (rd == b && rd != a) {
            if (commutative) std::swap(a, b);
            else rd = ra_.alloc();
        }
    } else if (a_dies) {
        rd = a;
    } else if (b_dies && commutative) {
        rd = b;
        std::swap(a, b);
    } else {
        rd = ra_.alloc();
    }
    // Here rd != b unless rd == a: b is read before rd is written.
    const Reg32 r(rd), ra32(a);
    bool sets_flags = true;
    if (shl) {
        if (rd != a) gen_.mov(r, ra32);
        gen_.shl(r, static_cast<uint8_t>(v));
        sets_flags = false;
    } else if (alu == Alu::Mul) {
        if (imm) {
            gen_.imul(r, ra32, static_cast<int>(v));
        } else {
            if (rd != a) gen_.mov(r, ra32);
            gen_.imul(r, Reg32(b));
        }
        sets_flags = false;
    } else if (rd != a && (alu == Alu::Add || (alu == Alu::Sub && imm))) {
        // lea truncated to 32 bits: the sum's low half, a - v as a + (0 - v).
        const int32_t disp = static_cast<int32_t>(alu == Alu::Sub ? 0u - v : v);
        if (imm) gen_.lea(r, ptr[Reg64(a) + disp]);
        else gen_.lea(r, ptr[Reg64(a) + Reg64(b)]);
        sets_flags = false;
    } else {
        if (rd != a) gen_.mov(r, ra32);
        if (imm) alu_into(alu, r, v);
        else alu_into(alu, r, Reg32(b));
    }
    ra_.release_dead_inputs(op);
    for (int m = 0; m < 2; ++m)
        if (src[m] != op.in(m) && src_dies[m]) ra_.discard(src[m]);   // an x whose extension was its last use
    for (size_t k = i; k < j; ++k) ra_.discard(insts[k].out(0));
    ra_.discard(t);
    ra_.bind_output(ext, 0, rd);
    // ZF and SF are the 32-bit result's: right for d == 0, not for d < 0.
    if (sets_flags) flags_set(d, alu == Alu::And || alu == Alu::Or || alu == Alu::Xor, true);
    return j + 2 - i;
}

void Emitter::close_group() {
    if (!open_group_) return;
    for (uint8_t byte : open_group_->leave) gen_.db(byte);
    open_group_ = nullptr;
    flags_.valid = false;   // the leave code may change them
}

void Emitter::flags_set(uint32_t result, bool logic, bool eq_only) {
    flags_.valid = true;
    flags_.logic = logic;
    flags_.eq_only = eq_only;
    flags_.ra_writes = ra_.flag_writes();
    flags_.n = 1;
    flags_.temps[0] = result;
}

void Emitter::flags_track(const Inst& inst) {
    if (!flags_.valid) return;
    switch (inst.op) {
    // Their code is moves, loads and stores (and register allocation,
    // whose xor-zeroing flag_writes() counts).
    case Opcode::insn_start:
    case Opcode::mov_i32: case Opcode::mov_i64:
    case Opcode::ld_i32: case Opcode::ld_i64:
    case Opcode::st_i32: case Opcode::st_i64:
    case Opcode::ext8u_i32: case Opcode::ext8u_i64: case Opcode::ext16u_i32: case Opcode::ext16u_i64:
    case Opcode::ext8s_i32: case Opcode::ext8s_i64: case Opcode::ext16s_i32: case Opcode::ext16s_i64:
    case Opcode::ext32u_i64: case Opcode::ext32s_i64: case Opcode::ext_i32_i64: case Opcode::extu_i32_i64:
    case Opcode::extrl_i64_i32: {
        // A temp they write no longer holds the result, unless copied from one that does.
        bool copy = false;
        for (int k = 0; k < inst.n_out; ++k) {
            const uint32_t t = inst.out(k);
            for (uint8_t j = 0; j < flags_.n;) {
                if (flags_.temps[j] == t) flags_.temps[j] = flags_.temps[--flags_.n];
                else ++j;
            }
        }
        if (inst.op == Opcode::mov_i32 || inst.op == Opcode::mov_i64) {
            for (uint8_t j = 0; j < flags_.n; ++j) copy |= flags_.temps[j] == inst.in(0);
            if (copy && flags_.n < std::size(flags_.temps)) flags_.temps[flags_.n++] = inst.out(0);
        }
        return;
    }
    // They look at the flags (compare()) before changing them.
    case Opcode::brcond_i32: case Opcode::brcond_i64:
    case Opcode::setcond_i32: case Opcode::setcond_i64:
    case Opcode::movcond_i32: case Opcode::movcond_i64: return;
    default: flags_.valid = false; return;
    }
}

bool Emitter::flags_describe(uint32_t a, Cond c) const {
    if (!flags_.valid || flags_.ra_writes != ra_.flag_writes()) return false;
    // After add or sub, CF and OF are the operation's, not those of cmp x, 0.
    const bool eq = c == Cond::Eq || c == Cond::Ne;
    if (c == Cond::TstEq || c == Cond::TstNe || ((!flags_.logic || flags_.eq_only) && !eq)) return false;
    for (uint8_t j = 0; j < flags_.n; ++j)
        if (flags_.temps[j] == a) return true;
    return false;
}

void Emitter::emit(const Inst& inst) {
    // A HostCode group stays open across what runs no C++ and cannot leave
    // the block: pure operations, env loads/stores, instruction marks.
    if (open_group_) {
        const uint32_t f = op_info(inst.op).flags;
        const bool keeps = (f & kPure) || inst.op == Opcode::host_code || inst.op == Opcode::insn_start ||
                           inst.op == Opcode::ld_i32 || inst.op == Opcode::ld_i64 || inst.op == Opcode::st_i32 ||
                           inst.op == Opcode::st_i64;
        if (!keeps) close_group();
    }
    if (inst.op == Opcode::call) {
        emit_call(inst);
        return;
    }
    if (inst.op == Opcode::host_code) {
        emit_host_code(inst);
        return;
    }
    if (emit_arith(inst) || emit_memory(inst) || emit_branch(inst)) return;
    throw Error("x86-64 back end: no code for {}", op_name(inst.op));
}

}  // namespace mimic::tcg::x64
