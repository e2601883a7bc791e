// Direct encodings of the moves the register allocator emits most (loads
// and stores of globals and spill slots, register copies): every block has
// dozens, and going through the assembler's general operand handling made
// them a visible part of translation time.
#pragma once

#include <xbyak/xbyak.h>

#include <cstdint>

namespace mimic::tcg::x64::encode {

// Appends the ModRM byte (reg field `reg`), SIB and displacement of the
// memory operand [base + disp] to code; returns the new length.
inline size_t put_mem_operand(uint8_t* code, size_t n, int reg, int base, int32_t disp) {
    const uint8_t r = static_cast<uint8_t>(reg & 7), b = static_cast<uint8_t>(base & 7);
    // mod 00 without a displacement, except for rbp/r13 (that encoding means rip/disp32).
    const uint8_t mod = disp == 0 && b != 5 ? 0 : disp >= -128 && disp <= 127 ? 1 : 2;
    code[n++] = static_cast<uint8_t>(mod << 6 | r << 3 | b);
    if (b == 4) code[n++] = 0x24;   // rsp/r12 as a base: SIB with no index
    if (mod == 1) code[n++] = static_cast<uint8_t>(disp);
    if (mod == 2) {
        for (int i = 0; i < 4; ++i) code[n++] = static_cast<uint8_t>(static_cast<uint32_t>(disp) >> (8 * i));
    }
    return n;
}

// An instruction `opcode` between a register and [base + disp], 64 bits
// (REX.W) when `wide`, else 32.
inline void reg_mem(Xbyak::CodeGenerator& gen, uint8_t opcode, bool wide, int reg, int base, int32_t disp) {
    uint8_t code[16];
    size_t n = 0;
    const uint8_t rex = static_cast<uint8_t>((wide ? 8 : 0) | (reg >= 8 ? 4 : 0) | (base >= 8 ? 1 : 0));
    if (rex) code[n++] = static_cast<uint8_t>(0x40 | rex);
    code[n++] = opcode;
    n = put_mem_operand(code, n, reg, base, disp);
    gen.db(code, n);
}

// mov between a register and [base + disp] (load when `load`), 64 or 32 bits.
inline void mov_mem(Xbyak::CodeGenerator& gen, bool load, bool wide, int reg, int base, int32_t disp) {
    reg_mem(gen, load ? 0x8b : 0x89, wide, reg, base, disp);
}

// mov dst, src between registers, 64 or 32 bits.
inline void mov_reg(Xbyak::CodeGenerator& gen, bool wide, int dst, int src) {
    uint8_t code[3];
    size_t n = 0;
    const uint8_t rex = static_cast<uint8_t>((wide ? 8 : 0) | (src >= 8 ? 4 : 0) | (dst >= 8 ? 1 : 0));
    if (rex) code[n++] = static_cast<uint8_t>(0x40 | rex);
    code[n++] = 0x89;
    code[n++] = static_cast<uint8_t>(0xc0 | (src & 7) << 3 | (dst & 7));
    gen.db(code, n);
}

// mov dword/qword [base + disp], imm32 (sign-extended for a qword).
inline void mov_mem_imm32(Xbyak::CodeGenerator& gen, bool wide, int base, int32_t disp, uint32_t imm) {
    uint8_t code[16];
    size_t n = 0;
    const uint8_t rex = static_cast<uint8_t>((wide ? 8 : 0) | (base >= 8 ? 1 : 0));
    if (rex) code[n++] = static_cast<uint8_t>(0x40 | rex);
    code[n++] = 0xc7;
    n = put_mem_operand(code, n, 0, base, disp);   // reg field 0: the /0 of C7
    for (int i = 0; i < 4; ++i) code[n++] = static_cast<uint8_t>(imm >> (8 * i));
    gen.db(code, n);
}

// mov r32, imm32 (zero-extends into the 64-bit register).
inline void mov_imm32(Xbyak::CodeGenerator& gen, int reg, uint32_t imm) {
    uint8_t code[6];
    size_t n = 0;
    if (reg >= 8) code[n++] = 0x41;
    code[n++] = static_cast<uint8_t>(0xb8 | (reg & 7));
    for (int i = 0; i < 4; ++i) code[n++] = static_cast<uint8_t>(imm >> (8 * i));
    gen.db(code, n);
}

// mov r64, imm64 (movabs).
inline void mov_imm64(Xbyak::CodeGenerator& gen, int reg, uint64_t imm) {
    uint8_t code[10];
    code[0] = static_cast<uint8_t>(0x48 | (reg >= 8 ? 1 : 0));
    code[1] = static_cast<uint8_t>(0xb8 | (reg & 7));
    for (int i = 0; i < 8; ++i) code[2 + i] = static_cast<uint8_t>(imm >> (8 * i));
    gen.db(code, 10);
}

// lea r64, [rip + target - next instruction].
inline void lea_rip(Xbyak::CodeGenerator& gen, int reg, const void* target) {
    const auto next = reinterpret_cast<intptr_t>(gen.getCurr()) + 7;
    const auto disp = static_cast<uint32_t>(static_cast<int32_t>(reinterpret_cast<intptr_t>(target) - next));
    uint8_t code[7] = {static_cast<uint8_t>(0x48 | (reg >= 8 ? 4 : 0)), 0x8d, static_cast<uint8_t>((reg & 7) << 3 | 5)};
    for (int i = 0; i < 4; ++i) code[3 + i] = static_cast<uint8_t>(disp >> (8 * i));
    gen.db(code, 7);
}

// call r64.
inline void call_reg(Xbyak::CodeGenerator& gen, int reg) {
    uint8_t code[3];
    size_t n = 0;
    if (reg >= 8) code[n++] = 0x41;
    code[n++] = 0xff;
    code[n++] = static_cast<uint8_t>(0xd0 | (reg & 7));
    gen.db(code, n);
}

// jmp rel32 to target.
inline void jmp_to(Xbyak::CodeGenerator& gen, const void* target) {
    const auto next = reinterpret_cast<intptr_t>(gen.getCurr()) + 5;
    const auto rel = static_cast<uint32_t>(static_cast<int32_t>(reinterpret_cast<intptr_t>(target) - next));
    uint8_t code[5] = {0xe9};
    for (int i = 0; i < 4; ++i) code[1 + i] = static_cast<uint8_t>(rel >> (8 * i));
    gen.db(code, 5);
}

// push r64 / pop r64.
inline void push_pop(Xbyak::CodeGenerator& gen, bool push, int reg) {
    uint8_t code[2];
    size_t n = 0;
    if (reg >= 8) code[n++] = 0x41;
    code[n++] = static_cast<uint8_t>((push ? 0x50 : 0x58) | (reg & 7));
    gen.db(code, n);
}

// An instruction `opcode` r64, [base + index * 8 + disp] (REX.W): 0x8b mov,
// 0x3b cmp. The TLB fast path reads its arrays this way.
inline void op_mem_index8(Xbyak::CodeGenerator& gen, uint8_t opcode, int reg, int base, int index, int32_t disp) {
    uint8_t code[16];
    size_t n = 0;
    code[n++] = static_cast<uint8_t>(0x48 | (reg >= 8 ? 4 : 0) | (index >= 8 ? 2 : 0) | (base >= 8 ? 1 : 0));
    code[n++] = opcode;
    const uint8_t mod = disp == 0 && (base & 7) != 5 ? 0 : disp >= -128 && disp <= 127 ? 1 : 2;
    code[n++] = static_cast<uint8_t>(mod << 6 | (reg & 7) << 3 | 4);   // rm 100: a SIB byte follows
    code[n++] = static_cast<uint8_t>(3 << 6 | (index & 7) << 3 | (base & 7));
    if (mod == 1) code[n++] = static_cast<uint8_t>(disp);
    if (mod == 2) {
        for (int i = 0; i < 4; ++i) code[n++] = static_cast<uint8_t>(static_cast<uint32_t>(disp) >> (8 * i));
    }
    gen.db(code, n);
}

// and r32, [base + disp] (zero-extends into the 64-bit register).
inline void and_mem32(Xbyak::CodeGenerator& gen, int reg, int base, int32_t disp) {
    reg_mem(gen, 0x23, false, reg, base, disp);
}

// lea r64, [base + disp].
inline void lea(Xbyak::CodeGenerator& gen, int dst, int base, int32_t disp) { reg_mem(gen, 0x8d, true, dst, base, disp); }

// and r64, imm32 (sign-extended), or and r32, imm32 when not `wide`.
inline void and_imm32(Xbyak::CodeGenerator& gen, bool wide, int reg, uint32_t imm) {
    uint8_t code[7];
    size_t n = 0;
    const uint8_t rex = static_cast<uint8_t>((wide ? 8 : 0) | (reg >= 8 ? 1 : 0));
    if (rex) code[n++] = static_cast<uint8_t>(0x40 | rex);
    code[n++] = 0x81;
    code[n++] = static_cast<uint8_t>(0xe0 | (reg & 7));   // /4
    for (int i = 0; i < 4; ++i) code[n++] = static_cast<uint8_t>(imm >> (8 * i));
    gen.db(code, n);
}

// shr r64, imm8.
inline void shr_imm(Xbyak::CodeGenerator& gen, int reg, uint8_t imm) {
    const uint8_t code[4] = {static_cast<uint8_t>(0x48 | (reg >= 8 ? 1 : 0)), 0xc1,
                             static_cast<uint8_t>(0xe8 | (reg & 7)), imm};   // /5
    gen.db(code, 4);
}

// BMI1 bextr r64 dst, r64 src, r64 ctl: the bits of src from ctl[7:0] on,
// ctl[15:8] of them, right-aligned.
inline void bextr(Xbyak::CodeGenerator& gen, int dst, int src, int ctl) {
    const uint8_t code[5] = {
        0xc4,
        static_cast<uint8_t>((dst >= 8 ? 0 : 0x80) | 0x40 | (src >= 8 ? 0 : 0x20) | 0x02),   // ~R ~X ~B, map 0F38
        static_cast<uint8_t>(0x80 | (~ctl & 15) << 3),                                       // W1, ~vvvv, L0, pp 00
        0xf7,
        static_cast<uint8_t>(0xc0 | (dst & 7) << 3 | (src & 7)),
    };
    gen.db(code, 5);
}

}  // namespace mimic::tcg::x64::encode
