// Text form of the IR, one line per instruction, as -d op / -d op_opt print it:
//
//  ---- 0x1000 0x0
//  add_i32 eax,eax,ebx
//  brcond_i32 tmp0,$0x0,eq,$L0
//  call helper_foo,$0x0,$1,tmp2,env,tmp1      (name, flags, outputs; outputs, inputs)
//  exit_tb $0x0
#pragma once

#include <string>

#include "mimic/tcg/ir.h"

namespace mimic::tcg {

std::string temp_name(const Block& block, uint32_t idx);
std::string memop_name(MemOp m);
// with_liveness appends "  dead: N,M" (operand numbers) where liveness found some.
std::string print_inst(const Block& block, const Inst& inst, bool with_liveness = false);
std::string print_block(const Block& block, bool with_liveness = false);

}  // namespace mimic::tcg
