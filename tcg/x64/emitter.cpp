#include "emitter.h"

#include "mimic/util/error.h"

namespace mimic::tcg::x64 {

Emitter::Emitter(Xbyak::CodeGenerator& gen, const Block& block, TranslationBlock& tb, const JitRuntime& rt,
                 size_t base)
    : gen_(gen), base_(base), block_(block), tb_(tb), rt_(rt), ra_(gen, block), labels_(block.num_labels) {}

void Emitter::emit_block() {
    for (size_t i = 0; i < block_.insts.size(); ++i) {
        ra_.set_position(i);
        emit(block_.insts[i]);
        ra_.end_op();
    }
    close_group();
    for (const auto& emit_slow_path : slow_paths_) emit_slow_path();
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
