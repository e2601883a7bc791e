#include "emitter.h"

#include "mimic/util/error.h"

namespace mimic::tcg::x64 {

Emitter::Emitter(Xbyak::CodeGenerator& gen, const Block& block, TranslationBlock& tb, const JitRuntime& rt,
                 size_t base)
    : gen_(gen), base_(base), block_(block), tb_(tb), rt_(rt), ra_(gen, block), labels_(block.num_labels) {}

void Emitter::emit_block() {
    ra_.load_pinned();
    for (size_t i = 0; i < block_.insts.size(); ++i) {
        ra_.set_position(i);
        if (i + 1 < block_.insts.size() && emit_env_compare_branch(block_.insts[i], block_.insts[i + 1])) {
            ++i;
        } else {
            emit(block_.insts[i]);
        }
        ra_.end_op();
    }
    close_group();
    for (const SlowPath& path : slow_paths_) emit_slow_path(path);
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
    jump_cc(c, labels_[br.cst(1)]);
    return true;
}

void Emitter::close_group() {
    if (!open_group_) return;
    for (uint8_t byte : open_group_->leave) gen_.db(byte);
    open_group_ = nullptr;
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
