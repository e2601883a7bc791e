// The decoder proper: prefixes, opcode maps, form selection, ModRM/SIB and
// operand resolution. The forms themselves live in forms_*.inc.

#include "mimic/x86/decode/decoder.h"

#include "form_table.h"

#include <algorithm>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace mimic::x86 {

using namespace detail;

namespace {

// Classification of the bytes that can start an instruction as prefixes.
enum PrefixKind : uint8_t { kNotPrefix, kSegPrefix, kOpSizePrefix, kAddrSizePrefix, kLockPrefix, kRepnePrefix, kRepPrefix };

constexpr std::array<uint8_t, 256> make_prefix_kinds() {
    std::array<uint8_t, 256> t{};
    t[0x26] = t[0x2E] = t[0x36] = t[0x3E] = t[0x64] = t[0x65] = kSegPrefix;
    t[0x66] = kOpSizePrefix;
    t[0x67] = kAddrSizePrefix;
    t[0xF0] = kLockPrefix;
    t[0xF2] = kRepnePrefix;
    t[0xF3] = kRepPrefix;
    return t;
}
constexpr std::array<uint8_t, 256> kPrefixKinds = make_prefix_kinds();

constexpr uint8_t segment_of_prefix(uint8_t byte) {
    switch (byte) {
        case 0x26: return kES;
        case 0x2E: return kCS;
        case 0x36: return kSS;
        case 0x3E: return kDS;
        case 0x64: return kFS;
        default: return kGS;
    }
}

constexpr Reg gpr(unsigned num, unsigned size, bool rex) {
    switch (size) {
        case 1:
            // Without REX, encodings 4..7 of byte registers name AH..BH.
            if (!rex && num >= 4 && num < 8) return {RegClass::kGpr8High, static_cast<uint8_t>(num - 4)};
            return {RegClass::kGpr8, static_cast<uint8_t>(num)};
        case 2: return {RegClass::kGpr16, static_cast<uint8_t>(num)};
        case 4: return {RegClass::kGpr32, static_cast<uint8_t>(num)};
        default: return {RegClass::kGpr64, static_cast<uint8_t>(num)};
    }
}

constexpr Reg make_reg(RegClass cls, unsigned num) { return {cls, static_cast<uint8_t>(num)}; }

// Which mandatory prefix the legacy prefixes select: the last of F2/F3 wins
// over 66 (so 66 F3 0F 10 is MOVSS).
enum class Mandatory : uint8_t { kNone, k66, kF3, kF2 };

// Resets `d` to the default DecodedInsn. This was the most expensive line of
// the decoder when written as an assignment: GCC builds it with `rep stos`,
// whose start-up cost is a good fraction of a whole decode. Plain 16-byte
// copies from a constant avoid that.
inline void reset(DecodedInsn& d) {
    static constexpr DecodedInsn kEmpty{};
#if defined(__SSE2__)
    static_assert(sizeof(DecodedInsn) % 16 == 0);
    auto* dst = reinterpret_cast<char*>(&d);
    const auto* src = reinterpret_cast<const char*>(&kEmpty);
    for (size_t i = 0; i < sizeof(DecodedInsn); i += 16) {
        _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i), _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i)));
    }
#else
    d = kEmpty;
#endif
}

// State of one decode. Bytes come from a zero-padded copy so reads never
// need a bounds check; running past the real bytes is detected at the end
// from the length (a byte is read only if the instruction extends over it).
struct Decoder {
    uint8_t buf[32];
    unsigned pos = 0;
    CpuMode mode;
    DecodedInsn& out;

    uint8_t rex = 0;
    Mandatory mandatory = Mandatory::kNone;
    uint8_t last_rep = 0;  // 0, 0xF2 or 0xF3
    uint8_t override_seg = kDS;  // the last segment prefix that applies (with kPfxSeg)
    unsigned mod = 0, reg = 0, rm = 0;

    Decoder(CpuMode m, DecodedInsn& o) : mode(m), out(o) {}

