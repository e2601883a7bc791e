#include "zydis_oracle.h"

#include "mimic/x86/decode/registers.h"

#include <fmt/format.h>

#include <algorithm>

namespace mimic::x86::test {

namespace {

std::string hex_signed(int64_t v) {
    return v < 0 ? fmt::format("-{:#x}", -static_cast<uint64_t>(v)) : fmt::format("{:#x}", v);
}

uint64_t mask_to(uint64_t v, unsigned bytes) {
    return bytes >= 8 || bytes == 0 ? v : v & ((uint64_t{1} << (bytes * 8)) - 1);
}

std::string zreg(ZydisRegister r) {
    const char* s = ZydisRegisterGetString(r);
    return s ? s : "?";
}

}  // namespace

ZydisOracle::ZydisOracle() {
    static constexpr ZydisMachineMode kModes[3] = {ZYDIS_MACHINE_MODE_LEGACY_16, ZYDIS_MACHINE_MODE_LEGACY_32,
                                                  ZYDIS_MACHINE_MODE_LONG_64};
    static constexpr ZydisStackWidth kWidths[3] = {ZYDIS_STACK_WIDTH_16, ZYDIS_STACK_WIDTH_32, ZYDIS_STACK_WIDTH_64};
    for (int i = 0; i < 3; ++i) {
        ZydisDecoderInit(&decoders_[i], kModes[i], kWidths[i]);
        // Mimic models a CPU without MPX, CET and CLDEMOTE: their encodings
        // are the hint NOPs they were carved from.
        ZydisDecoderEnableMode(&decoders_[i], ZYDIS_DECODER_MODE_MPX, ZYAN_FALSE);
        ZydisDecoderEnableMode(&decoders_[i], ZYDIS_DECODER_MODE_CET, ZYAN_FALSE);
        ZydisDecoderEnableMode(&decoders_[i], ZYDIS_DECODER_MODE_CLDEMOTE, ZYAN_FALSE);
    }
}

OracleResult ZydisOracle::decode(std::span<const uint8_t> bytes, CpuMode mode) const {
    OracleResult r;
    ZyanStatus st = ZydisDecoderDecodeFull(&decoders_[static_cast<int>(mode)], bytes.data(), bytes.size(),
                                           &r.insn, r.operands);
    r.ok = ZYAN_SUCCESS(st);
    r.too_long = st == ZYDIS_STATUS_INSTRUCTION_TOO_LONG;
    r.no_more_data = st == ZYDIS_STATUS_NO_MORE_DATA;
    return r;
}

std::vector<OperandText> describe_operands(const OracleResult& r) {
    std::vector<OperandText> out;
    for (unsigned i = 0; i < r.insn.operand_count_visible; ++i) {
        const ZydisDecodedOperand& op = r.operands[i];
        switch (op.type) {
            case ZYDIS_OPERAND_TYPE_REGISTER: out.push_back({"reg:" + zreg(op.reg.value)}); break;
            case ZYDIS_OPERAND_TYPE_MEMORY: {
                std::string s = "mem:" + zreg(op.mem.segment) + ":[";
                if (op.mem.base != ZYDIS_REGISTER_NONE) s += zreg(op.mem.base);
                if (op.mem.index != ZYDIS_REGISTER_NONE) s += fmt::format("+{}*{}", zreg(op.mem.index), op.mem.scale);
                s += "+" + hex_signed(op.mem.disp.has_displacement ? op.mem.disp.value : 0) + "]";
                if (op.mem.type == ZYDIS_MEMOP_TYPE_MEM) s += fmt::format("/{}", op.size / 8);
                out.push_back({s});
                break;
            }
            case ZYDIS_OPERAND_TYPE_IMMEDIATE:
                if (op.imm.is_relative) out.push_back({"rel:" + hex_signed(op.imm.value.s)});
                else out.push_back({fmt::format("imm:{:#x}", mask_to(op.imm.value.u, op.size / 8)), true, op.imm.value.u, op.size / 8u});
                break;
            case ZYDIS_OPERAND_TYPE_POINTER:
                out.push_back({fmt::format("ptr:{:#x}:{:#x}", op.ptr.segment, op.ptr.offset)});
                break;
            default: out.push_back({"?"}); break;
        }
    }
    return out;
}

std::vector<OperandText> describe_operands(const DecodedInsn& insn) {
    std::vector<OperandText> out;
    bool first_imm = true;
    for (unsigned i = 0; i < insn.op_count; ++i) {
        const Operand& op = insn.ops[i];
        switch (op.kind) {
            case OperandKind::kReg: out.push_back({"reg:" + std::string(reg_name(op.reg))}); break;
            case OperandKind::kMem: {
                const MemOperand& m = insn.mem;
                std::string s = "mem:" + std::string(reg_name({RegClass::kSeg, m.seg})) + ":[";
                if (m.base.valid()) s += reg_name(m.base, m.addr_size);
                if (m.index.valid()) s += fmt::format("+{}*{}", reg_name(m.index), m.scale);
                int64_t disp = m.disp;
                // The oracle prints displacements sign-extended to 64 bits; moffs
                // and 16-bit address arithmetic wrap at the address size anyway.
                if (m.addr_size == 4 && !m.base.valid() && !m.index.valid()) disp = static_cast<int32_t>(disp);
                if (m.addr_size == 2 && !m.base.valid() && !m.index.valid()) disp = static_cast<int16_t>(disp);
                s += "+" + hex_signed(disp) + "]";
                if (op.size != 0) s += fmt::format("/{}", op.size);
                out.push_back({s});
                break;
            }
            case OperandKind::kImm: {
                auto v = static_cast<uint64_t>(first_imm ? insn.imm : insn.imm2);
                out.push_back({fmt::format("imm:{:#x}", mask_to(v, op.size)), true, v, op.size});
                first_imm = false;
                break;
            }
            case OperandKind::kRel: out.push_back({"rel:" + hex_signed(insn.rel)}); break;
            case OperandKind::kFarPtr: out.push_back({fmt::format("ptr:{:#x}:{:#x}", insn.imm2, insn.imm)}); break;
            case OperandKind::kNone: out.push_back({"none"}); break;
        }
    }
    return out;
}

bool same_operand(const OperandText& ours, const OperandText& oracle) {
    if (ours.is_imm && oracle.is_imm) {
        unsigned size = std::min(ours.imm_size, oracle.imm_size);
        return mask_to(ours.imm, size) == mask_to(oracle.imm, size);
    }
    if (ours.text.starts_with("mem:") && ours.text.back() == ']') {
        // Our form has no fixed size (XSAVE areas, LEA): ignore the oracle's.
        size_t end = oracle.text.find("]/");
        return (end == std::string::npos ? oracle.text : oracle.text.substr(0, end + 1)) == ours.text;
    }
    return ours.text == oracle.text;
}

std::string join(const std::vector<OperandText>& ops) {
    std::string s;
    for (auto& op : ops) s += (s.empty() ? "" : ", ") + op.text;
    return s;
}

std::string oracle_mnemonic(const DecodedInsn& insn) {
    switch (insn.mnemonic) {
        case Mnemonic::kRetf: return "ret";
        case Mnemonic::kCallf: return "call";
        case Mnemonic::kJmpf: return "jmp";
        default: return std::string(mnemonic_name(insn.mnemonic));
    }
}

std::string oracle_mnemonic(const OracleResult& r) {
    const char* s = ZydisMnemonicGetString(r.insn.mnemonic);
    return s ? s : "?";
}

std::string hex_bytes(std::span<const uint8_t> bytes) {
    std::string s;
    for (uint8_t b : bytes) s += fmt::format("{:02x} ", b);
    if (!s.empty()) s.pop_back();
    return s;
}

}  // namespace mimic::x86::test
