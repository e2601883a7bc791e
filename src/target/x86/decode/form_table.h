// The decode table and its compile-time index.
//
// kForms is the concatenation of the *.inc tables. The index maps
// (map, opcode byte) to the run of forms sharing it, in table order, so the
// decoder scans only the few candidates of one opcode. Forms with a register
// in the opcode (Z* operands) are entered under all eight opcodes.
#pragma once

#include "form.h"

#include <array>
#include <cstdint>

namespace mimic::x86::detail {

namespace table {
using namespace dsl;
#define F(mn, cat, map, opc, modrm, pfx, flags, ...) \
    Form{Mnemonic::k##mn, Category::k##cat, map, opc, modrm, pfx, static_cast<uint16_t>(flags), {__VA_ARGS__}},
inline constexpr Form kForms[] = {
#include "forms_one_byte.inc"
#include "forms_x87.inc"
#include "forms_two_byte.inc"
#include "forms_sse.inc"
};
#undef F
}  // namespace table

using table::kForms;
inline constexpr unsigned kFormCount = sizeof(kForms) / sizeof(kForms[0]);

constexpr bool has_opcode_register(const Form& f) {
    for (Op op : f.ops) {
        if (op == Op::Zb || op == Op::Zv || op == Op::Zy) return true;
    }
    return false;
}

// Per (map, opcode): where its forms start in FormIndex::entries.
struct Slot {
    uint16_t first = 0;
    uint8_t count = 0;
    bool has_modrm = false;
    bool has_66_form = false;  // a P66 form exists, so 66 never falls back to a PN form
    bool claimed = false;      // the table speaks for this opcode; unmatched bytes are #UD
};

constexpr unsigned entry_count() {
    unsigned n = 0;
    for (const Form& f : kForms) n += has_opcode_register(f) ? 8 : 1;
    return n;
}

struct FormIndex {
    std::array<Slot, 4 * 256> slots{};
    std::array<uint16_t, entry_count()> entries{};
};

constexpr FormIndex build_form_index() {
    FormIndex index;
    std::array<uint16_t, 4 * 256> counts{};
    auto for_each_slot = [](const Form& f, auto&& fn) {
        unsigned n = has_opcode_register(f) ? 8 : 1;
        for (unsigned i = 0; i < n; ++i) fn(f.map * 256u + f.opcode + i);
    };
    for (const Form& f : kForms) for_each_slot(f, [&](unsigned s) { ++counts[s]; });
    unsigned next = 0;
    for (unsigned s = 0; s < counts.size(); ++s) {
        index.slots[s].first = static_cast<uint16_t>(next);
        next += counts[s];
    }
    for (unsigned i = 0; i < kFormCount; ++i) {
        const Form& f = kForms[i];
        for_each_slot(f, [&](unsigned s) {
            Slot& slot = index.slots[s];
            index.entries[slot.first + slot.count++] = static_cast<uint16_t>(i);
            slot.has_modrm = f.modrm.kind != ModRMReq::kNone;
            slot.has_66_form = slot.has_66_form || f.prefix == Pfx::k66;
            slot.claimed = true;
        });
    }
    return index;
}

inline constexpr FormIndex kFormIndex = build_form_index();

// Every form of one opcode must agree on whether a ModRM byte follows,
// otherwise the instruction length would depend on which form matched.
constexpr bool modrm_consistent() {
    for (const Form& f : kForms) {
        bool has = f.modrm.kind != ModRMReq::kNone;
        for (unsigned i = 0; i < (has_opcode_register(f) ? 8u : 1u); ++i) {
            if (kFormIndex.slots[f.map * 256u + f.opcode + i].has_modrm != has) return false;
        }
    }
    return true;
}
static_assert(modrm_consistent(), "forms of one opcode disagree about ModRM");

}  // namespace mimic::x86::detail