    uint8_t next() { return buf[pos++]; }
    int64_t read_signed(unsigned size) {
        int64_t v;
        switch (size) {
            case 1: v = static_cast<int8_t>(buf[pos]); break;
            case 2: { int16_t x; std::memcpy(&x, buf + pos, 2); v = x; break; }
            case 4: { int32_t x; std::memcpy(&x, buf + pos, 4); v = x; break; }
            default: std::memcpy(&v, buf + pos, 8); break;
        }
        pos += size;
        return v;
    }
    uint64_t read_unsigned(unsigned size) {
        uint64_t v = 0;
        std::memcpy(&v, buf + pos, size);  // little-endian host
        pos += size;
        return v;
    }

    bool rex_w() const { return (rex & 8) != 0; }
    unsigned rex_r() const { return (rex & 4) << 1; }
    unsigned rex_x() const { return (rex & 2) << 2; }
    unsigned rex_b() const { return (rex & 1) << 3; }

    unsigned operand_size(uint16_t flags) const {
        bool os = out.prefixes & kPfxOpSize;
        if (mode == CpuMode::k64) {
            if (flags & kForce64) return 8;
            if (rex_w()) return 8;
            if (os) return 2;
            return (flags & kDef64) ? 8 : 4;
        }
        return (mode == CpuMode::k32) != os ? 4 : 2;
    }

    DecodeStatus run(std::span<const uint8_t> bytes);
    bool decode_prefixes();
    const Form* select_form_fast(const Slot& slot) const;
    const Form* select_form(const Slot& slot);
    void decode_memory();
    bool decode_operands(const Form& form);
    DecodeStatus finish(DecodeStatus status, InvalidReason reason = InvalidReason::kNone);
};

DecodeStatus Decoder::finish(DecodeStatus status, InvalidReason reason) {
    // Whatever else is wrong, reaching a sixteenth byte is #GP first.
    if (pos > kMaxInsnLength) {
        status = DecodeStatus::kTooLong;
        reason = InvalidReason::kNone;
    }
    out.status = status;
    out.reason = reason;
    out.length = static_cast<uint8_t>(std::min<unsigned>(pos, 255));
    return status;
}

// Returns false if the prefixes alone exceed the length limit.
bool Decoder::decode_prefixes() {
    for (;;) {
        if (pos >= kMaxInsnLength) return false;
        uint8_t byte = buf[pos];
        uint8_t kind = kPrefixKinds[byte];
        if (kind == kNotPrefix) {
            // REX must be the last prefix; one followed by a legacy prefix is ignored.
            if (mode == CpuMode::k64 && (byte & 0xF0) == 0x40) {
                rex = byte;
                ++pos;
                continue;
            }
            return true;
        }
        rex = 0;
        ++pos;
        switch (kind) {
            case kSegPrefix:
                // In 64-bit mode ES/CS/SS/DS overrides are ignored, FS/GS still apply.
                if (mode != CpuMode::k64 || byte == 0x64 || byte == 0x65) {
                    out.prefixes |= kPfxSeg;
                    override_seg = segment_of_prefix(byte);
                }
                break;
            case kOpSizePrefix: out.prefixes |= kPfxOpSize; break;
            case kAddrSizePrefix: out.prefixes |= kPfxAddrSize; break;
            case kLockPrefix: out.prefixes |= kPfxLock; break;
            case kRepnePrefix: out.prefixes |= kPfxRepne; last_rep = byte; break;
            case kRepPrefix: out.prefixes |= kPfxRep; last_rep = byte; break;
        }
    }
}

