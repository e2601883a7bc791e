// Disassembly for HMP's x/i and xp/i, through capstone.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

namespace mimic::monitor {

// Reads guest bytes at an address into the buffer; false when unmapped.
using CodeReader = std::function<bool(uint64_t address, std::span<uint8_t> buffer)>;

// Disassembles one instruction at a time in `bits`-bit mode, one line each
// in the layout of QEMU's capstone output (address, up to eight code bytes,
// AT&T mnemonic and operands), so a long listing can be produced in pieces.
class Disassembler {
public:
    Disassembler(CodeReader read, int bits);
    ~Disassembler();
    Disassembler(const Disassembler&) = delete;
    Disassembler& operator=(const Disassembler&) = delete;

    // Appends the line of the instruction at `address` and moves `address`
    // past it. False (with a line saying so) when nothing more can be
    // disassembled: unreadable memory, or capstone failing to start.
    bool next(uint64_t& address, std::string& out);

private:
    class Capstone;
    CodeReader read_;
    std::unique_ptr<Capstone> capstone_;
};

}  // namespace mimic::monitor
