// Helper calls (SysV ABI, integer arguments only).
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

}  // namespace mimic::tcg::x64