// The hot path: one mask-and-compare per candidate. Returns nullptr when no
// form matches or the match is an Unsupported area, leaving the verdict and
// its reason to select_form().
const Form* Decoder::select_form_fast(const Slot& slot) const {
    uint32_t c = static_cast<uint32_t>(reg & 7) << ctx::kRegShift | static_cast<uint32_t>(rm & 7) << ctx::kRmShift;
    if (mod == 3) c |= ctx::kMod3;
    if (mandatory == Mandatory::k66) c |= ctx::kP66;
    if (mandatory == Mandatory::kF3) c |= ctx::kPF3;
    if (mandatory == Mandatory::kF2) c |= ctx::kPF2;
    if (rex_w()) c |= ctx::kRexW;
    if (rex & 1) c |= ctx::kRexB;
    if (mode == CpuMode::k64) c |= ctx::kMode64;
    c |= ctx::size_code(operand_size(0)) << ctx::kOsShift;
    c |= ctx::size_code(operand_size(kDef64)) << ctx::kOsDef64Shift;
    c |= ctx::size_code(out.addr_size) << ctx::kAsShift;
    const Entry* e = &kFormIndex.entries[slot.first];
    for (const Entry* end = e + slot.count; e != end; ++e) {
        if ((c & e->key.mask) == e->key.value) {
            const Form* f = &kForms[e->form];
            return f->mnemonic == Mnemonic::kUnsupported ? nullptr : f;
        }
    }
    return nullptr;
}

// First form of the slot whose requirements the instruction meets. On
// failure returns nullptr with out.reason set to the most specific cause.
const Form* Decoder::select_form(const Slot& slot) {
    InvalidReason reason = InvalidReason::kUndefinedOpcode;
    const bool is64 = mode == CpuMode::k64;
    for (unsigned i = 0; i < slot.count; ++i) {
        const Form& f = kForms[kFormIndex.entries[slot.first + i].form];
        switch (f.prefix) {
            case Pfx::kAny: break;
            case Pfx::kNone: if (mandatory != Mandatory::kNone) continue; break;
            case Pfx::kNoneOr66: if (mandatory == Mandatory::kF3 || mandatory == Mandatory::kF2) continue; break;
            case Pfx::k66: if (mandatory != Mandatory::k66) continue; break;
            case Pfx::kF3: if (mandatory != Mandatory::kF3) continue; break;
            case Pfx::kF2: if (mandatory != Mandatory::kF2) continue; break;
        }
        if (f.modrm.kind != ModRMReq::kNone) {
            if (f.modrm.reg >= 0 && f.modrm.reg != static_cast<int>(reg & 7)) continue;
            if (f.modrm.rm >= 0 && (mod != 3 || f.modrm.rm != static_cast<int>(rm & 7))) continue;
            if (f.modrm.kind == ModRMReq::kMemOnly && mod == 3) {
                reason = InvalidReason::kRegisterNotAllowed;
                continue;
            }
            if (f.modrm.kind == ModRMReq::kRegOnly && mod != 3) {
                reason = InvalidReason::kMemoryNotAllowed;
                continue;
            }
        }
        const uint16_t flags = f.flags;
        if ((flags & kNoRexB) && (rex & 1)) continue;
        if ((flags & kW0) && rex_w()) continue;
        if ((flags & kW1) && !rex_w()) continue;
        if (flags & (kOs16 | kOs32 | kOs64)) {
            unsigned os = operand_size(flags);
            if (!(flags & (os == 2 ? kOs16 : os == 4 ? kOs32 : kOs64))) continue;
        }
        if (flags & (kAs16 | kAs32 | kAs64)) {
            unsigned as = out.addr_size;
            if (!(flags & (as == 2 ? kAs16 : as == 4 ? kAs32 : kAs64))) continue;
        }
        if ((flags & kNo64) && is64) {
            reason = InvalidReason::kInvalidIn64;
            continue;
        }
        if ((flags & kOnly64) && !is64) {
            reason = InvalidReason::kOnlyIn64;
            continue;
        }
        // An opcode area left to extensions we do not model does not hide a
        // form that exists but not in this mode (SWAPGS outside 64-bit mode).
        if (f.mnemonic == Mnemonic::kUnsupported &&
            (reason == InvalidReason::kInvalidIn64 || reason == InvalidReason::kOnlyIn64)) {
            break;
        }
        return &f;
    }
    out.reason = reason;
    return nullptr;
}

