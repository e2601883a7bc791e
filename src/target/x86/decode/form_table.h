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
        if (op == Op::Zb || op == Op::Zv) return true;
    }
    return false;
}

// The facts about an instruction that forms select on, packed in one word so
// that checking a candidate form is a single mask-and-compare. decoder.cpp
// builds the word; match_key() turns a form's requirements into mask/value.
namespace ctx {
inline constexpr uint32_t kP66 = 1u << 0, kPF3 = 1u << 1, kPF2 = 1u << 2;  // selected mandatory prefix
inline constexpr unsigned kRegShift = 3, kRmShift = 6;                         // ModRM fields (low 3 bits)
inline constexpr uint32_t kMod3 = 1u << 9;
inline constexpr uint32_t kRexW = 1u << 10, kRexB = 1u << 11;
inline constexpr uint32_t kMode64 = 1u << 12;
inline constexpr unsigned kOsShift = 13;       // operand size code (0: 16, 1: 32, 2: 64), ordinary forms
inline constexpr unsigned kOsDef64Shift = 15;  // the same for forms with 64-bit default operand size
inline constexpr unsigned kAsShift = 17;       // address size code
constexpr uint32_t size_code(unsigned bytes) { return bytes == 2 ? 0 : bytes == 4 ? 1 : 2; }
}  // namespace ctx

struct MatchKey {
    uint32_t mask = 0;
    uint32_t value = 0;
};

constexpr MatchKey match_key(const Form& f) {
    MatchKey k;
    auto require = [&k](uint32_t bits, uint32_t value) {
        k.mask |= bits;
        k.value |= value;
    };
    constexpr uint32_t kAllPfx = ctx::kP66 | ctx::kPF3 | ctx::kPF2;
    switch (f.prefix) {
        case Pfx::kAny: break;
        case Pfx::kNone: require(kAllPfx, 0); break;
        case Pfx::kNoneOr66: require(ctx::kPF3 | ctx::kPF2, 0); break;
        case Pfx::k66: require(kAllPfx, ctx::kP66); break;
        case Pfx::kF3: require(kAllPfx, ctx::kPF3); break;
        case Pfx::kF2: require(kAllPfx, ctx::kPF2); break;
    }
    if (f.modrm.reg >= 0) require(7u << ctx::kRegShift, static_cast<uint32_t>(f.modrm.reg) << ctx::kRegShift);
    if (f.modrm.rm >= 0) require(7u << ctx::kRmShift, static_cast<uint32_t>(f.modrm.rm) << ctx::kRmShift);
    if (f.modrm.kind == ModRMReq::kRegOnly) require(ctx::kMod3, ctx::kMod3);
    if (f.modrm.kind == ModRMReq::kMemOnly) require(ctx::kMod3, 0);
    if (f.flags & kW0) require(ctx::kRexW, 0);
    if (f.flags & kW1) require(ctx::kRexW, ctx::kRexW);
    if (f.flags & kNoRexB) require(ctx::kRexB, 0);
    if (f.flags & kNo64) require(ctx::kMode64, 0);
    if (f.flags & kOnly64) require(ctx::kMode64, ctx::kMode64);
    const unsigned os_shift = (f.flags & kDef64) ? ctx::kOsDef64Shift : ctx::kOsShift;
    if (f.flags & kOs16) require(3u << os_shift, ctx::size_code(2) << os_shift);
    if (f.flags & kOs32) require(3u << os_shift, ctx::size_code(4) << os_shift);
    if (f.flags & kOs64) require(3u << os_shift, ctx::size_code(8) << os_shift);
    if (f.flags & kAs16) require(3u << ctx::kAsShift, ctx::size_code(2) << ctx::kAsShift);
    if (f.flags & kAs32) require(3u << ctx::kAsShift, ctx::size_code(4) << ctx::kAsShift);
    if (f.flags & kAs64) require(3u << ctx::kAsShift, ctx::size_code(8) << ctx::kAsShift);
    return k;
}

// Per (map, opcode): where its forms start in FormIndex::entries.
struct Slot {
    uint16_t first = 0;
    uint8_t count = 0;
    bool has_modrm = false;
    bool claimed = false;  // the table speaks for this opcode; unmatched bytes are #UD
};

// A candidate form with its match key, stored inline for locality.
struct Entry {
    MatchKey key;
    uint16_t form = 0;
};

constexpr unsigned entry_count() {
    unsigned n = 0;
    for (const Form& f : kForms) n += has_opcode_register(f) ? 8 : 1;
    return n;
}

struct FormIndex {
    std::array<Slot, 4 * 256> slots{};
    std::array<Entry, entry_count()> entries{};
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
            index.entries[slot.first + slot.count++] = Entry{match_key(f), static_cast<uint16_t>(i)};
            slot.has_modrm = f.modrm.kind != ModRMReq::kNone;
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
