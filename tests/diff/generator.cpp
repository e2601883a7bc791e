// The instruction generator (see generator.h). Encodings are written by
// hand here, one small emitter per instruction family, so the test does not
// depend on the decoder under test.
#include "generator.h"

#include <array>
#include <cstdio>

namespace mimic::x86::diff {
namespace {

constexpr uint32_t CF = 0x1, PF = 0x4, AF = 0x10, ZF = 0x40, SF = 0x80, OF = 0x800;
constexpr uint32_t ALL = CF | PF | AF | ZF | SF | OF;

constexpr int kFree[5] = {0, 1, 2, 6, 7};          // EAX ECX EDX ESI EDI
constexpr int kFreeByte[6] = {0, 1, 2, 4, 5, 6};   // AL CL DL AH CH DH
// 64-bit mode with a REX prefix: R8-R15 too, and byte registers 4..7 are
// SPL BPL SIL DIL (so SPL and BPL, parts of fixed registers, are out).
constexpr int kFree64[13] = {0, 1, 2, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

// Flags a Jcc/SETcc/CMOVcc condition reads.
uint32_t cond_reads(int cc) {
    switch (cc >> 1) {
    case 0: return OF;
    case 1: return CF;
    case 2: return ZF;
    case 3: return CF | ZF;
    case 4: return SF;
    case 5: return PF;
    case 6: return SF | OF;
    default: return ZF | SF | OF;
    }
}

class Gen {
public:
    Gen(uint64_t seed, const GenOptions& opt) : rng_(seed), opt_(opt), m64_(opt.mode64) {
        seq_.seed = seed;
        seq_.mode64 = opt.mode64;
        seq_.fpu = opt.fpu;
        seq_.extensions = opt.extensions;
    }

    Sequence run() {
        // Random initial values for the free registers are set by the
        // runner; the sequence itself starts right away.
        unsigned n = 0;
        while (n < opt_.length) {
            size_t mark = seq_.code.size();
            uint32_t uf_before = uf_;
            size_t notes = seq_.listing.size();
            if (one()) {
                ++n;
                seq_.ends.push_back(seq_.code.size());
                seq_.undefined_at.push_back(uf_);
                // One listing line per group keeps the listing aligned with `ends`.
                std::string joined;
                for (size_t i = notes; i < seq_.listing.size(); ++i) joined += (i > notes ? "; " : "") + seq_.listing[i];
                seq_.listing.resize(notes);
                seq_.listing.push_back(joined);
            } else {
                seq_.code.resize(mark);
                seq_.listing.resize(notes);
                uf_ = uf_before;
            }
        }
        seq_.undefined_flags = uf_;
        return std::move(seq_);
    }

private:
    uint32_t rnd(uint32_t n) { return std::uniform_int_distribution<uint32_t>(0, n - 1)(rng_); }
    uint32_t r32() { return static_cast<uint32_t>(rng_()); }
    bool coin() { return rnd(2) == 0; }
    void b(uint8_t v) { seq_.code.push_back(v); }
    void d32(uint32_t v) { for (int i = 0; i < 4; ++i) b(static_cast<uint8_t>(v >> (8 * i))); }
    void d16(uint32_t v) { b(v & 0xff); b((v >> 8) & 0xff); }
    void imm(uint32_t v, unsigned size) { if (size == 1) b(v & 0xff); else if (size == 2) d16(v); else d32(v); }
    void note(const char* fmt, auto... args) {
        char buf[128];
        std::snprintf(buf, sizeof buf, fmt, args...);
        seq_.listing.emplace_back(buf);
    }
    // Whether an instruction reading `flags` may be emitted now.
    bool can_read(uint32_t flags) const { return (flags & uf_) == 0; }
    void writes(uint32_t defined, uint32_t undefined = 0) { uf_ = (uf_ & ~(defined | undefined)) | undefined; }

    int dest_reg(unsigned size) {
        if (rex_at_ >= 0) return kFree64[rnd(13)];
        return size == 1 ? kFreeByte[rnd(6)] : kFree[rnd(5)];
    }
    int any_reg() { return static_cast<int>(rnd(rex_at_ >= 0 ? 16 : 8)); }

    // The operand-size prefix and, in 64-bit mode, a REX prefix: always for
    // 64-bit operands, sometimes otherwise (R8-R15, SIL/DIL). Register
    // choices made after this may set its R/X/B bits.
    void prefixes(unsigned size) {
        if (size == 2) b(0x66);
        rex_at_ = -1;
        if (m64_ && (size == 8 || coin())) {
            rex_at_ = static_cast<long>(seq_.code.size());
            b(size == 8 ? 0x48 : 0x40);
        }
    }
    void rex_bit(uint8_t bit) { if (rex_at_ >= 0) seq_.code[static_cast<size_t>(rex_at_)] |= bit; }
    // An opcode with the register in its low three bits (PUSH r, MOV r, imm, BSWAP).
    void opreg(uint8_t base, int r) {
        if (r >= 8) rex_bit(1);
        b(static_cast<uint8_t>(base + (r & 7)));
    }
    // SSE in 64-bit mode: a REX prefix (most of the time) between the
    // mandatory prefix and 0F, so XMM8-15 and R8-R15 show up. W is random
    // when `w_random` (the packed forms ignore it; MOVQ, CVTSI2SS, PEXTRQ,
    // PINSRQ, CRC32, PCMPESTRI take 64-bit operands), forced by `w_force`.
    // Takes no random numbers in 32-bit mode, so 32-bit sequences stay as
    // they were (and the regression seeds keep their meaning).
    void sse_rex(bool w_random = true, bool w_force = false) {
        rex_at_ = -1;
        if (!m64_ || (!w_force && rnd(4) == 0)) return;
        rex_at_ = static_cast<long>(seq_.code.size());
        b(w_force || (w_random && rnd(4) == 0) ? 0x48 : 0x40);
    }
    // An XMM register: XMM8-15 too when there is a REX prefix.
    int xreg() { return static_cast<int>(rnd(rex_at_ >= 0 ? 16 : 8)); }
    // `r` (drawn before the prefix), or XMM0-15 when there is a REX prefix.
    int xreg_or(int r) { return rex_at_ >= 0 ? xreg() : r; }
    // `g`, or R8-R15 too when there is a REX prefix.
    int gpr_or(int g) { return rex_at_ >= 0 ? kFree64[rnd(13)] : g; }
    // A register-register ModRM, REX.R and REX.B for registers 8-15.
    void rr(int reg, int rm) {
        if (reg >= 8) rex_bit(4);
        if (rm >= 8) rex_bit(1);
        b(static_cast<uint8_t>(0xc0 | (reg & 7) << 3 | (rm & 7)));
    }

    // 16/32-bit operands (and 64-bit in 64-bit mode), with their prefixes.
    unsigned wide_size() {
        unsigned s = m64_ ? std::array<unsigned, 3>{2, 4, 8}[rnd(3)] : std::array<unsigned, 2>{2, 4}[rnd(2)];
        prefixes(s);
        return s;
    }

    // A ModRM (and SIB/displacement) for a register or an in-buffer memory
    // operand. `mem_ok` false forces the register form.
    bool modrm(int reg, int rm_reg, bool use_mem, unsigned size) {
        if (reg >= 8) rex_bit(4);
        reg &= 7;
        if (!use_mem) {
            if (rm_reg >= 8) rex_bit(1);
            b(static_cast<uint8_t>(0xc0 | (reg << 3) | (rm_reg & 7)));
            return false;
        }
        (void)size;
        switch (rnd(4)) {
        case 0:   // [ebx + disp8]
            b(static_cast<uint8_t>(0x40 | (reg << 3) | 3));
            b(static_cast<uint8_t>(rnd(120)));
            break;
        case 1:   // [ebx + disp32]
            b(static_cast<uint8_t>(0x80 | (reg << 3) | 3));
            d32(rnd(2000));
            break;
        case 2: {   // [ebx + ebp*scale + disp8]
            b(static_cast<uint8_t>(0x44 | (reg << 3)));
            b(static_cast<uint8_t>((rnd(4) << 6) | (5 << 3) | 3));
            b(static_cast<uint8_t>(rnd(100)));
            break;
        }
        default:  // [ebx] (mod 00) or [ebp + ebx*1 + disp8]
            if (coin()) {
                b(static_cast<uint8_t>((reg << 3) | 3));
            } else {
                b(static_cast<uint8_t>(0x44 | (reg << 3)));
                b(static_cast<uint8_t>((0 << 6) | (3 << 3) | 5));
                b(static_cast<uint8_t>(rnd(100)));
            }
            break;
        }
        return true;
    }

    unsigned pick_size() {
        unsigned s = std::array<unsigned, 4>{1, 2, 4, m64_ ? 8u : 4u}[rnd(4)];
        prefixes(s);
        return s;
    }

    bool one() {
        rex_at_ = -1;
        if (opt_.extensions && rnd(3) == 0) return extension_one();
        if (opt_.fpu && coin()) return fpu_one();
        switch (rnd(28)) {
        case 27: return shift_cl();
        case 24: return stack_frames();
        case 25: return loops();
        case 26: return xlat_cx8();
        case 0: case 1: case 2: return alu();
        case 3: return alu_imm();
        case 4: return test_op();
        case 5: return inc_dec_neg_not();
        case 6: return mul1();
        case 7: return imul2();
        case 8: return div_op();
        case 9: return shift_imm();
        case 10: return shld();
        case 11: return bit_test();
        case 12: return bit_scan();
        case 13: return movx();
        case 14: return setcc_cmov();
        case 15: return xchg_family();
        case 16: return misc_conv();
        case 17: return lea();
        case 18: return mov();
        case 19: return bcd();
        case 20: return flag_ops();
        case 21: return jcc();
        case 22: return string_op();
        default: return push_pop();
        }
    }

    // MOVBE, RDPID and (64-bit mode) the GS base instructions; see
    // GenOptions::extensions.
    bool extension_one() {
        switch (rnd(m64_ ? 5 : 2)) {
        case 0: {   // MOVBE r, m / m, r
            const unsigned size = wide_size();
            const bool load = coin();
            const int reg = load ? dest_reg(size) : any_reg();
            b(0x0f); b(0x38); b(load ? 0xf0 : 0xf1);
            modrm(reg, 0, true, size);
            note("movbe %s size%u", load ? "load" : "store", size);
            return true;
        }
        case 1: {   // RDPID r32/r64 (REX.W changes nothing)
            b(0xf3);
            rex_at_ = -1;
            if (m64_ && coin()) {
                rex_at_ = static_cast<long>(seq_.code.size());
                b(coin() ? 0x48 : 0x40);
            }
            const int r = dest_reg(4);
            b(0x0f); b(0xc7);
            rr(7, r);
            note("rdpid r%d", r);
            return true;
        }
        case 2: {   // lea r, [rbx + d]; WRGSBASE r (32 or 64 bits)
            const int r = kFree64[rnd(13)];
            const uint32_t disp = rnd(2048);
            b(static_cast<uint8_t>(0x48 | (r >= 8 ? 4 : 0))); b(0x8d);
            b(static_cast<uint8_t>(0x80 | (r & 7) << 3 | 3)); d32(disp);
            const bool wide = coin();
            b(0xf3);
            b(static_cast<uint8_t>(0x40 | (wide ? 8 : 0) | (r >= 8 ? 1 : 0)));
            b(0x0f); b(0xae);
            b(static_cast<uint8_t>(0xd8 | (r & 7)));
            note("wrgsbase%s buf+%u", wide ? "64" : "32", disp);
            return true;
        }
        case 3: {   // RDGSBASE r (32 or 64 bits)
            const int r = kFree64[rnd(13)];
            const bool wide = coin();
            b(0xf3);
            b(static_cast<uint8_t>(0x40 | (wide ? 8 : 0) | (r >= 8 ? 1 : 0)));
            b(0x0f); b(0xae);
            b(static_cast<uint8_t>(0xc8 | (r & 7)));
            note("rdgsbase%s r%d", wide ? "64" : "32", r);
            return true;
        }
        default: {   // mov r, gs:[disp32] / mov gs:[disp32], r
            b(0x65);
            const unsigned size = wide_size();
            const bool load = coin();
            const int reg = load ? dest_reg(size) : any_reg();
            if (reg >= 8) rex_bit(4);
            b(load ? 0x8b : 0x89);
            b(static_cast<uint8_t>(0x04 | (reg & 7) << 3));
            b(0x25);   // SIB: no base, no index
            const uint32_t disp = rnd(1024);
            d32(disp);
            note("mov %s gs:%u size%u", load ? "load" : "store", disp, size);
            return true;
        }
        }
    }

    bool alu() {
        int op = static_cast<int>(rnd(8));
        if ((op == 2 || op == 3) && !can_read(CF)) return false;
        unsigned size = pick_size();
        bool to_reg = coin();   // op r, r/m (direction bit set)
        bool mem = coin();
        int reg = (to_reg && op != 7) ? dest_reg(size) : any_reg();
        int rm = (!to_reg && op != 7) ? dest_reg(size) : any_reg();
        b(static_cast<uint8_t>(op * 8 + (size == 1 ? 0 : 1) + (to_reg ? 2 : 0)));
        modrm(reg, rm, mem, size);
        writes(op == 1 || op == 4 || op == 6 ? (ALL & ~AF) : ALL, op == 1 || op == 4 || op == 6 ? AF : 0);
        note("alu%d size%u %s", op, size, mem ? "mem" : "reg");
        return true;
    }

    bool alu_imm() {
        int op = static_cast<int>(rnd(8));
        if ((op == 2 || op == 3) && !can_read(CF)) return false;
        unsigned size = pick_size();
        bool mem = coin();
        bool short_imm = size != 1 && coin();
        int rm = op == 7 ? any_reg() : dest_reg(size);
        if (!mem && rm == 0 && size != 1 && !short_imm && coin()) {
            b(static_cast<uint8_t>(op * 8 + 5));   // op eAX, imm
            imm(r32(), size);
        } else {
            b(size == 1 ? 0x80 : short_imm ? 0x83 : 0x81);
            modrm(op, rm, mem, size);
            imm(r32(), short_imm ? 1 : size);
        }
        writes(op == 1 || op == 4 || op == 6 ? (ALL & ~AF) : ALL, op == 1 || op == 4 || op == 6 ? AF : 0);
        note("alu%d imm size%u", op, size);
        return true;
    }

    bool test_op() {
        unsigned size = pick_size();
        if (coin()) {
            b(size == 1 ? 0x84 : 0x85);
            modrm(any_reg(), any_reg(), coin(), size);
        } else {
            b(size == 1 ? 0xf6 : 0xf7);
            modrm(0, any_reg(), coin(), size);
            imm(r32(), size);
        }
        writes(ALL & ~AF, AF);
        note("test size%u", size);
        return true;
    }

    bool inc_dec_neg_not() {
        unsigned size = pick_size();
        int kind = static_cast<int>(rnd(4));
        bool mem = coin();
        int rm = dest_reg(size);
        if (kind < 2) {
            b(size == 1 ? 0xfe : 0xff);
            modrm(kind, rm, mem, size);
            writes(ALL & ~CF);
        } else {
            b(size == 1 ? 0xf6 : 0xf7);
            modrm(kind, rm, mem, size);
            if (kind == 3) writes(ALL);
        }
        note("incdecnegnot%d size%u", kind, size);
        return true;
    }

    bool mul1() {
        unsigned size = pick_size();
        b(size == 1 ? 0xf6 : 0xf7);
        modrm(4 + static_cast<int>(rnd(2)), any_reg(), coin(), size);
        writes(CF | OF, SF | ZF | AF | PF);
        note("mul/imul size%u", size);
        return true;
    }

    bool imul2() {
        unsigned size = wide_size();
        int kind = static_cast<int>(rnd(3));
        int reg = dest_reg(size);
        if (kind == 0) { b(0x0f); b(0xaf); modrm(reg, any_reg(), coin(), size); }
        else if (kind == 1) { b(0x69); modrm(reg, any_reg(), coin(), size); imm(r32(), size); }
        else { b(0x6b); modrm(reg, any_reg(), coin(), size); b(static_cast<uint8_t>(r32())); }
        writes(CF | OF, SF | ZF | AF | PF);
        note("imul2 kind%d size%u", kind, size);
        return true;
    }

    bool div_op() {
        unsigned size = m64_ ? std::array<unsigned, 4>{1, 2, 4, 8}[rnd(4)] : std::array<unsigned, 3>{1, 2, 4}[rnd(3)];
        bool sgn = coin();
        // Divisor in ECX/CX/CL, 2..200: never zero, never overflowing.
        uint32_t dv = 2 + rnd(199);
        b(0xb9); d32(dv);   // mov $dv, %ecx
        if (size == 1) {
            if (sgn) b(0x66), b(0x98);              // cbw
            else b(0x30), b(0xe4);                  // xor %ah, %ah
        } else if (size == 2) {
            b(0x66);
            if (sgn) b(0x99); else b(0x31), b(0xd2);   // cwd / xor %dx,%dx
        } else {
            if (size == 8 && sgn) b(0x48);                // cqo
            if (sgn) b(0x99); else b(0x31), b(0xd2);   // cdq / xor %edx,%edx
        }
        if (size == 2) b(0x66);
        if (size == 8) b(0x48);
        b(size == 1 ? 0xf6 : 0xf7);
        b(static_cast<uint8_t>(0xc0 | ((sgn ? 7 : 6) << 3) | 1));
        writes(0, ALL);
        note("%sdiv size%u by %u", sgn ? "i" : "", size, dv);
        return true;
    }

    bool shift_imm() {
        int op = static_cast<int>(std::array<int, 7>{0, 1, 2, 3, 4, 5, 7}[rnd(7)]);
        if ((op == 2 || op == 3) && !can_read(CF)) return false;
        unsigned size = pick_size();
        unsigned bits = size * 8;
        unsigned count = coin() ? 1 : 1 + rnd(bits - 1);
        bool mem = coin();
        int rm = dest_reg(size);
        if (count == 1 && coin()) {
            b(size == 1 ? 0xd0 : 0xd1);
            modrm(op, rm, mem, size);
        } else {
            b(size == 1 ? 0xc0 : 0xc1);
            modrm(op, rm, mem, size);
            b(static_cast<uint8_t>(count));
        }
        uint32_t ofu = count == 1 ? 0 : OF;
        if (op <= 3) writes((CF | OF) & ~ofu, ofu);
        else writes((ALL & ~AF) & ~ofu, AF | ofu);
        note("shift%d size%u count%u", op, size, count);
        return true;
    }

    // Shifts and rotates by CL: counts of zero (flags untouched), within the
    // width, and (8/16-bit) beyond it, where CF and OF are undefined.
    bool shift_cl() {
        int op = static_cast<int>(std::array<int, 7>{0, 1, 2, 3, 4, 5, 7}[rnd(7)]);
        if ((op == 2 || op == 3) && !can_read(CF)) return false;
        unsigned count;
        switch (rnd(4)) {
        case 0: count = 0; break;
        case 1: count = 1; break;
        case 2: count = rnd(32) | (rnd(2) << 5); break;   // the top bits are masked off (but bit 5 for 64-bit)
        default: count = rnd(8); break;
        }
        b(0xb1);   // mov cl, count
        b(static_cast<uint8_t>(count));
        unsigned size = pick_size();
        unsigned bits = size * 8;
        unsigned masked = count & (size == 8 ? 63 : 31);
        bool mem = coin();
        int rm = dest_reg(size);
        b(size == 1 ? 0xd2 : 0xd3);
        modrm(op, rm, mem, size);
        if (masked != 0) {
            uint32_t undef = masked == 1 ? 0 : OF;
            if (masked >= bits && op != 0 && op != 1) undef |= CF | OF;   // beyond the width (RCL/RCR: count mod width+1)
            if (op <= 3) writes((CF | OF) & ~undef, undef);
            else writes((ALL & ~AF) & ~undef, AF | undef);
        }
        note("shift%d size%u by cl=%u", op, size, count);
        return true;
    }

    bool shld() {
        unsigned size = wide_size();
        unsigned count = 1 + rnd(size * 8 - 1);
        b(0x0f);
        b(coin() ? 0xa4 : 0xac);
        modrm(any_reg(), dest_reg(size), coin(), size);
        b(static_cast<uint8_t>(count));
        uint32_t ofu = count == 1 ? 0 : OF;
        writes((ALL & ~AF) & ~ofu, AF | ofu);
        note("shld/shrd size%u count%u", size, count);
        return true;
    }

    bool bit_test() {
        unsigned size = wide_size();
        int op = static_cast<int>(rnd(4));
        b(0x0f);
        if (coin()) {
            b(static_cast<uint8_t>(0xa3 + op * 8));
            modrm(any_reg(), op == 0 ? any_reg() : dest_reg(size), false, size);
        } else {
            b(0xba);
            modrm(4 + op, op == 0 ? any_reg() : dest_reg(size), coin(), size);
            b(static_cast<uint8_t>(r32()));
        }
        writes(CF, OF | SF | AF | PF);
        note("bt%d size%u", op, size);
        return true;
    }

    bool bit_scan() {
        if (m64_ && coin()) {   // POPCNT / LZCNT (any source, zero included)
            bool lz = coin();
            b(0xf3);
            unsigned size = wide_size();
            b(0x0f);
            b(lz ? 0xbd : 0xb8);
            modrm(dest_reg(size), any_reg(), coin(), size);
            if (lz) writes(CF | ZF, OF | SF | AF | PF);
            else writes(ALL);
            note("%s size%u", lz ? "lzcnt" : "popcnt", size);
            return true;
        }
        unsigned size = wide_size();
        // Source: a fixed register (never zero: EBX, ESP or EBP).
        int src = std::array<int, 3>{3, 4, 5}[rnd(3)];
        if (size == 2) src = 5;   // BX and SP are 0 in their low half
        b(0x0f);
        b(coin() ? 0xbc : 0xbd);
        modrm(dest_reg(size), src, false, size);
        writes(ZF, CF | OF | SF | AF | PF);
        note("bsf/bsr size%u", size);
        return true;
    }

    bool movx() {
        unsigned size = wide_size();
        b(0x0f);
        bool word = size >= 4 && coin();
        b(static_cast<uint8_t>((coin() ? 0xb6 : 0xbe) + (word ? 1 : 0)));
        modrm(dest_reg(size), any_reg(), coin(), word ? 2 : 1);
        note("movzx/movsx");
        return true;
    }

    bool setcc_cmov() {
        int cc = static_cast<int>(rnd(16));
        if (!can_read(cond_reads(cc))) return false;
        if (coin()) {
            prefixes(1);
            b(0x0f); b(static_cast<uint8_t>(0x90 + cc));
            modrm(0, dest_reg(1), coin(), 1);
            note("set%d", cc);
        } else {
            unsigned size = wide_size();
            b(0x0f); b(static_cast<uint8_t>(0x40 + cc));
            modrm(dest_reg(size), any_reg(), coin(), size);
            note("cmov%d size%u", cc, size);
        }
        return true;
    }

    bool xchg_family() {
        unsigned size = pick_size();
        int kind = static_cast<int>(rnd(3));
        bool mem = coin();
        int reg = dest_reg(size);
        int rm = dest_reg(size);
        if (kind == 0) {
            b(size == 1 ? 0x86 : 0x87);
            modrm(reg, rm, mem, size);
        } else {
            b(0x0f);
            b(static_cast<uint8_t>((kind == 1 ? 0xc0 : 0xb0) + (size == 1 ? 0 : 1)));
            modrm(reg, rm, mem, size);
            writes(ALL);
        }
        note("xchg-family%d size%u", kind, size);
        return true;
    }

    bool misc_conv() {
        if (m64_ && coin()) {
            switch (rnd(4)) {
            case 0: b(0x48); b(0x98); note("cdqe"); break;
            case 1: b(0x48); b(0x99); note("cqo"); break;
            case 2: {   // movsxd (without REX.W: a 32-bit move)
                prefixes(coin() ? 8 : 4);
                b(0x63);
                modrm(dest_reg(8), any_reg(), coin(), 4);
                note("movsxd");
                break;
            }
            default:
                prefixes(coin() ? 8 : 4);
                b(0x0f);
                opreg(0xc8, dest_reg(8));
                note("bswap64");
                break;
            }
            return true;
        }
        rex_at_ = -1;
        switch (rnd(5)) {
        case 0: b(0x66); b(0x98); note("cbw"); break;
        case 1: b(0x98); note("cwde"); break;
        case 2: b(0x66); b(0x99); note("cwd"); break;
        case 3: b(0x99); note("cdq"); break;
        default: b(0x0f); b(static_cast<uint8_t>(0xc8 + kFree[rnd(5)])); note("bswap"); break;
        }
        return true;
    }

    bool lea() {
        // Any base/index/scale/displacement: LEA reads no memory, so the
        // 16-bit addressing forms (0x67: [bx+si], [bp+di+disp], ...) run too.
        if (m64_ && rnd(4) == 0) b(0x67);   // 32-bit addresses in 64-bit mode
        else if (!m64_ && rnd(4) == 0) {
            rex_at_ = -1;
            b(0x67);
            if (coin()) b(0x66);
            b(0x8d);
            int mod = static_cast<int>(rnd(3));
            int rm = static_cast<int>(rnd(8));
            b(static_cast<uint8_t>((mod << 6) | (dest_reg(4) << 3) | rm));
            if (mod == 0 && rm == 6) d16(r32());
            if (mod == 1) b(static_cast<uint8_t>(r32()));
            if (mod == 2) d16(r32());
            note("lea addr16");
            return true;
        }
        unsigned osize = rnd(4) == 0 ? 2 : m64_ && coin() ? 8 : 4;
        prefixes(osize);
        b(0x8d);
        int reg = dest_reg(4);
        if (reg >= 8) rex_bit(4);
        reg &= 7;
        int mod = static_cast<int>(rnd(3));
        int base = any_reg(), index = any_reg();
        if (base >= 8) rex_bit(1);
        if (index >= 8) rex_bit(2);
        base &= 7;
        index &= 7;
        if (coin()) {
            b(static_cast<uint8_t>((mod << 6) | (reg << 3) | 4));
            b(static_cast<uint8_t>((rnd(4) << 6) | (index << 3) | base));
            if (mod == 0 && base == 5) d32(r32());
        } else {
            // (mod 0, rm 5 is RIP-relative in 64-bit mode: the code is at the
            // same address on both sides.)
            int rm = base == 4 ? 0 : base;
            b(static_cast<uint8_t>((mod << 6) | (reg << 3) | rm));
            if (mod == 0 && rm == 5) d32(r32());
        }
        if (mod == 1) b(static_cast<uint8_t>(r32()));
        if (mod == 2) d32(r32());
        note("lea");
        return true;
    }

    bool mov() {
        unsigned size = pick_size();
        switch (rnd(4)) {
        case 0: b(size == 1 ? 0x88 : 0x89); modrm(any_reg(), dest_reg(size), false, size); break;
        case 1: b(size == 1 ? 0x8a : 0x8b); modrm(dest_reg(size), any_reg(), coin(), size); break;
        case 2: b(size == 1 ? 0x88 : 0x89); modrm(any_reg(), 0, true, size); break;
        default:
            opreg(size == 1 ? 0xb0 : 0xb8, dest_reg(size));
            if (size == 8) { d32(r32()); d32(r32()); }   // MOV r64, imm64
            else imm(r32(), size);
            break;
        }
        note("mov size%u", size);
        return true;
    }

    bool bcd() {
        if (m64_) return false;   // #UD in 64-bit mode
        switch (rnd(6)) {
        case 0: if (!can_read(AF | CF)) return false; b(0x27); writes(ALL & ~OF, OF); note("daa"); break;
        case 1: if (!can_read(AF | CF)) return false; b(0x2f); writes(ALL & ~OF, OF); note("das"); break;
        case 2: if (!can_read(AF)) return false; b(0x37); writes(AF | CF, OF | SF | ZF | PF); note("aaa"); break;
        case 3: if (!can_read(AF)) return false; b(0x3f); writes(AF | CF, OF | SF | ZF | PF); note("aas"); break;
        case 4: b(0xd4); b(static_cast<uint8_t>(1 + rnd(255))); writes(SF | ZF | PF, OF | AF | CF); note("aam"); break;
        default: b(0xd5); b(static_cast<uint8_t>(r32())); writes(SF | ZF | PF, OF | AF | CF); note("aad"); break;
        }
        return true;
    }

    bool flag_ops() {
        switch (rnd(5)) {
        case 0: b(0xf8); writes(CF); note("clc"); break;
        case 1: b(0xf9); writes(CF); note("stc"); break;
        case 2: if (!can_read(CF)) return false; b(0xf5); note("cmc"); break;
        case 3: b(0x9e); writes(SF | ZF | AF | PF | CF); note("sahf"); break;
        default: if (!can_read(SF | ZF | AF | PF | CF)) return false; b(0x9f); note("lahf"); break;
        }
        return true;
    }

    bool jcc() {
        // Jcc over one following instruction: both paths are checked over many seeds.
        int cc = static_cast<int>(rnd(16));
        if (!can_read(cond_reads(cc))) return false;
        b(static_cast<uint8_t>(0x70 + cc));
        size_t disp_at = seq_.code.size();
        b(0);
        size_t start = seq_.code.size();
        mov();   // flag-neutral, so both paths leave the same flags defined
        seq_.code[disp_at] = static_cast<uint8_t>(seq_.code.size() - start);
        note("j%d", cc);
        return true;
    }

    bool string_op() {
        // ESI/EDI into the buffer, a small count, then one string op.
        if (rnd(3) == 0) {
            // Overlapping source and destination and longer counts (the
            // bulk REP MOVS/STOS path must keep the element order).
            b(0x8d); b(0xb3); d32(1024 + rnd(64));                    // lea disp32(%ebx), %esi
            b(0x8d); b(0xbb); d32(1024 + rnd(72));                    // lea disp32(%ebx), %edi
            b(0xb9); d32(rnd(41));                                    // mov $n, %ecx
        } else {
            b(0x8d); b(0x73); b(static_cast<uint8_t>(rnd(64)));      // lea disp8(%ebx), %esi
            b(0x8d); b(0xbb); d32(512 + rnd(64));                     // lea disp32(%ebx), %edi
            b(0xb9); d32(rnd(9));                                     // mov $n, %ecx
        }
        bool down = rnd(4) == 0;
        if (down) b(0xfd);                                            // std
        int op = static_cast<int>(rnd(5));
        unsigned size = std::array<unsigned, 3>{1, 2, 4}[rnd(3)];
        bool rep = coin();
        if (rep) b(op == 1 || op == 4 ? (coin() ? 0xf3 : 0xf2) : 0xf3);
        if (m64_ && coin()) size = 8;
        if (size == 2) b(0x66);
        if (size == 8) b(0x48);
        static const uint8_t kOps[5] = {0xa4, 0xa6, 0xaa, 0xac, 0xae};   // movs cmps stos lods scas
        b(static_cast<uint8_t>(kOps[op] + (size == 1 ? 0 : 1)));
        if (down) b(0xfc);                                            // cld
        // CMPS/SCAS with REP and ECX = 0 leave flags untouched.
        // With REP and a count of 0 the flags keep their earlier state, so
        // definedness only improves without REP.
        if ((op == 1 || op == 4) && !rep) writes(ALL);
        note("string%d size%u rep%d down%d", op, size, rep ? 1 : 0, down ? 1 : 0);
        return true;
    }

    // PUSHAD/POPAD and ENTER/LEAVE, balanced so ESP and EBP come back.
    bool stack_frames() {
        rex_at_ = -1;
        switch (m64_ ? 2 : rnd(3)) {   // no PUSHAD/POPAD in 64-bit mode
        case 0:   // pushad; pop the images of EDI ESI EBP ESP EBX into free registers; lea 12(%esp), %esp
            b(0x60);
            b(0x58); b(0x59); b(0x5a); b(0x5e); b(0x5f);
            b(0x8d); b(0x64); b(0x24); b(12);
            note("pushad; pop x5");
            break;
        case 1:   // push values, popad overwrites everything: push the fixed registers' real values
            for (int r = 0; r < 8; ++r) {   // PUSHAD order: EAX first, EDI on top
                if (r == 3 || r == 4 || r == 5) b(static_cast<uint8_t>(0x50 + r));
                else { b(0x68); d32(r32()); }
            }
            b(0x61);
            note("push x8; popad");
            break;
        default: {  // enter $n, $0|1; mov %ebp, free; lea (%esp), free; leave
            b(0xc8); d16(rnd(64) * 4); b(static_cast<uint8_t>(rnd(2)));
            b(0x89); b(static_cast<uint8_t>(0xe8 | kFree[rnd(5)]));   // mov %ebp, r
            b(0x89); b(static_cast<uint8_t>(0xe0 | kFree[rnd(5)]));   // mov %esp, r
            b(0xc9);
            note("enter; leave");
            break;
        }
        }
        return true;
    }

    // LOOP/LOOPE/LOOPNE/JECXZ forward over one flag-neutral instruction.
    bool loops() {
        int kind = static_cast<int>(rnd(4));
        if (kind == 0 && !can_read(ZF)) return false;
        if (kind == 1 && !can_read(ZF)) return false;
        b(static_cast<uint8_t>(0xe0 + kind));   // loopne loope loop jecxz
        size_t disp_at = seq_.code.size();
        b(0);
        size_t start = seq_.code.size();
        mov();
        seq_.code[disp_at] = static_cast<uint8_t>(seq_.code.size() - start);
        note("loop-family%d", kind);
        return true;
    }

    bool xlat_cx8() {
        if (coin()) {
            b(0xd7);
            note("xlat");
        } else {
            b(0x0f); b(0xc7);
            modrm(1, 0, true, 8);
            writes(ZF);
            note("cmpxchg8b");
        }
        return true;
    }

    bool push_pop() {
        if (m64_) {   // 8-byte pushes and pops; R8-R15 through REX.B
            int s = static_cast<int>(rnd(16)), d = kFree64[rnd(13)];
            switch (rnd(3)) {
            case 0:
                if (s >= 8) b(0x41);
                b(static_cast<uint8_t>(0x50 + (s & 7)));
                break;
            case 1: b(0x68); d32(r32()); break;
            default: b(0x6a); b(static_cast<uint8_t>(r32())); break;
            }
            if (coin()) {
                if (d >= 8) b(0x41);
                b(static_cast<uint8_t>(0x58 + (d & 7)));
            } else {
                rex_at_ = -1;
                b(0x8f);
                modrm(0, 0, true, 8);
            }
            note("push/pop 64");
            return true;
        }
        switch (rnd(3)) {
        case 0: b(static_cast<uint8_t>(0x50 + any_reg())); b(static_cast<uint8_t>(0x58 + kFree[rnd(5)])); break;
        case 1: b(0x68); d32(r32()); b(static_cast<uint8_t>(0x58 + kFree[rnd(5)])); break;
        default: b(0x6a); b(static_cast<uint8_t>(r32())); b(0x8f); modrm(0, 0, true, 4); break;
        }
        note("push/pop");
        return true;
    }

    // ---- x87, MMX, SSE ----

    bool fpu_one() {
        if (opt_.x87_only) {
            switch (rnd(8)) {
            case 0: case 1: case 2: return x87_reg();
            case 3: case 4: return x87_mem();
            case 5: return x87_control_word();
            default: return x87_misc();
            }
        }
        switch (rnd(13)) {
        case 12: return simd_misc();
        case 0: case 1: return x87_reg();
        case 2: case 3: return x87_mem();
        case 4: return x87_misc();
        case 5: case 6: return sse_rm();
        case 7: return sse_scalar();
        case 8: return sse_gpr();
        case 9: return sse_imm();
        case 10: return control_words();
        default: return mmx();
        }
    }

    // An in-buffer memory operand aligned to 16 bytes: [ebx + 16k].
    void aligned_mem(int reg) {
        if (reg >= 8) rex_bit(4);
        b(static_cast<uint8_t>(0x80 | (reg & 7) << 3 | 3));
        d32(16 * rnd(200));
    }

    bool x87_reg() {
        // D8/DC/DE arithmetic with ST(i), D9 loads/exchanges, DD FST/FFREE/FUCOM.
        static const uint8_t kOps[] = {0xd8, 0xdc, 0xde, 0xd9, 0xdd};
        uint8_t op = kOps[rnd(5)];
        uint8_t modrm;
        if (op == 0xd9) modrm = static_cast<uint8_t>(0xc0 + rnd(16));                 // FLD ST(i), FXCH
        else if (op == 0xdd) modrm = static_cast<uint8_t>(0xc0 | std::array<int, 5>{0, 2, 3, 4, 5}[rnd(5)] << 3 | rnd(8));
        else modrm = static_cast<uint8_t>(0xc0 + rnd(64));
        if (op == 0xde && (modrm & 0xf8) == 0xd8 && modrm != 0xd9) return false;   // DE D8+i undefined but D9
        b(op);
        b(modrm);
        note("x87 %02x %02x", op, modrm);
        return true;
    }

    bool x87_mem() {
        // Every memory form but the environment ones (their FIP/FDP are
        // addresses of the host's copy of the code).
        static const uint8_t kForms[][2] = {
            {0xd8, 0}, {0xd8, 1}, {0xd8, 2}, {0xd8, 3}, {0xd8, 4}, {0xd8, 5}, {0xd8, 6}, {0xd8, 7},
            {0xdc, 0}, {0xdc, 1}, {0xdc, 2}, {0xdc, 3}, {0xdc, 4}, {0xdc, 5}, {0xdc, 6}, {0xdc, 7},
            {0xda, 0}, {0xda, 1}, {0xda, 2}, {0xda, 4}, {0xda, 6}, {0xde, 0}, {0xde, 3}, {0xde, 5}, {0xde, 7},
            {0xd9, 0}, {0xd9, 2}, {0xd9, 3}, {0xd9, 7}, {0xdd, 0}, {0xdd, 1}, {0xdd, 2}, {0xdd, 3}, {0xdd, 7},
            {0xdb, 0}, {0xdb, 1}, {0xdb, 2}, {0xdb, 3}, {0xdb, 5}, {0xdb, 7},
            {0xdf, 0}, {0xdf, 1}, {0xdf, 2}, {0xdf, 3}, {0xdf, 4}, {0xdf, 5}, {0xdf, 6}, {0xdf, 7}};
        const auto& f = kForms[rnd(sizeof kForms / sizeof kForms[0])];
        b(f[0]);
        modrm(f[1], 0, true, 10);
        note("x87 %02x /%d mem", f[0], f[1]);
        return true;
    }

    bool x87_misc() {
        switch (rnd(6)) {
        case 0: {   // constants, sign, compare, examine, transcendentals, TOP moves
            static const uint8_t kD9[] = {0xe0, 0xe1, 0xe4, 0xe5, 0xe8, 0xe9, 0xea, 0xeb, 0xec, 0xed, 0xee,
                                          0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa,
                                          0xfb, 0xfc, 0xfd, 0xfe, 0xff, 0xd0};
            uint8_t m = kD9[rnd(sizeof kD9)];
            if (opt_.x87_only && coin()) m = coin() ? 0xf6 : 0xf7;   // FDECSTP, FINCSTP
            b(0xd9); b(m);
            note("x87 d9 %02x", m);
            return true;
        }
        case 1:   // FCOMI/FUCOMI(P): ZF PF CF, the rest cleared
            b(coin() ? 0xdb : 0xdf);
            b(static_cast<uint8_t>(0xe8 + rnd(16)));
            writes(ALL);
            note("fcomi");
            return true;
        case 2: {   // FCMOVcc
            if (!can_read(CF | ZF | PF)) return false;
            b(coin() ? 0xda : 0xdb);
            b(static_cast<uint8_t>(0xc0 + rnd(32)));
            note("fcmov");
            return true;
        }
        case 3:   // FNSTSW AX
            if (!can_read(0)) return false;
            b(0xdf); b(0xe0);
            note("fnstsw ax");
            return true;
        case 4:   // FCOMPP, FUCOMPP, FNCLEX, FNINIT
            switch (rnd(4)) {
            case 0: b(0xde); b(0xd9); break;
            case 1: b(0xda); b(0xe9); break;
            case 2: b(0xdb); b(0xe2); break;
            default: b(0xdb); b(0xe3); break;
            }
            note("x87 compare-pop/clear");
            return true;
        default:   // FFREEP, FSTP1 aliases are not generated; FWAIT
            b(0x9b);
            note("fwait");
            return true;
        }
    }

    // ModRM for an XMM (or MMX) reg and rm: register, or memory (aligned
    // unless `unaligned`).
    void xmm_operand(int reg, bool mem, bool unaligned) {
        if (!mem) rr(reg, xreg());
        else if (unaligned) modrm(reg, 0, true, 16);
        else aligned_mem(reg);
    }

    bool sse_rm() {
        // Packed forms: 0F xx (PS), 66 0F xx (PD / integer), 66 0F 38 xx.
        struct Form { uint8_t pfx, map, op; };
        static const Form kForms[] = {
            {0, 1, 0x10}, {0, 1, 0x11}, {0, 1, 0x14}, {0, 1, 0x15}, {0, 1, 0x28}, {0, 1, 0x51}, {0, 1, 0x52},
            {0, 1, 0x53}, {0, 1, 0x54}, {0, 1, 0x55}, {0, 1, 0x56}, {0, 1, 0x57}, {0, 1, 0x58}, {0, 1, 0x59},
            {0, 1, 0x5a}, {0, 1, 0x5b}, {0, 1, 0x5c}, {0, 1, 0x5d}, {0, 1, 0x5e}, {0, 1, 0x5f},
            {0x66, 1, 0x14}, {0x66, 1, 0x51}, {0x66, 1, 0x58}, {0x66, 1, 0x59}, {0x66, 1, 0x5a}, {0x66, 1, 0x5b},
            {0x66, 1, 0x5c}, {0x66, 1, 0x5d}, {0x66, 1, 0x5e}, {0x66, 1, 0x5f}, {0x66, 1, 0xd0}, {0x66, 1, 0x7c},
            {0x66, 1, 0x7d}, {0xf2, 1, 0x7c}, {0xf2, 1, 0x7d}, {0xf2, 1, 0xd0}, {0xf3, 1, 0x5b}, {0x66, 1, 0xe6},
            {0xf2, 1, 0xe6}, {0xf3, 1, 0xe6}, {0xf3, 1, 0x6f}, {0x66, 1, 0x6f}, {0xf3, 1, 0x12}, {0xf3, 1, 0x16},
            {0xf2, 1, 0x12}, {0xf3, 1, 0x7e}, {0xf2, 1, 0xf0}};
        static const uint8_t kInt[] = {0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b,
                                       0x6c, 0x6d, 0x74, 0x75, 0x76, 0xd1, 0xd2, 0xd3, 0xd4, 0xd5, 0xd8, 0xd9,
                                       0xda, 0xdb, 0xdc, 0xdd, 0xde, 0xdf, 0xe0, 0xe1, 0xe2, 0xe3, 0xe4, 0xe5,
                                       0xe8, 0xe9, 0xea, 0xeb, 0xec, 0xed, 0xee, 0xef, 0xf1, 0xf2, 0xf3, 0xf4,
                                       0xf5, 0xf6, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd, 0xfe};
        static const uint8_t k38[] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b,
                                      0x10, 0x14, 0x15, 0x17, 0x1c, 0x1d, 0x1e, 0x20, 0x21, 0x22, 0x23, 0x24,
                                      0x25, 0x28, 0x29, 0x2b, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x37, 0x38,
                                      0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f, 0x40, 0x41};
        Form f;
        switch (rnd(3)) {
        case 0: f = kForms[rnd(sizeof kForms / sizeof kForms[0])]; break;
        case 1: f = {0x66, 1, kInt[rnd(sizeof kInt)]}; break;
        default: f = {0x66, 2, k38[rnd(sizeof k38)]}; break;
        }
        // Forms whose memory operand is narrower than 16 bytes or may be unaligned.
        bool narrow = (f.map == 2 && f.op >= 0x20 && f.op <= 0x35 && f.op != 0x28 && f.op != 0x29 && f.op != 0x2b) ||
                      (f.pfx == 0 && f.op == 0x5a) || (f.pfx == 0xf3 && f.op == 0xe6) || (f.pfx == 0xf2 && f.op == 0x12) ||
                      (f.pfx == 0xf3 && f.op == 0x7e);
        bool unaligned = narrow || (f.map == 1 && (f.op == 0x10 || f.op == 0x11 || (f.pfx == 0xf3 && f.op == 0x6f) ||
                                                   (f.pfx == 0xf2 && f.op == 0xf0)));
        bool mem = coin() || (f.pfx == 0xf2 && f.op == 0xf0);   // LDDQU is memory only
        if (f.pfx) b(f.pfx);
        sse_rex();
        b(0x0f);
        if (f.map == 2) b(0x38);
        b(f.op);
        xmm_operand(xreg(), mem, unaligned);
        if (f.map == 2 && f.op == 0x17) writes(ALL);   // PTEST
        note("sse %02x %d %02x %s", f.pfx, f.map, f.op, mem ? "mem" : "reg");
        return true;
    }

    bool sse_scalar() {
        static const uint8_t kOps[] = {0x10, 0x11, 0x51, 0x58, 0x59, 0x5a, 0x5c, 0x5d, 0x5e, 0x5f, 0x52, 0x53};
        uint8_t pfx = coin() ? 0xf3 : 0xf2;
        uint8_t op = kOps[rnd(sizeof kOps)];
        if (pfx == 0xf2 && (op == 0x52 || op == 0x53)) op = 0x58;
        if (coin()) {   // COMISS/UCOMISS/COMISD/UCOMISD
            if (coin()) b(0x66);
            sse_rex();
            b(0x0f); b(coin() ? 0x2e : 0x2f);
            xmm_operand(xreg(), coin(), true);
            writes(ALL);
            note("comis");
            return true;
        }
        b(pfx); sse_rex(); b(0x0f); b(op);
        xmm_operand(xreg(), coin(), true);
        note("sse scalar %02x %02x", pfx, op);
        return true;
    }

    bool sse_gpr() {
        int g = dest_reg(4);
        switch (rnd(9)) {
        case 0: {   // MOVD/MOVQ xmm, r
            b(0x66); sse_rex(); b(0x0f); b(0x6e);
            int x = xreg();
            rr(x, any_reg());
            note("movd x, r");
            break;
        }
        case 1: b(0x66); sse_rex(); b(0x0f); b(0x7e); g = gpr_or(g); rr(xreg(), g); note("movd r, x"); break;
        case 2: b(0x66); sse_rex(); b(0x0f); b(0xd7); g = gpr_or(g); rr(g, xreg()); note("pmovmskb"); break;
        case 3: if (coin()) b(0x66);
                sse_rex(); b(0x0f); b(0x50); g = gpr_or(g); rr(g, xreg()); note("movmskp"); break;
        case 4: b(coin() ? 0xf3 : 0xf2); sse_rex(); b(0x0f); b(static_cast<uint8_t>(0x2c + rnd(2)));
                g = gpr_or(g); rr(g, xreg()); note("cvt(t)s2si"); break;
        case 5: b(coin() ? 0xf3 : 0xf2); sse_rex(); b(0x0f); b(0x2a); modrm(xreg(), any_reg(), coin(), 4);
                note("cvtsi2s"); break;
        case 6:   // PEXTRB/W/D/Q, EXTRACTPS to a register or memory
            b(0x66); sse_rex(); b(0x0f); b(0x3a); b(static_cast<uint8_t>(0x14 + rnd(4)));
            g = gpr_or(g);
            modrm(xreg(), g, coin(), 4);
            b(static_cast<uint8_t>(rnd(256)));
            note("pextr");
            break;
        case 7:   // POPCNT (flags), CRC32 r32/r64, r/m8|16|32|64
            if (coin()) {
                unsigned size = coin() ? 4 : 2;
                if (m64_ && coin()) size = 8;
                if (size == 2) b(0x66);
                b(0xf3); sse_rex(false, size == 8); b(0x0f); b(0xb8);
                modrm(dest_reg(size), any_reg(), coin(), size);
                writes(ALL);
                note("popcnt size%u", size);
            } else {
                unsigned kind = rnd(3);
                if (kind == 1) b(0x66);
                b(0xf2); sse_rex(); b(0x0f); b(0x38); b(kind == 0 ? 0xf0 : 0xf1);
                g = gpr_or(g);
                // Without REX, byte sources 4-7 are AH..BH; with one, SPL..DIL.
                modrm(g, kind == 0 && rex_at_ < 0 ? kFreeByte[rnd(6)] : any_reg(), coin(), 4);
                note("crc32 kind%u", kind);
            }
            break;
        default:   // PINSRB/D/Q, PINSRW
            if (coin()) { b(0x66); sse_rex(); b(0x0f); b(0x3a); b(coin() ? 0x20 : 0x22); }
            else { b(0x66); sse_rex(); b(0x0f); b(0xc4); }
            modrm(xreg(), any_reg(), coin(), 4);
            b(static_cast<uint8_t>(rnd(256)));
            note("pinsr");
            break;
        }
        return true;
    }

    bool sse_imm() {
        struct Form { uint8_t pfx, map, op; };
        static const Form kForms[] = {
            {0, 1, 0xc2}, {0x66, 1, 0xc2}, {0xf3, 1, 0xc2}, {0xf2, 1, 0xc2}, {0, 1, 0xc6}, {0x66, 1, 0xc6},
            {0x66, 1, 0x70}, {0xf3, 1, 0x70}, {0xf2, 1, 0x70}, {0x66, 3, 0x08}, {0x66, 3, 0x09}, {0x66, 3, 0x0a},
            {0x66, 3, 0x0b}, {0x66, 3, 0x0c}, {0x66, 3, 0x0d}, {0x66, 3, 0x0e}, {0x66, 3, 0x0f}, {0x66, 3, 0x21},
            {0x66, 3, 0x40}, {0x66, 3, 0x41}, {0x66, 3, 0x42}, {0x66, 3, 0x60}, {0x66, 3, 0x61}, {0x66, 3, 0x62},
            {0x66, 3, 0x63}};
        const Form f = kForms[rnd(sizeof kForms / sizeof kForms[0])];
        bool scalar = ((f.pfx == 0xf3 || f.pfx == 0xf2) && f.op == 0xc2) || (f.map == 3 && (f.op == 0x0a || f.op == 0x0b || f.op == 0x21));
        bool strings = f.map == 3 && f.op >= 0x60;
        if (f.pfx) b(f.pfx);
        sse_rex();
        b(0x0f);
        if (f.map == 3) b(0x3a);
        b(f.op);
        xmm_operand(xreg(), coin(), scalar || strings);
        uint8_t imm = static_cast<uint8_t>(rnd(256));
        if (f.op == 0xc2 && f.map == 1) imm &= 7;
        b(imm);
        if (strings) writes(ALL);
        note("sse imm %02x %d %02x $%02x", f.pfx, f.map, f.op, imm);
        return true;
    }

    // FLDCW with every exception masked: precision and rounding control.
    bool x87_control_word() {
        uint32_t cw = 0x7f | (rnd(4) << 8) | (rnd(4) << 10);
        b(0x68); d32(cw);                     // push $cw
        b(0xd9); b(0x2c); b(0x24);            // fldcw (%esp)
        note("fldcw %04x", cw);
        b(static_cast<uint8_t>(0x58 + dest_reg(4)));   // pop r
        return true;
    }

    // New control words through the stack. x87 exceptions stay masked; some
    // SIMD ones are unmasked only with simd_unmask (the host traps on them
    // just as Mimic raises #XM, and the runner compares where).
    bool control_words() {
        int g = dest_reg(4);
        if (coin()) {
            uint32_t cw = 0x7f | (rnd(4) << 8) | (rnd(4) << 10);
            b(0x68); d32(cw);                     // push $cw
            b(0xd9); b(0x2c); b(0x24);            // fldcw (%esp)
            note("fldcw %04x", cw);
        } else {
            uint32_t v = 0x1f80 | (rnd(4) << 13) | (coin() ? 0x40 : 0) | (coin() ? 0x8000 : 0);
            if (opt_.simd_unmask && coin()) v &= ~unmask_bits();
            b(0x68); d32(v);
            b(0x0f); b(0xae); b(0x14); b(0x24);   // ldmxcsr (%esp)
            note("ldmxcsr %04x", v);
        }
        b(static_cast<uint8_t>(0x58 + g));        // pop r
        if (coin()) {   // and read them back
            b(0x0f); b(0xae); modrm(3, 0, true, 4);
            note("stmxcsr");
            b(0xd9); modrm(7, 0, true, 2);
            note("fnstcw");
        }
        return true;
    }

    // Some of MXCSR's exception masks (bits 7-12), at least one.
    uint32_t unmask_bits() {
        uint32_t m = 0;
        while (m == 0)
            for (unsigned i = 7; i <= 12; ++i)
                if (rnd(4) == 0) m |= 1u << i;
        return m;
    }

    // Stores, shifts by immediate, MMX<->XMM moves and conversions, masked
    // stores. REX (64-bit mode) only on forms with an XMM operand, and its
    // R/B bits only for that operand: MMX registers ignore them.
    bool simd_misc() {
        int r = static_cast<int>(rnd(8));
        switch (rnd(8)) {
        case 0:   // MOVNTI, MOVNTPS, MOVNTDQ, MOVHPS/MOVLPS stores and loads
            switch (rnd(5)) {
            case 0: sse_rex(); b(0x0f); b(0xc3); modrm(any_reg(), 0, true, 4); note("movnti"); break;
            case 1: sse_rex(); r = xreg_or(r); b(0x0f); b(0x2b); aligned_mem(r); note("movntps"); break;
            case 2: b(0x66); sse_rex(); r = xreg_or(r); b(0x0f); b(0xe7); aligned_mem(r); note("movntdq"); break;
            case 3: sse_rex(); r = xreg_or(r);
                    b(0x0f); b(static_cast<uint8_t>(0x12 + rnd(2) * 4 + rnd(2))); modrm(r, 0, true, 8); note("movl/hps"); break;
            default: b(0x66); sse_rex(); r = xreg_or(r); b(0x0f); b(0xd6); modrm(r, 0, true, 8); note("movq m64, x"); break;
            }
            return true;
        case 1:   // PSRLW/PSRAW/PSLLW ... by immediate, MMX and XMM
        {
            bool x = coin();
            if (x) { b(0x66); sse_rex(); }
            uint8_t op = static_cast<uint8_t>(0x71 + rnd(3));
            b(0x0f); b(op);
            int ext = op == 0x73 ? std::array<int, 2>{2, 6}[rnd(2)] : std::array<int, 3>{2, 4, 6}[rnd(3)];
            rr(ext, x ? xreg() : static_cast<int>(rnd(8)));
            b(static_cast<uint8_t>(rnd(70)));
            note("shift imm");
            return true;
        }
        case 2: {   // MOVQ2DQ xmm, mm; MOVDQ2Q mm, xmm
            bool to_xmm = coin();
            b(to_xmm ? 0xf3 : 0xf2); sse_rex(false); b(0x0f); b(0xd6);
            if (to_xmm) rr(xreg_or(r), static_cast<int>(rnd(8)));
            else rr(r, xreg());
            note("movq2dq/movdq2q");
            return true;
        }
        case 3: {   // CVTPI2PS/PD xmm, mm; CVT(T)PS2PI/PD2PI mm, xmm
            if (opt_.simd_unmask && !opt_.cvt_pi_unmasked) return false;   // see GenOptions
            bool pd = coin();
            uint8_t op = std::array<uint8_t, 3>{0x2a, 0x2c, 0x2d}[rnd(3)];
            if (pd) b(0x66);
            sse_rex(false);
            b(0x0f); b(op);
            if (op == 0x2a) rr(xreg_or(r), static_cast<int>(rnd(8)));
            else rr(r, xreg());
            note("cvt pi");
            return true;
        }
        case 4:   // PSHUFW, PEXTRW 0F C5, PALIGNR (MMX and XMM)
            switch (rnd(3)) {
            case 0: b(0x0f); b(0x70); modrm(r, static_cast<int>(rnd(8)), coin(), 8); break;
            case 1: b(0x0f); b(0xc5); b(static_cast<uint8_t>(0xc0 | dest_reg(4) << 3 | rnd(8))); break;
            default: {
                bool x = coin();
                if (x) { b(0x66); sse_rex(); }
                b(0x0f); b(0x3a); b(0x0f);
                r = xreg_or(r);
                rr(r, x ? xreg() : static_cast<int>(rnd(8)));
                break;
            }
            }
            b(static_cast<uint8_t>(rnd(256)));
            note("pshufw/pextrw/palignr");
            return true;
        case 5: {   // MASKMOVQ / MASKMOVDQU to [edi] inside the buffer
            b(0x8d); b(0xbb); d32(16 * rnd(200));   // lea disp(%ebx), %edi
            bool x = coin();
            if (x) { b(0x66); sse_rex(false); }
            b(0x0f); b(0xf7);
            r = xreg_or(r);
            rr(r, x ? xreg() : static_cast<int>(rnd(8)));
            note("maskmov");
            return true;
        }
        case 6:   // PMOVMSKB mm, PSADBW, PAVGB, PMINUB (SSE integer on MMX)
            b(0x0f); b(std::array<uint8_t, 4>{0xf6, 0xe0, 0xda, 0xe4}[rnd(4)]);
            modrm(r, static_cast<int>(rnd(8)), coin(), 8);
            note("mmx-ext");
            return true;
        default:  // STMXCSR/LDMXCSR round trip through memory, FXSAVE of the state
            sse_rex(false); b(0x0f); b(0xae); modrm(3, 0, true, 4);
            note("stmxcsr");
            return true;
        }
    }

    bool mmx() {
        static const uint8_t kOps[] = {0x60, 0x61, 0x62, 0x63, 0x64, 0x68, 0x6f, 0x74, 0xd1, 0xd5, 0xd8, 0xdb,
                                       0xdc, 0xe5, 0xeb, 0xef, 0xf5, 0xf8, 0xfc, 0xfe};
        if (rnd(6) == 0) {
            b(0x0f); b(0x77);
            note("emms");
            return true;
        }
        b(0x0f);
        b(kOps[rnd(sizeof kOps)]);
        modrm(static_cast<int>(rnd(8)), static_cast<int>(rnd(8)), coin(), 8);
        note("mmx");
        return true;
    }

    std::mt19937_64 rng_;
    GenOptions opt_;
    bool m64_ = false;
    long rex_at_ = -1;   // where the current instruction's REX prefix is (-1: none)
    Sequence seq_;
    uint32_t uf_ = 0;
};

}  // namespace

Sequence generate(uint64_t seed, const GenOptions& opt) { return Gen(seed, opt).run(); }

Sequence prefix(const Sequence& seq, size_t n) {
    Sequence p;
    p.seed = seq.seed;
    p.mode64 = seq.mode64;
    p.fpu = seq.fpu;
    p.extensions = seq.extensions;
    if (n == 0) return p;
    p.code.assign(seq.code.begin(), seq.code.begin() + static_cast<long>(seq.ends[n - 1]));
    p.listing.assign(seq.listing.begin(), seq.listing.begin() + static_cast<long>(n));
    p.ends.assign(seq.ends.begin(), seq.ends.begin() + static_cast<long>(n));
    p.undefined_at.assign(seq.undefined_at.begin(), seq.undefined_at.begin() + static_cast<long>(n));
    p.undefined_flags = seq.undefined_at[n - 1];
    return p;
}

}  // namespace mimic::x86::diff
