// x87, MMX, SSE..SSE4.2, XSAVE. On the JIT, SSE instructions that cannot
// fault run inline (fpu/inline_sse.h); the rest become one call of
// helper_fpu with its HostOp (fpu/host_op.h), which checks CR0/CR4, touches
// guest memory and runs the instruction on the host's FPU (x87 ones on its
// fast path while their exceptions are masked, fpu/x87_fast.h).
#include "../fpu/host_op.h"
#include "../fpu/inline_sse.h"
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
        if (insn.opcode >= 0xdb && insn.opcode <= 0xdf) return ecx(cpuid::kAes);
        return false;   // SHA: not in any model
    }
    if (insn.map == 3) {
        if (insn.opcode == 0x0f) return ecx(cpuid::kSsse3);
        if (insn.opcode >= 0x60 && insn.opcode <= 0x63) return ecx(cpuid::kSse42);
        if (insn.opcode <= 0x42) return ecx(cpuid::kSse41);
        if (insn.opcode == 0x44) return ecx(cpuid::kPclmulqdq);
        if (insn.opcode == 0xdf) return ecx(cpuid::kAes);   // AESKEYGENASSIST
        return false;   // SHA
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

// The memory operand of an inline SSE instruction moves through
// sse_scratch.mem. A 16-byte operand goes as two quadwords: the aligned
// forms cannot cross a page; unaligned stores write the upper half first,
// so a fault on either page comes before anything is written to the second.
constexpr int32_t kScratchMem = ENV_OFF(sse_scratch.mem);

// An SSE memory access: `log2` of its size, 16-byte alignment required
// (#GP(0)), through SS in 64-bit mode (#SS(0) when non-canonical).
tcg::MemOp sse_memop(const Dc& dc, unsigned log2, bool align16) {
    tcg::MemOp mo = log2;
    if (align16) mo |= tcg::mo_align(4);
    if (dc.code64 && dc.insn->mem.seg == kSS) mo |= kMoStack;
    return mo;
}

I64 next_quad(Dc& dc, I64 addr) {
    I64 hi = dc.b.temp_i64();
    dc.b.add(hi, addr, uint64_t{8});
    if (!dc.code64) dc.b.and_(hi, hi, uint64_t{0xffffffff});
    return hi;
}

// Loads 16 bytes of guest memory to env + `to`; both halves are read
// before anything is written, so a fault leaves env alone.
void load_quads(Dc& dc, I64 addr, int32_t to, bool aligned) {
    tcg::Builder& b = dc.b;
    I64 lo = b.temp_i64(), hi = b.temp_i64();
    b.qemu_ld(lo, addr, sse_memop(dc, tcg::kMo64, aligned), dc.mmu_idx);
    b.qemu_ld(hi, next_quad(dc, addr), sse_memop(dc, tcg::kMo64, false), dc.mmu_idx);
    b.st(lo, to, tcg::kMo64);
    b.st(hi, to + 8, tcg::kMo64);
}

void load_scratch(Dc& dc, const InlineSse& s, I64 addr) {
    tcg::Builder& b = dc.b;
    const unsigned size = s.mem_size;
    if (size == 16) {
        load_quads(dc, addr, kScratchMem, s.aligned);
        return;
    }
    const auto mo = static_cast<tcg::MemOp>(__builtin_ctz(size));
    I64 v = b.temp_i64();
    b.qemu_ld(v, addr, sse_memop(dc, mo, s.aligned), dc.mmu_idx);
    b.st(v, kScratchMem, mo);
}

// Stores the 16 bytes at env + `from` to guest memory.
void store_quads(Dc& dc, I64 addr, int32_t from, bool aligned) {
    tcg::Builder& b = dc.b;
    I64 v = b.temp_i64();
    if (aligned) {
        b.ld(v, from, tcg::kMo64);
        b.qemu_st(v, addr, sse_memop(dc, tcg::kMo64, true), dc.mmu_idx);
        b.ld(v, from + 8, tcg::kMo64);
        b.qemu_st(v, next_quad(dc, addr), sse_memop(dc, tcg::kMo64, false), dc.mmu_idx);
    } else {
        b.ld(v, from + 8, tcg::kMo64);
        b.qemu_st(v, next_quad(dc, addr), sse_memop(dc, tcg::kMo64, false), dc.mmu_idx);
        b.ld(v, from, tcg::kMo64);
        b.qemu_st(v, addr, sse_memop(dc, tcg::kMo64, false), dc.mmu_idx);
    }
}

void store_scratch(Dc& dc, const InlineSse& s, I64 addr) {
    tcg::Builder& b = dc.b;
    const unsigned size = s.mem_size;
    I64 v = b.temp_i64();
    if (size != 16) {
        const auto mo = static_cast<tcg::MemOp>(__builtin_ctz(size));
        b.ld(v, kScratchMem, mo);
        b.qemu_st(v, addr, sse_memop(dc, mo, false), dc.mmu_idx);
        return;
    }
    store_quads(dc, addr, kScratchMem, s.aligned);
}

int32_t xmm_slot(unsigned n) { return ENV_OFF(fpu.xmm) + static_cast<int32_t>(16 * n); }

// Moves between XMM registers and memory need no host instruction: the IR
// moves their quadwords between guest memory and the registers' slots.
// Returns false for the forms it leaves to translate_inline_sse.
bool translate_sse_move(Dc& dc, const HostOp& op) {
    const DecodedInsn& insn = *dc.insn;
    tcg::Builder& b = dc.b;
    const Operand& d = insn.ops[0];
    const Operand& s = insn.ops[1];
    auto is_xmm = [](const Operand& o) { return o.kind == OperandKind::kReg && o.reg.cls == RegClass::kXmm; };
    if (insn.op_count != 2 || !(is_xmm(d) || d.kind == OperandKind::kMem) || !(is_xmm(s) || s.kind == OperandKind::kMem))
        return false;
    // Which part of the register moves: the whole of it, or the quadword or
    // doubleword at `lane`; a load into a register from memory (and MOVQ
    // between registers) clears the rest of it when `zero_rest`.
    unsigned bytes = 16, lane = 0;
    bool zero_rest = false;
    switch (insn.mnemonic) {
    case M::kMovups: case M::kMovaps: case M::kMovupd: case M::kMovapd: case M::kMovdqu: case M::kMovdqa:
    case M::kLddqu: case M::kMovntps: case M::kMovntpd: case M::kMovntdq: case M::kMovntdqa:
        break;
    case M::kMovq: bytes = 8, zero_rest = true; break;           // F3 0F 7E, 66 0F D6
    case M::kMovsd: bytes = 8, zero_rest = s.kind == OperandKind::kMem; break;
    case M::kMovss: bytes = 4, zero_rest = s.kind == OperandKind::kMem; break;
    case M::kMovd: bytes = 4, zero_rest = true; break;
    case M::kMovlps: case M::kMovlpd: bytes = 8; break;
    case M::kMovhps: case M::kMovhpd: bytes = 8, lane = 8; break;
    default: return false;
    }
    const bool to_mem = d.kind == OperandKind::kMem, from_mem = s.kind == OperandKind::kMem;
    I64 addr;
    if (to_mem || from_mem) addr = dc.linear(insn.mem.seg, dc.effective_offset(insn.mem), bytes, to_mem);
    const int32_t dst = to_mem ? 0 : xmm_slot(d.reg.num) + lane, src = from_mem ? 0 : xmm_slot(s.reg.num) + lane;
    const tcg::MemOp part = bytes == 4 ? tcg::kMo32 : tcg::kMo64;
    if (to_mem) {
        if (bytes == 16) {
            store_quads(dc, addr, src, op.aligned);
        } else {
            I64 v = b.temp_i64();
            b.ld(v, src, part);
            b.qemu_st(v, addr, sse_memop(dc, part, false), dc.mmu_idx);
        }
        return true;
    }
    if (bytes == 16) {
        if (from_mem) {
            load_quads(dc, addr, dst, op.aligned);
        } else {
            I64 lo = b.temp_i64(), hi = b.temp_i64();
            b.ld(lo, src, tcg::kMo64);
            b.ld(hi, src + 8, tcg::kMo64);
            b.st(lo, dst, tcg::kMo64);
            b.st(hi, dst + 8, tcg::kMo64);
        }
        return true;
    }
    I64 lo = b.temp_i64();
    if (from_mem) b.qemu_ld(lo, addr, sse_memop(dc, part, op.aligned), dc.mmu_idx);
    else b.ld(lo, src, part);
    if (zero_rest) {
        b.st(lo, dst, tcg::kMo64);   // zero-extended from 4 bytes for MOVSS/MOVD
        b.st(b.const_i64(0), dst + 8, tcg::kMo64);
    } else {
        b.st(lo, dst, part);
    }
    return true;
}

void translate_inline_sse(Dc& dc, const InlineSse& s) {
    const DecodedInsn& insn = *dc.insn;
    tcg::Builder& b = dc.b;
    I64 addr;
    if (s.mem_size) addr = dc.linear(insn.mem.seg, dc.effective_offset(insn.mem), s.mem_size, s.mem_store);
    if (s.mem_load) load_scratch(dc, s, addr);
    std::vector<tcg::Arg> ins, outs;
    if (s.reg_gpr >= 0) ins.push_back(dc.g.regs[s.reg_gpr]);
    if (s.rm_gpr >= 0) ins.push_back(dc.g.regs[s.rm_gpr]);
    if (s.eax_edx_in) {
        ins.push_back(dc.g.regs[kRAX]);
        ins.push_back(dc.g.regs[kRDX]);
    }
    if (s.reg_gpr_written) outs.push_back(dc.g.regs[s.reg_gpr]);
    if (s.rm_gpr_written) outs.push_back(dc.g.regs[s.rm_gpr]);
    if (s.ecx_out) outs.push_back(dc.g.regs[kRCX]);
    I64 flags = b.temp_i64();
    if (s.flags_out) outs.push_back(flags);
    b.host_code(s.code, outs, ins);
    if (s.mem_store) store_scratch(dc, s, addr);
    if (s.flags_out) {
        b.and_(dc.g.cc_src, flags, uint64_t{kFlagsArith});
        dc.set_cc_op(kCcOpEflags);
    }
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
        if (!save) dc.stop_after();   // MXCSR decides kHfSseInline
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
    case M::kClflush: case M::kClflushopt: case M::kClwb: {
        const uint32_t f7_ebx = cpu_features(dc.env).f7_ebx;
        if ((insn.mnemonic == M::kClflushopt && !(f7_ebx & cpuid::kClflushopt)) ||
            (insn.mnemonic == M::kClwb && !(f7_ebx & cpuid::kClwb))) {
            dc.raise(kExcUD);
            return true;
        }
        // No caches to write back; the address is checked like a byte read.
        dc.linear(insn.mem.seg, dc.effective_offset(insn.mem), 1, false);
        return true;
    }
    default: break;
    }
    if (translate_xsave(dc)) return true;
    const HostOp* op = host_op_for(insn);
    if (!op) return false;
    if (!model_has(dc, insn)) {
        dc.raise(kExcUD);
        return true;
    }

    if (dc.inline_sse && op->kind == HostOpKind::kSse && (dc.flags & kHfSseInline) && translate_sse_move(dc, *op))
        return true;
    if (dc.inline_sse && (op->kind == HostOpKind::kInteger || (dc.flags & kHfSseInline))) {
        if (const InlineSse* s = inline_sse_for(insn, *op)) {
            translate_inline_sse(dc, *s);
            return true;
        }
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
    // MXCSR decides kHfSseInline.
    if (op->mnemonic == M::kLdmxcsr || op->mnemonic == M::kFxrstor || op->mnemonic == M::kFxrstor64) dc.stop_after();
    return true;
}

}  // namespace mimic::x86
