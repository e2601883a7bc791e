// A vCPU's return-stack buffer: where the returns of the calls it made most
// likely go, as a CPU's return predictor knows.
//
// A call's block pushes a pointer to a record in its own generated code:
// the return address (the guest pc after the call), the mode the call ran
// in, and the code of a continuation, a goto_tb slot (kReturnSlot) that
// the executor links to the block at the return address. A return pops the
// top record; when its pc and mode are the return's own, it jumps to the
// continuation, and so to the caller's next block without hashing the pc.
// Anything else (a longjmp, a return to a changed stack) is a miss, and the
// return looks its target up in the jump table.
//
// The records live in generated code, so the stack is emptied whenever
// that code goes away or the mappings it was translated under change:
// with the vCPU's jump cache.
#pragma once

#include <cstdint>

namespace mimic::tcg {

// The goto_tb slot of a call's return continuation (slots 0 and 1 are the
// block's own exits).
inline constexpr unsigned kReturnSlot = 2;

struct ReturnStack {
    // Generated code reads records as {pc, cs_base, key} (key as in
    // JumpTable::key) with the continuation's code right after.
    struct Record {
        uint64_t pc, cs_base, key;
    };
    static constexpr unsigned kDepth = 16;

    // Byte offset of the top entry in `entries` (entries are 8 bytes):
    // generated code adds it to env without scaling.
    uint32_t top = 0;
    const Record* entries[kDepth];

    ReturnStack() { clear(); }
    // Every entry a record no return matches (its key is no block's).
    void clear();
    // Empties the entries whose return address is on the virtual page of
    // vaddr (its mapping changed: the continuation's link may be stale).
    void drop_page(uint64_t vaddr, uint64_t page_mask);
};

}  // namespace mimic::tcg
