// Labels, branches, block exits and chaining slots.
#include "emitter.h"

namespace mimic::tcg::x64 {

using namespace Xbyak;
using namespace Xbyak::util;

void Emitter::jump_cc(Cond c, const Xbyak::Label& l) {
    constexpr auto kNear = CodeGenerator::T_NEAR;
    switch (c) {
    case Cond::Eq: case Cond::TstEq: gen_.je(l, kNear); break;
    case Cond::Ne: case Cond::TstNe: gen_.jne(l, kNear); break;
    case Cond::Lt: gen_.jl(l, kNear); break;
    case Cond::Le: gen_.jle(l, kNear); break;
    case Cond::Gt: gen_.jg(l, kNear); break;
    case Cond::Ge: gen_.jge(l, kNear); break;
    case Cond::Ltu: gen_.jb(l, kNear); break;
    case Cond::Leu: gen_.jbe(l, kNear); break;
    case Cond::Gtu: gen_.ja(l, kNear); break;
    case Cond::Geu: gen_.jae(l, kNear); break;
    }
}

bool Emitter::emit_branch(const Inst& inst) {
    switch (inst.op) {
    case Opcode::set_label:
        ra_.save_all(true);
        gen_.L(labels_[inst.cst(0)]);
        return true;
    case Opcode::br:
        ra_.save_all(true);
        gen_.jmp(labels_[inst.cst(0)], CodeGenerator::T_NEAR);
        return true;
    case Opcode::brcond_i32:
    case Opcode::brcond_i64:
        compare(inst);
        // Only stores follow, which leave the flags alone.
        ra_.save_all(true);
        jump_cc(static_cast<Cond>(inst.cst(0)), labels_[inst.cst(1)]);
        return true;
    case Opcode::insn_start:
        tb_.insns.push_back({offset(), {inst.cst(0), inst.cst(1)}});
        return true;
    case Opcode::goto_tb: {
        ra_.sync_globals();
        ra_.save_all(true);
        const unsigned slot = static_cast<unsigned>(inst.cst(0));
        // The rel32 must not straddle an aligned 4-byte word so that
        // patch_jump can replace it with one atomic store.
        while ((reinterpret_cast<uintptr_t>(gen_.getCurr()) + 1) & 3) gen_.nop();
        gen_.db(0xe9);
        tb_.jmp_patch[slot] = offset();
        gen_.dd(0);   // jump to the next instruction until linked
        tb_.jmp_reset[slot] = offset();
        return true;
    }
    case Opcode::exit_tb:
        ra_.sync_globals();
        ra_.save_all(false);
        gen_.mov(rax, inst.cst(0));
        gen_.jmp(rt_.epilogue, CodeGenerator::T_NEAR);
        return true;
    case Opcode::lookup_and_goto_ptr:
        ra_.sync_globals();
        ra_.save_all(false);
        gen_.mov(rdi, reinterpret_cast<uintptr_t>(rt_.jit));
        gen_.mov(rsi, Reg64(kEnvReg));
        gen_.mov(rax, reinterpret_cast<uintptr_t>(rt_.lookup));
        gen_.call(rax);
        gen_.jmp(rax);
        return true;
    default: return false;
    }
}

}  // namespace mimic::tcg::x64
