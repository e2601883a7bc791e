// x87, MMX, SSE..SSE4.2, XSAVE: every instruction becomes one call of
// helper_fpu with its HostOp (fpu/host_op.h), which checks CR0/CR4, touches
// guest memory and runs the instruction on the host's FPU.
#include "../fpu/host_op.h"
#include "dc.h"

namespace mimic::x86 {

using tcg::I64;
using M = Mnemonic;

namespace {

// Whether the CPU model has the extension an instruction belongs to; the
// ones it does not advertise are #UD, as on a processor without them.
bool model_has(const Dc& dc, const DecodedInsn& insn) {
    const CpuFeatures& f = cpu_features(dc.env);
    const M m = insn.mnemonic;
    const bool p66 = insn.prefixes & kPfxOpSize, pf3 = insn.prefixes & kPfxRep, pf2 = insn.prefixes & kPfxRepne;
    auto ecx = [&](uint32_t bit) { return (f.f1_ecx & bit) != 0; };
    if (m == M::kPopcnt) return ecx(cpuid::kPopcnt);
    if (m == M::kCrc32) return ecx(cpuid::kSse42);
    if (m == M::kFisttp) return ecx(cpuid::kSse3);
    switch (insn.category) {
    case Category::kX87: return (f.f1_edx & cpuid::kFpu) != 0;
    case Category::kMmx:
    case Category::kSse: break;
    default: return true;
    }
    if (insn.map == 2) {
        if (insn.opcode <= 0x0b || (insn.opcode >= 0x1c && insn.opcode <= 0x1e)) return ecx(cpuid::kSsse3);
        if (insn.opcode == 0x37) return ecx(cpuid::kSse42);
        if (insn.opcode <= 0x41) return ecx(cpuid::kSse41);
        return false;   // SHA, AES: not in any model
    }
    if (insn.map == 3) {
        if (insn.opcode == 0x0f) return ecx(cpuid::kSsse3);
        if (insn.opcode >= 0x60 && insn.opcode <= 0x63) return ecx(cpuid::kSse42);
        if (insn.opcode <= 0x42) return ecx(cpuid::kSse41);
        return false;   // PCLMULQDQ, SHA, AES
    }
    // 0F map: SSE3 forms, then SSE2 (66/F2/F3 and the MMX-register SSE2 ops), SSE, MMX.
    const uint8_t op = insn.opcode;
    if ((op == 0x7c || op == 0x7d || op == 0xd0) && (p66 || pf2)) return ecx(cpuid::kSse3);
    if ((op == 0x12 || op == 0x16) && pf3) return ecx(cpuid::kSse3);
    if ((op == 0x12 && pf2) || (op == 0xf0 && pf2)) return ecx(cpuid::kSse3);
    if (insn.category == Category::kMmx) return (f.f1_edx & cpuid::kMmx) != 0;
    if (p66 || pf2 || (pf3 && op != 0x10 && op != 0x11 && op != 0x51 && op != 0x52 && op != 0x53 && op != 0x58 &&
                       op != 0x59 && op != 0x5c && op != 0x5d && op != 0x5e && op != 0x5f && op != 0xc2 && op != 0x2a &&
                       op != 0x2c && op != 0x2d))
        return (f.f1_edx & cpuid::kSse2) != 0;
    return (f.f1_edx & cpuid::kSse) != 0;
}

bool translate_xsave(Dc& dc) {
    const DecodedInsn& insn = *dc.insn;
    tcg::Builder& b = dc.b;
    switch (insn.mnemonic) {
    case M::kXgetbv:
    case M::kXsetbv:
        if (!cpu_features(dc.env).has_xsave()) {
            dc.raise(kExcUD);
            return true;
        }
        break;
    default: break;
    }
    switch (insn.mnemonic) {
    case M::kXgetbv: b.call(MIMIC_HELPER(helper_xgetbv), {b.env()}); return true;
    case M::kXsetbv: b.call(MIMIC_HELPER(helper_xsetbv), {b.env()}); dc.stop_after(); return true;
    case M::kXsave: case M::kXsave64: case M::kXsaveopt: case M::kXsaveopt64:
    case M::kXrstor: case M::kXrstor64: {
        const bool opt = insn.mnemonic == M::kXsaveopt || insn.mnemonic == M::kXsaveopt64;
        if (!cpu_features(dc.env).has_xsave() || (opt && !(cpu_features(dc.env).xsave_d1_eax & cpuid::kXsaveopt))) {
            dc.raise(kExcUD);
            return true;
        }
        const bool save = insn.mnemonic != M::kXrstor && insn.mnemonic != M::kXrstor64;
        const bool wide = insn.mnemonic == M::kXsave64 || insn.mnemonic == M::kXsaveopt64 || insn.mnemonic == M::kXrstor64;
        // Legacy region and header of the x87|SSE layout.
        I64 addr = dc.linear(insn.mem.seg, dc.effective_offset(insn.mem), 576, save);
        b.call(save ? MIMIC_HELPER(helper_xsave) : MIMIC_HELPER(helper_xrstor), {b.env(), addr, b.const_i32(wide)});
        return true;
    }
    default: return false;
    }
}

}  // namespace

bool translate_fpu(Dc& dc) {
    const DecodedInsn& insn = *dc.insn;
    tcg::Builder& b = dc.b;
    switch (insn.mnemonic) {
    case M::kLfence: case M::kMfence: case M::kSfence:
        // One vCPU thread sees its own stores in order; nothing to order.
        return true;
    case M::kClflush:
        // No caches to write back; the address is checked like a byte read.
        dc.linear(insn.mem.seg, dc.effective_offset(insn.mem), 1, false);
        return true;
    default: break;
    }
    if (translate_xsave(dc)) return true;
    const HostOp* op = host_op_for(insn);
    if (!op) return false;
    if (!model_has(dc, insn)) {
        dc.raise(kExcUD);
        return true;
    }

    I64 addr = b.const_i64(0), offset = b.const_i64(0);
    if (op->mask_reg >= 0) {
        // MASKMOVQ/MASKMOVDQU store to DS:rDI (segment override allowed).
        offset = dc.load_gpr(kRDI, insn.addr_size);
        addr = dc.linear(insn.mem.seg, offset, op->mem_size, true);
    } else if (op->mem_size) {
        offset = dc.effective_offset(insn.mem);
        addr = dc.linear(insn.mem.seg, offset, op->mem_size, op->mem_store);
    }
    b.call(MIMIC_HELPER(helper_fpu), {b.env(), b.const_i64(reinterpret_cast<uint64_t>(op)), addr, offset,
                                      b.const_i64(dc.pc)});
    if (op->writes_flags) dc.cc_op = kCcOpDynamic;
    return true;
}

}  // namespace mimic::x86
