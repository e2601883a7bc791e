// A translation block: one translated piece of guest code and its links.
#pragma once

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "mimic/tcg/ir.h"

namespace mimic::tcg {

// Backend::exec returns the value of the exit_tb that left generated code.
// Builder::exit_tb(tb, slot) encodes (tb pointer | slot); the executor then
// chains tb's goto_tb `slot` to the block that runs next. Slots 0 and 1 are
// the block's exits, slot 2 (kReturnSlot) a call's return continuation (see
// return_stack.h). Plain exit_tb(value) with value < 4 is a request to the
// guest's cpu loop (e.g. kExitRequested: check interrupts).
inline constexpr uintptr_t kExitSlotMask = 3;
inline constexpr unsigned kNumJumpSlots = 3;
inline constexpr uintptr_t kExitRequested = 3;

inline constexpr uint32_t kNoJump = ~0u;
inline constexpr uint64_t kNoPage = ~0ull;

struct TranslationBlock {
    // Identity: the lookup key (see TbKey).
    uint64_t pc = 0;          // guest virtual pc
    uint64_t cs_base = 0;
    uint32_t flags = 0;       // guest CPU mode bits that change translation
    uint32_t cs_limit = 0;    // x86: the code segment limit the block was checked against
    // Here rather than at the end: the jump cache and lookup_and_goto_ptr
    // read it with the key fields and `code` on every indirect jump, and
    // one cache line is cheaper than two.
    bool invalid = false;
    // Host code (JIT) or the IR (interpreter).
    const uint8_t* code = nullptr;
    uint64_t phys_pc = 0;     // physical address of the first guest byte
    uint64_t phys_page2 = kNoPage;   // second physical page when the code crosses one
    TranslationBlock* hash_next = nullptr;   // the next block in its TbHashTable chain
    uint32_t size = 0;        // guest code bytes (set by the front end)
    uint32_t icount = 0;      // guest instructions
    uint32_t code_size = 0;
    std::unique_ptr<Block> ir;
    std::vector<uint32_t> ir_labels;   // interpreter: instruction index of each label

    // Chaining. For goto_tb slot n: offset of its rel32 in `code` (kNoJump
    // when the block has no such slot) and where the unlinked jump goes.
    uint32_t jmp_patch[kNumJumpSlots] = {kNoJump, kNoJump, kNoJump};
    uint32_t jmp_reset[kNumJumpSlots] = {kNoJump, kNoJump, kNoJump};
    // goto_tb_guarded slots: offset of the 8-byte TLB token the link
    // patches in (kNoJump for a plain goto_tb).
    uint32_t jmp_guard[kNumJumpSlots] = {kNoJump, kNoJump, kNoJump};
    TranslationBlock* jmp_dest[kNumJumpSlots] = {nullptr, nullptr, nullptr};
    std::vector<std::pair<TranslationBlock*, unsigned>> incoming;   // blocks jumping here

    // Restoring guest state: the data of each insn_start and the host code
    // offset where that instruction's code begins (JIT only).
    struct InsnStart {
        uint32_t host_offset;
        uint64_t data[2];
    };
    std::vector<InsnStart> insns;
};

}  // namespace mimic::tcg
