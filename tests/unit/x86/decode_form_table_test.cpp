// White-box checks of the decode table itself: every line can be reached by
// some encoding (none is shadowed by an earlier, more general line), and the
// mnemonic list has no entries without a form.

#include "form_table.h"

#include "zydis_oracle.h"

#include "mimic/x86/decode/decoder.h"

#include <gtest/gtest.h>

#include <set>
#include <vector>

namespace mimic::x86::test {
namespace {

using namespace detail;

// The mode and REX a form's flags ask for.
CpuMode mode_for(uint16_t fl) {
    if (fl & (kAs16 | kOs16)) return CpuMode::k16;
    if (fl & (kNo64 | kAs32)) return CpuMode::k32;
    if ((fl & kOs32) && (fl & kDef64)) return CpuMode::k32;  // PUSHFD: 32-bit operand size, not default-64
    return CpuMode::k64;
}

// Encodings meeting the form's fixed requirements, varying what the form
// leaves free (mandatory prefix for legacy forms, mod, reg, rm, the register
// in the opcode) so a line counts as reachable if any of them selects it.
std::vector<std::vector<uint8_t>> encodings_for(const Form& f, CpuMode mode) {
    const uint16_t fl = f.flags;
    std::vector<uint8_t> prefixes;
    switch (f.prefix) {
        case Pfx::k66: prefixes = {0x66}; break;
        case Pfx::kF3: prefixes = {0xF3}; break;
        case Pfx::kF2: prefixes = {0xF2}; break;
        case Pfx::kNone: prefixes = {0}; break;
        case Pfx::kNoneOr66: prefixes = {0, 0x66}; break;
        case Pfx::kAny: prefixes = {0, 0x66, 0xF3, 0xF2}; break;
    }
    std::vector<std::vector<uint8_t>> out;
    const unsigned opcodes = has_opcode_register(f) ? 8 : 1;
    for (uint8_t prefix : prefixes) {
        for (unsigned low = 0; low < opcodes; ++low) {
            std::vector<uint8_t> head;
            if (prefix) head.push_back(prefix);
            if (mode == CpuMode::k64 && ((fl & kW1) || (fl & kOs64))) head.push_back(0x48);
            if (f.map >= 1) head.push_back(0x0F);
            if (f.map == 2) head.push_back(0x38);
            if (f.map == 3) head.push_back(0x3A);
            head.push_back(static_cast<uint8_t>(f.opcode + low));
            if (f.modrm.kind == ModRMReq::kNone) {
                out.push_back(head);
                continue;
            }
            for (unsigned mod : {0u, 3u}) {
                if (f.modrm.kind == ModRMReq::kMemOnly && mod == 3) continue;
                if ((f.modrm.kind == ModRMReq::kRegOnly || f.modrm.kind == ModRMReq::kRegForced) && mod != 3) continue;
                for (unsigned reg = 0; reg < 8; ++reg) {
                    if (f.modrm.reg >= 0 && reg != static_cast<unsigned>(f.modrm.reg)) continue;
                    for (unsigned rm = 0; rm < (mod == 3 ? 8u : 1u); ++rm) {
                        if (f.modrm.rm >= 0 && rm != static_cast<unsigned>(f.modrm.rm)) continue;
                        auto b = head;
                        b.push_back(static_cast<uint8_t>(mod << 6 | reg << 3 | rm));
                        out.push_back(b);
                    }
                }
            }
        }
    }
    for (auto& b : out) b.resize(b.size() + 12, 0x00);  // immediates and displacements
    return out;
}

TEST(X86DecodeFormTable, EveryLineIsReachable) {
    for (unsigned i = 0; i < kFormCount; ++i) {
        const Form& f = kForms[i];
        const CpuMode mode = mode_for(f.flags);
        bool reached = false;
        std::vector<uint8_t> first;
        for (const auto& bytes : encodings_for(f, mode)) {
            if (first.empty()) first = bytes;
            DecodedInsn d;
            decode(bytes, mode, d);
            if (d.form == i && (f.mnemonic == Mnemonic::kUnsupported ? d.status == DecodeStatus::kUnsupported : d.ok())) {
                reached = true;
                break;
            }
        }
        EXPECT_TRUE(reached) << "table line " << i << " (" << mnemonic_name(f.mnemonic)
                             << ") is never selected, e.g. " << hex_bytes(first);
    }
}

TEST(X86DecodeFormTable, EveryMnemonicHasAForm) {
    std::set<Mnemonic> used;
    for (const Form& f : kForms) used.insert(f.mnemonic);
    for (unsigned m = 0; m < static_cast<unsigned>(Mnemonic::kCount); ++m) {
        auto mn = static_cast<Mnemonic>(m);
        if (mn == Mnemonic::kInvalid) continue;
        EXPECT_TRUE(used.count(mn)) << mnemonic_name(mn) << " is listed in mnemonics.inc but has no form";
    }
}

}  // namespace
}  // namespace mimic::x86::test
