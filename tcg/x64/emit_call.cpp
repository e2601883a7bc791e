// Helper calls (SysV ABI, integer arguments only) and inlined host code.
#include "emitter.h"

namespace mimic::tcg::x64 {

using namespace Xbyak;
using namespace Xbyak::util;

void Emitter::emit_call(const Inst& inst) {
    static constexpr int kArgRegs[kMaxHelperArgs] = {Operand::RDI, Operand::RSI, Operand::RDX,
                                                     Operand::RCX, Operand::R8,  Operand::R9};
    const Helper& h = *reinterpret_cast<const Helper*>(inst.cst(0));
    const bool reads = !(h.flags & kHelperNoReadGlobals);
    const bool writes = !(h.flags & kHelperNoWriteGlobals);
    // A helper writing some globals leaves the others in env: all must be there.
    if (reads || writes) ra_.sync_globals();
    ra_.evict_caller_saved();
    // Every argument register is free now and the sources are callee-saved
    // registers, memory or constants, so plain copies cannot clobber each other.
    for (int k = 0; k < inst.n_in; ++k) ra_.load_to(kArgRegs[k], inst.in(k));
    gen_.mov(rax, reinterpret_cast<uintptr_t>(h.fn));
    gen_.call(rax);
    if (writes) ra_.drop_globals();
    if (inst.n_out) {
        if (block_.temps[inst.out(0)].type == Type::I32) gen_.mov(eax, eax);
        finish(inst, Operand::RAX);
    } else {
        finish(inst, -1);
    }
}

void Emitter::emit_host_code(const Inst& inst) {
    const HostCode& code = *reinterpret_cast<const HostCode*>(inst.cst(0));
    // Values in the registers the code uses go home first; inputs are then
    // copied from registers the code leaves alone, memory or constants.
    for (int r = 0; r < 16; ++r) {
        if ((code.clobbers >> r) & 1) ra_.evict_and_lock(r);
    }
    for (int k = 0; k < inst.n_in; ++k) ra_.load_to(code.in_regs[k], inst.in(k));
    if (code.group && (!open_group_ || open_group_->group != code.group)) {
        close_group();
        for (uint8_t byte : code.enter) gen_.db(byte);
        open_group_ = &code;
    }
    for (uint8_t byte : code.bytes) gen_.db(byte);
    ra_.release_dead_inputs(inst);
    for (int k = 0; k < inst.n_out; ++k) {
        if (block_.temps[inst.out(k)].type == Type::I32) gen_.mov(Reg32(code.out_regs[k]), Reg32(code.out_regs[k]));
        ra_.bind_output(inst, k, code.out_regs[k]);
    }
}

}  // namespace mimic::tcg::x64
