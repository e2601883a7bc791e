#include "emitter.h"

#include "mimic/util/error.h"

namespace mimic::tcg::x64 {

Emitter::Emitter(Xbyak::CodeGenerator& gen, const Block& block, TranslationBlock& tb, const JitRuntime& rt)
    : gen_(gen), block_(block), tb_(tb), rt_(rt), ra_(gen, block), labels_(block.num_labels) {}

void Emitter::emit_block() {
    for (const Inst& inst : block_.insts) {
        emit(inst);
        ra_.end_op();
    }
}

void Emitter::emit(const Inst& inst) {
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
