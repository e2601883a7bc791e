// Host code disassembly for -d out_asm (capstone).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace mimic::tcg::x64 {

// One line per instruction: "0x00007f...:  mov  rax, rbx".
std::string disassemble(const uint8_t* code, size_t size);

}  // namespace mimic::tcg::x64
