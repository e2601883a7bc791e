// HostOp construction: classifying an x87/MMX/SSE instruction and
// assembling the host stub that runs it (see host_op.h).
#include "host_op.h"

#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "stub_arena.h"

namespace mimic::x86 {

namespace {

using M = Mnemonic;

bool is_gpr(const Operand& o) {
    return o.kind == OperandKind::kReg &&
           (o.reg.cls == RegClass::kGpr8 || o.reg.cls == RegClass::kGpr8High || o.reg.cls == RegClass::kGpr16 ||
            o.reg.cls == RegClass::kGpr32 || o.reg.cls == RegClass::kGpr64);
}

// x87 instructions that store to their memory operand.
bool x87_stores(M m) {
    return one_of(m, {M::kFst, M::kFstp, M::kFist, M::kFistp, M::kFisttp, M::kFbstp, M::kFnstcw, M::kFnstsw,
                      M::kFnstenv, M::kFnsave, M::kFxsave, M::kFxsave64});
}

// x87 instructions done in C++: their effect depends on the guest's mode or
// on FIP/FDP/FOP, which the host cannot know.
bool x87_in_cpp(M m) {
    return one_of(m, {M::kFldenv, M::kFnstenv, M::kFrstor, M::kFnsave, M::kFwait, M::kFxsave, M::kFxsave64,
                      M::kFxrstor, M::kFxrstor64, M::kFeni8087Nop, M::kFdisi8087Nop, M::kFsetpm287Nop});
}

bool x87_nowait(M m) {
    return one_of(m, {M::kFninit, M::kFnclex, M::kFnstsw, M::kFnstcw, M::kFnstenv, M::kFnsave, M::kFeni8087Nop,
                      M::kFdisi8087Nop, M::kFsetpm287Nop, M::kFxsave, M::kFxsave64, M::kFxrstor, M::kFxrstor64});
}

bool x87_control(M m) {
    return x87_in_cpp(m) || one_of(m, {M::kFnstsw, M::kFnstcw, M::kFldcw, M::kFnclex, M::kFninit});
}

// SSE forms whose 16-byte memory operand may be unaligned.
bool unaligned_ok(M m) {
    return one_of(m, {M::kMovups, M::kMovupd, M::kMovdqu, M::kLddqu, M::kPcmpestri, M::kPcmpestrm, M::kPcmpistri,
                      M::kPcmpistrm});
}

bool writes_eflags(M m) {
    return one_of(m, {M::kComiss, M::kUcomiss, M::kComisd, M::kUcomisd, M::kPtest, M::kPcmpestri, M::kPcmpestrm,
                      M::kPcmpistri, M::kPcmpistrm, M::kPopcnt, M::kFcomi, M::kFucomi, M::kFcomip, M::kFucomip});
}

bool reads_eflags(M m) {
    return one_of(m, {M::kFcmovb, M::kFcmove, M::kFcmovbe, M::kFcmovu, M::kFcmovnb, M::kFcmovne, M::kFcmovnbe,
                      M::kFcmovnu});
}

// Which operand is a general register in ModRM.reg (-1: none).
int reg_field_gpr(const DecodedInsn& insn) {
    M m = insn.mnemonic;
    if (one_of(m, {M::kCvttss2si, M::kCvtss2si, M::kCvttsd2si, M::kCvtsd2si, M::kMovmskps, M::kMovmskpd,
                   M::kPmovmskb, M::kCrc32, M::kPopcnt}) ||
        (m == M::kPextrw && insn.map == 1))
        return 0;
    if (m == M::kMovnti) return 1;
    return -1;
}

// Which operand is a general register in ModRM.rm (-1: none, or memory).
int rm_field_gpr(const DecodedInsn& insn) {
    M m = insn.mnemonic;
    if (one_of(m, {M::kCvtsi2ss, M::kCvtsi2sd, M::kPinsrw, M::kPinsrb, M::kPinsrd, M::kPinsrq, M::kCrc32, M::kPopcnt}))
        return 1;
    if ((m == M::kMovd || m == M::kMovq) && insn.map == 1 && insn.opcode == 0x6e) return 1;
    if ((m == M::kMovd || m == M::kMovq) && insn.map == 1 && insn.opcode == 0x7e && !(insn.prefixes & kPfxRep))
        return 0;
    if (one_of(m, {M::kPextrb, M::kPextrd, M::kPextrq, M::kExtractps}) || (m == M::kPextrw && insn.map == 3)) return 0;
    return -1;
}

// ---- stub assembly ----

// The stub of a HostOp: the guest's image in, the instruction, the image
// out, with the host's own state saved around it.
HostStub assemble(const std::vector<uint8_t>& insn_bytes) {
    return reinterpret_cast<HostStub>(assemble_stub(192, [&](Xbyak::CodeGenerator& g) {
        using namespace Xbyak::util;
        // FXSAVE64 [r8 + disp32] (xbyak has FXRSTOR64 only).
        auto fxsave64_r8 = [&g](uint32_t disp) {
            g.db(0x49); g.db(0x0f); g.db(0xae); g.db(0x80);
            g.dd(disp);
        };
        g.mov(r8, rdi);
        fxsave64_r8(kCtxHost);
        g.fxrstor64(g.ptr[r8]);
        g.lea(rsi, g.ptr[r8 + kCtxMem]);
        g.lea(rdi, g.ptr[r8 + kCtxMem]);
        g.push(g.qword[r8 + kCtxRflags]);
        g.popfq();
        g.mov(rax, g.ptr[r8 + kCtxRax]);
        g.mov(rcx, g.ptr[r8 + kCtxRcx]);
        g.mov(rdx, g.ptr[r8 + kCtxRdx]);
        for (uint8_t byte : insn_bytes) g.db(byte);
        g.mov(g.ptr[r8 + kCtxRax], rax);
        g.mov(g.ptr[r8 + kCtxRcx], rcx);
        g.mov(g.ptr[r8 + kCtxRdx], rdx);
        g.pushfq();
        g.pop(g.qword[r8 + kCtxRflags]);
        fxsave64_r8(0);
        g.fxrstor64(g.ptr[r8 + kCtxHost]);
        g.ret();
    }));
}

// The host encoding of the guest instruction: the same prefixes, opcode and
// immediate, the memory operand at [rsi], general registers in eax/ecx.
std::vector<uint8_t> host_encoding(const DecodedInsn& insn, const HostOp& op) {
    std::vector<uint8_t> out;
    const bool x87 = insn.map == 0;
    if (!x87) {
        const bool gpr_sized = insn.mnemonic == M::kPopcnt || insn.mnemonic == M::kCrc32;
        bool opsize = gpr_sized ? insn.op_size == 2 && !(insn.mnemonic == M::kCrc32 && insn.opcode == 0xf0)
                                : (insn.prefixes & kPfxOpSize) != 0;
        if (opsize) out.push_back(0x66);
        if (insn.prefixes & kPfxRep) out.push_back(0xf3);
        else if (insn.prefixes & kPfxRepne) out.push_back(0xf2);
    }
    uint8_t modrm = insn.modrm;
    uint8_t rex = insn.rex_w() ? 0x48 : 0;
    if (insn.has_modrm) {
        const unsigned mod = modrm >> 6;
        if (mod != 3) {
            modrm = static_cast<uint8_t>((modrm & 0x38) | 0x06);
            if (!x87 && (insn.rex & 4) && op.reg_gpr < 0) rex |= 0x44;
        } else {
            if (op.reg_gpr >= 0) modrm &= ~0x38;
            else if (insn.rex & 4) rex |= 0x44;
            if (op.rm_gpr >= 0) modrm = static_cast<uint8_t>((modrm & ~7) | 1);
            else if (insn.rex & 1) rex |= 0x41;
        }
        if (op.reg_gpr >= 0) modrm &= ~0x38;
    }
    if (rex) out.push_back(rex);
    if (insn.map >= 1) out.push_back(0x0f);
    if (insn.map == 2) out.push_back(0x38);
    if (insn.map == 3) out.push_back(0x3a);
    out.push_back(insn.opcode);
    if (insn.has_modrm) out.push_back(modrm);
    for (unsigned i = 0; i < insn.op_count; ++i)
        if (insn.ops[i].kind == OperandKind::kImm) out.push_back(static_cast<uint8_t>(insn.imm));
    return out;
}

struct Registry {
    std::mutex mu;
    std::map<std::string, std::unique_ptr<HostOp>> ops;
};

Registry& registry() {
    static Registry* r = new Registry;   // lives as long as the stubs it owns are in use: the process
    return *r;
}

}  // namespace

const HostOp* host_op_for(const DecodedInsn& insn) {
    HostOp op;
    std::memset(static_cast<void*>(&op), 0, sizeof op);   // padding too: the struct's bytes are its key
    op.reg_gpr = op.rm_gpr = op.mask_reg = -1;
    const M m = insn.mnemonic;
    op.mnemonic = m;
    op.op_size = insn.op_size;
    switch (insn.category) {
    case Category::kX87:
        op.kind = x87_in_cpp(m) ? HostOpKind::kX87Ctrl : HostOpKind::kX87;
        op.x87_nowait = x87_nowait(m);
        op.x87_control = x87_control(m);
        if (insn.map == 0 && insn.opcode >= 0xd8)
            op.fop = static_cast<uint16_t>(((insn.opcode & 7) << 8) | (insn.has_modrm ? insn.modrm : 0));
        break;
    case Category::kMmx: op.kind = HostOpKind::kMmx; break;
    case Category::kSse: op.kind = HostOpKind::kSse; break;
    default:
        if (m == M::kPopcnt || m == M::kCrc32) op.kind = HostOpKind::kInteger;
        else return nullptr;
    }
    if (one_of(m, {M::kLdmxcsr, M::kStmxcsr})) op.kind = HostOpKind::kSseCtrl;
    // MMX-register forms in the SSE table (MOVQ2DQ, MOVDQ2Q, CVTPI2PS...) touch
    // the x87 state like MMX instructions.
    for (unsigned i = 0; i < insn.op_count; ++i)
        if (op.kind == HostOpKind::kSse && insn.ops[i].kind == OperandKind::kReg &&
            insn.ops[i].reg.cls == RegClass::kMmx)
            op.kind = HostOpKind::kMmx;

    for (unsigned i = 0; i < insn.op_count; ++i) {
        const Operand& o = insn.ops[i];
        if (o.kind != OperandKind::kMem) continue;
        op.mem_size = o.size;
        op.mem_seg = insn.mem.seg;
        if (insn.category == Category::kX87) op.mem_store = x87_stores(m);
        else op.mem_store = i == 0 && insn.op_count >= 2 && m != M::kPtest;
        if (m == M::kStmxcsr) op.mem_store = true;
        op.mem_load = !op.mem_store;
        op.aligned = (op.kind == HostOpKind::kSse && o.size == 16 && !unaligned_ok(m)) || m == M::kFxsave ||
                     m == M::kFxsave64 || m == M::kFxrstor || m == M::kFxrstor64;
    }
    if (m == M::kMaskmovq || m == M::kMaskmovdqu) {
        op.mem_size = m == M::kMaskmovq ? 8 : 16;
        op.mem_seg = insn.mem.seg;
        op.mem_store = true;   // only the selected bytes (fpu_helper.cpp)
        op.mask_reg = static_cast<int8_t>(insn.ops[1].reg.num);
    }
    op.reads_flags = reads_eflags(m);
    op.writes_flags = writes_eflags(m);
    if (int i = reg_field_gpr(insn); i >= 0 && is_gpr(insn.ops[i])) {
        op.reg_gpr = static_cast<int8_t>(insn.ops[i].reg.num);
        op.reg_gpr_size = static_cast<uint8_t>(insn.ops[i].size);
        op.reg_gpr_write = i == 0;
    }
    if (int i = rm_field_gpr(insn); i >= 0 && is_gpr(insn.ops[i])) {
        op.rm_gpr = static_cast<int8_t>(insn.ops[i].reg.num);
        op.rm_gpr_size = static_cast<uint8_t>(insn.ops[i].size);
        op.rm_gpr_write = i == 0;
        op.rm_gpr_high = insn.ops[i].reg.cls == RegClass::kGpr8High;   // AH..BH: the host sees it in CL
    }
    op.implicit_eax_edx = m == M::kPcmpestri || m == M::kPcmpestrm;
    op.writes_ecx = m == M::kPcmpestri || m == M::kPcmpistri;
    op.writes_ax = m == M::kFnstsw && op.mem_size == 0;
    const bool needs_stub = op.kind == HostOpKind::kX87 || op.kind == HostOpKind::kMmx || op.kind == HostOpKind::kSse ||
                            op.kind == HostOpKind::kInteger;
    std::vector<uint8_t> enc;
    if (needs_stub) enc = host_encoding(insn, op);

    std::string key(reinterpret_cast<const char*>(&op), sizeof op);
    key.append(enc.begin(), enc.end());
    Registry& r = registry();
    std::lock_guard<std::mutex> lock(r.mu);
    auto it = r.ops.find(key);
    if (it != r.ops.end()) return it->second.get();
    auto owned = std::make_unique<HostOp>(op);
    if (needs_stub) owned->stub = assemble(enc);
    if (op.kind == HostOpKind::kX87) owned->x87 = x87_op_for(insn, *owned);
    const HostOp* result = owned.get();
    r.ops.emplace(std::move(key), std::move(owned));
    return result;
}

}  // namespace mimic::x86
