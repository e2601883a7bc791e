// Disassembly for HMP's x/i and xp/i, through capstone.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>

namespace mimic::monitor {

// Reads guest bytes at an address into the buffer; false when unmapped.
using CodeReader = std::function<bool(uint64_t address, std::span<uint8_t> buffer)>;

// Disassembles `count` instructions from `address` in `bits`-bit mode, one
// line each in the layout of QEMU's capstone output (address, up to eight
// code bytes, AT&T mnemonic and operands). Stops with " Cannot access memory"
// where the reader fails.
std::string disassemble(const CodeReader& read, uint64_t address, int count, int bits);

}  // namespace mimic::monitor
