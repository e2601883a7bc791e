// Operand specifications used by the form table.
//
// The names follow the Intel/AMD opcode-map notation (addressing method letter
// + size letter) so a line of the table reads like the manual's opcode map:
//   E = ModRM r/m (register or memory)   G = ModRM reg (GPR)
//   M = ModRM r/m, memory only           R = ModRM r/m, register only
//   I = immediate    J = relative branch  O = moffs (no ModRM)   A = far pointer
//   S = segment reg  C/D = control/debug reg   Z = register in opcode bits 0..2
//   X/Y = string source DS:rSI / destination ES:rDI
//   P/Q/N = MMX reg / MMX-or-mem / MMX rm reg; V/W/U = XMM reg / XMM-or-mem / XMM rm reg
// Sizes: b=8 w=16 d=32 q=64 v=operand size z=16/32 (32 for 64-bit operand
// size) y=32/64 by REX.W  p=far pointer  s=descriptor-table pseudo descriptor
// x=128-bit  t=80-bit  ss/sd=scalar single/double.
#pragma once

#include <cstdint>

namespace mimic::x86::detail {

enum class Op : uint8_t {
    None,
    // ModRM r/m, register or memory.
    Eb, Ew, Ed, Ev, Ey,
    EwRv,  // memory is 16 bits, register form has the operand size (MOV Ev,Sw; SLDT/STR/SMSW)
    EwRz,  // memory is 16 bits, register form 16/32 (LSL source)
    EdRz,  // memory is 32 bits, register form 16/32 (MOVSXD source)
    // ModRM reg, general purpose.
    Gb, Gw, Gd, Gv, Gy, Gz,
    Gn,  // native-width GPR in reg (INVPCID)
    // Memory only; the size is the data the instruction touches.
    M,  // no size (LEA, INVLPG's byte, prefetch hints)
    Mb, Mw, Md, Mq, Mt, Mv, My, Mdq, Mp, Ms, Ma,
    Mx,              // 128-bit SSE memory
    Edb, Edw,        // register is 32-bit, memory 8/16-bit (PEXTRB/PINSRB, PINSRW/PEXTRW)
    Menv, Mstate,    // x87 FLDENV/FNSTENV (14/28) and FNSAVE/FRSTOR (94/108)
    Mfx,             // FXSAVE area, 512 bytes
    Mxsave,          // XSAVE area, variable
    // ModRM r/m, register only.
    Rv, Ry,
    Rn,   // native-width GPR in r/m: 64-bit in 64-bit mode, else 32-bit (MOV CR/DR)
    // Immediates.
    Ib,   // 8 bits, zero-extended
    Ibs,  // 8 bits, sign-extended to the operand size
    Iw, Iz, Iv,
    I1,   // the constant 1 of the D0/D1 shift forms
    Jb, Jz,
    Ap,
    Ob, Ov,
    Sw,   // segment register in reg, read (MOV Ev,Sw)
    SwW,  // segment register in reg, written (MOV Sw,Ew): CS is reserved
    Cy, Dy,
    // Register in the low three opcode bits (REX.B extends).
    Zb, Zv,
    // Fixed registers.
    AL, CL, DX, rAX, eAX, AX,
    ES, CS, SS, DS, FS, GS,
    // String operands.
    Xb, Xv, Xz, Yb, Yv, Yz,
    // x87.
    ST0, STi,
    // MMX and SSE.
    Pq, Qd, Qq, Nq, Vx, Wx, Wss, Wsd, Wq, Wd, Ww, Ux,
    XMM0, // implicit XMM0 of the SSE4.1 blends
};

}  // namespace mimic::x86::detail