// ModRM memory operand (mod != 3), SIB and displacement.
void Decoder::decode_memory() {
    MemOperand& m = out.mem;
    m.addr_size = out.addr_size;
    bool stack_base = false;
    if (out.addr_size == 2) {
        // The 16-bit forms: fixed base/index pairs, BP-based ones use SS.
        static constexpr uint8_t kBase[8] = {kRBX, kRBX, kRBP, kRBP, 0xff, 0xff, kRBP, kRBX};
        static constexpr uint8_t kIndex[8] = {kRSI, kRDI, kRSI, kRDI, kRSI, kRDI, 0xff, 0xff};
        unsigned r = rm & 7;
        if (mod == 0 && r == 6) {
            m.disp = static_cast<uint16_t>(read_signed(2));
            m.disp = static_cast<int16_t>(m.disp);
        } else {
            if (kBase[r] != 0xff) m.base = make_reg(RegClass::kGpr16, kBase[r]);
            if (kIndex[r] != 0xff) {
                // SI/DI alone are bases, not indexes.
                if (kBase[r] == 0xff) m.base = make_reg(RegClass::kGpr16, kIndex[r]);
                else m.index = make_reg(RegClass::kGpr16, kIndex[r]);
            }
            stack_base = kBase[r] == kRBP;
            if (mod == 1) m.disp = read_signed(1);
            else if (mod == 2) m.disp = read_signed(2);
        }
    } else {
        const RegClass cls = out.addr_size == 8 ? RegClass::kGpr64 : RegClass::kGpr32;
        unsigned base_low = rm & 7;
        if (base_low == 4) {
            out.has_sib = true;
            out.sib = next();
            unsigned index = ((out.sib >> 3) & 7) | rex_x();
            base_low = out.sib & 7;
            if (index != 4) {  // index 4 without REX.X means none; R12 is a real index
                m.index = make_reg(cls, index);
                m.scale = static_cast<uint8_t>(1u << (out.sib >> 6));
            }
            if (base_low == 5 && mod == 0) {
                m.disp = read_signed(4);
            } else {
                unsigned base = base_low | rex_b();
                m.base = make_reg(cls, base);
                stack_base = base == kRSP || base == kRBP;
            }
        } else if (base_low == 5 && mod == 0) {
            // disp32 alone; in 64-bit mode this is RIP-relative instead.
            if (mode == CpuMode::k64) m.base = make_reg(RegClass::kIp, 0);
            m.disp = read_signed(4);
        } else {
            unsigned base = base_low | rex_b();
            m.base = make_reg(cls, base);
            stack_base = base == kRSP || base == kRBP;
        }
        if (mod == 1) m.disp = read_signed(1);
        else if (mod == 2) m.disp = read_signed(4);
    }
    if (!m.seg_override) m.seg = stack_base ? kSS : kDS;
}

