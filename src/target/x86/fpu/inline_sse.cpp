// Building the host code of an inline SSE instruction (see inline_sse.h).
#include "inline_sse.h"

#include <cstddef>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <xbyak/xbyak.h>

#include "../decode/form_table.h"
#include "mimic/x86/cpu_state.h"

namespace mimic::x86 {

namespace {

using M = Mnemonic;
using detail::Op;

// Host registers of the operands: the guest's ModRM.reg XMM in xmm1, its
// ModRM.rm XMM in xmm2, the implicit XMM0 of blends and PCMPxSTRM in xmm0.
constexpr unsigned kHostRegXmm = 1, kHostRmXmm = 2;
constexpr unsigned kRax = 0, kRcx = 1, kRdx = 2, kRScratch = 11;   // host register numbers

constexpr int32_t kXmmOff = static_cast<int32_t>(offsetof(CpuState, fpu) + offsetof(FpuState, xmm));
constexpr int32_t kMxcsrOff = static_cast<int32_t>(offsetof(CpuState, fpu) + offsetof(FpuState, mxcsr));
constexpr int32_t kScratchOff = static_cast<int32_t>(offsetof(CpuState, sse_scratch));
constexpr int32_t kMemOff = kScratchOff + static_cast<int32_t>(offsetof(CpuState::SseScratch, mem));
constexpr int32_t kHostMxcsrOff = kScratchOff + static_cast<int32_t>(offsetof(CpuState::SseScratch, host_mxcsr));
constexpr int32_t kRunMxcsrOff = kScratchOff + static_cast<int32_t>(offsetof(CpuState::SseScratch, run_mxcsr));

enum class Field { kNone, kReg, kRm, kImm };

// Where an operand of the form's table line is encoded.
Field field_of(Op op) {
    switch (op) {
    case Op::Gb: case Op::Gw: case Op::Gd: case Op::Gv: case Op::Gy: case Op::Gz: case Op::Vx:
        return Field::kReg;
    case Op::Eb: case Op::Ew: case Op::Ed: case Op::Ev: case Op::Ey: case Op::Edb: case Op::Edw:
    case Op::Mb: case Op::Mw: case Op::Md: case Op::Mq: case Op::Mdq: case Op::Mx: case Op::My:
    case Op::Ry: case Op::Rv:
    case Op::Wx: case Op::Wss: case Op::Wsd: case Op::Wq: case Op::Wd: case Op::Ww: case Op::Ux:
        return Field::kRm;
    case Op::Ib: return Field::kImm;
    default: return Field::kNone;
    }
}

// Instructions that compute on floating-point values: they round as MXCSR
// says, honour DAZ/FTZ and raise its exception flags. Moves, logic,
// shuffles and integer operations do none of that.
bool uses_mxcsr(M m) {
    const std::string_view n = mnemonic_name(m);
    for (std::string_view p : {"add", "sub", "mul", "div", "sqrt", "min", "max", "cmp", "comis", "ucomis", "cvt",
                               "rcp", "rsqrt", "hadd", "hsub", "dp", "round"})
        if (n.substr(0, p.size()) == p) return true;
    return false;
}

// Instructions that only read their first operand.
bool reads_only(M m) {
    return one_of(m, {M::kComiss, M::kUcomiss, M::kComisd, M::kUcomisd, M::kPtest, M::kPcmpestri, M::kPcmpestrm,
                      M::kPcmpistri, M::kPcmpistrm});
}

class Encoder {
public:
    Encoder() : g_(sizeof buf_, buf_) {}
    Xbyak::CodeGenerator& gen() { return g_; }
    std::vector<uint8_t> bytes() const { return {buf_, buf_ + g_.getSize()}; }

private:
    alignas(16) uint8_t buf_[256];
    Xbyak::CodeGenerator g_;
};

// Floating-point instructions run with the host in the guest's rounding and
// DAZ/FTZ modes, every exception masked (the guest masks them all while
// they run inline) and the flags clear at the start, so that the flags
// afterwards are the guest's to merge. Consecutive ones share the switch.
constexpr uint32_t kMxcsrGroup = 1;

std::vector<uint8_t> mxcsr_enter() {
    Encoder enc;
    Xbyak::CodeGenerator& g = enc.gen();
    using namespace Xbyak::util;
    const Xbyak::Reg64 env(tcg::kHostCodeEnvReg);
    g.stmxcsr(g.dword[env + kHostMxcsrOff]);
    g.mov(r11d, g.dword[env + kMxcsrOff]);
    g.and_(r11d, ~0x3fu);
    g.mov(g.dword[env + kRunMxcsrOff], r11d);
    g.ldmxcsr(g.dword[env + kRunMxcsrOff]);
    return enc.bytes();
}

std::vector<uint8_t> mxcsr_leave() {
    Encoder enc;
    Xbyak::CodeGenerator& g = enc.gen();
    using namespace Xbyak::util;
    const Xbyak::Reg64 env(tcg::kHostCodeEnvReg);
    g.stmxcsr(g.dword[env + kRunMxcsrOff]);
    g.mov(r11d, g.dword[env + kRunMxcsrOff]);
    g.and_(r11d, 0x3f);
    g.or_(g.dword[env + kMxcsrOff], r11d);
    g.ldmxcsr(g.dword[env + kHostMxcsrOff]);
    return enc.bytes();
}

struct Registry {
    std::mutex mu;
    std::map<std::string, std::unique_ptr<InlineSse>> ops;
};

Registry& registry() {
    static Registry* r = new Registry;   // blocks hold pointers into it for the process's life
    return *r;
}

}  // namespace

const InlineSse* inline_sse_for(const DecodedInsn& insn, const HostOp& op) {
    if (op.kind != HostOpKind::kSse && op.kind != HostOpKind::kInteger) return nullptr;
    if (op.mask_reg >= 0) return nullptr;
    if (op.mem_size && op.mem_size != 1 && op.mem_size != 2 && op.mem_size != 4 && op.mem_size != 8 &&
        op.mem_size != 16)
        return nullptr;
    const detail::Form& form = detail::kForms[insn.form];
    const M m = insn.mnemonic;
    const bool mem = insn.has_modrm && (insn.modrm >> 6) != 3;
    const unsigned guest_reg = ((insn.modrm >> 3) & 7) | ((insn.rex & 4) << 1);
    const unsigned guest_rm = (insn.modrm & 7) | ((insn.rex & 1) << 3);

    InlineSse s;
    // Only 0F-map instructions with a ModRM byte are re-encoded here.
    if (!insn.has_modrm || insn.map == 0) return nullptr;
    // Which fields hold XMM registers, which one is the destination.
    bool reg_xmm = false, rm_xmm = false, reg_is_ext = true;
    Field dest = Field::kNone;
    for (unsigned i = 0; i < insn.op_count; ++i) {
        const Field f = field_of(form.ops[i]);
        const Operand& o = insn.ops[i];
        if (f == Field::kNone && o.kind != OperandKind::kNone) return nullptr;   // an operand we do not place
        if (f == Field::kReg) reg_is_ext = false;
        if (o.kind == OperandKind::kReg && o.reg.cls == RegClass::kXmm) (f == Field::kReg ? reg_xmm : rm_xmm) = true;
        if (i == 0) dest = f;
    }
    if (reads_only(m)) dest = Field::kNone;
    s.reg_gpr = op.reg_gpr;
    s.rm_gpr = op.rm_gpr;
    s.reg_gpr_written = op.reg_gpr >= 0 && op.reg_gpr_write;
    s.rm_gpr_written = op.rm_gpr >= 0 && op.rm_gpr_write;
    if ((reg_xmm && s.reg_gpr >= 0) || (rm_xmm && s.rm_gpr >= 0)) return nullptr;
    s.eax_edx_in = op.implicit_eax_edx;
    s.ecx_out = op.writes_ecx;
    s.flags_out = op.writes_flags;
    s.mem_size = op.mem_size;
    s.mem_load = op.mem_load && op.mem_size;
    s.mem_store = op.mem_store && op.mem_size;
    s.aligned = op.aligned;
    const bool implicit_xmm0 = one_of(m, {M::kPblendvb, M::kBlendvps, M::kBlendvpd, M::kPcmpestrm, M::kPcmpistrm});
    const bool xmm0_out = m == M::kPcmpestrm || m == M::kPcmpistrm;
    const bool fp = op.kind == HostOpKind::kSse && uses_mxcsr(m);

    // Register interface.
    tcg::HostCode& c = s.code;
    c.clobbers = (1u << kRax) | (1u << kRcx) | (1u << kRdx) | (1u << kRScratch);
    if (s.reg_gpr >= 0) c.in_regs[c.n_in++] = kRax;
    if (s.rm_gpr >= 0) c.in_regs[c.n_in++] = kRcx;
    if (s.eax_edx_in) {
        if (s.reg_gpr >= 0 || s.rm_gpr >= 0) return nullptr;
        c.in_regs[c.n_in++] = kRax;
        c.in_regs[c.n_in++] = kRdx;
    }
    if (s.reg_gpr_written) c.out_regs[c.n_out++] = kRax;
    if (s.rm_gpr_written) c.out_regs[c.n_out++] = kRcx;
    if (s.ecx_out) {
        if (s.rm_gpr_written) return nullptr;
        c.out_regs[c.n_out++] = kRcx;
    }
    if (s.flags_out) c.out_regs[c.n_out++] = kRdx;
    if (c.n_out > 2) return nullptr;

    // The instruction with its operands in host registers and env.
    std::vector<uint8_t> insn_bytes;
    {
        const bool gpr_sized = m == M::kPopcnt || m == M::kCrc32;
        const bool opsize = gpr_sized ? insn.op_size == 2 && !(m == M::kCrc32 && insn.opcode == 0xf0)
                                      : (insn.prefixes & kPfxOpSize) != 0;
        if (opsize) insn_bytes.push_back(0x66);
        if (insn.prefixes & kPfxRep) insn_bytes.push_back(0xf3);
        else if (insn.prefixes & kPfxRepne) insn_bytes.push_back(0xf2);
        uint8_t rex = insn.rex_w() ? 0x48 : 0;
        uint8_t modrm;
        const uint8_t reg_bits = reg_is_ext ? (insn.modrm & 0x38) : s.reg_gpr >= 0 ? kRax << 3 : kHostRegXmm << 3;
        if (mem) {
            modrm = static_cast<uint8_t>(0x80 | reg_bits | 6);   // [r14 + disp32]
            rex |= 0x41;
        } else if (s.rm_gpr >= 0) {
            // AH..BH (no REX): CH, the same byte of the register in rcx.
            const bool high = op.rm_gpr_high;
            modrm = static_cast<uint8_t>(0xc0 | reg_bits | (high ? 5 : kRcx));
        } else {
            modrm = static_cast<uint8_t>(0xc0 | reg_bits | kHostRmXmm);
        }
        if (op.rm_gpr_high && rex) return nullptr;
        if (rex) insn_bytes.push_back(rex);
        insn_bytes.push_back(0x0f);
        if (insn.map == 2) insn_bytes.push_back(0x38);
        if (insn.map == 3) insn_bytes.push_back(0x3a);
        insn_bytes.push_back(insn.opcode);
        insn_bytes.push_back(modrm);
        if (mem) {
            const int32_t disp = kMemOff;
            for (int i = 0; i < 4; ++i) insn_bytes.push_back(static_cast<uint8_t>(disp >> (8 * i)));
        }
        for (unsigned i = 0; i < insn.op_count; ++i)
            if (insn.ops[i].kind == OperandKind::kImm) insn_bytes.push_back(static_cast<uint8_t>(insn.imm));
    }

    Encoder enc;
    Xbyak::CodeGenerator& g = enc.gen();
    using namespace Xbyak::util;
    const Xbyak::Reg64 env(tcg::kHostCodeEnvReg);
    auto xmm_slot = [&](unsigned n) { return g.xword[env + kXmmOff + static_cast<int32_t>(16 * n)]; };
    if (fp) {
        static const std::vector<uint8_t> enter = mxcsr_enter(), leave = mxcsr_leave();
        c.group = kMxcsrGroup;
        c.enter = enter;
        c.leave = leave;
    }
    if (implicit_xmm0) g.movdqu(xmm0, xmm_slot(0));
    if (reg_xmm) g.movdqu(Xbyak::Xmm(kHostRegXmm), xmm_slot(guest_reg));
    if (rm_xmm && !mem) g.movdqu(Xbyak::Xmm(kHostRmXmm), xmm_slot(guest_rm));
    for (uint8_t byte : insn_bytes) g.db(byte);
    if (s.flags_out) {
        g.pushfq();
        g.pop(rdx);
    }
    if (dest == Field::kReg && reg_xmm) g.movdqu(xmm_slot(guest_reg), Xbyak::Xmm(kHostRegXmm));
    if (dest == Field::kRm && rm_xmm && !mem) g.movdqu(xmm_slot(guest_rm), Xbyak::Xmm(kHostRmXmm));
    if (xmm0_out) g.movdqu(xmm_slot(0), xmm0);
    c.bytes = enc.bytes();

    std::string key(reinterpret_cast<const char*>(c.bytes.data()), c.bytes.size());
    key += static_cast<char>(c.group);
    key += static_cast<char>(s.reg_gpr);
    key += static_cast<char>(s.rm_gpr);
    key += static_cast<char>(s.mem_size);
    key += static_cast<char>((s.mem_size >> 8));
    key += static_cast<char>(s.reg_gpr_written | s.rm_gpr_written << 1 | s.eax_edx_in << 2 | s.ecx_out << 3 |
                             s.flags_out << 4 | s.mem_load << 5 | s.mem_store << 6 | s.aligned << 7);
    Registry& r = registry();
    std::lock_guard<std::mutex> lock(r.mu);
    auto [it, fresh] = r.ops.try_emplace(std::move(key));
    if (fresh) {
        it->second = std::make_unique<InlineSse>(std::move(s));
        it->second->code.name = mnemonic_name(m).data();
    }
    return it->second.get();
}

}  // namespace mimic::x86
