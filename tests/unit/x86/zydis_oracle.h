// Zydis as the reference decoder for the differential tests: decodes the
// same bytes and renders both results in one comparable text form.
#pragma once

#include "mimic/x86/decode/decoded_insn.h"

#include <Zydis/Zydis.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace mimic::x86::test {

struct OracleResult {
    bool ok = false;
    bool too_long = false;
    bool no_more_data = false;
    ZydisDecodedInstruction insn{};
    ZydisDecodedOperand operands[ZYDIS_MAX_OPERAND_COUNT]{};
};

class ZydisOracle {
public:
    ZydisOracle();
    OracleResult decode(std::span<const uint8_t> bytes, CpuMode mode) const;

private:
    ZydisDecoder decoders_[3];
};

// One operand in comparable form: "reg:eax", "mem:ss:[rbp+rsi*2+0x10]/4",
// "imm:0x7f", "rel:-0x2", "ptr:0x8:0x1000". Immediates also carry value and
// width, because the two decoders size them differently (Zydis: encoded
// width, ours: operand width); they agree if equal in the narrower width.
struct OperandText {
    std::string text;
    bool is_imm = false;
    uint64_t imm = 0;
    unsigned imm_size = 0;
};
std::vector<OperandText> describe_operands(const OracleResult& r);
std::vector<OperandText> describe_operands(const DecodedInsn& insn);
bool same_operand(const OperandText& ours, const OperandText& oracle);
std::string join(const std::vector<OperandText>& ops);

// Zydis's spelling of our mnemonic, where the two name families differ.
std::string oracle_mnemonic(const DecodedInsn& insn);
std::string oracle_mnemonic(const OracleResult& r);

std::string hex_bytes(std::span<const uint8_t> bytes);

}  // namespace mimic::x86::test