bool Decoder::decode_operands(const Form& form) {
    const unsigned os = out.op_size;
    const bool any_rex = rex != 0;
    const bool is64 = mode == CpuMode::k64;
    bool memory_decoded = false;
    bool have_imm = false;
    auto mem_operand = [&](Operand& op, unsigned size) {
        if (!memory_decoded) {
            decode_memory();
            memory_decoded = true;
        }
        op.kind = OperandKind::kMem;
        op.size = static_cast<uint16_t>(size);
    };
    auto reg_operand = [&](Operand& op, Reg r, unsigned size) {
        op.kind = OperandKind::kReg;
        op.reg = r;
        op.size = static_cast<uint16_t>(size);
    };
    auto e_operand = [&](Operand& op, unsigned size) {
        if (mod == 3) reg_operand(op, gpr(rm | rex_b(), size, any_rex), size);
        else mem_operand(op, size);
    };
    auto imm_operand = [&](Operand& op, int64_t value, unsigned size) {
        op.kind = OperandKind::kImm;
        op.size = static_cast<uint16_t>(size);
        if (have_imm) out.imm2 = value;
        else out.imm = value;
        have_imm = true;
    };
    auto string_operand = [&](Operand& op, unsigned size, bool destination) {
        op.kind = OperandKind::kMem;
        op.size = static_cast<uint16_t>(size);
        MemOperand& m = out.mem;
        m.addr_size = out.addr_size;
        const RegClass cls = out.addr_size == 8 ? RegClass::kGpr64
                           : out.addr_size == 4 ? RegClass::kGpr32 : RegClass::kGpr16;
        // The destination string is ES:rDI whatever the override. When an
        // instruction has both (MOVS, CMPS) `mem` describes the source; the
        // destination is implicit.
        if (destination) {
            if (memory_decoded) return;
            m.base = make_reg(cls, kRDI);
            m.seg = kES;
            m.seg_override = false;
        } else {
            m.base = make_reg(cls, kRSI);
            m.seg = override_seg;  // the override, else DS
            m.seg_override = (out.prefixes & kPfxSeg) != 0;
        }
        memory_decoded = true;
    };
    const unsigned z_size = os == 2 ? 2 : 4;
    const unsigned y_size = rex_w() ? 8 : 4;
    const unsigned reg_full = reg | rex_r();
    const unsigned rm_full = rm | rex_b();

    unsigned count = 0;
    for (Op spec : form.ops) {
        if (spec == Op::None) break;
        Operand& op = out.ops[count++];
        switch (spec) {
            case Op::None: break;
            case Op::Eb: e_operand(op, 1); break;
            case Op::Ew: e_operand(op, 2); break;
            case Op::Ed: e_operand(op, 4); break;
            case Op::Ev: e_operand(op, os); break;
            case Op::Ey: e_operand(op, y_size); break;
            case Op::EwRv: if (mod == 3) reg_operand(op, gpr(rm_full, os, any_rex), os); else mem_operand(op, 2); break;
            case Op::EwRz: if (mod == 3) reg_operand(op, gpr(rm_full, z_size, any_rex), z_size); else mem_operand(op, 2); break;
            case Op::EdRz: if (mod == 3) reg_operand(op, gpr(rm_full, z_size, any_rex), z_size); else mem_operand(op, 4); break;
            case Op::Edb: if (mod == 3) reg_operand(op, gpr(rm_full, 4, any_rex), 4); else mem_operand(op, 1); break;
            case Op::Edw: if (mod == 3) reg_operand(op, gpr(rm_full, 4, any_rex), 4); else mem_operand(op, 2); break;
            case Op::Gb: reg_operand(op, gpr(reg_full, 1, any_rex), 1); break;
            case Op::Gw: reg_operand(op, gpr(reg_full, 2, any_rex), 2); break;
            case Op::Gd: reg_operand(op, gpr(reg_full, 4, any_rex), 4); break;
            case Op::Gv: reg_operand(op, gpr(reg_full, os, any_rex), os); break;
            case Op::Gy: reg_operand(op, gpr(reg_full, y_size, any_rex), y_size); break;
            case Op::Gz: reg_operand(op, gpr(reg_full, z_size, any_rex), z_size); break;
            case Op::M: mem_operand(op, 0); break;
            case Op::Mb: mem_operand(op, 1); break;
            case Op::Mw: mem_operand(op, 2); break;
            case Op::Md: mem_operand(op, 4); break;
            case Op::Mq: mem_operand(op, 8); break;
            case Op::Mt: mem_operand(op, 10); break;
            case Op::Mv: mem_operand(op, os); break;
            case Op::My: mem_operand(op, y_size); break;
            case Op::Mdq: case Op::Mx: mem_operand(op, 16); break;
            case Op::Mp: mem_operand(op, os + 2); break;
            case Op::Ms: mem_operand(op, is64 ? 10 : 6); break;
            case Op::Ma: mem_operand(op, os * 2); break;
            case Op::Menv: mem_operand(op, os == 2 ? 14 : 28); break;
            case Op::Mstate: mem_operand(op, os == 2 ? 94 : 108); break;
            case Op::Mfx: mem_operand(op, 512); break;
            case Op::Mxsave: mem_operand(op, 0); break;
            case Op::Rv: reg_operand(op, gpr(rm_full, os, any_rex), os); break;
            case Op::Ry: reg_operand(op, gpr(rm_full, y_size, any_rex), y_size); break;
            case Op::Rn: { unsigned s = is64 ? 8 : 4; reg_operand(op, gpr(rm_full, s, any_rex), s); break; }
            case Op::Gn: { unsigned s = is64 ? 8 : 4; reg_operand(op, gpr(reg_full, s, any_rex), s); break; }
            case Op::Ib: imm_operand(op, next(), 1); break;
            case Op::Ibs: imm_operand(op, read_signed(1), os); break;
            case Op::Iw: imm_operand(op, static_cast<int64_t>(read_unsigned(2)), 2); break;
            case Op::Iz: imm_operand(op, read_signed(z_size), os); break;
            case Op::Iv: imm_operand(op, static_cast<int64_t>(read_unsigned(os)), os); break;
            case Op::I1: imm_operand(op, 1, 1); break;
            case Op::Jb:
                op.kind = OperandKind::kRel;
                op.size = static_cast<uint16_t>(os);
                out.rel = read_signed(1);
                break;
            case Op::Jz:
                op.kind = OperandKind::kRel;
                op.size = static_cast<uint16_t>(os);
                out.rel = read_signed(z_size);
                break;
            case Op::Ap:
                op.kind = OperandKind::kFarPtr;
                op.size = static_cast<uint16_t>(z_size + 2);
                out.imm = static_cast<int64_t>(read_unsigned(z_size));
                out.imm2 = static_cast<int64_t>(read_unsigned(2));
                break;
            case Op::Ob:
            case Op::Ov:
                op.kind = OperandKind::kMem;
                op.size = static_cast<uint16_t>(spec == Op::Ob ? 1 : os);
                out.mem.addr_size = out.addr_size;
                out.mem.disp = static_cast<int64_t>(read_unsigned(out.addr_size));
                memory_decoded = true;
                break;
            case Op::Sw:
            case Op::SwW: {
                // REX.R does not extend segment registers; 6 and 7 do not exist,
                // and CS cannot be loaded with MOV.
                unsigned s = reg & 7;
                if (s > 5 || (s == kCS && spec == Op::SwW)) {
                    out.reason = InvalidReason::kReservedRegister;
                    return false;
                }
                reg_operand(op, make_reg(RegClass::kSeg, s), 2);
                break;
            }
            case Op::Cy: {
                unsigned n = reg_full;
                if (n != 0 && n != 2 && n != 3 && n != 4 && n != 8) {
                    out.reason = InvalidReason::kReservedRegister;
                    return false;
                }
                reg_operand(op, make_reg(RegClass::kCr, n), is64 ? 8 : 4);
                break;
            }
            case Op::Dy:
                if (reg_full > 7) {
                    out.reason = InvalidReason::kReservedRegister;
                    return false;
                }
                reg_operand(op, make_reg(RegClass::kDr, reg_full), is64 ? 8 : 4);
                break;
            case Op::Zb: reg_operand(op, gpr((out.opcode & 7) | rex_b(), 1, any_rex), 1); break;
            case Op::Zv: reg_operand(op, gpr((out.opcode & 7) | rex_b(), os, any_rex), os); break;
            case Op::AL: reg_operand(op, gpr(kRAX, 1, false), 1); break;
            case Op::CL: reg_operand(op, gpr(kRCX, 1, false), 1); break;
            case Op::DX: reg_operand(op, gpr(kRDX, 2, false), 2); break;
            case Op::AX: reg_operand(op, gpr(kRAX, 2, false), 2); break;
            case Op::rAX: reg_operand(op, gpr(kRAX, os, false), os); break;
            case Op::eAX: reg_operand(op, gpr(kRAX, z_size, false), z_size); break;
            case Op::ES: reg_operand(op, make_reg(RegClass::kSeg, kES), 2); break;
            case Op::CS: reg_operand(op, make_reg(RegClass::kSeg, kCS), 2); break;
            case Op::SS: reg_operand(op, make_reg(RegClass::kSeg, kSS), 2); break;
            case Op::DS: reg_operand(op, make_reg(RegClass::kSeg, kDS), 2); break;
            case Op::FS: reg_operand(op, make_reg(RegClass::kSeg, kFS), 2); break;
            case Op::GS: reg_operand(op, make_reg(RegClass::kSeg, kGS), 2); break;
            case Op::Xb: string_operand(op, 1, false); break;
            case Op::Xv: string_operand(op, os, false); break;
            case Op::Xz: string_operand(op, z_size, false); break;
            case Op::Yb: string_operand(op, 1, true); break;
            case Op::Yv: string_operand(op, os, true); break;
            case Op::Yz: string_operand(op, z_size, true); break;
            case Op::ST0: reg_operand(op, make_reg(RegClass::kSt, 0), 10); break;
            case Op::STi: reg_operand(op, make_reg(RegClass::kSt, rm & 7), 10); break;
            // MMX registers ignore REX.R/REX.B.
            case Op::Pq: reg_operand(op, make_reg(RegClass::kMmx, reg & 7), 8); break;
            case Op::Qq: if (mod == 3) reg_operand(op, make_reg(RegClass::kMmx, rm & 7), 8); else mem_operand(op, 8); break;
            case Op::Qd: if (mod == 3) reg_operand(op, make_reg(RegClass::kMmx, rm & 7), 8); else mem_operand(op, 4); break;
            case Op::Nq: reg_operand(op, make_reg(RegClass::kMmx, rm & 7), 8); break;
            case Op::Vx: reg_operand(op, make_reg(RegClass::kXmm, reg_full), 16); break;
            case Op::Ux: reg_operand(op, make_reg(RegClass::kXmm, rm_full), 16); break;
            case Op::Wx: case Op::Wss: case Op::Wsd: case Op::Wq: case Op::Wd: case Op::Ww:
                if (mod == 3) {
                    reg_operand(op, make_reg(RegClass::kXmm, rm_full), 16);
                } else {
                    unsigned size = spec == Op::Wx ? 16 : spec == Op::Wsd || spec == Op::Wq ? 8
                                  : spec == Op::Ww ? 2 : 4;
                    mem_operand(op, size);
                }
                break;
            case Op::XMM0: reg_operand(op, make_reg(RegClass::kXmm, 0), 16); break;
        }
    }
    out.op_count = static_cast<uint8_t>(count);
    return true;
}

DecodeStatus Decoder::run(std::span<const uint8_t> bytes) {
    const size_t avail = bytes.size();
    const size_t copy = std::min<size_t>(avail, kMaxInsnLength);
    if (avail >= kMaxInsnLength) {
        // The common case (the translator passes 15 bytes unless a page ends
        // sooner), in fixed-size copies the compiler turns into a few moves.
        std::memcpy(buf, bytes.data(), kMaxInsnLength);
        std::memset(buf + kMaxInsnLength, 0, sizeof buf - kMaxInsnLength);
    } else {
        std::memset(buf, 0, sizeof buf);
        std::memcpy(buf, bytes.data(), copy);
    }

    reset(out);
    if (!decode_prefixes()) return finish(DecodeStatus::kTooLong);
    const bool is64 = mode == CpuMode::k64;
    out.rex = rex;
    out.mem.seg_override = (out.prefixes & kPfxSeg) != 0;
    out.mem.seg = override_seg;

    const bool asz = (out.prefixes & kPfxAddrSize) != 0;
    out.addr_size = is64 ? (asz ? 4 : 8) : (mode == CpuMode::k32) != asz ? 4 : 2;
    out.mem.addr_size = out.addr_size;
    if (last_rep == 0xF3) mandatory = Mandatory::kF3;
    else if (last_rep == 0xF2) mandatory = Mandatory::kF2;
    else if (out.prefixes & kPfxOpSize) mandatory = Mandatory::k66;

    // Opcode and map.
    uint8_t opcode = next();
    unsigned map = 0;
    if (opcode == 0x0F) {
        opcode = next();
        map = 1;
        if (opcode == 0x38 || opcode == 0x3A) {
            map = opcode == 0x38 ? 2 : 3;
            opcode = next();
        }
    } else if (opcode == 0xC4 || opcode == 0xC5 || opcode == 0x62) {
        // VEX (C4/C5) and EVEX (62) reuse LES/LDS/BOUND encodings with mod == 3,
        // and own the opcodes outright in 64-bit mode.
        if (is64 || (buf[pos] >> 6) == 3) return finish(DecodeStatus::kUnsupported);
    } else if (opcode == 0x8F && (buf[pos] & 0x1F) >= 8) {
        return finish(DecodeStatus::kUnsupported);  // XOP
    }
    out.map = static_cast<uint8_t>(map);
    out.opcode = opcode;

    const Slot& slot = kFormIndex.slots[map * 256 + opcode];
    if (!slot.claimed) {
        // The table covers all four maps: an opcode it does not list is #UD.
        return finish(DecodeStatus::kInvalid, InvalidReason::kUndefinedOpcode);
    }
    if (slot.has_modrm) {
        out.has_modrm = true;
        out.modrm = next();
        mod = out.modrm >> 6;
        reg = (out.modrm >> 3) & 7;
        rm = out.modrm & 7;
    }

    const Form* form = select_form_fast(slot);
    if (form == nullptr) form = select_form(slot);
    if (form == nullptr) {
        // Length so far covers ModRM only; hardware raises #UD before
        // fetching further, and the translator only needs to stop here.
        return finish(DecodeStatus::kInvalid, out.reason);
    }
    out.form = static_cast<uint16_t>(form - kForms);
    if (form->mnemonic == Mnemonic::kUnsupported) return finish(DecodeStatus::kUnsupported);
    if (form->modrm.kind == ModRMReq::kRegForced) mod = 3;

    out.mnemonic = form->mnemonic;
    out.category = form->category;
    out.op_size = static_cast<uint8_t>(operand_size(form->flags));
    // A 66 that selected the form is not an operand-size override.
    if (form->prefix == Pfx::k66) out.op_size = static_cast<uint8_t>(is64 && rex_w() ? 8 : is64 || mode == CpuMode::k32 ? 4 : 2);

    if (!decode_operands(*form)) return finish(DecodeStatus::kInvalid, out.reason);

    if (out.prefixes & kPfxLock) {
        if (!(form->flags & kLock) || mod == 3 || !out.has_modrm) {
            return finish(DecodeStatus::kInvalid, InvalidReason::kLockNotAllowed);
        }
        out.lock = true;
    }
    if (form->flags & kRep) {
        if (last_rep) out.rep = RepKind::kRep;
    } else if (form->flags & kRepCond) {
        if (last_rep) out.rep = last_rep == 0xF3 ? RepKind::kRepe : RepKind::kRepne;
    }
    return finish(DecodeStatus::kOk);
}

}  // namespace

DecodeStatus decode(std::span<const uint8_t> bytes, CpuMode mode, DecodedInsn& out) {
    Decoder d(mode, out);
    DecodeStatus status = d.run(bytes);
    // Any byte read past the ones given was a zero of the padding: the verdict
    // is not final until the caller supplies the real bytes.
    if (d.pos > bytes.size() && bytes.size() < kMaxInsnLength) {
        out.status = DecodeStatus::kNeedMoreBytes;
        out.length = static_cast<uint8_t>(std::min<size_t>(bytes.size(), kMaxInsnLength));
        return out.status;
    }
    return status;
}

}  // namespace mimic::x86
